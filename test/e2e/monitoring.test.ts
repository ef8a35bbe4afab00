import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODELS_DIR, ensureTestModels } from '../helpers/fixtures';
import { CallResult, TestClient, floatTensor } from '../helpers/grpc-client';
import { Family, parsePrometheusText, seriesOf } from '../helpers/prometheus-text';
import { Reply, request, waitForRest } from '../helpers/http-client';
import { ServerProcess, freePort, startServer } from '../helpers/server-process';
import { modelConfigText } from '../helpers/model-config';

/**
 * Prometheus monitoring (--monitoring_config_file) on the REST port: after a known sequence of gRPC
 * and REST requests, the exposition must parse strictly and hold TF Serving's exact accounting
 * (servables/tensorflow/util.cc, model_servers/prediction_service_impl.cc):
 *
 * - request_count{model_name,status}: every gRPC Predict/Classify/Regress and every REST /v1 request;
 *   not GetModelMetadata, GetModelStatus or MultiInference;
 * - request_latency{model_name,API,entrypoint}: successful requests only;
 * - runtime_latency{model_name,API,runtime="TF1"}: every successful TensorFlow run of Predict/Classify/
 *   Regress, recorded in the servable layer, so REST requests count too (API "Predict"/"Classify"/"Regress");
 * - request_example_counts / request_example_count_total{model}: MultiInference only;
 * - model_version_state (ours): 30 = AVAILABLE.
 *
 * A second server with --enable_batching shows the batching_session metrics.
 */




const METRICS_PATH = '/monitoring/prometheus/metrics';
const CUSTOM_PATH = '/custom/metrics/path';

let tmp: string;
let server: ServerProcess;
let batchServer: ServerProcess;
let port: number;
let batchPort: number;

beforeAll(async () => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-monitoring-'));
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(tmp, name), text);
    return path.join(tmp, name);
  };
  const monitoring = write('monitoring.config', `prometheus_config { enable: true path: "${METRICS_PATH}" }\n`);
  const customMonitoring = write('custom-monitoring.config', `prometheus_config {\n  enable: true\n  path: "${CUSTOM_PATH}"\n}\n`);
  const models = write(
    'models.config',
    modelConfigText([
      ['add_sub', path.join(MODELS_DIR, 'add_sub'), 'model_version_policy { all {} }'],
      ['classifier', path.join(MODELS_DIR, 'classifier')],
    ]),
  );
  const batching = write(
    'batching.config',
    'max_batch_size { value: 8 }\nbatch_timeout_micros { value: 0 }\nnum_batch_threads { value: 1 }\nthread_pool_name { value: "test_pool" }\nallowed_batch_sizes: 4\nallowed_batch_sizes: 8\n',
  );
  [port, batchPort] = [await freePort(), await freePort()];
  [server, batchServer] = await Promise.all([
    startServer([`--model_config_file=${models}`, `--rest_api_port=${port}`, `--monitoring_config_file=${monitoring}`]),
    startServer([
      '--model_name=dtypes',
      `--model_base_path=${path.join(MODELS_DIR, 'dtypes')}`,
      `--rest_api_port=${batchPort}`,
      `--monitoring_config_file=${customMonitoring}`,
      '--enable_batching',
      `--batching_parameters_file=${batching}`,
    ]),
  ]);
  await Promise.all([waitForRest(port), waitForRest(batchPort)]);
});

