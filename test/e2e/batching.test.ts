import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestModels } from '../helpers/fixtures';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { PYTHON, REPO } from '../helpers/paths';
import { ServerProcess, startServer } from '../helpers/server-process';
import { writeModelConfig } from '../helpers/model-config';

/** Server-side batching (--enable_batching, --batching_parameters_file) on the real server. */

let tmp: string;
let models: string;

beforeAll(() => {
  models = ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-batch-'));
  execFileSync(PYTHON, [path.join(REPO, 'python/export_warmup_model.py'), path.join(tmp, 'counter', '1'), '0'], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function serve(params: string, models_: Array<[string, string]>, body: (c: TestClient, s: ServerProcess) => Promise<void>, batching = true) {
  const file = path.join(tmp, `batching-${Math.random().toString(36).slice(2)}.txt`);
  fs.writeFileSync(file, params);
  const config = path.join(tmp, `models-${Math.random().toString(36).slice(2)}.config`);
  writeModelConfig(config, models_);
  const args = [`--model_config_file=${config}`, ...(batching ? ['--enable_batching', `--batching_parameters_file=${file}`] : [])];
  const server = await startServer(args);
  const client = new TestClient(server.target);
  try {
    await body(client, server);
  } finally {
    client.close();
    await server.stop();
  }
}

/** Requests of 1 to 5 rows of 3 floats, with values that differ per request. */
const requests = Array.from({ length: 40 }, (_, i) => {
  const rows = (i % 5) + 1;
  return Array.from({ length: rows * 3 }, (_, j) => Math.fround((i * 7.25 + j * 0.1) * (j % 2 ? -1 : 1)));
});

async function runAll(c: TestClient): Promise<number[][]> {
  return Promise.all(
    requests.map(async (values) => {
      const r = await c.predict({ model_spec: { name: 'dtypes' }, inputs: { x: floatTensor(values, [values.length / 3, 3]) } });
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.details}`);
      expect(r.response.outputs.y.tensor_shape).toEqual({ dim: [{ size: String(values.length / 3) }, { size: '3' }] });
      return r.response.outputs.y.float_val as number[];
    }),
  );
}

test('batched and unbatched results are identical, with requests of different sizes interleaved', async () => {
  let unbatched: number[][] = [];
  await serve('', [['dtypes', path.join(models, 'dtypes')]], async (c) => {
    unbatched = await runAll(c);
  }, false);
  const params = 'max_batch_size { value: 16 } batch_timeout_micros { value: 5000 } num_batch_threads { value: 1 } allowed_batch_sizes: 4 allowed_batch_sizes: 8 allowed_batch_sizes: 16';
  await serve(params, [['dtypes', path.join(models, 'dtypes')]], async (c) => {
    const batched = await runAll(c);
    expect(batched).toEqual(unbatched);
    expect(batched).toEqual(requests.map((v) => v.map((x) => Math.fround(x * 2 + 1))));
  });
});

test('a request larger than max_batch_size is refused; a full queue answers UNAVAILABLE at once', async () => {
  const params = 'max_batch_size { value: 2 } batch_timeout_micros { value: 2000000 } max_enqueued_batches { value: 1 } num_batch_threads { value: 1 }';
  await serve(params, [['counter', path.join(tmp, 'counter')]], async (c) => {
    const slow = (rows: number) =>
      c.predict({ model_spec: { name: 'counter', signature_name: 'slow' }, inputs: { x: floatTensor(new Array(rows).fill(1)) } });
    expect(await slow(3)).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENT', details: 'Task size 3 is larger than maximum input batch size 2' } });
    // A runs (about a second); B waits in the one batch the queue may hold; C does not fit beside B.
    const a = slow(1);
    await new Promise((r) => setTimeout(r, 100));
    const b = slow(1);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const cResult = await slow(2);
    const refusedAfterMs = Date.now() - started;
    expect(cResult).toEqual({ ok: false, error: { code: 'UNAVAILABLE', details: 'The batch scheduling queue to which this task was submitted is full' } });
    expect((await a).ok && (await b).ok).toBe(true);
    console.log(`full queue refused in ${refusedAfterMs} ms while a batch ran`);
  });
});

test('a request whose deadline passes while queued never runs', async () => {
  const params = 'max_batch_size { value: 8 } batch_timeout_micros { value: 500000 } num_batch_threads { value: 1 }';
  await serve(params, [['counter', path.join(tmp, 'counter')]], async (c) => {
    // Keep the model's worker busy for about a second, then queue an increment that may wait 100 ms.
    const busy = c.predict({ model_spec: { name: 'counter', signature_name: 'slow' }, inputs: { x: floatTensor([1]) } });
    await new Promise((r) => setTimeout(r, 100));
    const expiring = await c.predictWithDeadline(
      { model_spec: { name: 'counter', signature_name: 'incr_rows' }, inputs: { x: floatTensor([5, 5]) } },
      100,
    );
    expect((await busy).ok).toBe(true);
    // The client's own deadline fires first; what matters is that the server never runs the request.
    expect(expiring.ok === false && expiring.error.code).toBe('DEADLINE_EXCEEDED');
    const get = await c.predict({ model_spec: { name: 'counter', signature_name: 'get' }, inputs: {} });
    expect(get.ok && get.response.outputs.count.float_val).toEqual([0]);
    // And a batched increment that does run adds exactly its rows once.
    const ok = await c.predict({ model_spec: { name: 'counter', signature_name: 'incr_rows' }, inputs: { x: floatTensor([1, 2]) } });
    expect(ok.ok && ok.response.outputs.count.float_val).toEqual([3, 3]);
  });
});

/** The counting model: incr_rows adds its rows to a counter and answers every row with the new total. */
const incrRows = (c: TestClient, values: number[]) =>
  c.predict({ model_spec: { name: 'counter', signature_name: 'incr_rows' }, inputs: { x: floatTensor(values) } });
const holdThread = (c: TestClient) => c.predict({ model_spec: { name: 'counter', signature_name: 'slow' }, inputs: { x: floatTensor([1]) } });
const totals = async (p: ReturnType<typeof incrRows>) => {
  const r = await p;
  return r.ok ? r.response.outputs.count.float_val : r.error;
};

test('batches really form: eight one-row requests queued behind a running batch run as one (each sees the total 8)', async () => {
  const params = 'max_batch_size { value: 8 } batch_timeout_micros { value: 5000000 } num_batch_threads { value: 1 }';
  await serve(params, [['counter', path.join(tmp, 'counter')]], async (c) => {
    const busy = holdThread(c);
    await new Promise((r) => setTimeout(r, 100));
    const answers = await Promise.all(Array.from({ length: 8 }, () => totals(incrRows(c, [1]))));
    expect((await busy).ok).toBe(true);
    // Unbatched, the answers would be 1, 2, ... 8.
    expect(answers).toEqual(Array.from({ length: 8 }, () => [8]));
  });
});

test('enable_large_batch_splitting: a 5-row request runs as batches of 2, 2 and 1 and is answered whole', async () => {
  const params =
    'max_batch_size { value: 8 } num_batch_threads { value: 1 } enable_large_batch_splitting { value: true } max_execution_batch_size { value: 2 }';
  await serve(params, [['counter', path.join(tmp, 'counter')]], async (c) => {
    // Each piece adds its rows and answers them with the running total: 2, 2 | 4, 4 | 5.
    expect(await totals(incrRows(c, [1, 1, 1, 1, 1]))).toEqual([2, 2, 4, 4, 5]);
  });
});

test('--enable_per_model_batching_parameters: a version batches with its own batching_params.pbtxt, one without is not batched', async () => {
  const own = path.join(tmp, 'per-model', 'own');
  const none = path.join(tmp, 'per-model', 'none');
  fs.cpSync(path.join(tmp, 'counter'), own, { recursive: true });
  fs.cpSync(path.join(tmp, 'counter'), none, { recursive: true });
  fs.writeFileSync(path.join(own, '1', 'batching_params.pbtxt'), 'max_batch_size { value: 2 }\n');
  const config = path.join(tmp, 'per-model.config');
  writeModelConfig(config, [['own', own], ['none', none]]);
  // The global file would allow 3 rows; per-model parameters replace it (only its thread pool is kept).
  const global = path.join(tmp, 'global-batching.txt');
  fs.writeFileSync(global, 'max_batch_size { value: 100 } num_batch_threads { value: 1 }\n');
  const server = await startServer([`--model_config_file=${config}`, '--enable_batching', `--batching_parameters_file=${global}`, '--enable_per_model_batching_parameters']);
  const c = new TestClient(server.target);
  try {
    const three = (name: string) => c.predict({ model_spec: { name, signature_name: 'incr_rows' }, inputs: { x: floatTensor([1, 1, 1]) } });
    expect(await three('own')).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENT', details: 'Task size 3 is larger than maximum input batch size 2' } });
    // Not batched at all: the global max_batch_size (100) does not apply either.
    const r = await c.predict({ model_spec: { name: 'none', signature_name: 'incr_rows' }, inputs: { x: floatTensor(new Array(101).fill(1)) } });
    expect(r.ok && r.response.outputs.count.float_val).toEqual(new Array(101).fill(101));
  } finally {
    c.close();
    await server.stop();
  }
});
