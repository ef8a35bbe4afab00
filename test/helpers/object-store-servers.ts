import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './server-process';

/**
 * MinIO and fake-gcs-server, real servers on loopback ports with their own data directories, started
 * from the binaries scripts/object-store-servers.sh builds once into a cache outside the repository.
 * A server that cannot start fails the test with the reason.
 */
export const OBJECT_STORE_BIN =
  process.env.TFSERVING_OBJECT_STORE_BIN ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'tfserving-ts/bin');

export const MINIO_USER = 'tfserving-test';
export const MINIO_PASSWORD = 'tfserving-test-secret';

export interface StoreServer {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Environment a client (our server, the test's SDK) needs to reach this store. */
  readonly env: Record<string, string>;
  logs(): string;
  /** Kills the server (the store "goes away"); `start` brings it back on the same port and data. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

function binary(name: string): string {
  const file = path.join(OBJECT_STORE_BIN, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${name} is not built at ${file}: run \`bash scripts/object-store-servers.sh\` (needs Go; .ci/run does this)`);
  }
  return file;
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1000, () => req.destroy());
  });
}

async function launch(
  name: string,
  args: string[],
  env: Record<string, string>,
  healthUrl: string,
): Promise<{ kill: () => Promise<void>; start: () => Promise<void>; logs: () => string }> {
  const file = binary(name);
  let child: ChildProcess | undefined;
  let out = '';
  const start = async (): Promise<void> => {
    const c = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 30000;
    while ((await httpStatus(healthUrl)) !== 200) {
      if (c.exitCode !== null) throw new Error(`${name} exited with ${c.exitCode} at start:\n${out}`);
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`${name} did not answer ${healthUrl} within 30 s:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = (): Promise<void> =>
    new Promise((resolve) => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  await start();
  return { kill, start, logs: () => out };
}

/** MinIO (S3) with its own data directory; the bucket is created by the test through the SDK. */
export async function startMinio(dataDir: string): Promise<StoreServer> {
  const port = await freePort();
  const consolePort = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server = await launch(
    'minio',
    ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
    { MINIO_ROOT_USER: MINIO_USER, MINIO_ROOT_PASSWORD: MINIO_PASSWORD, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off', CI: 'true' },
    `${endpoint}/minio/health/live`,
  );
  return {
    endpoint,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: MINIO_USER, AWS_SECRET_ACCESS_KEY: MINIO_PASSWORD },
    ...server,
  };
}

/** fake-gcs-server speaking the GCS JSON API over plain HTTP, reached through STORAGE_EMULATOR_HOST. */
export async function startFakeGcs(dataDir: string): Promise<StoreServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server = await launch(
    'fake-gcs-server',
    [
      '-scheme', 'http', '-host', '127.0.0.1', '-port', String(port),
      '-backend', 'filesystem', '-filesystem-root', dataDir,
      '-public-host', `127.0.0.1:${port}`, '-external-url', endpoint, '-log-level', 'warn',
    ],
    {},
    `${endpoint}/storage/v1/b`,
  );
  return { endpoint, env: { STORAGE_EMULATOR_HOST: endpoint, GOOGLE_CLOUD_PROJECT: 'test' }, ...server };
}