afterAll(async () => {
  await Promise.all([server?.stop(), batchServer?.stop()]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const example = (a: number, b: number) => ({ features: { feature: { a: { float_list: { value: [a] } }, b: { float_list: { value: [b] } } } } });
const codeOf = (r: CallResult<unknown>) => (r.ok ? 'OK' : r.error.code);

describe('request accounting after a known sequence of gRPC and REST requests', () => {
  let families: Map<string, Family>;
  let scrape: Reply;
  const outcomes: Array<[string, string | number]> = [];

  beforeAll(async () => {
    const c = new TestClient(server.target);
    const addSub = { input_x: floatTensor([1, 2]), input_y: floatTensor([3, 4]) };
    const grpcCalls: Array<[string, () => Promise<CallResult<unknown>>]> = [
      ['gRPC Predict add_sub', () => c.predict({ model_spec: { name: 'add_sub' }, inputs: addSub })],
      ['gRPC Predict add_sub', () => c.predict({ model_spec: { name: 'add_sub' }, inputs: addSub })],
      ['gRPC Predict add_sub', () => c.predict({ model_spec: { name: 'add_sub' }, inputs: addSub })],
      ['gRPC Predict add_sub v1', () => c.predict({ model_spec: { name: 'add_sub', version: { value: '1' } }, inputs: addSub })],
      ['gRPC Predict add_sub missing input', () => c.predict({ model_spec: { name: 'add_sub' }, inputs: { input_x: floatTensor([1]) } })],
      ['gRPC Predict nope', () => c.predict({ model_spec: { name: 'nope' }, inputs: addSub })],
      ['gRPC Predict add_sub v7', () => c.predict({ model_spec: { name: 'add_sub', version: { value: '7' } }, inputs: addSub })],
      [
        'gRPC Classify',
        () => c.rpc('Classify', { model_spec: { name: 'classifier', signature_name: 'classify' }, input: { example_list: { examples: [example(1, 2), example(-0.5, 4)] } } }),
      ],
      [
        'gRPC Regress',
        () => c.rpc('Regress', { model_spec: { name: 'classifier', signature_name: 'regress' }, input: { example_list: { examples: [example(1, 2), example(2, 3), example(3, 4)] } } }),
      ],
      ['gRPC Regress bad signature', () => c.rpc('Regress', { model_spec: { name: 'classifier', signature_name: 'nope' }, input: { example_list: { examples: [example(1, 2)] } } })],
      [
        'gRPC MultiInference',
        () =>
          c.rpc('MultiInference', {
            tasks: [
              { model_spec: { name: 'classifier', signature_name: 'classify' }, method_name: 'tensorflow/serving/classify' },
              { model_spec: { name: 'classifier', signature_name: 'regress' }, method_name: 'tensorflow/serving/regress' },
            ],
            input: { example_list: { examples: [example(1, 2), example(3, 4)] } },
          }),
      ],
      ['gRPC GetModelMetadata', () => c.metadata({ model_spec: { name: 'add_sub' }, metadata_field: ['signature_def'] })],
      ['gRPC GetModelStatus', () => c.status({ model_spec: { name: 'add_sub' } })],
    ];
    for (const [name, call] of grpcCalls) outcomes.push([name, codeOf(await call())]);
    c.close();

    const predictBody = '{"inputs": {"input_x": [1.0], "input_y": [2.0]}}';
    const restCalls: Array<[string, string, string?]> = [
      ['POST', '/v1/models/add_sub:predict', predictBody],
      ['POST', '/v1/models/add_sub:predict', predictBody],
      ['POST', '/v1/models/add_sub/versions/1:predict', predictBody],
      ['POST', '/v1/models/add_sub:predict', '{"inputs": '],
      ['POST', '/v1/models/nope:predict', predictBody],
      ['GET', '/v1/models/add_sub'],
      ['GET', '/v1/models/add_sub/metadata'],
      ['GET', '/v1/models/add_sub/versions/9'],
      ['POST', '/v1/models/classifier:classify', '{"signature_name": "classify", "examples": [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0}]}'],
      ['POST', '/v1/models/classifier:regress', '{"signature_name": "regress", "examples": [{"a": 1.0, "b": 2.0}]}'],
      ['GET', '/v1/foo'],
      // Not /v1 requests: never counted.
      ['GET', '/healthz'],
      ['GET', '/readyz'],
      ['GET', '/not-v1'],
    ];
    for (const [method, urlPath, body] of restCalls) outcomes.push([`REST ${method} ${urlPath}`, (await request(port, method, urlPath, body)).status]);

    scrape = await request(port, 'GET', METRICS_PATH);
    families = parsePrometheusText(scrape.text);
  });

  test('the sequence answered as expected', () => {
    expect(outcomes).toEqual([
      ['gRPC Predict add_sub', 'OK'],
      ['gRPC Predict add_sub', 'OK'],
      ['gRPC Predict add_sub', 'OK'],
      ['gRPC Predict add_sub v1', 'OK'],
      ['gRPC Predict add_sub missing input', 'INVALID_ARGUMENT'],
      ['gRPC Predict nope', 'NOT_FOUND'],
      ['gRPC Predict add_sub v7', 'NOT_FOUND'],
      ['gRPC Classify', 'OK'],
      ['gRPC Regress', 'OK'],
      ['gRPC Regress bad signature', 'INVALID_ARGUMENT'],
      ['gRPC MultiInference', 'OK'],
      ['gRPC GetModelMetadata', 'OK'],
      ['gRPC GetModelStatus', 'OK'],
      ['REST POST /v1/models/add_sub:predict', 200],
      ['REST POST /v1/models/add_sub:predict', 200],
      ['REST POST /v1/models/add_sub/versions/1:predict', 200],
      ['REST POST /v1/models/add_sub:predict', 400],
      ['REST POST /v1/models/nope:predict', 404],
      ['REST GET /v1/models/add_sub', 200],
      ['REST GET /v1/models/add_sub/metadata', 200],
      ['REST GET /v1/models/add_sub/versions/9', 404],
      ['REST POST /v1/models/classifier:classify', 200],
      ['REST POST /v1/models/classifier:regress', 200],
      ['REST GET /v1/foo', 400],
      ['REST GET /healthz', 200],
      ['REST GET /readyz', 200],
      ['REST GET /not-v1', 404],
    ]);
  });

  test('the endpoint answers 200 text/plain, and the whole exposition parses strictly', () => {
    expect(scrape.status).toBe(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain\b/);
    expect(families.size).toBeGreaterThan(0);
    expect(families.get(':tensorflow:serving:request_count')?.type).toBe('counter');
    expect(families.get(':tensorflow:serving:request_latency')?.type).toBe('histogram');
    expect(families.get(':tensorflow:serving:runtime_latency')?.type).toBe('histogram');
    expect(families.get(':tensorflow:serving:model_version_state')?.type).toBe('gauge');
  });

  test('request_count{model_name,status}: exact', () => {
    expect(seriesOf(families, ':tensorflow:serving:request_count')).toEqual({
      'model_name="add_sub",status="OK"': 4 + 3 + 2,
      'model_name="add_sub",status="INVALID_ARGUMENT"': 1 + 1,
      'model_name="add_sub",status="NOT_FOUND"': 1 + 1,
      'model_name="nope",status="NOT_FOUND"': 1 + 1,
      'model_name="classifier",status="OK"': 2 + 2,
      'model_name="classifier",status="INVALID_ARGUMENT"': 1,
      'model_name="",status="INVALID_ARGUMENT"': 1,
    });
  });

  test('request_latency _count{model_name,API,entrypoint}: exact, successes only', () => {
    expect(seriesOf(families, ':tensorflow:serving:request_latency', ':tensorflow:serving:request_latency_count')).toEqual({
      'API="Predict",entrypoint="GRPC",model_name="add_sub"': 4,
      'API="predict",entrypoint="REST",model_name="add_sub"': 3,
      'API="",entrypoint="REST",model_name="add_sub"': 2,
      'API="Classify",entrypoint="GRPC",model_name="classifier"': 1,
      'API="Regress",entrypoint="GRPC",model_name="classifier"': 1,
      'API="classify",entrypoint="REST",model_name="classifier"': 1,
      'API="regress",entrypoint="REST",model_name="classifier"': 1,
    });
    const buckets = families.get(':tensorflow:serving:request_latency')?.samples.filter((s) => s.name.endsWith('_bucket')) ?? [];
    // 33 exponential buckets (10 µs × 1.8^i) plus +Inf per series.
    expect(buckets.length).toBe(7 * 34);
  });

  test('runtime_latency _count{model_name,API,runtime}: every successful TensorFlow run, gRPC and REST alike', () => {
    const all = seriesOf(families, ':tensorflow:serving:runtime_latency', ':tensorflow:serving:runtime_latency_count');
    const ofPredictClassifyRegress = Object.fromEntries(Object.entries(all).filter(([k]) => /API="(Predict|Classify|Regress)"/.test(k)));
    expect(ofPredictClassifyRegress).toEqual({
      'API="Predict",model_name="add_sub",runtime="TF1"': 4 + 3,
      'API="Classify",model_name="classifier",runtime="TF1"': 1 + 1,
      'API="Regress",model_name="classifier",runtime="TF1"': 1 + 1,
    });
  });

  test('request_example_counts / request_example_count_total{model}: recorded by MultiInference only', () => {
    expect(seriesOf(families, ':tensorflow:serving:request_example_counts', ':tensorflow:serving:request_example_counts_count')).toEqual({ 'model="classifier"': 1 });
    expect(seriesOf(families, ':tensorflow:serving:request_example_counts', ':tensorflow:serving:request_example_counts_sum')).toEqual({ 'model="classifier"': 2 });
    expect(seriesOf(families, ':tensorflow:serving:request_example_count_total')).toEqual({ 'model="classifier"': 2 });
  });

  test('model_version_state gauge: 30 (AVAILABLE) for every loaded version', () => {
    expect(seriesOf(families, ':tensorflow:serving:model_version_state')).toEqual({
      'model_name="add_sub",version="1"': 30,
      'model_name="add_sub",version="2"': 30,
      'model_name="classifier",version="1"': 30,
    });
  });

  test('SavedModel load attempts are counted per version path', () => {
    expect(seriesOf(families, ':tensorflow:cc:saved_model:load_attempt_count')).toEqual({
      [`model_path=${JSON.stringify(path.join(MODELS_DIR, 'add_sub', '1'))},status="success"`]: 1,
      [`model_path=${JSON.stringify(path.join(MODELS_DIR, 'add_sub', '2'))},status="success"`]: 1,
      [`model_path=${JSON.stringify(path.join(MODELS_DIR, 'classifier', '1'))},status="success"`]: 1,
    });
  });

  test("counter samples are integers, as TF's int64 counters are exported", () => {
    const fractional = [...families.values()]
      .filter((f) => f.type === 'counter')
      .flatMap((f) => f.samples.filter((s) => !Number.isInteger(s.value)).map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`));
    expect(fractional).toEqual([]);
  });
});

describe('with --enable_batching', () => {
  let families: Map<string, Family>;

  beforeAll(async () => {
    // Sequential requests, batch_timeout_micros 0: each request is one batch, padded up to the
    // smallest allowed batch size (4 or 8).
    const c = new TestClient(batchServer.target);
    for (const rows of [1, 3, 6]) {
      const r = await c.predict({ model_spec: { name: 'dtypes' }, inputs: { x: floatTensor(new Array(rows * 3).fill(1), [rows, 3]) } });
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.details}`);
    }
    c.close();
    const r = await request(batchPort, 'POST', '/v1/models/dtypes:predict', '{"instances": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]}');
    expect(r.text).toBe('{\n    "predictions": [[3.0, 5.0, 7.0], [9.0, 11.0, 13.0]\n    ]\n}');
    const scrape = await request(batchPort, 'GET', CUSTOM_PATH);
    expect(scrape.status).toBe(200);
    families = parsePrometheusText(scrape.text);
  });

  test('the endpoint is served at the configured path only', async () => {
    expect((await request(batchPort, 'GET', METRICS_PATH)).status).toBe(404);
  });

  test('batching_session metrics: wrapped runs, input/processed batch sizes, padding, queuing latency', () => {
    const B = ':tensorflow:serving:batching_session';
    expect(seriesOf(families, `${B}:wrapped_run_count`)).toEqual({ '': 4 });
    expect(seriesOf(families, `${B}:input_batch_size`, `${B}:input_batch_size_count`)).toEqual({ '': 4 });
    expect(seriesOf(families, `${B}:input_batch_size`, `${B}:input_batch_size_sum`)).toEqual({ '': 1 + 3 + 6 + 2 });
    expect(seriesOf(families, `${B}:processed_batch_size`, `${B}:processed_batch_size_count`)).toEqual({ '': 4 });
    expect(seriesOf(families, `${B}:processed_batch_size`, `${B}:processed_batch_size_sum`)).toEqual({ '': 4 + 4 + 8 + 4 });
    expect(seriesOf(families, `${B}:padding_size`, `${B}:padding_size_count`)).toEqual({ 'execution_batch_size="4"': 3, 'execution_batch_size="8"': 1 });
    expect(seriesOf(families, `${B}:padding_size`, `${B}:padding_size_sum`)).toEqual({ 'execution_batch_size="4"': 3 + 1 + 2, 'execution_batch_size="8"': 2 });
    expect(seriesOf(families, `${B}:queuing_latency`, `${B}:queuing_latency_count`)).toEqual({ 'thread_pool_name="test_pool"': 4 });
    expect(families.get(`${B}:queuing_latency`)?.type).toBe('histogram');
  });

  test('requests through the batching queue are counted like any other', () => {
    expect(seriesOf(families, ':tensorflow:serving:request_count')).toEqual({ 'model_name="dtypes",status="OK"': 4 });
    expect(seriesOf(families, ':tensorflow:serving:request_latency', ':tensorflow:serving:request_latency_count')).toEqual({
      'API="Predict",entrypoint="GRPC",model_name="dtypes"': 3,
      'API="predict",entrypoint="REST",model_name="dtypes"': 1,
    });
  });
});
