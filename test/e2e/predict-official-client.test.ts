import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestModels, modelDir } from '../helpers/fixtures';
import { runPythonJson } from '../helpers/python';
import { ServerProcess, startServer } from '../helpers/server-process';
import { writeModelConfig } from '../helpers/model-config';

/**
 * The official Python client (tensorflow-serving-api + tf.make_tensor_proto) against the real server,
 * on SavedModels exported by real TensorFlow; every output compared bit for bit with what TensorFlow
 * computes in-process for the same model (python/check_predict.py).
 */

interface CaseResult {
  name: string;
  ok: boolean;
  mismatches: string[];
  error?: { code: string; details: string };
}

type Inputs = Record<string, { dtype: string; value: unknown; shape?: number[] }>;

interface Case {
  name: string;
  model: string;
  version?: number | null;
  version_label?: string | null;
  signature?: string | null;
  saved_model_dir: string;
  inputs: Inputs;
  output_filter?: string[];
  encoding?: 'make_tensor_proto' | 'typed_vals';
  expect_error?: string;
}

let server: ServerProcess;
let tmp: string;

beforeAll(async () => {
  const models = ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-predict-'));
  writeModelConfig(path.join(tmp, 'models.config'), ['add_sub', 'tf1_lookup', 'dtypes', 'keras_mlp'].map((m) => [m, path.join(models, m)] as const));
  server = await startServer([`--model_config_file=${path.join(tmp, 'models.config')}`]);
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function check(cases: Case[]): Promise<CaseResult[]> {
  const out = await runPythonJson<{ results: CaseResult[] }>(
    'check_predict.py',
    ['--target', server.target, '--cases', '-'],
    JSON.stringify(cases),
  );
  return out.results;
}

const ECHO_ALL: Inputs = {
  f32: { dtype: 'float32', value: [1.5, -0.0, 'NaN', 'Infinity', 3.4028234663852886e38] },
  f64: { dtype: 'float64', value: [0.1, -1e-300, 'NaN', 1.7976931348623157e308, 'NaN'] },
  f16: { dtype: 'float16', value: [0.5, -2, 65504, 'NaN', 0.0001] },
  i8: { dtype: 'int8', value: [-128, -1, 0, 1, 126] },
  i16: { dtype: 'int16', value: [-32768, -1, 0, 1, 32766] },
  i32: { dtype: 'int32', value: [-2147483648, -1, 0, 1, 2147483646] },
  i64: { dtype: 'int64', value: ['-9223372036854775808', '-4294967297', '0', '4294967296', '9223372036854775806'] },
  u8: { dtype: 'uint8', value: [0, 1, 127, 128, 254] },
  u16: { dtype: 'uint16', value: [0, 1, 32768, 65000, 65534] },
  u32: { dtype: 'uint32', value: [0, 1, 2147483648, 4000000000, 4294967294] },
  u64: { dtype: 'uint64', value: ['0', '1', '9223372036854775808', '18446744073709551000', '18446744073709551614'] },
  b: { dtype: 'bool', value: [true, false, true, true, false] },
  s: { dtype: 'string', value: ['', 'hello', 'caf\u00e9', { b64: Buffer.from([0xff, 0x00, 0xfe]).toString('base64') }, 'x'.repeat(300)] },
};

describe('Predict with the official Python client, bit-exact against TensorFlow', () => {
  test('every dtype, both TensorProto encodings, scalars, unknown rank, empty tensors, filters', async () => {
    const dtypes = modelDir('dtypes');
    const cases: Case[] = [
      { name: 'echo_all make_tensor_proto', model: 'dtypes', signature: 'echo_all', saved_model_dir: dtypes, inputs: ECHO_ALL },
      { name: 'echo_all typed vals', model: 'dtypes', signature: 'echo_all', saved_model_dir: dtypes, inputs: ECHO_ALL, encoding: 'typed_vals' },
      {
        name: 'int64 beyond 2^31 and float64',
        model: 'dtypes',
        signature: 'int64_math',
        saved_model_dir: dtypes,
        inputs: {
          a: { dtype: 'int64', value: ['3074457345618258602', '-3074457345618258602', '2147483648', '-5'] },
          f64: { dtype: 'float64', value: [0.3, 1e308, -7.25, '0x0000000000000001'] },
        },
      },
      {
        name: 'default signature, 2-D, version pinned',
        model: 'dtypes',
        version: 1,
        saved_model_dir: dtypes,
        inputs: { x: { dtype: 'float32', value: [[1, 2, 3], [4.5, -6.25, 1e-7]] } },
      },
      {
        name: 'empty batch',
        model: 'dtypes',
        saved_model_dir: dtypes,
        inputs: { x: { dtype: 'float32', value: [], shape: [0, 3] } },
      },
      { name: 'scalar', model: 'dtypes', signature: 'scalar', saved_model_dir: dtypes, inputs: { x: { dtype: 'float32', value: 3.5 } } },
      {
        name: 'unknown rank, 3-D',
        model: 'dtypes',
        signature: 'unknown_rank',
        saved_model_dir: dtypes,
        inputs: { x: { dtype: 'float32', value: [[[1, 2]], [[3, 4]]] } },
      },
      {
        name: 'output_filter picks one output',
        model: 'dtypes',
        signature: 'two_outputs',
        saved_model_dir: dtypes,
        inputs: { a: { dtype: 'float32', value: [[1, 2], [3, 4]] } },
        output_filter: ['sum'],
      },
      {
        name: 'non UTF-8 string outputs',
        model: 'dtypes',
        signature: 'bytes_out',
        saved_model_dir: dtypes,
        inputs: { s: { dtype: 'string', value: ['caf\u00e9', 'abc', { b64: Buffer.from([0xc3, 0x28, 0x00]).toString('base64') }] } },
      },
      {
        name: 'TF1 simple_save add/sub',
        model: 'add_sub',
        saved_model_dir: modelDir('add_sub', 2),
        inputs: { input_x: { dtype: 'float32', value: [1, 2.5, -3] }, input_y: { dtype: 'float32', value: [10, 0.25, 3] } },
      },
      {
        name: 'TF1 SavedModelBuilder with assets and main_op',
        model: 'tf1_lookup',
        saved_model_dir: modelDir('tf1_lookup'),
        inputs: { words: { dtype: 'string', value: ['banana', 'caf\u00e9', 'kiwi', 'apple'] } },
      },
      {
        name: 'Keras 3 model.export',
        model: 'keras_mlp',
        saved_model_dir: modelDir('keras_mlp'),
        inputs: { features: { dtype: 'float32', value: [[0.1, 0.2, 0.3, 0.4], [-1, 2, -3, 4]] } },
      },
    ];
    const results = await check(cases);
    expect(results.map((r) => r.name)).toEqual(cases.map((c) => c.name));
    for (const r of results) expect({ name: r.name, ok: r.ok, mismatches: r.mismatches, error: r.error }).toEqual({ name: r.name, ok: true, mismatches: [], error: undefined });
  });
});
