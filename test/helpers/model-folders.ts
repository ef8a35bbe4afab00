import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Files of a folder, recursively, in a stable order (folders before their contents). */
function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Copies a version folder the slow way users do (cp over a network share): file by file, in small
 * chunks, pausing `pauseMs` after `pauseAfter` files. saved_model.pb goes first, so a server without a
 * completeness guard would see a loadable-looking folder long before the variables arrive.
 */
export async function slowCopy(src: string, dest: string, pauseMs: number, pauseAfter = 1): Promise<void> {
  const files = listFiles(src).sort((a, b) => (a === 'saved_model.pb' ? -1 : b === 'saved_model.pb' ? 1 : 0));
  let n = 0;
  for (const rel of files) {
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    const data = fs.readFileSync(path.join(src, rel));
    const fd = fs.openSync(path.join(dest, rel), 'w');
    const chunk = Math.max(1, Math.ceil(data.length / 4));
    for (let at = 0; at < data.length; at += chunk) {
      fs.writeSync(fd, data, at, Math.min(chunk, data.length - at));
      await sleep(20);
    }
    fs.closeSync(fd);
    if (++n === pauseAfter) await sleep(pauseMs);
  }
}

/** Copy under a temporary, non-numeric name, then rename into place: the atomic way. */
export function copyByRename(src: string, dest: string): void {
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.cpSync(src, tmp, { recursive: true });
  fs.renameSync(tmp, dest);
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * What users and their tools do to a model folder after copying a version in: `chmod -R a+rX` (so a
 * container's non-root user can read it) and `touch` on every entry (a backup tool, `chown -R`,
 * Kubernetes' fsGroup walk). Contents stay the same; every ctime, and every mtime, becomes now.
 */
export function metadataWalk(dir: string): void {
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  execFileSync('find', [dir, '-exec', 'touch', '{}', '+']);
}
