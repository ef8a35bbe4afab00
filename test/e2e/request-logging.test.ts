import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readTfRecords } from '../../src/tfrecord/tfrecord-reader';
import { MODELS_DIR, ensureTestModels } from '../helpers/fixtures';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { request, waitForRest } from '../helpers/http-client';
import { modelConfigText } from '../helpers/model-config';
import { waitFor } from '../helpers/model-folders';
import { PYTHON, REPO } from '../helpers/paths';
import { parsePrometheusText, seriesOf } from '../helpers/prometheus-text';
import { runPythonJson } from '../helpers/python';
import { ServerProcess, freePort, runServer, startServer } from '../helpers/server-process';

/**
 * Request logging (ModelConfig.logging_config, beyond TF Serving's open-source build): traffic from the
 * official Python client and from REST is written as TFRecord files of PredictionLog, read back here by
 * TensorFlow (tf.data.TFRecordDataset + prediction_log_pb2), replayed as a new version's warmup file,
 * and dropped (counted, never failing a request) when the disk cannot take it.
 */

const METRICS_PATH = '/monitoring/prometheus/metrics';
const CLASSIFY = 'tensorflow/serving/classify';
const REGRESS = 'tensorflow/serving/regress';
const LOG_COUNT = ':tensorflow:serving:request_log_count';
const DROPPED = ':tensorflow:serving:request_log_dropped_count';

let tmp: string;
let monitoring: string;

beforeAll(() => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-request-log-'));
  monitoring = path.join(tmp, 'monitoring.config');
  fs.writeFileSync(monitoring, `prometheus_config { enable: true path: "${METRICS_PATH}" }\n`);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const logging = (prefix: string, rate: number, type = 'file') =>
  `logging_config { log_collector_config { type: "${type}" filename_prefix: "${prefix}" } sampling_config { sampling_rate: ${rate} } }`;

function writeConfig(name: string, models: Parameters<typeof modelConfigText>[0]): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, modelConfigText(models));
  return file;
}

/** Log files written under `prefix` (`<prefix>.<time>.<pid>.<n>.tfrecord`), oldest first. */
function logFiles(prefix: string): string[] {
  const dir = path.dirname(prefix);
  if (!fs.existsSync(dir)) return [];
  const base = path.basename(prefix);
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(`${base}.`) && f.endsWith('.tfrecord'))
    .sort()
    .map((f) => path.join(dir, f));
}

const recordCount = (prefix: string): number => logFiles(prefix).reduce((n, f) => n + readTfRecords(fs.readFileSync(f)).length, 0);

async function metrics(port: number): Promise<(family: string) => Record<string, number>> {
  const families = parsePrometheusText((await request(port, 'GET', METRICS_PATH)).text);
  return (family) => seriesOf(families, family);
}

async function waitForMetric(port: number, family: string, labels: string, value: number): Promise<void> {
  await waitFor(`${family}{${labels}} = ${value}`, async () => ((await metrics(port))(family)[labels] === value ? true : undefined));
}

interface TensorValues {
  dtype: string;
  shape: number[];
  values: Array<number | string>;
}

type Classifications = { classifications: Array<{ classes: Array<{ label: string; score: number }> }> };

interface LoggedRecord {
  log_type: string;
  log_metadata: {
    model_spec: { name: string; version?: string; signature_name?: string };
    sampling_config: Record<string, unknown>;
    saved_model_tags?: string[];
    timestamp_secs: string;
  };
  request: Record<string, unknown>;
  response: Record<string, unknown>;
  response_b64: string;
  matches_sent: number | null;
  inputs?: Record<string, TensorValues>;
  outputs?: Record<string, TensorValues>;
}

const readLogs = async (files: string[], sent?: string) =>
  (await runPythonJson<{ records: LoggedRecord[] }>('prediction_log_client.py', ['read', ...(sent ? ['--sent', sent] : []), ...files])).records;

