import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { TestClient, cancellablePredict, floatTensor } from '../helpers/grpc-client';
import { request, waitForRest } from '../helpers/http-client';
import { writeModelConfig } from '../helpers/model-config';
import { PYTHON, REPO } from '../helpers/paths';
import { parsePrometheusText, seriesOf } from '../helpers/prometheus-text';
import { freePort, runServer, startServer } from '../helpers/server-process';

/**
 * Front-end threads (--front_end_threads): several threads accept on the same ports, and the server
 * still behaves as one: one batching queue per model for the whole process, one set of metric totals.
 */

const METRICS = '/monitoring/prometheus/metrics';
const BATCH = ':tensorflow:serving:batching_session:processed_batch_size';
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-frontend-'));
  execFileSync(PYTHON, [path.join(REPO, 'python/export_warmup_model.py'), path.join(tmp, 'counter', '1'), '0'], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  fs.writeFileSync(path.join(tmp, name), text);
  return path.join(tmp, name);
}

async function metrics(port: number) {
  return parsePrometheusText((await request(port, 'GET', METRICS)).text);
}

/** [batches, rows, batches of one row] run so far. */
function batches(f: ReturnType<typeof parsePrometheusText>): number[] {
  return [seriesOf(f, BATCH, `${BATCH}_count`)[''] ?? 0, seriesOf(f, BATCH, `${BATCH}_sum`)[''] ?? 0, seriesOf(f, BATCH, `${BATCH}_bucket`)['le="1"'] ?? 0];
}

const perThread = (f: ReturnType<typeof parsePrometheusText>): Record<string, number> => seriesOf(f, ':tensorflow:serving:front_end_request_count');

test('requests that arrive on different front-end threads are joined in one batch, and metrics add up over threads', async () => {
  const config = write('models.config', '');
  writeModelConfig(config, [['counter', path.join(tmp, 'counter')]]);
  const batching = write('batching.txt', 'max_batch_size { value: 16 } batch_timeout_micros { value: 5000000 } num_batch_threads { value: 1 }');
  const monitoring = write('monitoring.txt', `prometheus_config { enable: true path: "${METRICS}" }`);
  const rest = await freePort();
  const server = await startServer([
    `--model_config_file=${config}`,
    '--front_end_threads=2',
    '--enable_batching',
    `--batching_parameters_file=${batching}`,
    `--rest_api_port=${rest}`,
    `--monitoring_config_file=${monitoring}`,
  ]);
  const slow = (c: TestClient, x: number) => c.predict({ model_spec: { name: 'counter', signature_name: 'slow' }, inputs: { x: floatTensor([x]) } });
  const blocker = new TestClient(server.target, true);
  try {
    await waitForRest(rest);
    expect(server.logs()).toContain('Serving requests on 2 front-end thread(s)');
    // The kernel spreads new connections over the threads at random: try until both threads took part.
    let sent = 0;
    for (let attempt = 1; ; attempt++) {
      const before = await metrics(rest);
      const clients = Array.from({ length: 8 }, () => new TestClient(server.target, true));
      try {
        await Promise.all(clients.map((c) => c.connect()));
        // A run of about a second occupies the model; the eight requests sent meanwhile fill the next batch.
        const first = slow(blocker, 100);
        await new Promise((r) => setTimeout(r, 200));
        const answers = await Promise.all(clients.map((c, i) => slow(c, i)));
        sent += clients.length + 1;
        expect(answers.map((a) => (a.ok ? a.response.outputs.y.float_val : a.error))).toEqual(clients.map((_, i) => [i]));
        expect(await first).toMatchObject({ ok: true });
      } finally {
        for (const c of clients) c.close();
      }
      const after = await metrics(rest);
      // Two batches: the blocker alone, then all eight together, whichever threads they arrived on.
      expect(batches(after).map((v, i) => v - batches(before)[i])).toEqual([2, 9, 1]);
      const grew = Object.keys(perThread(after)).filter((k) => perThread(after)[k] > (perThread(before)[k] ?? 0));
      if (grew.length === 2) break;
      if (attempt === 5) throw new Error(`the connections landed on one thread five times: ${JSON.stringify(perThread(after))}`);
    }
    // One set of totals: request_count sums what both threads answered.
    expect(seriesOf(await metrics(rest), ':tensorflow:serving:request_count')).toEqual({ 'model_name="counter",status="OK"': sent });
  } finally {
    blocker.close();
    await server.stop();
  }
});

