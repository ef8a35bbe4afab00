import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODELS_DIR, ensureTestModels } from '../helpers/fixtures';
import { writeModelConfig } from '../helpers/model-config';
import { ServerProcess, freePort, startServer } from '../helpers/server-process';
import { V2Case, V2Result, V2TensorSpec, V2Value, runV2Cases, valuesByName } from '../helpers/v2-client';

/**
 * The Open Inference Protocol (KServe V2) with its reference client, tritonclient (PyPI, pinned), over
 * HTTP (binary tensor data by default, JSON on request) and gRPC (raw contents; typed contents through
 * the generated stub), against the real server on SavedModels exported by real TensorFlow. Every value
 * is compared exactly: floats as the repr() of their exact value, integers to 64 bits.
 */

let server: ServerProcess;
let tmp: string;
let http: string;

beforeAll(async () => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-v2-client-'));
  const config = writeModelConfig(path.join(tmp, 'models.config'), [
    ['dtypes', path.join(MODELS_DIR, 'dtypes')],
    ['add_sub', path.join(MODELS_DIR, 'add_sub'), 'model_version_policy { all {} } version_labels { key: "stable" value: 1 }'],
  ]);
  const restPort = await freePort();
  server = await startServer([`--model_config_file=${config}`, `--rest_api_port=${restPort}`]);
  http = `127.0.0.1:${restPort}`;
});

