import { ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import { SERVER_MAIN } from './paths';

/** A real tensorflow_model_server process started by a test, on an OS-assigned port. */
export interface ServerProcess {
  readonly process: ChildProcess;
  readonly grpcPort: number;
  readonly target: string;
  /** Everything the server logged so far. */
  logs(): string;
  stop(): Promise<number | null>;
}

/** Runs the server with `args` until it exits; for start-up failures and flag handling. */
export function runServer(
  args: string[],
  timeoutMs = 60000,
  env?: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER_MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ? { ...process.env, ...env } : process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port the OS reports free right now (TF Serving's --port=0 means "no gRPC port", so we pick one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server and resolves once its gRPC port is open (the server logs it only after every
 * configured model is available).
 */
export async function startServer(args: string[], timeoutMs = 90000, env?: Record<string, string>): Promise<ServerProcess> {
  const portArg = args.some((a) => a.startsWith('--port')) ? [] : [`--port=${await freePort()}`];
  const child = spawn(process.execPath, [SERVER_MAIN, ...portArg, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env ? { ...process.env, ...env } : process.env,
  });
  let out = '';
  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    // With a REST port, wait for it too: it opens just after the gRPC port.
    const wantsRest = args.some((a) => /^--rest_api_port=[1-9]/.test(a));
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Running gRPC ModelServer at \S+:(\d+) /.exec(out);
      if (m && (!wantsRest || /Exporting HTTP\/REST API|Failed to start HTTP Server/.test(out))) {
        clearTimeout(timer);
        const grpcPort = Number(m[1]);
        resolve({
          process: child,
          grpcPort,
          target: `127.0.0.1:${grpcPort}`,
          logs: () => out,
          stop: () =>
            new Promise((res) => {
              if (child.exitCode !== null) return res(child.exitCode);
              child.once('exit', (code) => res(code));
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}