describe('a server logging add_sub and classifier at rate 1.0, and "quiet" at 0.0', () => {
  let server: ServerProcess;
  let port: number;
  const logs = () => path.join(tmp, 'logs');
  const quietLogs = () => path.join(tmp, 'quiet');

  beforeAll(async () => {
    port = await freePort();
    const config = writeConfig('main.config', [
      ['add_sub', path.join(MODELS_DIR, 'add_sub'), logging(path.join(logs(), 'add_sub'), 1.0)],
      ['classifier', path.join(MODELS_DIR, 'classifier'), logging(path.join(logs(), 'classifier'), 1.0)],
      ['quiet', path.join(MODELS_DIR, 'add_sub'), logging(path.join(quietLogs(), 'q'), 0.0)],
    ]);
    server = await startServer([`--model_config_file=${config}`, `--rest_api_port=${port}`, `--monitoring_config_file=${monitoring}`]);
    await waitForRest(port);
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('Predict, Classify, Regress and MultiInference from the official client, and REST :predict and :classify, are read back by TensorFlow', async () => {
    const examples = [{ a: [1.0], b: [2.0] }, { a: [-0.5], b: [0.25] }];
    const cases = [
      { rpc: 'predict', model: 'add_sub', inputs: { input_x: { dtype: 'float32', value: [1, 2] }, input_y: { dtype: 'float32', value: [3, 4] } } },
      { rpc: 'classify', model: 'classifier', signature: 'classify', examples },
      { rpc: 'regress', model: 'classifier', signature: 'regress', version: 1, examples: [{ a: [1.0] }], context: { b: [0.5] } },
      {
        rpc: 'multi',
        tasks: [
          { model: 'classifier', signature: 'classify', method: CLASSIFY },
          { model: 'classifier', signature: 'regress', method: REGRESS },
        ],
        examples,
      },
      { rpc: 'predict', model: 'quiet', inputs: { input_x: { dtype: 'float32', value: [1] }, input_y: { dtype: 'float32', value: [1] } } },
    ];
    const casesFile = path.join(tmp, 'cases.json');
    const sentFile = path.join(tmp, 'sent.json');
    fs.writeFileSync(casesFile, JSON.stringify(cases));
    const t0 = Math.floor(Date.now() / 1000);
    const { responses } = await runPythonJson<{ responses: Array<Record<string, unknown>> }>('prediction_log_client.py', [
      'send',
      '--target',
      server.target,
      '--cases',
      casesFile,
      '--sent',
      sentFile,
    ]);
    const rest = await request(port, 'POST', '/v1/models/add_sub:predict', JSON.stringify({ inputs: { input_x: [1, 2], input_y: [3, 4] } }));
    expect(rest.status).toBe(200);
    const classifyBody = JSON.stringify({ signature_name: 'classify', examples: [{ a: 1.5, b: 2.5 }] });
    const restClassify = await request(port, 'POST', '/v1/models/classifier:classify', classifyBody);
    expect(restClassify.status).toBe(200);
    const quietRest = await request(port, 'POST', '/v1/models/quiet:predict', JSON.stringify({ instances: [{ input_x: 1, input_y: 1 }] }));
    expect(quietRest.status).toBe(200);
    const t1 = Math.ceil(Date.now() / 1000);

    await waitForMetric(port, LOG_COUNT, 'model_name="add_sub",status_code="OK"', 2);
    await waitForMetric(port, LOG_COUNT, 'model_name="classifier",status_code="OK"', 4);
    const series = await metrics(port);
    expect(series(LOG_COUNT)).toEqual({ 'model_name="add_sub",status_code="OK"': 2, 'model_name="classifier",status_code="OK"': 4 });
    expect(series(DROPPED)).toEqual({});
    // Sampling 0.0: nothing is written, not even a file.
    expect(fs.existsSync(quietLogs())).toBe(false);

    const addSubFiles = logFiles(path.join(logs(), 'add_sub'));
    expect(addSubFiles.map((f) => path.basename(f))).toEqual([expect.stringMatching(/^add_sub\.\d{8}T\d{6}Z\.\d+\.\d{4}\.tfrecord$/)]);
    const classifierFiles = logFiles(path.join(logs(), 'classifier'));
    const records = await readLogs([...addSubFiles, ...classifierFiles], sentFile);
    expect(records).toHaveLength(6);
    const [grpcRecord, restRecord, classifyRecord, regressRecord, multiRecord, restClassifyRecord] = records;

    const metadata = (name: string, version: string, signature: string) => ({
      model_spec: { name, version, signature_name: signature },
      sampling_config: { sampling_rate: 1.0 },
      saved_model_tags: ['serve'],
      timestamp_secs: expect.any(String),
    });
    for (const r of records) {
      const ts = Number(r.log_metadata.timestamp_secs);
      expect(ts).toBeGreaterThanOrEqual(t0);
      expect(ts).toBeLessThanOrEqual(t1);
    }

    // gRPC: the logged request and response are the ones the client sent and received (message equality).
    expect(grpcRecord.log_type).toBe('predict_log');
    expect(grpcRecord.matches_sent).toBe(0);
    expect(grpcRecord.log_metadata).toEqual(metadata('add_sub', '2', 'serving_default'));
    expect(grpcRecord.response).toEqual(responses[0]);
    expect(grpcRecord.inputs).toEqual({
      input_x: { dtype: 'float32', shape: [2], values: [1, 2] },
      input_y: { dtype: 'float32', shape: [2], values: [3, 4] },
    });
    // Version 2 has k = 2: x + 2y and x - 2y.
    expect(grpcRecord.outputs).toEqual({
      result_add: { dtype: 'float32', shape: [2], values: [7, 10] },
      result_sub: { dtype: 'float32', shape: [2], values: [-5, -6] },
    });

    // REST: the PredictRequest TF Serving's REST front end would build (typed *_val fields), and the very
    // PredictResponse gRPC answers for the same inputs.
    expect(restRecord.log_type).toBe('predict_log');
    expect(restRecord.log_metadata).toEqual(metadata('add_sub', '2', 'serving_default'));
    expect(restRecord.request).toEqual({
      model_spec: { name: 'add_sub' },
      inputs: {
        input_x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '2' }] }, float_val: [1, 2] },
        input_y: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '2' }] }, float_val: [3, 4] },
      },
    });
    expect(restRecord.inputs).toEqual(grpcRecord.inputs);
    expect(restRecord.response_b64).toBe(grpcRecord.response_b64);

    expect(classifyRecord.log_type).toBe('classify_log');
    expect(classifyRecord.matches_sent).toBe(1);
    expect(classifyRecord.log_metadata).toEqual(metadata('classifier', '1', 'classify'));
    expect(classifyRecord.response).toEqual(responses[1]);
    expect(classifyRecord.request).toEqual({
      model_spec: { name: 'classifier', signature_name: 'classify' },
      input: {
        example_list: {
          examples: [
            { features: { feature: { a: { float_list: { value: [1] } }, b: { float_list: { value: [2] } } } } },
            { features: { feature: { a: { float_list: { value: [-0.5] } }, b: { float_list: { value: [0.25] } } } } },
          ],
        },
      },
    });
    const labels = (classifyRecord.response.result as Classifications).classifications.map((c) => c.classes.map((k) => k.label));
    expect(labels).toEqual([
      ['alpha', 'beta', 'café'],
      ['alpha', 'beta', 'café'],
    ]);

    expect(regressRecord.log_type).toBe('regress_log');
    expect(regressRecord.matches_sent).toBe(2);
    expect(regressRecord.log_metadata).toEqual(metadata('classifier', '1', 'regress'));
    expect(regressRecord.response).toEqual(responses[2]);
    // value = 1.5a - 0.25b + 0.75 with b = 0.5 from the context.
    expect(regressRecord.response.result).toEqual({ regressions: [{ value: 2.125 }] });
    expect(regressRecord.request).toEqual({
      model_spec: { name: 'classifier', version: '1', signature_name: 'regress' },
      input: {
        example_list_with_context: {
          examples: [{ features: { feature: { a: { float_list: { value: [1] } } } } }],
          context: { features: { feature: { b: { float_list: { value: [0.5] } } } } },
        },
      },
    });

    expect(multiRecord.log_type).toBe('multi_inference_log');
    expect(multiRecord.matches_sent).toBe(3);
    expect(multiRecord.log_metadata).toEqual(metadata('classifier', '1', 'classify'));
    expect(multiRecord.response).toEqual(responses[3]);
    expect((multiRecord.request.tasks as unknown[]).length).toBe(2);

    // REST :classify: the Examples its JSON became, and the ClassificationResponse gRPC would give.
    expect(restClassifyRecord.log_type).toBe('classify_log');
    expect(restClassifyRecord.log_metadata).toEqual(metadata('classifier', '1', 'classify'));
    expect(restClassifyRecord.request).toEqual({
      model_spec: { name: 'classifier', signature_name: 'classify' },
      input: { example_list: { examples: [{ features: { feature: { a: { float_list: { value: [1.5] } }, b: { float_list: { value: [2.5] } } } } }] } },
    });
    // The same float32 scores the JSON answer carried (printed with 9 digits there, shortest here).
    const classes = (restClassifyRecord.response.result as Classifications).classifications[0].classes;
    const answered = (JSON.parse(restClassify.text) as { results: Array<Array<[string, number]>> }).results[0];
    expect(classes.map((c) => [c.label, Math.fround(c.score)])).toEqual(answered.map(([label, score]) => [label, Math.fround(score)]));
    expect(restClassifyRecord.response.model_spec).toEqual({ name: 'classifier', version: '1', signature_name: 'classify' });
  });

  test('an Open Inference Protocol (V2) infer is logged as the PredictLog of the same call', async () => {
    const before = recordCount(path.join(logs(), 'add_sub'));
    const body = {
      inputs: [
        { name: 'input_x', shape: [2], datatype: 'FP32', data: [1, 2] },
        { name: 'input_y', shape: [2], datatype: 'FP32', data: [3, 4] },
      ],
    };
    const v2 = await request(port, 'POST', '/v2/models/add_sub/infer', JSON.stringify(body));
    expect(v2.status).toBe(200);
    await waitFor('the V2 call on disk', async () => (recordCount(path.join(logs(), 'add_sub')) === before + 1 ? true : undefined));
    const records = await readLogs(logFiles(path.join(logs(), 'add_sub')));
    const logged = records[records.length - 1];
    expect(logged.log_type).toBe('predict_log');
    expect(logged.log_metadata.model_spec).toEqual({ name: 'add_sub', version: '2', signature_name: 'serving_default' });
    expect(logged.inputs).toEqual({
      input_x: { dtype: 'float32', shape: [2], values: [1, 2] },
      input_y: { dtype: 'float32', shape: [2], values: [3, 4] },
    });
    expect(logged.outputs).toEqual({
      result_add: { dtype: 'float32', shape: [2], values: [7, 10] },
      result_sub: { dtype: 'float32', shape: [2], values: [-5, -6] },
    });
  });
});