describe('ports held by another process are still refused with several threads sharing each port', () => {
  let holder: net.Server;
  let held: number;
  beforeAll(async () => {
    holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '0.0.0.0', resolve));
    held = (holder.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  test('the gRPC port: start-up fails, naming the address', async () => {
    const r = await runServer([`--port=${held}`, '--front_end_threads=2', '--model_name=counter', `--model_base_path=${path.join(tmp, 'counter')}`]);
    expect(r.code).toBe(255);
    expect(r.stdout + r.stderr).toContain(`Failed to start server. Error: INTERNAL: listen 0.0.0.0:${held} Address already in use`);
  });

  test('the REST port: REST is skipped with an error and gRPC serves, as TF Serving', async () => {
    const server = await startServer(['--front_end_threads=2', `--rest_api_port=${held}`, '--model_name=counter', `--model_base_path=${path.join(tmp, 'counter')}`]);
    const client = new TestClient(server.target);
    try {
      expect(server.logs()).toContain(`Failed to start HTTP Server at localhost:${held}: listen 0.0.0.0:${held} Address already in use`);
      const r = await client.predict({ model_spec: { name: 'counter', signature_name: 'slow' }, inputs: { x: floatTensor([3]) } });
      expect(r.ok && r.response.outputs.y.float_val).toEqual([3]);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

test('readiness follows a config reload on every thread: a model added without a version makes the server not ready', async () => {
  const empty = path.join(tmp, 'empty-model');
  fs.mkdirSync(empty, { recursive: true });
  const config = write('ready.config', '');
  writeModelConfig(config, [['counter', path.join(tmp, 'counter')]]);
  const rest = await freePort();
  // The reload below never finishes: the drain need not wait for it.
  const server = await startServer([`--model_config_file=${config}`, '--front_end_threads=2', `--rest_api_port=${rest}`, '--drain_timeout_seconds=1']);
  const client = new TestClient(server.target);
  const probes = async () => new Set(await Promise.all(Array.from({ length: 6 }, async () => (await request(rest, 'GET', '/readyz')).status)));
  try {
    await waitForRest(rest);
    expect(await probes()).toEqual(new Set([200]));
    // The reload waits for "empty", which has no version to load; readiness must not wait with it.
    const counter = { name: 'counter', base_path: path.join(tmp, 'counter'), model_platform: 'tensorflow' };
    void client.reload({ model_config_list: { config: [counter, { name: 'empty', base_path: empty, model_platform: 'tensorflow' }] } });
    const deadline = Date.now() + 10_000;
    let seen = await probes();
    while (!(seen.size === 1 && seen.has(503)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await probes();
    }
    expect(seen).toEqual(new Set([503]));
  } finally {
    client.close();
    await server.stop();
  }
});

test('--front_end_threads=0 serves on the main thread: gRPC, REST, V2 and metrics as with threads', async () => {
  const config = write('main-thread.config', '');
  writeModelConfig(config, [['counter', path.join(tmp, 'counter')]]);
  const monitoring = write('main-thread-monitoring.txt', `prometheus_config { enable: true path: "${METRICS}" }`);
  const rest = await freePort();
  const server = await startServer([`--model_config_file=${config}`, '--front_end_threads=0', `--rest_api_port=${rest}`, `--monitoring_config_file=${monitoring}`]);
  const client = new TestClient(server.target);
  try {
    await waitForRest(rest);
    expect(server.logs()).not.toContain('front-end thread(s)');
    const grpcAnswer = await client.predict({ model_spec: { name: 'counter', signature_name: 'slow' }, inputs: { x: floatTensor([5]) } });
    expect(grpcAnswer.ok && grpcAnswer.response.outputs.y.float_val).toEqual([5]);
    const restAnswer = await request(rest, 'POST', '/v1/models/counter:predict', JSON.stringify({ signature_name: 'slow', instances: [6] }));
    expect(JSON.parse(restAnswer.text)).toEqual({ predictions: [6] });
    const v2 = await request(rest, 'POST', '/v2/models/counter/infer', JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [7] }], parameters: { signature_name: 'slow' } }));
    expect(JSON.parse(v2.text).outputs[0].data).toEqual([7]);
    // Every request the front ends answered, health probes and this scrape included, on the main thread.
    const counted = perThread(await metrics(rest));
    expect(Object.keys(counted)).toEqual(['thread="main"']);
    expect(counted['thread="main"']).toBeGreaterThanOrEqual(4);
  } finally {
    client.close();
    await server.stop();
  }
});

test('a front-end thread that dies (here: out of memory on a huge request) is replaced, batching included, and the server serves on', async () => {
  const config = write('oom.config', '');
  writeModelConfig(config, [['counter', path.join(tmp, 'counter')]]);
  const batching = write('oom-batching.txt', 'max_batch_size { value: 8 } batch_timeout_micros { value: 0 } num_batch_threads { value: 1 }');
  const rest = await freePort();
  const server = await startServer(
    [`--model_config_file=${config}`, '--front_end_threads=1', `--rest_api_port=${rest}`, '--enable_batching', `--batching_parameters_file=${batching}`],
    90000,
    { TFSERVING_FRONT_END_HEAP_MB: '48' },
  );
  const slow = (c: TestClient, x: number) => c.predict({ model_spec: { name: 'counter', signature_name: 'slow' }, inputs: { x: floatTensor([x]) } });
  const client = new TestClient(server.target);
  try {
    await waitForRest(rest);
    expect(await slow(client, 1)).toMatchObject({ ok: true });
    // A million small objects: far more JavaScript heap than the thread may have.
    const huge = `{"instances": [${Array(1_000_000).fill('{"x": 1}').join(',')}]}`;
    await expect(request(rest, 'POST', '/v1/models/counter:predict', huge)).rejects.toThrow();
    const deadline = Date.now() + 15000;
    while (!server.logs().includes('front-end thread 0 exited') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(server.logs()).toContain('Worker terminated due to reaching memory limit');
    expect(server.logs()).toContain('front-end thread 0 exited (code 1); starting another');
    // The replacement serves gRPC (through the batching thread) and REST on the same ports.
    let answer = await slow(client, 2);
    for (let i = 0; i < 20 && !answer.ok; i++) answer = await slow(client, 2);
    expect(answer.ok && answer.response.outputs.y.float_val).toEqual([2]);
    const restAnswer = await request(rest, 'POST', '/v1/models/counter:predict', JSON.stringify({ signature_name: 'slow', instances: [3] }));
    expect(JSON.parse(restAnswer.text)).toEqual({ predictions: [3] });
  } finally {
    client.close();
    await server.stop();
  }
});

test('a client that gives up reaches the batching thread: its queued requests never run', async () => {
  const config = write('cancel.config', '');
  writeModelConfig(config, [['counter', path.join(tmp, 'counter')]]);
  // One request per batch and one batch at a time: whatever arrives while one runs waits in the queue.
  const batching = write('cancel-batching.txt', 'max_batch_size { value: 1 } batch_timeout_micros { value: 0 } num_batch_threads { value: 1 }');
  const monitoring = write('cancel-monitoring.txt', `prometheus_config { enable: true path: "${METRICS}" }`);
  const rest = await freePort();
  const server = await startServer([
    `--model_config_file=${config}`,
    '--front_end_threads=2',
    '--enable_batching',
    `--batching_parameters_file=${batching}`,
    `--rest_api_port=${rest}`,
    `--monitoring_config_file=${monitoring}`,
  ]);
  const slow = (x: number) => ({ model_spec: { name: 'counter', signature_name: 'slow' }, inputs: { x: floatTensor([x]) } });
  const client = new TestClient(server.target);
  try {
    await waitForRest(rest);
    const before = batches(await metrics(rest));
    const busy = client.predict(slow(1)); // about a second
    await new Promise((r) => setTimeout(r, 200));
    // Five more, each on a connection of its own (so on either thread), queued behind it; then cancelled.
    const queued = Array.from({ length: 5 }, () => cancellablePredict(server.target, slow(2)));
    await new Promise((r) => setTimeout(r, 200));
    for (const q of queued) q.call.cancel();
    const outcomes = await Promise.all(queued.map((q) => q.done));
    for (const q of queued) q.close();
    expect(outcomes.map((o) => o.code)).toEqual(new Array(5).fill(grpc.status.CANCELLED));
    expect(await busy).toMatchObject({ ok: true });
    expect(await client.predict(slow(3))).toMatchObject({ ok: true });
    // Two batches ran: the first request and the last. The cancelled five were dropped from the queue.
    const after = batches(await metrics(rest));
    expect(after[0] - before[0]).toBe(2);
  } finally {
    client.close();
    await server.stop();
  }
});
