import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request } from '../helpers/http-client';
import { SHARED_TESTDATA } from '../helpers/paths';
import { describeWithSharedTestdata } from '../helpers/shared-testdata';
import { runPythonJson } from '../helpers/python';
import { ServerProcess, freePort, runServer, startServer } from '../helpers/server-process';

/**
 * TFLite models (--prefer_tflite_model) from TF Serving's own test data, served through the same
 * Predict, metadata, status, batching and REST paths as SavedModels, checked with the official client.
 * Expected answers are half_plus_two's: y = 0.5x + 2.
 */

const MODELS: Record<string, string> = {
  half_plus_two: 'saved_model_half_plus_two_tflite',
  with_sigdef: 'saved_model_half_plus_two_tflite_with_sigdef',
  parse_example: 'parse_example_tflite',
  // A SavedModel folder: with the flag on, a version without model.tflite still loads as SavedModel.
  saved_model: 'saved_model_half_plus_two_cpu',
};

interface PredictResult {
  model_spec?: { name: string; version?: string; signature_name?: string };
  outputs?: Record<string, { dtype: string; shape: number[]; values: Array<number | string> }>;
  error?: { code: string; details: string };
}

interface MetadataResult {
  metadata?: Record<string, unknown>;
  status?: unknown;
  error?: { code: string; details: string };
}

const writeConfig = (dir: string, models: Record<string, string>): string => {
  const file = path.join(dir, 'models.config');
  const entries = Object.entries(models).map(
    ([name, m]) => `config { name: "${name}" base_path: "${path.join(SHARED_TESTDATA, m)}" model_platform: "tensorflow" }`,
  );
  fs.writeFileSync(file, `model_config_list {\n${entries.join('\n')}\n}\n`);
  return file;
};

const dim = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size), name: '' })), unknown_rank: false });
const floatInfo = (name: string, shape: object) => ({ name, dtype: 'DT_FLOAT', tensor_shape: shape });
const half = (x: number[]) => x.map((v) => 0.5 * v + 2);