test('a logged file, copied as is into a new version as its warmup file, is replayed before that version serves', async () => {
  const base = path.join(tmp, 'counter');
  execFileSync(PYTHON, [path.join(REPO, 'python/export_warmup_model.py'), path.join(base, '1'), '0'], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const prefix = path.join(tmp, 'counter-logs', 'counter');
  const config = writeConfig('counter.config', [['counter', base, logging(prefix, 1.0)]]);
  const server = await startServer([`--model_config_file=${config}`, '--enable_model_warmup=true', '--file_system_poll_wait_seconds=1']);
  const client = new TestClient(server.target);
  const call = async (signature: string, version: number, x?: number) => {
    const inputs = x === undefined ? {} : { x: floatTensor([x], []) };
    const r = await client.predict({ model_spec: { name: 'counter', signature_name: signature, version: { value: version } }, inputs });
    return r.ok ? r.response.outputs.count.float_val : undefined;
  };
  try {
    // Real traffic: three increments of version 1 (1 + 2 + 4).
    for (const x of [1, 2, 4]) expect(await call('incr', 1, x)).toBeDefined();
    await waitFor('3 logged records', async () => (recordCount(prefix) === 3 ? true : undefined));
    const [logFile] = logFiles(prefix);

    // Version 2: the same SavedModel (its counter starts at 0), with the log file as its warmup file.
    fs.cpSync(path.join(base, '1'), path.join(tmp, 'counter-2'), { recursive: true });
    fs.copyFileSync(logFile, path.join(tmp, 'counter-2', 'assets.extra', 'tf_serving_warmup_requests'));
    fs.renameSync(path.join(tmp, 'counter-2'), path.join(base, '2'));

    // The first answer version 2 gives already includes the replayed increments.
    expect(await waitFor('version 2', () => call('get', 2))).toEqual([7]);
    expect(server.logs()).toMatch(/Finished reading warmup data for model at \S+\/counter\/2\. Number of warmup records read: 3\./);
  } finally {
    client.close();
    await server.stop();
  }
});

describe('config reloads and disks that cannot take the records', () => {
  let server: ServerProcess;
  let client: TestClient;
  let port: number;
  const predict = async () => {
    const r = await client.predict({ model_spec: { name: 'add_sub' }, inputs: { input_x: floatTensor([1]), input_y: floatTensor([1]) } });
    return r.ok ? r.response.outputs.result_add.float_val : r.error;
  };
  const addSub = (extra?: object) => ({ name: 'add_sub', base_path: path.join(MODELS_DIR, 'add_sub'), model_platform: 'tensorflow', ...extra });
  const withLogging = (prefix: string, type = 'file') => ({
    logging_config: { log_collector_config: { type, filename_prefix: prefix }, sampling_config: { sampling_rate: 1 } },
  });
  const reload = (model: object) => client.reload({ model_config_list: { config: [model] } });

  beforeAll(async () => {
    port = await freePort();
    const config = writeConfig('reload.config', [['add_sub', path.join(MODELS_DIR, 'add_sub')]]);
    server = await startServer([`--model_config_file=${config}`, `--rest_api_port=${port}`, `--monitoring_config_file=${monitoring}`]);
    await waitForRest(port);
    client = new TestClient(server.target);
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  test('a reload turns logging on, a bad collector type is refused, an unwritable prefix drops records, a reload turns it off', async () => {
    const prefix = path.join(tmp, 'reload-logs', 'add_sub');
    expect(await predict()).toEqual([3]);
    expect((await reload(addSub(withLogging(prefix)))).ok).toBe(true);
    expect(await predict()).toEqual([3]);
    await waitFor('1 record', async () => (recordCount(prefix) === 1 ? true : undefined));

    // TF Serving's wording for a collector type nobody registered; the config in force stays.
    expect(await reload(addSub(withLogging(prefix, 'kafka')))).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', details: 'Cannot find LogCollector::Factory for type: kafka (logging_config of model add_sub; registered: file)' },
    });
    expect(await predict()).toEqual([3]);
    await waitFor('2 records', async () => (recordCount(prefix) === 2 ? true : undefined));

    // A "folder" that is a file: every write fails, every request still succeeds, the records are counted as dropped.
    const notADir = path.join(tmp, 'not-a-dir');
    fs.writeFileSync(notADir, 'x');
    expect((await reload(addSub(withLogging(path.join(notADir, 'add_sub'))))).ok).toBe(true);
    for (let i = 0; i < 3; i++) expect(await predict()).toEqual([3]);
    await waitForMetric(port, DROPPED, 'model_name="add_sub"', 3);
    expect((await metrics(port))(LOG_COUNT)).toEqual({
      'model_name="add_sub",status_code="OK"': 2,
      'model_name="add_sub",status_code="FAILED_PRECONDITION"': 3,
    });
    expect(server.logs()).toMatch(/Request log \S+not-a-dir\/add_sub: ENOTDIR: not a directory.*; dropping records until a write succeeds/);

    // Logging off: nothing more is written or dropped.
    expect((await reload(addSub())).ok).toBe(true);
    expect(await predict()).toEqual([3]);
    await new Promise((r) => setTimeout(r, 300));
    expect(recordCount(prefix)).toBe(2);
    expect((await metrics(port))(DROPPED)).toEqual({ 'model_name="add_sub"': 3 });
  });
});

test('a full queue drops records (RESOURCE_EXHAUSTED) and the requests still succeed', async () => {
  const port = await freePort();
  const prefix = path.join(tmp, 'tiny-queue', 'add_sub');
  const config = writeConfig('tiny.config', [['add_sub', path.join(MODELS_DIR, 'add_sub'), logging(prefix, 1.0)]]);
  const server = await startServer([`--model_config_file=${config}`, `--rest_api_port=${port}`, `--monitoring_config_file=${monitoring}`], 90000, {
    TFSERVING_REQUEST_LOG_QUEUE_BYTES: '64',
  });
  const client = new TestClient(server.target);
  try {
    await waitForRest(port);
    for (let i = 0; i < 4; i++) {
      const r = await client.predict({ model_spec: { name: 'add_sub' }, inputs: { input_x: floatTensor([1]), input_y: floatTensor([2]) } });
      expect(r.ok && r.response.outputs.result_add.float_val).toEqual([5]);
    }
    await waitForMetric(port, DROPPED, 'model_name="add_sub"', 4);
    expect((await metrics(port))(LOG_COUNT)).toEqual({ 'model_name="add_sub",status_code="RESOURCE_EXHAUSTED"': 4 });
    expect(logFiles(prefix)).toEqual([]);
    expect(server.logs()).toMatch(
      /Request log \S+tiny-queue\/add_sub: 0 bytes waiting for the disk, a \d+-byte record does not fit in 64; dropping records until there is room/,
    );
  } finally {
    client.close();
    await server.stop();
  }
});

test('an unregistered log collector type stops start-up with TF Serving\'s error', async () => {
  const config = writeConfig('kafka.config', [['add_sub', path.join(MODELS_DIR, 'add_sub'), logging('/logs/add_sub', 0.5, 'kafka')]]);
  const r = await runServer([`--port=${await freePort()}`, `--model_config_file=${config}`]);
  expect(r.code).toBe(255);
  expect(r.stdout).toBe(
    'Failed to start server. Error: NOT_FOUND: Cannot find LogCollector::Factory for type: kafka (logging_config of model add_sub; registered: file)\n',
  );
});
