import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestModels } from '../helpers/fixtures';
import { CallError, TestClient, floatTensor } from '../helpers/grpc-client';
import { ServerProcess, startServer } from '../helpers/server-process';
import { writeModelConfig } from '../helpers/model-config';

/**
 * Bad requests get TF Serving's status codes and wording, never crash the server, and never affect
 * the next request.
 */

let server: ServerProcess;
let client: TestClient;
let tmp: string;

beforeAll(async () => {
  const models = ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-errors-'));
  writeModelConfig(path.join(tmp, 'models.config'), [
    ['dtypes', path.join(models, 'dtypes')],
    ['add_sub', path.join(models, 'add_sub'), 'version_labels { key: "stable" value: 2 }'],
  ]);
  server = await startServer([`--model_config_file=${path.join(tmp, 'models.config')}`]);
  client = new TestClient(server.target);
});

afterAll(async () => {
  client?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const x3 = floatTensor([1, 2, 3], [1, 3]);
const float32Content = (values: number[], shape: number[]) => ({
  dtype: 'DT_FLOAT',
  tensor_shape: { dim: shape.map((s) => ({ size: String(s) })) },
  tensor_content: Buffer.from(new Float32Array(values).buffer),
});

const predictCases: Array<[string, object, CallError]> = [
  ['no model_spec', { inputs: { x: x3 } }, { code: 'INVALID_ARGUMENT', details: 'Missing ModelSpec' }],
  ['empty model name', { model_spec: { name: '' }, inputs: { x: x3 } }, { code: 'INVALID_ARGUMENT', details: 'ModelSpec has no name specified.' }],
  ['unknown model', { model_spec: { name: 'nope' }, inputs: { x: x3 } }, { code: 'NOT_FOUND', details: 'Servable not found for request: Latest(nope)' }],
  [
    'unknown version',
    { model_spec: { name: 'dtypes', version: { value: '7' } }, inputs: { x: x3 } },
    { code: 'NOT_FOUND', details: 'Servable not found for request: Specific(dtypes, 7)' },
  ],
  [
    'unknown label',
    { model_spec: { name: 'dtypes', version_label: 'canary' }, inputs: { x: x3 } },
    { code: 'INVALID_ARGUMENT', details: 'Unrecognized servable version label: canary' },
  ],
  [
    'unknown signature',
    { model_spec: { name: 'dtypes', signature_name: 'nope' }, inputs: { x: x3 } },
    { code: 'FAILED_PRECONDITION', details: 'Serving signature key "nope" not found.' },
  ],
  [
    'missing input',
    { model_spec: { name: 'dtypes', signature_name: 'int64_math' }, inputs: { a: { dtype: 'DT_INT64', tensor_shape: { dim: [{ size: 1 }] }, int64_val: ['1'] } } },
    {
      code: 'INVALID_ARGUMENT',
      details: 'input size does not match signature: 1!=2 len({a}) != len({a,f64}). Sent extra: {}. Missing but required: {f64}.',
    },
  ],
  [
    'extra input',
    { model_spec: { name: 'dtypes' }, inputs: { x: x3, z: x3 } },
    { code: 'INVALID_ARGUMENT', details: 'input size does not match signature: 2!=1 len({x,z}) != len({x}). Sent extra: {z}. Missing but required: {}.' },
  ],
  [
    'wrong input alias',
    { model_spec: { name: 'dtypes' }, inputs: { q: x3 } },
    { code: 'INVALID_ARGUMENT', details: 'input tensor alias not found in signature: q. Inputs expected to be in the set {x}.' },
  ],
  [
    'wrong dtype',
    { model_spec: { name: 'dtypes' }, inputs: { x: { dtype: 'DT_INT32', tensor_shape: { dim: [{ size: 1 }, { size: 3 }] }, int_val: [1, 2, 3] } } },
    { code: 'INVALID_ARGUMENT', details: 'Expects arg[0] to be float but int32 is provided' },
  ],
  [
    'tensor_content shorter than the shape',
    { model_spec: { name: 'dtypes' }, inputs: { x: { ...float32Content([1, 2], [1, 3]) } } },
    { code: 'INVALID_ARGUMENT', details: 'tensor parsing error: x' },
  ],
  [
    'negative dimension',
    { model_spec: { name: 'dtypes' }, inputs: { x: floatTensor([1], [-1, 3]) } },
    { code: 'INVALID_ARGUMENT', details: 'tensor parsing error: x' },
  ],
  [
    'a shape of 2^40 elements with one value is refused before allocating',
    { model_spec: { name: 'dtypes' }, inputs: { x: floatTensor([1], [2 ** 37, 8]) } },
    { code: 'INVALID_ARGUMENT', details: 'tensor parsing error: x' },
  ],
  [
    'unknown output_filter entry',
    { model_spec: { name: 'dtypes', signature_name: 'two_outputs' }, inputs: { a: floatTensor([1, 2], [1, 2]) }, output_filter: ['mean'] },
    { code: 'INVALID_ARGUMENT', details: 'output tensor alias not found in signature: mean Outputs expected to be in the set {prod,sum}.' },
  ],
  [
    'duplicate output_filter entry',
    { model_spec: { name: 'dtypes', signature_name: 'two_outputs' }, inputs: { a: floatTensor([1, 2], [1, 2]) }, output_filter: ['sum', 'sum'] },
    { code: 'INVALID_ARGUMENT', details: 'duplicate output tensor alias: sum' },
  ],
  [
    'shape TensorFlow rejects at run time',
    { model_spec: { name: 'dtypes', signature_name: 'two_outputs' }, inputs: { a: floatTensor([1, 2, 3], [3]) } },
    { code: 'INVALID_ARGUMENT', details: expect.stringContaining('Invalid reduction dimension') as unknown as string },
  ],
];

describe('Predict errors', () => {
  test.each(predictCases)('%s', async (_name, req, error) => {
    const r = await client.predict(req);
    expect(r).toEqual({ ok: false, error });
  });

  test('extra typed values beyond the shape are ignored, as TensorFlow does', async () => {
    const r = await client.predict({ model_spec: { name: 'dtypes' }, inputs: { x: floatTensor([1, 2, 3, 4], [1, 3]) } });
    expect(r.ok && r.response.outputs.y.float_val).toEqual([3, 5, 7]);
  });

  test('the server keeps serving after every bad request', async () => {
    const r = await client.predict({ model_spec: { name: 'dtypes' }, inputs: { x: float32Content([1, 2, 3], [1, 3]) } });
    expect(r.ok && r.response.outputs.y.float_val).toEqual([3, 5, 7]);
    expect(r.ok && r.response.model_spec.version).toEqual({ value: '1' });
  });

  test('a configured label resolves to its version', async () => {
    const r = await client.predict({
      model_spec: { name: 'add_sub', version_label: 'stable' },
      inputs: { input_x: floatTensor([1]), input_y: floatTensor([2]) },
    });
    expect(r.ok && r.response.model_spec.version).toEqual({ value: '2' });
    expect(r.ok && r.response.outputs.result_add.float_val).toEqual([5]);
  });
});

describe('GetModelMetadata and GetModelStatus errors', () => {
  test.each<[string, object, CallError]>([
    ['no model_spec', { metadata_field: ['signature_def'] }, { code: 'INVALID_ARGUMENT', details: 'Missing ModelSpec' }],
    [
      'no metadata_field',
      { model_spec: { name: 'dtypes' } },
      { code: 'INVALID_ARGUMENT', details: 'GetModelMetadataRequest must specify at least one metadata_field' },
    ],
    [
      'unsupported field',
      { model_spec: { name: 'dtypes' }, metadata_field: ['signature_def', 'graph'] },
      { code: 'INVALID_ARGUMENT', details: 'Metadata field graph is not supported' },
    ],
    [
      'unknown model',
      { model_spec: { name: 'nope' }, metadata_field: ['signature_def'] },
      { code: 'NOT_FOUND', details: 'Servable not found for request: Latest(nope)' },
    ],
  ])('metadata: %s', async (_name, req, error) => {
    expect(await client.metadata(req)).toEqual({ ok: false, error });
  });

  test.each<[string, object, CallError]>([
    ['no model_spec', {}, { code: 'INVALID_ARGUMENT', details: 'Missing ModelSpec' }],
    ['unknown model', { model_spec: { name: 'nope' } }, { code: 'NOT_FOUND', details: 'Could not find any versions of model nope' }],
    [
      'unknown version',
      { model_spec: { name: 'dtypes', version: { value: '5' } } },
      { code: 'NOT_FOUND', details: 'Could not find version 5 of model dtypes' },
    ],
  ])('status: %s', async (_name, req, error) => {
    expect(await client.status(req)).toEqual({ ok: false, error });
  });

  test('status of one version', async () => {
    const r = await client.status({ model_spec: { name: 'add_sub', version: { value: '2' } } });
    expect(r).toEqual({ ok: true, response: { model_version_status: [{ version: '2', state: 'AVAILABLE', status: {} }] } });
  });

  test('a method the service does not have answers UNIMPLEMENTED', async () => {
    // Every PredictionService RPC is implemented, so call a path no service declares, as a client
    // built from a newer or foreign .proto would.
    const raw = new grpc.Client(server.target, grpc.credentials.createInsecure());
    try {
      const code = await new Promise<grpc.status>((resolve) => {
        raw.makeUnaryRequest(
          '/tensorflow.serving.PredictionService/Nope',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          { deadline: new Date(Date.now() + 30000) },
          (err) => resolve(err ? err.code : grpc.status.OK),
        );
      });
      expect(grpc.status[code]).toBe('UNIMPLEMENTED');
    } finally {
      raw.close();
    }
  });
});