afterAll(async () => {
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const run = (cases: V2Case[]): Promise<V2Result[]> => runV2Cases(http, server.target, cases);

/** One result per case, keyed by case name, for one exact comparison per test. */
async function byName(cases: V2Case[]): Promise<Record<string, V2Result>> {
  return Object.fromEntries((await run(cases)).map((r) => [r.name, r]));
}

// echo_all adds one to every numeric input (wrapping integers), negates BOOL and appends "!" to BYTES.
const ECHO_INPUTS: V2TensorSpec[] = [
  { name: 'f32', datatype: 'FP32', shape: [5], values: [1.5, '-0.0', 'NaN', 'Infinity', 3.4028234663852886e38] },
  { name: 'f64', datatype: 'FP64', shape: [5], values: [0.1, -1e-300, 'NaN', 1.7976931348623157e308, '-Infinity'] },
  { name: 'f16', datatype: 'FP16', shape: [5], values: [0.5, -2, 65504, 'NaN', 0.0001] },
  { name: 'i8', datatype: 'INT8', shape: [5], values: [-128, -1, 0, 1, 127] },
  { name: 'i16', datatype: 'INT16', shape: [5], values: [-32768, -1, 0, 1, 32766] },
  { name: 'i32', datatype: 'INT32', shape: [5], values: [-2147483648, -1, 0, 1, 2147483646] },
  { name: 'i64', datatype: 'INT64', shape: [5], values: ['-9223372036854775808', '-4294967297', '0', '4294967296', '9223372036854775806'] },
  { name: 'u8', datatype: 'UINT8', shape: [5], values: [0, 1, 127, 128, 255] },
  { name: 'u16', datatype: 'UINT16', shape: [5], values: [0, 1, 32768, 65000, 65534] },
  { name: 'u32', datatype: 'UINT32', shape: [5], values: [0, 1, 2147483648, 4000000000, 4294967294] },
  { name: 'u64', datatype: 'UINT64', shape: [5], values: ['0', '1', '9223372036854775808', '18446744073709551000', '18446744073709551614'] },
  { name: 'b', datatype: 'BOOL', shape: [5], values: [true, false, true, true, false] },
  { name: 's', datatype: 'BYTES', shape: [5], values: ['', 'hello', 'caf\u00e9', { b64: Buffer.from([0xff, 0x00, 0xfe]).toString('base64') }, 'x'.repeat(300)] },
];

const ECHO_OUTPUTS: Record<string, V2Value[]> = {
  f32_out: ['2.5', '1.0', 'NaN', 'Infinity', '3.4028234663852886e+38'],
  f64_out: ['1.1', '1.0', 'NaN', '1.7976931348623157e+308', '-Infinity'],
  // Half: 65504 + 1 rounds back to 65504, 0.0001 + 1 to 1.0.
  f16_out: ['1.5', '-1.0', '65504.0', 'NaN', '1.0'],
  i8_out: ['-127', '0', '1', '2', '-128'],
  i16_out: ['-32767', '0', '1', '2', '32767'],
  i32_out: ['-2147483647', '0', '1', '2', '2147483647'],
  i64_out: ['-9223372036854775807', '-4294967296', '1', '4294967297', '9223372036854775807'],
  u8_out: ['1', '2', '128', '129', '0'],
  u16_out: ['1', '2', '32769', '65001', '65535'],
  u32_out: ['1', '2', '2147483649', '4000000001', '4294967295'],
  u64_out: ['1', '2', '9223372036854775809', '18446744073709551001', '18446744073709551615'],
  b_out: [false, true, false, false, true],
  s_out: ['!', 'hello!', 'caf\u00e9!', { b64: Buffer.from([0xff, 0x00, 0xfe, 0x21]).toString('base64') }, `${'x'.repeat(300)}!`],
};

const DATATYPE_OF: Record<string, string> = Object.fromEntries(ECHO_INPUTS.map((i) => [`${i.name}_out`, i.datatype]));

/** What a whole echo_all response looks like: outputs in the signature's (sorted) order. */
function echoResponse(outputs: Record<string, V2Value[]>, binary?: (name: string) => boolean): Partial<V2Result> {
  return {
    ok: true,
    model_name: 'dtypes',
    model_version: '1',
    outputs: Object.keys(outputs)
      .sort()
      .map((name) => ({
        name,
        datatype: DATATYPE_OF[name],
        shape: [5],
        ...(binary ? { binary: binary(name) } : {}),
        values: outputs[name],
      })),
  };
}

describe('every datatype, bit-exact, through tritonclient with its defaults', () => {
  test('HTTP, binary tensor data both ways (tritonclient.http defaults)', async () => {
    const [r] = await run([{ name: 'http', transport: 'http', model: 'dtypes', signature: 'echo_all', id: 'req-1', inputs: ECHO_INPUTS }]);
    expect(r).toEqual({ name: 'http', id: 'req-1', ...echoResponse(ECHO_OUTPUTS, () => true) });
  });

  test('gRPC, raw_input_contents and raw_output_contents (tritonclient.grpc defaults)', async () => {
    const [r] = await run([{ name: 'grpc', transport: 'grpc', model: 'dtypes', signature: 'echo_all', id: 'req-2', inputs: ECHO_INPUTS }]);
    expect(r).toEqual({ name: 'grpc', id: 'req-2', ...echoResponse(ECHO_OUTPUTS) });
  });

  test('HTTP, JSON tensors both ways (binary_data=False for inputs and outputs)', async () => {
    // JSON strings carry UTF-8 only, so BYTES here are text; every output is asked for as JSON data.
    const inputs = ECHO_INPUTS.map((i) => ({
      ...i,
      binary: false,
      values: i.name === 's' ? ['', 'hello', 'caf\u00e9', '\u00fc\u0000\u20ac', 'x'.repeat(300)] : i.values,
    }));
    const outputs = Object.keys(ECHO_OUTPUTS).map((name) => ({ name, binary: false }));
    const [r] = await run([{ name: 'json', transport: 'http', model: 'dtypes', signature: 'echo_all', inputs, outputs }]);
    const expected: Record<string, V2Value[]> = { ...ECHO_OUTPUTS, s_out: ['!', 'hello!', 'caf\u00e9!', '\u00fc\u0000\u20ac!', `${'x'.repeat(300)}!`] };
    // Outputs come back in the order the request lists them.
    expect(r).toEqual({
      name: 'json',
      id: '',
      ok: true,
      model_name: 'dtypes',
      model_version: '1',
      outputs: outputs.map(({ name }) => ({ name, datatype: DATATYPE_OF[name], shape: [5], binary: false, values: expected[name] })),
    });
  });

  test('HTTP, JSON inputs with binary outputs, and gzip / deflate bodies both ways', async () => {
    const inputs = ECHO_INPUTS.filter((i) => i.name !== 's').map((i) => ({ ...i, binary: false }));
    const s: V2TensorSpec = { ...ECHO_INPUTS[12], binary: true };
    const results = await byName(
      (['gzip', 'deflate'] as const).map((compression) => ({
        name: compression,
        transport: 'http' as const,
        model: 'dtypes',
        signature: 'echo_all',
        inputs: [...inputs, s],
        compression,
      })),
    );
    for (const c of ['gzip', 'deflate']) expect(results[c]).toEqual({ name: c, id: '', ...echoResponse(ECHO_OUTPUTS, () => true) });
  });

  test('gRPC typed contents (InferTensorContents) in, raw out: INT64, FP64, FP32, BYTES', async () => {
    const r = await byName([
      {
        name: 'int64_math',
        transport: 'grpc_typed',
        model: 'dtypes',
        signature: 'int64_math',
        inputs: [
          { name: 'a', datatype: 'INT64', shape: [4], values: ['3074457345618258602', '-3074457345618258602', '2147483648', '-5'] },
          { name: 'f64', datatype: 'FP64', shape: [4], values: [0.3, 1e308, -7.25, 5e-324] },
        ],
      },
      {
        name: 'serving_default',
        transport: 'grpc_typed',
        model: 'dtypes',
        id: 'typed',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], values: [1, 2, 3, 4.5, -6.25, 1e-7] }],
      },
      {
        name: 'bytes_out',
        transport: 'grpc_typed',
        model: 'dtypes',
        signature: 'bytes_out',
        inputs: [{ name: 's', datatype: 'BYTES', shape: [2], values: ['abc', 'caf\u00e9'] }],
      },
    ]);
    expect(valuesByName(r.int64_math)).toEqual({
      // a * 3 wraps in int64; f64 * 0.1 as TensorFlow computes it in double.
      a_out: ['9223372036854775806', '-9223372036854775806', '6442450944', '-15'],
      f64_out: ['0.03', '1.0000000000000001e+307', '-0.7250000000000001', '0.0'],
    });
    expect(r.serving_default).toEqual({
      name: 'serving_default',
      ok: true,
      model_name: 'dtypes',
      model_version: '1',
      id: 'typed',
      outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 3], values: ['3.0', '5.0', '7.0', '10.0', '-11.5', '1.000000238418579'] }],
    });
    // Reversed byte-wise, "café" is no longer UTF-8: raw bytes come back exactly.
    expect(valuesByName(r.bytes_out)).toEqual({ data_bytes: ['cba', { b64: Buffer.from([0xa9, 0xc3, 0x66, 0x61, 0x63]).toString('base64') }] });
  });
});

