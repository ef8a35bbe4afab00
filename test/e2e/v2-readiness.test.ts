import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODELS_DIR, ensureTestModels } from '../helpers/fixtures';
import { request } from '../helpers/http-client';
import { writeModelConfig } from '../helpers/model-config';
import { copyByRename, waitFor } from '../helpers/model-folders';
import { PYTHON, REPO } from '../helpers/paths';
import { ServerProcess, freePort, startServer } from '../helpers/server-process';
import { V2Case, runV2Cases } from '../helpers/v2-client';

/**
 * Readiness tracks loads over the Open Inference Protocol: the server opens its ports while one
 * configured model (counter) has no version yet (--wait_for_models_at_startup=false); its version is
 * then copied in and takes seconds to load (its warmup file is replayed many times). Throughout,
 * V2's ModelReady (REST and gRPC) and ServerReady say false until TF Serving's status API says the
 * version is AVAILABLE, and true from then on.
 */

type Unary = (req: object, cb: (err: grpc.ServiceError | null, res: { ready: boolean }) => void) => void;
const definition = protoLoader.loadSync('kserve/grpc_predict_v2.proto', { includeDirs: [path.join(REPO, 'proto')], keepCase: true });
const { GRPCInferenceService } = (grpc.loadPackageDefinition(definition) as unknown as {
  inference: { GRPCInferenceService: new (target: string, creds: grpc.ChannelCredentials) => grpc.Client & Record<string, Unary> };
}).inference;

let server: ServerProcess;
let tmp: string;
let restPort: number;
let client: grpc.Client & Record<string, Unary>;

beforeAll(async () => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-v2-ready-'));
  // 1000 warmup records, replayed 20 times below: the load takes seconds after the files are in place.
  execFileSync(PYTHON, [path.join(REPO, 'python/export_warmup_model.py'), path.join(tmp, 'staged/1'), '1000'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  fs.mkdirSync(path.join(tmp, 'counter'));
  const config = writeModelConfig(path.join(tmp, 'models.config'), [
    ['dtypes', path.join(MODELS_DIR, 'dtypes')],
    ['counter', path.join(tmp, 'counter')],
  ]);
  restPort = await freePort();
  server = await startServer([
    `--model_config_file=${config}`,
    `--rest_api_port=${restPort}`,
    '--wait_for_models_at_startup=false',
    '--num_request_iterations_for_warmup=20',
    '--file_system_poll_wait_seconds=1',
  ]);
  client = new GRPCInferenceService(server.target, grpc.credentials.createInsecure());
  await waitFor('dtypes to serve', async () => ((await request(restPort, 'GET', '/v2/models/dtypes/ready')).status === 200 ? true : undefined));
});

afterAll(async () => {
  client?.close();
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const status = async (p: string): Promise<number> => (await request(restPort, 'GET', p)).status;
const grpcReady = (method: 'ServerReady' | 'ModelReady', req: object): Promise<boolean> =>
  new Promise((resolve, reject) => client[method](req, (err, res) => (err ? reject(err) : resolve(res.ready))));

/** TF Serving's own view of counter's version 1: its state, or 'none' before the version is known. */
async function v1State(): Promise<string> {
  const r = await request(restPort, 'GET', '/v1/models/counter');
  if (r.status !== 200) return 'none';
  const s = (JSON.parse(r.text) as { model_version_status: { version: string; state: string }[] }).model_version_status.find((v) => v.version === '1');
  return s?.state ?? 'none';
}

const readinessCases = (): V2Case[] =>
  (['http', 'grpc'] as const).flatMap((transport) => [
    { name: `${transport} server`, op: 'server' as const, transport },
    { name: `${transport} counter`, op: 'model_ready' as const, transport, model: 'counter' },
    { name: `${transport} dtypes`, op: 'model_ready' as const, transport, model: 'dtypes' },
  ]);

test('before counter has a version: live, not ready; dtypes ready, counter not (tritonclient, both transports)', async () => {
  const r = await runV2Cases(`127.0.0.1:${restPort}`, server.target, readinessCases());
  expect(r.map((x) => [x.name, x.live, x.ready])).toEqual([
    ['http server', true, false],
    ['http counter', undefined, false],
    ['http dtypes', undefined, true],
    ['grpc server', true, false],
    ['grpc counter', undefined, false],
    ['grpc dtypes', undefined, true],
  ]);
  expect(await status('/v2/health/ready')).toBe(400);
  expect(await status('/v2/health/live')).toBe(200);
});

test('while counter loads, V2 says not ready; once TF Serving says AVAILABLE, ready', async () => {
  copyByRename(path.join(tmp, 'staged/1'), path.join(tmp, 'counter/1'));
  const samples: { model: number; server: number; grpcModel: boolean; grpcServer: boolean; state: string }[] = [];
  await waitFor(
    'counter to become ready over V2',
    async () => {
      // V2 first, then TF Serving's status: a version that is AVAILABLE stays so, so "V2 ready" must
      // never be seen before the status says AVAILABLE.
      const sample = {
        model: await status('/v2/models/counter/ready'),
        server: await status('/v2/health/ready'),
        grpcModel: await grpcReady('ModelReady', { name: 'counter', version: '' }),
        grpcServer: await grpcReady('ServerReady', {}),
        state: await v1State(),
      };
      samples.push(sample);
      return sample.model === 200 && sample.server === 200 && sample.grpcModel && sample.grpcServer ? true : undefined;
    },
    120000,
  );
  const loading = samples.filter((s) => s.state === 'LOADING');
  // The load was seen in progress, and V2 said "not ready" on every sample taken during it.
  expect(loading.length).toBeGreaterThan(0);
  expect(loading.filter((s) => s.model !== 400 || s.server !== 400 || s.grpcModel || s.grpcServer)).toEqual([]);
  // Nothing said ready before the version was AVAILABLE.
  expect(samples.filter((s) => (s.model === 200 || s.server === 200 || s.grpcModel || s.grpcServer) && s.state !== 'AVAILABLE')).toEqual([]);
  const r = await runV2Cases(`127.0.0.1:${restPort}`, server.target, readinessCases());
  expect(r.map((x) => [x.name, x.live, x.ready])).toEqual([
    ['http server', true, true],
    ['http counter', undefined, true],
    ['http dtypes', undefined, true],
    ['grpc server', true, true],
    ['grpc counter', undefined, true],
    ['grpc dtypes', undefined, true],
  ]);
});
