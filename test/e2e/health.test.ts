import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODELS_DIR, ensureTestModels, modelDir } from '../helpers/fixtures';
import { copyByRename, waitFor } from '../helpers/model-folders';
import { request } from '../helpers/http-client';
import { ServerProcess, freePort, startServer } from '../helpers/server-process';
import { writeModelConfig } from '../helpers/model-config';

/**
 * Readiness and liveness (/readyz, /healthz on the REST port) and grpc.health.v1.Health
 * (--enable_grpc_healthcheck_service) through a model's life: the server starts with
 * --wait_for_models_at_startup=false while one configured model's base path is still empty, becomes
 * ready once a version is copied in, and reports NOT_SERVING as soon as SIGTERM arrives.
 */

type Status = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN';
type HealthClient = grpc.Client & {
  Check(req: { service: string }, opts: { deadline: Date }, cb: (err: grpc.ServiceError | null, res?: { status: Status }) => void): void;
  Watch(req: { service: string }): grpc.ClientReadableStream<{ status: Status }>;
};
const HealthClientCtor = grpc.makeClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'grpc.health.v1.Health') as unknown as new (
  target: string,
  creds: grpc.ChannelCredentials,
) => HealthClient;

/** TF Serving's names (short, and "" for the whole server), then ours (full names) kept as aliases. */
const SERVICES = ['', 'ModelService', 'PredictionService', 'tensorflow.serving.ModelService', 'tensorflow.serving.PredictionService'];

const get = (port: number, urlPath: string, method = 'GET', body?: string) => request(port, method, urlPath, body);

let tmp: string;
let base: string;
let server: ServerProcess;
let restPort: number;
let health: HealthClient;
let watch: grpc.ClientReadableStream<{ status: Status }> | undefined;
const watched: Status[] = [];
let exited: Promise<number | null>;

const check = (service: string): Promise<Status | string> =>
  new Promise((resolve) =>
    health.Check({ service }, { deadline: new Date(Date.now() + 5000) }, (err, res) => resolve(err ? `error ${grpc.status[err.code]}` : (res?.status as Status))),
  );

beforeAll(async () => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-health-'));
  base = path.join(tmp, 'add_sub');
  fs.mkdirSync(base);
  const config = path.join(tmp, 'models.config');
  writeModelConfig(config, [['add_sub', base], ['dtypes', path.join(MODELS_DIR, 'dtypes')]]);
  restPort = await freePort();
  server = await startServer([
    `--model_config_file=${config}`,
    `--rest_api_port=${restPort}`,
    '--wait_for_models_at_startup=false',
    '--enable_grpc_healthcheck_service',
    '--file_system_poll_wait_seconds=1',
  ]);
  exited = new Promise((resolve) => {
    if (server.process.exitCode !== null) resolve(server.process.exitCode);
    else server.process.once('exit', (code) => resolve(code));
  });
  health = new HealthClientCtor(server.target, grpc.credentials.createInsecure());
  await waitFor('the REST port', async () => ((await get(restPort, '/healthz').catch(() => undefined))?.status === 200 ? true : undefined));
});

afterAll(async () => {
  watch?.cancel();
  health?.close();
  if (server && server.process.exitCode === null) {
    const killer = setTimeout(() => server.process.kill('SIGKILL'), 10000);
    await server.stop();
    clearTimeout(killer);
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('while a configured model has no version: live, not ready, NOT_SERVING', async () => {
  // dtypes loads; add_sub's base path is empty, so the server as a whole is not ready.
  await waitFor('dtypes to load', async () => ((await get(restPort, '/v1/models/dtypes')).status === 200 ? true : undefined));
  expect((await get(restPort, '/healthz')).status).toBe(200);
  expect((await get(restPort, '/readyz')).status).toBe(503);
  for (const s of SERVICES) expect([s, await check(s)]).toEqual([s, 'NOT_SERVING']);
  expect(await check('no.such.Service')).toBe('error NOT_FOUND');
  // Requests for the missing model are answered (UNAVAILABLE while its first version is awaited).
  const r = await get(restPort, '/v1/models/add_sub:predict', 'POST', '{"inputs": {"input_x": [1.0], "input_y": [2.0]}}');
  expect(r.status).toBe(503);
  expect(JSON.parse(r.text)).toEqual({ error: 'Servable not found for request: Latest(add_sub)' });

  watch = health.Watch({ service: '' });
  watch.on('data', (m: { status: Status }) => watched.push(m.status));
  watch.on('error', () => undefined);
  await waitFor('the first Watch message', async () => (watched.length > 0 ? true : undefined), 5000);
  expect(watched[0]).toBe('NOT_SERVING');
});

test('a version copied in makes /readyz 200 and every health service SERVING', async () => {
  copyByRename(modelDir('add_sub', 1), path.join(base, '1'));
  await waitFor('/readyz 200', async () => ((await get(restPort, '/readyz')).status === 200 ? true : undefined), 20000);
  for (const s of SERVICES) expect([s, await check(s)]).toEqual([s, 'SERVING']);
  await waitFor('Watch to report SERVING', async () => (watched[watched.length - 1] === 'SERVING' ? true : undefined), 5000);
  const r = await get(restPort, '/v1/models/add_sub:predict', 'POST', '{"inputs": {"input_x": [1.0], "input_y": [2.0]}}');
  expect({ status: r.status, body: JSON.parse(r.text) }).toEqual({ status: 200, body: { outputs: { result_add: [3], result_sub: [-1] } } });
  expect((await get(restPort, '/healthz')).status).toBe(200);
});

test('SIGTERM: NOT_SERVING at once, then the server exits with code 0 (even with a Watch stream still open)', async () => {
  const before = watched.length;
  server.process.kill('SIGTERM');
  await waitFor('Watch to report NOT_SERVING after SIGTERM', async () => (watched.slice(before).includes('NOT_SERVING') ? true : undefined), 5000);
  // A graceful shutdown must not wait forever for a health Watch stream (gRPC clients with
  // client-side health checking keep one open for the life of the channel).
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 5 s after SIGTERM'), 5000).unref())]);
  const result: { exitCode: number | null | string; exitCodeOnceTheClientCancelsItsWatch?: number | null | string } = { exitCode: code };
  if (code !== 0) {
    // Let the server go so the rest of the run is not held up, and show whether the open stream was the cause.
    watch?.cancel();
    result.exitCodeOnceTheClientCancelsItsWatch = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 5000).unref())]);
  }
  expect(result).toEqual({ exitCode: 0 });
});