describe('outputs, ids and BYTES that are not UTF-8', () => {
  test('only the requested outputs, in request order; the id is echoed on both transports', async () => {
    const inputs: V2TensorSpec[] = [{ name: 'a', datatype: 'FP32', shape: [2, 2], values: [1, 2, 3, 4] }];
    const r = await byName([
      { name: 'http prod', transport: 'http', model: 'dtypes', signature: 'two_outputs', id: 'x-1', inputs, outputs: [{ name: 'prod' }] },
      { name: 'grpc both', transport: 'grpc', model: 'dtypes', signature: 'two_outputs', id: 'x-2', inputs, outputs: [{ name: 'sum' }, { name: 'prod' }] },
    ]);
    expect(r['http prod']).toEqual({
      name: 'http prod',
      ok: true,
      model_name: 'dtypes',
      model_version: '1',
      id: 'x-1',
      outputs: [{ name: 'prod', datatype: 'FP32', shape: [2], binary: true, values: ['2.0', '12.0'] }],
    });
    expect(r['grpc both'].id).toBe('x-2');
    expect(r['grpc both'].outputs).toEqual([
      { name: 'sum', datatype: 'FP32', shape: [2], values: ['3.0', '7.0'] },
      { name: 'prod', datatype: 'FP32', shape: [2], values: ['2.0', '12.0'] },
    ]);
  });

  test('a BYTES output that is not UTF-8 comes as binary data even when JSON was asked for', async () => {
    const [r] = await run([
      {
        name: 'bytes',
        transport: 'http',
        model: 'dtypes',
        signature: 'bytes_out',
        inputs: [{ name: 's', datatype: 'BYTES', shape: [2], values: ['abc', 'caf\u00e9'], binary: false }],
        outputs: [{ name: 'data_bytes', binary: false }],
      },
    ]);
    expect(r.outputs).toEqual([
      {
        name: 'data_bytes',
        datatype: 'BYTES',
        shape: [2],
        binary: true,
        values: ['cba', { b64: Buffer.from([0xa9, 0xc3, 0x66, 0x61, 0x63]).toString('base64') }],
      },
    ]);
  });
});

