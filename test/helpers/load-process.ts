import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

/** What test/helpers/load-client.js prints when stopped: counts, failures, and when each version answered. */
export interface LoadSummary {
  ok: number;
  failed: number;
  failures: Array<{ at: number; code: string; details: string }>;
  versions: Record<string, { first: number; last: number; count: number }>;
}

/** Predict requests back to back from a separate process, until `stop`. */
export function startLoad(target: string, model: string, inputs: object, concurrency = 4): Promise<{ child: ChildProcess; stop: () => Promise<LoadSummary> }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'load-client.js'), target, model, JSON.stringify(inputs), String(concurrency)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('started\n') && !out.includes('{')) {
        resolve({
          child,
          stop: () =>
            new Promise((res) => {
              child.stdout!.on('data', () => {
                const line = out.split('\n').find((l) => l.startsWith('{'));
                if (line) res(JSON.parse(line) as LoadSummary);
              });
              child.stdin!.write('stop\n');
            }),
        });
      }
    });
  });
}