describeWithSharedTestdata('TFLite models (--prefer_tflite_model, batching on)', () => {
  let server: ServerProcess;
  let restPort: number;
  let tmp: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-tflite-'));
    restPort = await freePort();
    server = await startServer([
      `--model_config_file=${writeConfig(tmp, MODELS)}`,
      '--prefer_tflite_model',
      '--enable_batching',
      '--num_tflite_pools=2',
      `--rest_api_port=${restPort}`,
    ]);
  });

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const predict = (req: object) =>
    runPythonJson<PredictResult>('predict_values.py', ['--target', server.target, '--request', JSON.stringify(req)]);

  test.each([
    ['half_plus_two', 'x', [3], [1, 2, 5]],
    ['half_plus_two', 'x', [3, 1], [1, 2, 5]],
    ['with_sigdef', 'x', [3], [1, 2, 5]],
    ['with_sigdef', 'x', [1, 1], [-3.5]],
    ['saved_model', 'x', [3], [1, 2, 5]],
  ])('Predict %s over gRPC (official client), %s of shape %j', async (model, alias, shape, x) => {
    const r = await predict({ model, inputs: { [alias]: { dtype: 'float32', value: x, shape } } });
    expect(r.error).toBeUndefined();
    expect(r.outputs).toEqual({ y: { dtype: 'DT_FLOAT', shape, values: half(x) } });
    expect(r.model_spec).toEqual({ name: model, version: '123', signature_name: 'serving_default' });
  });

  test('Predict parse_example over gRPC: tf.Example fields, and defaults for missing ones', async () => {
    const r = await predict({
      model: 'parse_example',
      inputs: { input: { examples: [{ x: 1.5, y: 'test string' }, {}, { x: -0.25 }] } },
    });
    expect(r.error).toBeUndefined();
    expect(r.outputs).toEqual({
      'ParseExample/ParseExampleV2': { dtype: 'DT_FLOAT', shape: [3, 1], values: [1.5, 0, -0.25] },
      'ParseExample/ParseExampleV2:1': { dtype: 'DT_STRING', shape: [3, 1], values: ['test string', 'missing', 'missing'] },
    });
  });

  test('a malformed tf.Example fails the run as TF Serving reports it', async () => {
    const r = await runPythonJson<PredictResult>('predict_values.py', [
      '--target',
      server.target,
      '--request',
      JSON.stringify({ model: 'parse_example', inputs: { input: { dtype: 'string', value: ['\u0001not a proto'] } } }),
    ]);
    expect(r.error).toEqual({ code: 'INTERNAL', details: 'Failed to invoke TfLite interpreter' });
  });

  test('a float64 input for a float32 model is refused with TensorFlow wording', async () => {
    const r = await predict({ model: 'half_plus_two', inputs: { x: { dtype: 'float64', value: [1], shape: [1] } } });
    expect(r.error).toEqual({ code: 'INVALID_ARGUMENT', details: 'Expects arg[0] to be float but double is provided' });
  });

  test('REST :predict (row format) for each TFLite model', async () => {
    const post = (model: string, body: object) => request(restPort, 'POST', `/v1/models/${model}:predict`, JSON.stringify(body));
    const a = await post('half_plus_two', { instances: [1.0, 2.0, 5.0] });
    expect([a.status, JSON.parse(a.text)]).toEqual([200, { predictions: [2.5, 3.0, 4.5] }]);
    const b = await post('with_sigdef', { instances: [[1.0], [2.0]] });
    expect([b.status, JSON.parse(b.text)]).toEqual([200, { predictions: [[2.5], [3.0]] }]);
    // tf.train.Example {x: [1.5], y: [b"hi"]}, as TensorFlow serializes it.
    const ex = Buffer.from('0a1c0a0b0a017912060a040a0268690a0d0a0178120812060a040000c03f', 'hex');
    const c = await post('parse_example', { instances: [{ b64: ex.toString('base64') }] });
    expect([c.status, JSON.parse(c.text)]).toEqual([
      200,
      { predictions: [{ 'ParseExample/ParseExampleV2': [1.5], 'ParseExample/ParseExampleV2:1': ['hi'] }] },
    ]);
  });

  test('concurrent requests through the batching queue each get their own rows', async () => {
    const xs = Array.from({ length: 12 }, (_, i) => [i, i + 0.5]);
    const replies = await Promise.all(
      xs.map((x) => request(restPort, 'POST', '/v1/models/half_plus_two:predict', JSON.stringify({ instances: x }))),
    );
    expect(replies.map((r) => JSON.parse(r.text))).toEqual(xs.map((x) => ({ predictions: half(x) })));
  });

  test.each([
    [
      'half_plus_two',
      { inputs: { x: floatInfo('x', dim(1, 1)) }, outputs: { y: floatInfo('y', dim(1, 1)) } },
    ],
    [
      'with_sigdef',
      { inputs: { x: floatInfo('tflite_input', dim(1, 1)) }, outputs: { y: floatInfo('y', dim(1, 1)) } },
    ],
    [
      'parse_example',
      {
        inputs: { input: { name: 'input', dtype: 'DT_STRING', tensor_shape: dim(-1) } },
        outputs: {
          'ParseExample/ParseExampleV2': floatInfo('ParseExample/ParseExampleV2', dim(-1, 1)),
          'ParseExample/ParseExampleV2:1': { name: 'ParseExample/ParseExampleV2:1', dtype: 'DT_STRING', tensor_shape: dim(-1, 1) },
        },
      },
    ],
  ])('GetModelMetadata and GetModelStatus of %s (official client)', async (model, sig) => {
    const out = await runPythonJson<MetadataResult>('check_metadata.py', ['--target', server.target, '--model', model]);
    expect(out.error).toBeUndefined();
    expect(out.metadata).toEqual({
      signature_def: { serving_default: { ...sig, method_name: 'tensorflow/serving/predict', defaults: {} } },
    });
    expect(out.status).toEqual({
      model_version_status: [{ version: '123', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
    });
    const rest = await request(restPort, 'GET', `/v1/models/${model}/metadata`);
    expect(JSON.parse(rest.text).metadata.signature_def).toEqual(out.metadata);
  });
});

describe('TFLite request splitting (--num_tflite_interpreters_per_pool=2)', () => {
  let server: ServerProcess;
  let restPort: number;

  beforeAll(async () => {
    restPort = await freePort();
    server = await startServer([
      '--model_name=half_plus_two',
      `--model_base_path=${path.join(SHARED_TESTDATA, MODELS.half_plus_two)}`,
      '--prefer_tflite_model',
      '--num_tflite_pools=2',
      '--num_tflite_interpreters_per_pool=2',
      `--rest_api_port=${restPort}`,
    ]);
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('600 rows run as parts of 250 on two interpreters and come back whole, in order', async () => {
    const x = Array.from({ length: 600 }, (_, i) => i - 300);
    const r = await request(restPort, 'POST', '/v1/models/half_plus_two:predict', JSON.stringify({ instances: x }));
    expect([r.status, JSON.parse(r.text)]).toEqual([200, { predictions: half(x) }]);
  });
});

describe('without --prefer_tflite_model', () => {
  test('a version folder holding only model.tflite is taken for a SavedModel, and fails as in TF Serving', async () => {
    const out = await runServer(
      ['--port=0', '--grpc_socket_path=/dev/null/none', '--model_name=m', `--model_base_path=${path.join(SHARED_TESTDATA, MODELS.half_plus_two)}`, '--max_num_load_retries=0'],
      60000,
    );
    expect(out.code).not.toBe(0);
    const dir = path.join(SHARED_TESTDATA, MODELS.half_plus_two, '00000123');
    expect(out.stdout).toContain(
      'Specified file path does not appear to contain a SavedModel bundle (should have a file called `saved_model.pb`)\n' +
        `Specified file path: ${dir}`,
    );
  });
});