describe('health and metadata', () => {
  test('server: live, ready, metadata over both transports', async () => {
    const r = await run([
      { name: 'http', op: 'server', transport: 'http' },
      { name: 'grpc', op: 'server', transport: 'grpc' },
    ]);
    const metadata = { name: 'tfserving-ts', version: '0.1.0', extensions: ['binary_tensor_data'] };
    expect(r).toEqual([
      { name: 'http', ok: true, live: true, ready: true, metadata },
      { name: 'grpc', ok: true, live: true, ready: true, metadata },
    ]);
  });

  test('model metadata: serving_default with V2 datatypes and -1 for unknown dims; the versions serving', async () => {
    const cases: V2Case[] = [];
    for (const transport of ['http', 'grpc'] as const) {
      cases.push({ name: `${transport} dtypes`, op: 'model_metadata', transport, model: 'dtypes' });
      cases.push({ name: `${transport} add_sub v1`, op: 'model_metadata', transport, model: 'add_sub', version: '1' });
      cases.push({ name: `${transport} add_sub stable`, op: 'model_metadata', transport, model: 'add_sub', version: 'stable' });
    }
    const r = await byName(cases);
    const dtypes = {
      name: 'dtypes',
      versions: ['1'],
      platform: 'tensorflow_savedmodel',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
    };
    const addSub = {
      name: 'add_sub',
      versions: ['1', '2'],
      platform: 'tensorflow_savedmodel',
      inputs: [
        { name: 'input_x', datatype: 'FP32', shape: [-1] },
        { name: 'input_y', datatype: 'FP32', shape: [-1] },
      ],
      outputs: [
        { name: 'result_add', datatype: 'FP32', shape: [-1] },
        { name: 'result_sub', datatype: 'FP32', shape: [-1] },
      ],
    };
    for (const t of ['http', 'grpc']) {
      expect(r[`${t} dtypes`]).toEqual({ name: `${t} dtypes`, ok: true, metadata: dtypes });
      expect(r[`${t} add_sub v1`]).toEqual({ name: `${t} add_sub v1`, ok: true, metadata: addSub });
      expect(r[`${t} add_sub stable`]).toEqual({ name: `${t} add_sub stable`, ok: true, metadata: addSub });
    }
  });

  test('model readiness by name, version number and version label', async () => {
    const asked: [string, string][] = [
      ['dtypes', ''],
      ['add_sub', '1'],
      ['add_sub', '2'],
      ['add_sub', 'stable'],
      ['add_sub', '3'],
      ['add_sub', 'canary'],
      ['nope', ''],
    ];
    const cases: V2Case[] = [];
    for (const transport of ['http', 'grpc'] as const) {
      for (const [model, version] of asked) cases.push({ name: `${transport} ${model}/${version}`, op: 'model_ready', transport, model, version });
    }
    const r = await run(cases);
    expect(Object.fromEntries(r.map((x) => [x.name, x.ready]))).toEqual({
      'http dtypes/': true,
      'http add_sub/1': true,
      'http add_sub/2': true,
      'http add_sub/stable': true,
      'http add_sub/3': false,
      'http add_sub/canary': false,
      'http nope/': false,
      'grpc dtypes/': true,
      'grpc add_sub/1': true,
      'grpc add_sub/2': true,
      'grpc add_sub/stable': true,
      'grpc add_sub/3': false,
      'grpc add_sub/canary': false,
      'grpc nope/': false,
    });
  });
});

describe('versions', () => {
  test('an explicit version, a label, and the latest by default (add_sub: result_add = x + k*y, k = version)', async () => {
    const inputs: V2TensorSpec[] = [
      { name: 'input_x', datatype: 'FP32', shape: [2], values: [10, 20] },
      { name: 'input_y', datatype: 'FP32', shape: [2], values: [1, 2] },
    ];
    const cases: V2Case[] = [];
    for (const transport of ['http', 'grpc'] as const) {
      for (const version of ['1', '2', 'stable', '']) {
        cases.push({ name: `${transport} ${version}`, transport, model: 'add_sub', version, inputs, outputs: [{ name: 'result_add' }] });
      }
    }
    const r = await run(cases);
    expect(r.map((x) => [x.name, x.model_version, x.outputs?.[0].values])).toEqual([
      ['http 1', '1', ['11.0', '22.0']],
      ['http 2', '2', ['12.0', '24.0']],
      ['http stable', '1', ['11.0', '22.0']],
      ['http ', '2', ['12.0', '24.0']],
      ['grpc 1', '1', ['11.0', '22.0']],
      ['grpc 2', '2', ['12.0', '24.0']],
      ['grpc stable', '1', ['11.0', '22.0']],
      ['grpc ', '2', ['12.0', '24.0']],
    ]);
  });
});

describe('errors, in the protocol\'s terms', () => {
  const x: V2TensorSpec = { name: 'x', datatype: 'FP32', shape: [1, 3], values: [1, 2, 3] };

  test('unknown model or version, unknown input or output, wrong datatype, missing input, unknown signature, run-time errors', async () => {
    const cases: V2Case[] = [];
    const add = (name: string, c: Omit<V2Case, 'name' | 'transport'>) => {
      cases.push({ name: `http ${name}`, transport: 'http', ...c });
      cases.push({ name: `grpc ${name}`, transport: 'grpc', ...c });
    };
    add('unknown model', { model: 'nope', inputs: [x] });
    add('unknown version', { model: 'add_sub', version: '3', inputs: [x] });
    add('unknown label', { model: 'add_sub', version: 'canary', inputs: [x] });
    add('unknown input', { model: 'dtypes', inputs: [x, { ...x, name: 'z' }] });
    add('unknown output', { model: 'dtypes', inputs: [x], outputs: [{ name: 'w' }] });
    add('wrong datatype', { model: 'dtypes', inputs: [{ ...x, datatype: 'FP64' }] });
    add('missing input', { model: 'dtypes', signature: 'two_outputs', inputs: [] });
    add('unknown signature', { model: 'dtypes', signature: 'nope', inputs: [x] });
    add('TensorFlow rejects the shapes', {
      model: 'add_sub',
      inputs: [
        { name: 'input_x', datatype: 'FP32', shape: [2], values: [1, 2] },
        { name: 'input_y', datatype: 'FP32', shape: [3], values: [1, 2, 3] },
      ],
    });
    const r = await run(cases);
    const got = Object.fromEntries(r.map((c) => [c.name, c.error ? `${c.error.status} ${c.error.message}` : 'no error']));
    const messages: Record<string, [string, string, string]> = {
      'unknown model': ['404', 'StatusCode.NOT_FOUND', 'Servable not found for request: Latest(nope)'],
      'unknown version': ['404', 'StatusCode.NOT_FOUND', 'Servable not found for request: Specific(add_sub, 3)'],
      'unknown label': ['400', 'StatusCode.INVALID_ARGUMENT', 'Unrecognized servable version label: canary'],
      'unknown input': ['400', 'StatusCode.INVALID_ARGUMENT', "unexpected inference input 'z' for model 'dtypes': signature 'serving_default' takes {x}"],
      'unknown output': ['400', 'StatusCode.INVALID_ARGUMENT', "unexpected inference output 'w' for model 'dtypes': signature 'serving_default' has {y}"],
      'wrong datatype': ['400', 'StatusCode.INVALID_ARGUMENT', "input 'x' has datatype FP64, but signature 'serving_default' of model 'dtypes' expects FP32"],
      'missing input': ['400', 'StatusCode.INVALID_ARGUMENT', "model 'dtypes' signature 'two_outputs' expects input(s) {a} that the request does not have"],
      'unknown signature': [
        '400',
        'StatusCode.INVALID_ARGUMENT',
        "model 'dtypes' has no signature 'nope' (parameter 'signature_name'); it has {bytes_out, echo_all, int64_math, scalar, serving_default, two_outputs, unknown_rank}",
      ],
      'TensorFlow rejects the shapes': ['400', 'StatusCode.INVALID_ARGUMENT', ''],
    };
    for (const [name, [httpStatus, grpcStatus, message]] of Object.entries(messages)) {
      if (message) {
        expect([name, got[`http ${name}`]]).toEqual([name, `${httpStatus} ${message}`]);
        expect([name, got[`grpc ${name}`]]).toEqual([name, `${grpcStatus} ${message}`]);
      } else {
        // TensorFlow's own message passes through unchanged, with its code.
        expect(got[`http ${name}`]).toMatch(/^400 .*Incompatible shapes: \[2\] vs. \[3\]/);
        expect(got[`grpc ${name}`]).toMatch(/^StatusCode.INVALID_ARGUMENT .*Incompatible shapes: \[2\] vs. \[3\]/);
      }
    }
  });

  test('FP16 has no typed contents field: the server says to use raw_input_contents', async () => {
    const [r] = await run([
      { name: 'fp16 typed', transport: 'grpc_typed', model: 'dtypes', signature: 'echo_all', inputs: [{ name: 'f16', datatype: 'FP16', shape: [1], values: [1] }] },
    ]);
    expect(r.error).toEqual({ status: 'StatusCode.INVALID_ARGUMENT', message: "input 'f16': FP16 has no typed contents field; send it in raw_input_contents" });
  });
});
