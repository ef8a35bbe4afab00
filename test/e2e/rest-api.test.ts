import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { MODELS_DIR, ensureTestModels } from '../helpers/fixtures';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { SHARED_TESTDATA, hasSharedTestdata } from '../helpers/paths';
import { Reply, request, waitForRest } from '../helpers/http-client';
import { ServerProcess, freePort, startServer } from '../helpers/server-process';
import { describeWithSharedTestdata } from '../helpers/shared-testdata';
import { parsePredictRequest } from '../../src/rest-json/predict-request';
import { OFF_THREAD_BYTES } from '../../src/rest/json-parse-pool';

/**
 * TF Serving's REST API (--rest_api_port) end to end, against the real server process with a real
 * HTTP client (node:http, so paths and bodies go on the wire exactly as written here).
 *
 * Expected bodies are TF Serving's bytes where its format is known: rapidjson's PrettyWriter for
 * predictions, results and errors (4-space indent, `{"error": "<message>"}`), protobuf's JSON printer
 * for status and metadata (1-space indent). Where TF Serving's order is unspecified (several outputs
 * come from a protobuf Map) both orders are accepted.
 *
 * Server A serves our fixtures (and TF Serving's shared test models when present) with CORS on and a
 * 1 MB body limit; server B serves add_sub with --rest_api_timeout_in_ms=1 and CORS off.
 */

const SHARED = hasSharedTestdata();
const BODY_LIMIT = 1_000_000;




/** A JSON string as rapidjson's Writer escapes it: `"`, `\`, and bytes below 0x20 (\uXXXX in upper-case hex). */
const rapidjsonString = (s: string): string =>
  '"' +
  s.replace(/[\u0000-\u001f"\\]/g, (c) => {
    const short: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };
    return short[c] ?? '\\u00' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
  }) +
  '"';

/** MakeJsonFromStatus: `{\n    "error": "<message>"\n}`. */
const errorBody = (message: string): string => `{\n    "error": ${rapidjsonString(message)}\n}`;

function expectError(r: Reply, status: number, message: string): void {
  expect({ status: r.status, body: r.text }).toEqual({ status, body: errorBody(message) });
  expect(r.headers['content-type']).toBe('application/json');
}

/** GetModelStatusResponse printed by protobuf's JSON printer (add_whitespace), every version AVAILABLE. */
const statusJson = (versions: number[]): string =>
  '{\n "model_version_status": [\n' +
  versions
    .map((v) => `  {\n   "version": "${v}",\n   "state": "AVAILABLE",\n   "status": {\n    "error_code": "OK",\n    "error_message": ""\n   }\n  }`)
    .join(',\n') +
  '\n ]\n}\n';

/** The bytes of a two-output object `{"a": .., "b": ..}` may come in either order (protobuf Map). */
function expectEitherOrder(text: string, build: (first: string, second: string) => string, a: string, b: string): void {
  expect([build(a, b), build(b, a)]).toContain(text);
}

/** JSON with object keys sorted, to compare documents modulo key order. */
const canonical = (value: unknown, drop: (key: string) => boolean = () => false): string =>
  JSON.stringify(value, (k, v: unknown) => {
    if (drop(k)) return undefined;
    return v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y))) : v;
  });

let tmp: string;
let serverA: ServerProcess;
let serverB: ServerProcess;
let portA: number;
let portB: number;
let grpcA: TestClient;

const get = (urlPath: string, headers?: Record<string, string>) => request(portA, 'GET', urlPath, undefined, headers);
const post = (urlPath: string, body: string | Buffer, headers?: Record<string, string>) => request(portA, 'POST', urlPath, body, headers);

const configEntry = (name: string, base: string, extra = '') =>
  `  config { name: "${name}" base_path: "${base}" model_platform: "tensorflow" ${extra} }`;

/** Names in the order of the config file (GET /v1/models lists them so). */
const MODEL_NAMES: string[] = [];

beforeAll(async () => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-rest-'));
  const entries: Array<[string, string, string?]> = [
    ['add_sub', path.join(MODELS_DIR, 'add_sub'), 'model_version_policy { all {} } version_labels { key: "stable" value: 1 } version_labels { key: "canary" value: 2 }'],
    ['dtypes', path.join(MODELS_DIR, 'dtypes')],
    ['classifier', path.join(MODELS_DIR, 'classifier'), 'version_labels { key: "prod" value: 1 }'],
    ['tf1_lookup', path.join(MODELS_DIR, 'tf1_lookup')],
    ['keras_mlp', path.join(MODELS_DIR, 'keras_mlp')],
  ];
  if (SHARED) {
    entries.push(
      ['default', path.join(SHARED_TESTDATA, 'saved_model_half_plus_two_cpu')],
      ['half_plus_three', path.join(SHARED_TESTDATA, 'saved_model_half_plus_three')],
      ['saved_model_half_plus_two_2_versions', path.join(SHARED_TESTDATA, 'saved_model_half_plus_two_2_versions'), 'model_version_policy { all {} } version_labels { key: "stable" value: 123 }'],
      ['half_plus_two_tf2', path.join(SHARED_TESTDATA, 'saved_model_half_plus_two_tf2_cpu')],
      ['counter', path.join(SHARED_TESTDATA, 'saved_model_counter')],
    );
  }
  MODEL_NAMES.push(...entries.map(([n]) => n));
  const config = path.join(tmp, 'models.config');
  fs.writeFileSync(config, `model_config_list {\n${entries.map(([n, b, e]) => configEntry(n, b, e)).join('\n')}\n}\n`);
  [portA, portB] = [await freePort(), await freePort()];
  [serverA, serverB] = await Promise.all([
    startServer([`--model_config_file=${config}`, `--rest_api_port=${portA}`, '--rest_api_enable_cors_support', `--rest_api_max_request_bytes=${BODY_LIMIT}`]),
    startServer([`--model_name=add_sub`, `--model_base_path=${path.join(MODELS_DIR, 'add_sub')}`, `--rest_api_port=${portB}`, '--rest_api_timeout_in_ms=1']),
  ]);
  await Promise.all([waitForRest(portA), waitForRest(portB)]);
  grpcA = new TestClient(serverA.target);
});

afterAll(async () => {
  grpcA?.close();
  await Promise.all([serverA?.stop(), serverB?.stop()]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const ADD_SUB_SIGNATURE = {
  inputs: {
    input_x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '-1', name: '' }], unknown_rank: false }, name: 'input_x:0' },
    input_y: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '-1', name: '' }], unknown_rank: false }, name: 'input_y:0' },
  },
  outputs: {
    result_add: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '-1', name: '' }], unknown_rank: false }, name: 'result_add:0' },
    result_sub: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '-1', name: '' }], unknown_rank: false }, name: 'result_sub:0' },
  },
  method_name: 'tensorflow/serving/predict',
  defaults: {},
};

describe('URL forms', () => {
  test.each([
    ['/v1/models/add_sub', [2, 1]],
    ['/v1/models/add_sub/versions/1', [1]],
    ['/v1/models/add_sub/versions/2', [2]],
    // GetModelStatus ignores the label: every version, even for a label that does not exist.
    ['/v1/models/add_sub/labels/stable', [2, 1]],
    ['/v1/models/add_sub/labels/no_such_label', [2, 1]],
    ['/V1/MODELS/add_sub/VERSIONS/2', [2]],
  ])('GET %s is GetModelStatus, byte for byte', async (urlPath, versions) => {
    const r = await get(urlPath);
    expect({ status: r.status, body: r.text }).toEqual({ status: 200, body: statusJson(versions) });
    expect(r.headers['content-type']).toBe('application/json');
  });

  test.each([
    ['/v1/models/add_sub/metadata', 2],
    ['/v1/models/add_sub/versions/1/metadata', 1],
    ['/v1/models/add_sub/labels/canary/metadata', 2],
    ['/v1/models/add_sub/labels/stable/metadata', 1],
    ['/v1/Models/add_sub/Versions/1/metadata', 1],
  ])('GET %s is GetModelMetadata of version %d', async (urlPath, version) => {
    const r = await get(urlPath);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    // http_rest_api_util.cc glues the two protobuf-printed messages together with these separators.
    expect(r.text.startsWith(`{\n"model_spec":{\n "name": "add_sub",\n "version": "${version}",\n "signature_name": ""\n}\n,\n"metadata": {"signature_def": {\n "signature_def": {\n`)).toBe(true);
    expect(r.text.endsWith('\n}\n}\n}\n')).toBe(true);
    const doc = JSON.parse(r.text);
    expect(doc.model_spec).toEqual({ name: 'add_sub', version: String(version), signature_name: '' });
    expect(doc.metadata.signature_def.signature_def.serving_default).toEqual(ADD_SUB_SIGNATURE);
  });

  test.each([
    ['/v1/models/add_sub:predict', 2],
    ['/v1/models/add_sub/versions/1:predict', 1],
    ['/v1/models/add_sub/versions/2:predict', 2],
    ['/v1/models/add_sub/labels/stable:predict', 1],
    ['/v1/models/add_sub/labels/canary:predict', 2],
    ['/V1/Models/add_sub/Labels/stable:predict', 1],
  ])('POST %s predicts with version k=%d', async (urlPath, k) => {
    const r = await post(urlPath, '{"inputs": {"input_x": [1.0], "input_y": [10.0]}}');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.text)).toEqual({ outputs: { result_add: [1 + 10 * k], result_sub: [1 - 10 * k] } });
  });

  test.each(['/v1/models/classifier:regress', '/v1/models/classifier/versions/1:regress', '/v1/models/classifier/labels/prod:regress'])(
    'POST %s regresses',
    async (urlPath) => {
      const r = await post(urlPath, '{"signature_name": "regress", "examples": [{"a": 1.0, "b": 2.0}, {"a": -0.5, "b": 4.0}]}');
      expect({ status: r.status, body: r.text }).toEqual({ status: 200, body: '{\n    "results": [1.75, -1.0]\n}' });
    },
  );

  test.each(['/v1/models/classifier:classify', '/v1/models/classifier/versions/1:classify', '/v1/models/classifier/labels/prod:classify'])(
    'POST %s classifies',
    async (urlPath) => {
      const r = await post(urlPath, '{"signature_name": "classify", "examples": [{"a": 1.0, "b": 2.0}]}');
      expect(r.status).toBe(200);
      const results = JSON.parse(r.text).results as Array<Array<[string, number]>>;
      expect(results.map((row) => row.map(([label]) => label))).toEqual([['alpha', 'beta', 'café']]);
      expect(r.text).toMatch(/^\{\n {4}"results": \[\[\["alpha", [0-9.e-]+\], \["beta", [0-9.e-]+\], \["café", [0-9.e-]+\]\]\n {4}\]\n\}$/);
    },
  );

  test.each([
    ['GET', '/v1/models/nope', undefined, 404, 'Could not find any versions of model nope'],
    ['GET', '/v1/models/add_sub/versions/3', undefined, 404, 'Could not find version 3 of model add_sub'],
    ['GET', '/v1/models/add_sub/versions/007', undefined, 404, 'Could not find version 7 of model add_sub'],
    ['GET', '/v1/models/nope/metadata', undefined, 404, 'Servable not found for request: Latest(nope)'],
    ['GET', '/v1/models/add_sub/versions/3/metadata', undefined, 404, 'Servable not found for request: Specific(add_sub, 3)'],
    ['GET', '/v1/models/add_sub/labels/nope/metadata', undefined, 400, 'Unrecognized servable version label: nope'],
    ['POST', '/v1/models/nope:predict', '{"instances": [1.0]}', 404, 'Servable not found for request: Latest(nope)'],
    ['POST', '/v1/models/add_sub/versions/3:predict', '{"instances": [1.0]}', 404, 'Servable not found for request: Specific(add_sub, 3)'],
    ['POST', '/v1/models/add_sub/labels/nope:predict', '{"instances": [1.0]}', 400, 'Unrecognized servable version label: nope'],
    ['POST', '/v1/models/nope:classify', '{"examples": [{"a": 1.0}]}', 404, 'Servable not found for request: Latest(nope)'],
    ['POST', '/v1/models/nope:regress', '{"examples": [{"a": 1.0}]}', 404, 'Servable not found for request: Latest(nope)'],
    ['POST', '/v1/models/classifier/versions/3:regress', '{"examples": [{"a": 1.0}]}', 404, 'Servable not found for request: Specific(classifier, 3)'],
    ['POST', '/v1/models/classifier/labels/nope:classify', '{"examples": [{"a": 1.0}]}', 400, 'Unrecognized servable version label: nope'],
    // The model name and the label are URL-unescaped.
    ['GET', '/v1/models/no%20such', undefined, 404, 'Could not find any versions of model no such'],
    ['POST', '/v1/models/no%20such:predict', '{"instances": [1.0]}', 404, 'Servable not found for request: Latest(no such)'],
    ['POST', '/v1/models/add_sub/labels/no%5Flabel:predict', '{"instances": [1.0]}', 400, 'Unrecognized servable version label: no_label'],
    // The path matches, so "metadata" here is a model name.
    ['GET', '/v1/models/metadata', undefined, 404, 'Could not find any versions of model metadata'],
  ])('%s %s (body %j) → %d', async (method, urlPath, body, status, message) => {
    expectError(await request(portA, method, urlPath, body), status, message);
  });

  test('the "metadata" sub-resource is compared exactly (the regex is case-insensitive): /METADATA is GetModelStatus', async () => {
    const r = await get('/v1/models/add_sub/versions/1/METADATA');
    expect({ status: r.status, body: r.text }).toEqual({ status: 200, body: statusJson([1]) });
  });

  test.each([
    ['GET', '/v1/models/add_sub/versions/99999999999999999999', undefined],
    ['POST', '/v1/models/add_sub/versions/9223372036854775808:predict', '{}'],
  ])('%s %s: version digits beyond int64 → 400 Failed to convert version', async (method, urlPath, body) => {
    const r = await request(portA, method, urlPath, body);
    const digits = /versions\/(\d+)/.exec(urlPath)?.[1];
    expect(r.status).toBe(400);
    // ParseModelInfo's error returns before MakeJsonFromStatus in http_rest_api_handler.cc, so TF
    // Serving may send it with an empty body; when there is a body it is the JSON error.
    expect(['', errorBody(`Failed to convert version: ${digits} to numeric.`)]).toContain(r.text);
  });

  test.each([
    ['GET', '/v1/models/add_sub/versions/9223372036854775807', undefined, 404, 'Could not find version 9223372036854775807 of model add_sub'],
    ['GET', '/v1/models/add_sub/versions/9007199254740993/metadata', undefined, 404, 'Servable not found for request: Specific(add_sub, 9007199254740993)'],
    ['POST', '/v1/models/add_sub/versions/9007199254740993:predict', '{"instances": [1.0]}', 404, 'Servable not found for request: Specific(add_sub, 9007199254740993)'],
  ])('a version that fits int64 but not a double is still a version number: %s %s (body %j) → %d', async (method, urlPath, body, status, message) => {
    expectError(await request(portA, method, urlPath, body), status, message);
  });

  test('a %-escape that decodes to bytes which are not UTF-8 is still a model name (curl_easy_unescape), not a malformed request', async () => {
    // TF Serving echoes the raw 0xFF byte; our messages are JavaScript strings, so it arrives as U+FFFD.
    expectError(await get('/v1/models/a%FFb'), 404, 'Could not find any versions of model a\ufffdb');
  });

  test('a path libevent cannot parse (a bad %-escape) is refused with 400', async () => {
    expect((await get('/v1/models/a%zz')).status).toBe(400);
  });

  test.each([
    ['GET', '/v1/foo'],
    ['POST', '/v1/foo'],
    ['GET', '/v1/'],
    ['POST', '/v1/models'],
    ['GET', '/v1/models/add_sub:predict'],
    ['POST', '/v1/models/add_sub'],
    ['POST', '/v1/models/add_sub/metadata'],
    ['POST', '/v1/models/add_sub/version/1:regress'],
    ['POST', '/v1/models/add_sub/versions/HELLO:regress'],
    ['POST', '/v1/models/add_sub/versions/-1:predict'],
    ['POST', '/v1/models/add_sub:PREDICT'],
    ['POST', '/v1/models/add_sub:explain'],
    ['POST', '/v1/models/add_sub:predict/'],
    ['GET', '/v1/models/add_sub/'],
    ['GET', '/v1/models/add_sub/metadata/'],
    ['GET', '/v1/models//metadata'],
    ['GET', '/v1/models/add_sub/versions/'],
    ['GET', '/v1/models/add_sub/versions/1/labels/stable'],
    ['GET', '/v1/models/add_sub/labels/a:b'],
    ['PUT', '/v1/models/add_sub'],
    ['DELETE', '/v1/models/add_sub'],
    ['PATCH', '/v1/models/add_sub:predict'],
    // http_rest_api_handler_test.cc UnsupportedApiCalls
    ['GET', '/v1/models/debug/model_name'],
    ['GET', '/v1/models/add_sub/version/50:predict'],
    ['POST', '/v1/models/add_sub/version/50:regress'],
    ['POST', '/v1/models/add_sub/label/some_label:regress'],
    ['POST', '/v1/models/add_sub/versions/50/labels/some_label:regress'],
    ['POST', '/v1/models/add_sub/versions/some_label:regress'],
  ])('%s %s → 400 Malformed request', async (method, urlPath) => {
    expectError(await request(portA, method, urlPath, method === 'GET' || method === 'DELETE' ? undefined : '{}'), 400, `Malformed request: ${method} ${urlPath}`);
  });

  test('a path outside /v1/ gets a plain (non-JSON) 404', async () => {
    const r = await get('/foo');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).not.toBe('application/json');
    expect(() => JSON.parse(r.text)).toThrow();
  });

  test('"/v1" itself does not match (?i)/v1/.* either: a plain 404, not a JSON error', async () => {
    const r = await get('/v1');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).not.toBe('application/json');
  });

  test('REST error messages are not cut at 1024 characters (that truncation is gRPC only)', async () => {
    const name = 'm'.repeat(1500);
    expectError(await post(`/v1/models/${name}:predict`, '{"instances": [1.0]}'), 404, `Servable not found for request: Latest(${name})`);
  });

  test('error bodies escape control characters as rapidjson does (\\u000B, upper-case hex)', async () => {
    expectError(await get('/v1/models/a%0Bb'), 404, 'Could not find any versions of model a\u000bb');
  });

  test('GET /v1/models lists every configured model with its versions (ours; TF Serving answers 400 "Missing model name in request.")', async () => {
    const r = await get('/v1/models');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    const doc = JSON.parse(r.text) as { models: Array<{ name: string; model_version_status: unknown[] }> };
    expect(doc.models.map((m) => m.name)).toEqual(MODEL_NAMES);
    expect(doc.models[0]).toEqual({ name: 'add_sub', ...JSON.parse(statusJson([2, 1])) });
    for (const m of doc.models) expect(m.model_version_status.length).toBeGreaterThan(0);
  });
});

describe('Predict: request formats, signatures, dtypes and number formatting', () => {
  test('instances (row format) with two inputs: one object per row, byte for byte', async () => {
    const r = await post('/v1/models/add_sub/versions/1:predict', '{"instances": [{"input_x": 1.0, "input_y": 2.0}, {"input_x": 3.0, "input_y": 4.0}]}');
    expect(r.status).toBe(200);
    const row = (addFirst: boolean) => {
      const obj = (add: string, sub: string) =>
        addFirst ? `"result_add": ${add},\n            "result_sub": ${sub}` : `"result_sub": ${sub},\n            "result_add": ${add}`;
      return `{\n    "predictions": [\n        {\n            ${obj('3.0', '-1.0')}\n        },\n        {\n            ${obj('7.0', '-1.0')}\n        }\n    ]\n}`;
    };
    expect([row(true), row(false)]).toContain(r.text);
  });

  test('inputs (columnar format) with two inputs: {"outputs": {alias: tensor}}, byte for byte', async () => {
    const r = await post('/v1/models/add_sub/versions/1:predict', '{"inputs": {"input_x": [1.0, 3.0], "input_y": [2.0, 4.0]}}');
    expect(r.status).toBe(200);
    expectEitherOrder(
      r.text,
      (a, b) => `{\n    "outputs": {\n${a},\n${b}\n    }\n}`,
      '        "result_add": [\n            3.0,\n            7.0\n        ]',
      '        "result_sub": [\n            -1.0,\n            -1.0\n        ]',
    );
  });

  test('signature_name selects a signature; several outputs; a scalar; unknown rank', async () => {
    const two = await post('/v1/models/dtypes:predict', '{"signature_name": "two_outputs", "instances": [[1, 2], [3, 4]]}');
    expect(two.status).toBe(200);
    expect(JSON.parse(two.text)).toEqual({ predictions: [{ sum: 3, prod: 2 }, { sum: 7, prod: 12 }] });
    expect(two.text).toContain('"sum": 3.0');
    const cols = await post('/v1/models/dtypes:predict', '{"signature_name": "two_outputs", "inputs": [[1, 2], [3, 4]]}');
    expect(JSON.parse(cols.text)).toEqual({ outputs: { sum: [3, 7], prod: [2, 12] } });
    const scalar = await post('/v1/models/dtypes:predict', '{"signature_name": "scalar", "inputs": 3.0}');
    expect({ status: scalar.status, body: scalar.text }).toEqual({ status: 200, body: '{\n    "outputs": 9.0\n}' });
    const rank3 = await post('/v1/models/dtypes:predict', '{"signature_name": "unknown_rank", "inputs": [[[1.5]]]}');
    expect(rank3.text).toBe('{\n    "outputs": [\n        [\n            [\n                2.5\n            ]\n        ]\n    ]\n}');
    const rows3 = await post('/v1/models/dtypes:predict', '{"signature_name": "unknown_rank", "instances": [[[1.5]], [[2.5]]]}');
    expect(rows3.text).toBe('{\n    "predictions": [[[2.5]], [[3.5]]\n    ]\n}');
  });

  test('{"b64": ...} strings in; a DT_STRING output whose alias ends in _bytes comes out as {"b64": ...}', async () => {
    // bytes_out reverses each string byte-wise: "abc" → "cba"; 00 01 02 ff → ff 02 01 00.
    const rows = await post('/v1/models/dtypes:predict', '{"signature_name": "bytes_out", "instances": ["abc", {"b64": "AAEC/w=="}]}');
    expect({ status: rows.status, body: rows.text }).toEqual({
      status: 200,
      body: '{\n    "predictions": [{\n            "b64": "Y2Jh"\n        }, {\n            "b64": "/wIBAA=="\n        }\n    ]\n}',
    });
    const cols = await post('/v1/models/dtypes:predict', '{"signature_name": "bytes_out", "inputs": [{"b64": "aGk="}, "xyz"]}');
    expect(cols.text).toBe('{\n    "outputs": [\n        {\n            "b64": "aWg="\n        },\n        {\n            "b64": "enl4"\n        }\n    ]\n}');
  });

  test('UTF-8 strings in (plain and b64), int64 out (TF1 lookup table)', async () => {
    const r = await post('/v1/models/tf1_lookup:predict', `{"instances": ["banana", "café", {"b64": "${Buffer.from('date').toString('base64')}"}, "kiwi"]}`);
    expect({ status: r.status, body: r.text }).toEqual({ status: 200, body: '{\n    "predictions": [1, 7, 3, -1\n    ]\n}' });
  });

  test('float outputs follow WriteDecimal: shortest %g, else %.9g; ".0" on whole numbers; -Infinity', async () => {
    // y = 2x + 1 in float32; expected texts computed with C printf on numpy float32 values.
    const r = await post('/v1/models/dtypes:predict', '{"instances": [[0.05, 499999.5, 0.123456789], [1e-8, -3.4e38, 1.5], [16777215, 0.1, 3e-5]]}');
    expect({ status: r.status, body: r.text }).toEqual({
      status: 200,
      body: '{\n    "predictions": [[1.1, 1e+06, 1.24691355], [1.0, -Infinity, 4.0], [33554432.0, 1.2, 1.00006]\n    ]\n}',
    });
  });

  test('double outputs follow WriteDecimal: shortest %g, else %.17g; -0.0', async () => {
    const r = await post('/v1/models/dtypes:predict', '{"signature_name": "int64_math", "inputs": {"a": [1], "f64": [0.1, 1e300, -2, 3, 1e-5, 123456789, -0.0]}}');
    expect(r.status).toBe(200);
    const f64 = ['0.010000000000000002', '1e+299', '-0.2', '0.30000000000000004', '1.0000000000000002e-06', '12345678.9', '-0.0'];
    expectEitherOrder(
      r.text,
      (a, b) => `{\n    "outputs": {\n${a},\n${b}\n    }\n}`,
      '        "a_out": [\n            3\n        ]',
      `        "f64_out": [\n${f64.map((v) => `            ${v}`).join(',\n')}\n        ]`,
    );
  });

  test('NaN, Infinity, -Infinity (and Inf) tokens in; NaN, Infinity, -Infinity out', async () => {
    const r = await post('/v1/models/dtypes:predict', '{"signature_name": "unknown_rank", "inputs": [NaN, Infinity, -Infinity, Inf, -Inf]}');
    expect({ status: r.status, body: r.text }).toEqual({
      status: 200,
      body: '{\n    "outputs": [\n        NaN,\n        Infinity,\n        -Infinity,\n        Infinity,\n        -Infinity\n    ]\n}',
    });
  });

  test('int64 beyond 2^53 is parsed and written exactly: bare JSON numbers by default', async () => {
    const r = await post('/v1/models/dtypes:predict', '{"signature_name": "int64_math", "inputs": {"a": [3074457345618258602, 9007199254740993, -3], "f64": [1]}}');
    expect(r.status).toBe(200);
    expect(r.text).toContain('        "a_out": [\n            9223372036854775806,\n            27021597764222979,\n            -9\n        ]');
    const off = await post('/v1/models/dtypes:predict', '{"signature_name": "int64_math", "inputs": {"a": [3074457345618258602], "f64": [1]}}', {
      'x-tfserving-int64-as-string': 'false',
    });
    expect(off.text).toContain('"a_out": [\n            9223372036854775806\n        ]');
  });

  test('x-tfserving-int64-as-string: true writes int64 outputs as JSON strings, other dtypes unchanged', async () => {
    const h = { 'x-tfserving-int64-as-string': 'true' };
    const cols = await post('/v1/models/dtypes:predict', '{"signature_name": "int64_math", "inputs": {"a": [3074457345618258602, -3], "f64": [1]}}', h);
    expect(cols.status).toBe(200);
    expect(JSON.parse(cols.text)).toEqual({ outputs: { a_out: ['9223372036854775806', '-9'], f64_out: [0.1] } });
    expect(cols.text).toContain('"f64_out": [\n            0.1\n        ]');
    const rows = await post('/v1/models/dtypes:predict', '{"signature_name": "int64_math", "instances": [{"a": 3074457345618258602, "f64": 1}]}', h);
    expect(JSON.parse(rows.text)).toEqual({ predictions: [{ a_out: '9223372036854775806', f64_out: 0.1 }] });
    const lookup = await post('/v1/models/tf1_lookup:predict', '{"instances": ["banana", "café", "kiwi"]}', h);
    expect(lookup.text).toBe('{\n    "predictions": ["1", "7", "-1"\n    ]\n}');
  });

  test('every dtype with a JSON form accepts TF Serving\'s values (the row stops only at the half input)', async () => {
    // Members are read in order, so an error on the last key means every earlier one was accepted:
    // int8/16/uint8 take any int32 (TensorProto.int_val), uint64 its full range, strings b64.
    const body =
      '{"signature_name": "echo_all", "instances": [{"i8": 300, "i16": -70000, "i32": -2147483648, "i64": -9223372036854775808, "u8": -1, ' +
      '"u32": 4294967295, "u64": 18446744073709551615, "b": false, "s": {"b64": "AAE="}, "f32": 16777215, "f64": 9007199254740991, "f16": 1}]}';
    expectError(await post('/v1/models/dtypes:predict', body), 400, "Failed to process element: 0 key: f16 of 'instances' list. Error: UNIMPLEMENTED: Conversion of JSON Value: 1 to type: half");
  });

  test.each([
    ['i8', '1.5', 'INVALID_ARGUMENT: JSON Value: 1.5 Type: Number is not of expected type: int8'],
    ['i16', '"1"', 'INVALID_ARGUMENT: JSON Value: "1" Type: String is not of expected type: int16'],
    ['i32', '2147483648', 'INVALID_ARGUMENT: JSON Value: 2147483648 Type: Number is not of expected type: int32'],
    ['u8', 'true', 'INVALID_ARGUMENT: JSON Value: true Type: True is not of expected type: uint8'],
    ['i64', '9223372036854775808', 'INVALID_ARGUMENT: JSON Value: 9223372036854775808 Type: Number is not of expected type: int64'],
    ['i64', '0.123456789', 'INVALID_ARGUMENT: JSON Value: 0.123456791 Type: Number is not of expected type: int64'],
    ['u32', '-1', 'INVALID_ARGUMENT: JSON Value: -1 Type: Number is not of expected type: uint32'],
    ['u64', '-1', 'INVALID_ARGUMENT: JSON Value: -1 Type: Number is not of expected type: uint64'],
    ['b', '1', 'INVALID_ARGUMENT: JSON Value: 1 Type: Number is not of expected type: bool'],
    ['b', 'null', 'INVALID_ARGUMENT: JSON Value: null Type: Null is not of expected type: bool'],
    ['s', '1', 'INVALID_ARGUMENT: JSON Value: 1 Type: Number is not of expected type: string'],
    ['s', '{"b64": "!!"}', 'INVALID_ARGUMENT: Unable to base64 decode'],
    ['s', '{"b64": "aGk=", "x": 1}', 'INVALID_ARGUMENT: JSON Value: {\n    "b64": "aGk=",\n    "x": 1\n} not formatted correctly for base64 data'],
    ['f32', '"x"', 'INVALID_ARGUMENT: JSON Value: "x" Type: String is not of expected type: float'],
    ['f32', '{"b64": "aGk="}', 'INVALID_ARGUMENT: JSON Value: {\n    "b64": "aGk="\n} Type: Object is not of expected type: float'],
    ['f64', 'false', 'INVALID_ARGUMENT: JSON Value: false Type: False is not of expected type: double'],
    ['f16', '1.0', 'UNIMPLEMENTED: Conversion of JSON Value: 1.0 to type: half'],
    ['u16', '1', 'UNIMPLEMENTED: Conversion of JSON Value: 1 to type: uint16'],
  ])('row format: %s = %s → 400 wrapping %s', async (key, value, error) => {
    const r = await post('/v1/models/dtypes:predict', `{"signature_name": "echo_all", "instances": [{"${key}": ${value}}]}`);
    expectError(r, 400, `Failed to process element: 0 key: ${key} of 'instances' list. Error: ${error}`);
  });

  // TF Serving 2.21 (json_tensor.cc since 2021, api_rest.md "Floating Point Precision"): any JSON number
  // converts to float/double as rapidjson's GetFloat/GetDouble do, however much precision it loses.
  test.each([
    ['scalar', '16777217', '{\n    "outputs": 2.81474977e+14\n}'],
    ['scalar', '1e39', '{\n    "outputs": Infinity\n}'],
    ['scalar', '-1e39', '{\n    "outputs": Infinity\n}'],
  ])('float input of %s given %s converts silently: %j', async (signature, value, body) => {
    const r = await post('/v1/models/dtypes:predict', `{"signature_name": "${signature}", "inputs": ${value}}`);
    expect({ status: r.status, body: r.text }).toEqual({ status: 200, body });
  });

  test('an integer beyond 2^53 for a double input converts silently', async () => {
    const r = await post('/v1/models/dtypes:predict', '{"signature_name": "int64_math", "inputs": {"a": [1], "f64": [9007199254740993]}}');
    expect(r.status).toBe(200);
    // 9007199254740992 * 0.1, written with 17 digits since six do not round-trip.
    expect(r.text).toContain('"f64_out": [\n            900719925474099.25\n        ]');
  });

  test('columnar format: a dtype without a JSON form is 501 UNIMPLEMENTED', async () => {
    const inputs = { f32: [1], f64: [1], f16: [1], i8: [1], i16: [1], i32: [1], i64: [1], u8: [1], u16: [1], u32: [1], u64: [1], b: [true], s: ['x'] };
    const r = await post('/v1/models/dtypes:predict', JSON.stringify({ signature_name: 'echo_all', inputs }));
    expect(r.status).toBe(501);
    // Which of the two unconvertible inputs is met first follows protobuf Map order (unspecified).
    expect([errorBody('Conversion of JSON Value: 1 to type: half'), errorBody('Conversion of JSON Value: 1 to type: uint16')]).toContain(r.text);
  });

  test('Keras 3 export: REST floats are the gRPC float32 values, written with at most 9 significant digits', async () => {
    const meta = JSON.parse((await get('/v1/models/keras_mlp/metadata')).text);
    const sig = meta.metadata.signature_def.signature_def.serving_default;
    const inputName = Object.keys(sig.inputs)[0];
    const outputName = Object.keys(sig.outputs)[0];
    const x = [0.5, -1.25, 2, 0.1];
    const rest = await post('/v1/models/keras_mlp:predict', JSON.stringify({ instances: [x] }));
    expect(rest.status).toBe(200);
    const texts = /\[\[(.*)\]\n/.exec(rest.text)?.[1].split(', ') ?? [];
    const g = await grpcA.predict({ model_spec: { name: 'keras_mlp' }, inputs: { [inputName]: floatTensor(x, [1, 4]) } });
    if (!g.ok) throw new Error(g.error.details);
    const floats = g.response.outputs[outputName].float_val as number[];
    expect(texts).toHaveLength(3);
    expect(texts.map((t) => Math.fround(Number(t)))).toEqual(floats);
    for (const t of texts) expect(t.replace(/^0\.0*|\.|e.*$/g, '').length).toBeLessThanOrEqual(9);
  });
});

describe('Predict request errors', () => {
  const dtypes = '/v1/models/dtypes:predict';
  const addSub = '/v1/models/add_sub:predict';
  test.each([
    [dtypes, '', 'JSON Parse error: The document is empty'],
    [dtypes, 'instances = [1, 2]', 'JSON Parse error: Invalid value. at offset: 0'],
    [dtypes, '{"instances": [1.0', "JSON Parse error: Missing a comma or ']' after an array element. at offset: 18"],
    [dtypes, '{"instances": [1.0,]}', 'JSON Parse error: Invalid value. at offset: 19'],
    [dtypes, '[1]', 'JSON Value: [\n    1\n] Is not object'],
    [dtypes, '"x"', 'JSON Value: "x" Is not object'],
    [dtypes, '{"signature_name": 1, "instances": [1]}', "JSON Value: {\n    \"signature_name\": 1,\n    \"instances\": [\n        1\n    ]\n} not formatted correctly. 'signature_name' key must be a string value."],
    [dtypes, '{"signature_name": "nope", "instances": [1]}', 'Serving signature name: "nope" not found in signature def'],
    [dtypes, '{"signature_name": "__saved_model_init_op", "instances": [1]}', 'Failed to get input map for signature: __saved_model_init_op'],
    [dtypes, '{"instances": [[1.0, 2.0, 3.0]], "inputs": [[1.0, 2.0, 3.0]]}', "JSON Value: {\n    \"instances\": [\n        [\n            1.0,\n            2.0,\n            3.0\n        ]\n    ],\n    \"inputs\": [\n        [\n            1.0,\n            2.0,\n            3.0\n        ]\n    ]\n} Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist "],
    [dtypes, '{"signature_name": "serving_default"}', "Missing 'inputs' or 'instances' key"],
    [dtypes, '{"instances": 1}', "JSON Value: {\n    \"instances\": 1\n} Expecting 'instances' to be an list/array"],
    [dtypes, '{"instances": []}', "JSON Value: {\n    \"instances\": []\n} No values in 'instances' array"],
    [dtypes, '{"instances": [[1.0, 2.0, 3.0], [1.0, 2.0]]}', "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 3 but got: 2"],
    [dtypes, '{"instances": [[[1.0, 2.0, 3.0]], [[1.0], [2.0], [3.0]]]}', "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [1,3] but got: [3,1]"],
    [dtypes, '{"instances": [[1.0, 2.0, 3.0], {"x": [1.0, 2.0, 3.0]}]}', 'Expecting value/list but got object at item 1 of input list'],
    [dtypes, '{"instances": [[1.0, [2.0], 3.0]]}', "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: Encountered list at unexpected level: 1 expected < 1"],
    [dtypes, '{"inputs": [[1.0, 2.0], [3.0]]}', 'Encountered list at unexpected size: 1 at level: 1 expected size: 2'],
    [dtypes, '{"inputs": [[1.0], 2.0]}', 'JSON Value: 2.0 found at incorrect level: 2 in the JSON DOM. Expected at level: 2'],
    [dtypes, '{"inputs": [1.0, [2.0]]}', 'Encountered list at unexpected level: 1 expected < 1'],
    [dtypes, '{"inputs": [["a", 1.0, 1.0]]}', 'JSON Value: "a" Type: String is not of expected type: float'],
    [addSub, '{"instances": [1.0, 2.0]}', 'instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map'],
    [addSub, '{"instances": [{"input_x": 1.0}]}', "Failed to process element: 0 of 'instances' list. JSON object: {\n    \"input_x\": 1.0\n} keys must be equal to: input_x,input_y"],
    [addSub, '{"instances": [{"input_x": 1.0, "input_y": 2.0, "z": 3.0}]}', "Failed to process element: 0 key: z of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: z"],
    [addSub, '{"instances": [{"input_x": 1.0, "input_y": 2.0}, [1.0]]}', 'Expecting object but got list at item 1 of input list'],
    [addSub, '{"instances": [{"input_x": 1.0, "input_y": 2.0}, {"input_x": [1.0], "input_y": 2.0}]}', "Failed to process element: 1 key: input_x of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [] but got: [1]"],
    [addSub, '{"inputs": [1.0]}', 'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map'],
    [addSub, '{"inputs": {"input_x": [1.0]}}', "Missing named input: input_y in 'inputs' object."],
  ])('POST %s %j → 400', async (urlPath, body, message) => {
    expectError(await post(urlPath, body), 400, message);
  });
});

describe('Classify and Regress', () => {
  test('classify scores are the float32 values TensorFlow computed (same as gRPC Classify), written by WriteDecimal', async () => {
    const examples = [
      { a: 1.0, b: 2.0 },
      { a: -0.5, b: 4.0 },
    ];
    const r = await post('/v1/models/classifier:classify', '{"signature_name": "classify", "examples": [{"a": 1.0, "b": 2.0}, {"a": -0.5, "b": 4.0}]}');
    expect(r.status).toBe(200);
    const g = await grpcA.rpc<{ result: { classifications: Array<{ classes: Array<{ label: string; score: number }> }> } }>('Classify', {
      model_spec: { name: 'classifier', signature_name: 'classify' },
      input: {
        example_list: {
          examples: examples.map((e) => ({ features: { feature: { a: { float_list: { value: [e.a] } }, b: { float_list: { value: [e.b] } } } } })),
        },
      },
    });
    if (!g.ok) throw new Error(g.error.details);
    const expected = g.response.result.classifications.map((c) => `[${c.classes.map((k) => `["${k.label}", ${writeDecimalFloat(k.score)}]`).join(', ')}]`);
    expect(r.text).toBe(`{\n    "results": [${expected.join(', ')}\n    ]\n}`);
  });

  test('regress with a context: the examples\' own features win', async () => {
    const r = await post('/v1/models/classifier:regress', '{"signature_name": "regress", "context": {"a": 100.0, "b": 2.0}, "examples": [{"a": 1.0}, {"a": 3.0}]}');
    expect({ status: r.status, body: r.text }).toEqual({ status: 200, body: '{\n    "results": [1.75, 4.75]\n}' });
  });

  test('classify: a missing classes output gives "" labels, a missing scores output 0.0 scores', async () => {
    const scores = await post('/v1/models/classifier:classify', '{"signature_name": "scores_only", "examples": [{"a": 1.0, "b": 2.0}]}');
    expect(scores.text).toMatch(/^\{\n {4}"results": \[\[\["", [0-9.]+\], \["", [0-9.]+\], \["", [0-9.]+\]\]\n {4}\]\n\}$/);
    const classes = await post('/v1/models/classifier:classify', '{"signature_name": "classes_only", "examples": [{"a": 1.0, "b": 2.0}]}');
    expect(classes.text).toBe('{\n    "results": [[["alpha", 0.0], ["beta", 0.0], ["café", 0.0]]\n    ]\n}');
  });

  const classify = '/v1/models/classifier:classify';
  const regress = '/v1/models/classifier:regress';
  test.each([
    [classify, '', 'JSON Parse error: The document is empty'],
    [classify, '{"signature_name": "classify"}', "JSON Value: {\n    \"signature_name\": \"classify\"\n} When method is classify, key 'examples' is expected and was not found"],
    // TF Serving says "classify" for regress too.
    [regress, '{"signature_name": "regress"}', "JSON Value: {\n    \"signature_name\": \"regress\"\n} When method is classify, key 'examples' is expected and was not found"],
    [classify, '{"examples": {}}', "JSON Value: {\n    \"examples\": {}\n} Expecting 'examples' value to be an list/array"],
    [regress, '{"examples": []}', "JSON Value: {\n    \"examples\": []\n} 'examples' value is an empty array"],
    [classify, '{"examples": [1]}', 'Example must be JSON object but got JSON Number'],
    [classify, '{"context": [1], "examples": [{}]}', 'Example must be JSON object but got JSON Array'],
    [classify, '{"signature_name": 7, "examples": [{}]}', "JSON Value: {\n    \"signature_name\": 7,\n    \"examples\": [\n        {}\n    ]\n} not formatted correctly. 'signature_name' key must be a string value."],
    [classify, '{"examples": [{"a": [1, 2.5]}]}', 'Unexpected element type in feature: a expecting type: int64'],
    [classify, '{"examples": [{"a": [2.5, "s"]}]}', 'Unexpected element type in feature: a expecting type: float'],
    [classify, '{"examples": [{"a": ["s", true]}]}', 'Unexpected element type in feature: a expecting type: bytes'],
    [classify, '{"examples": [{"a": [true, 1.5]}]}', 'Unexpected element type in feature: a expecting type: int64'],
    [classify, '{"examples": [{"a": [{"b64": "aGk="}, 1]}]}', 'Unexpected element type in feature: a expecting type: bytes'],
    [classify, '{"examples": [{"a": null}]}', 'Feature: a has element with unexpected JSON type: Null'],
    [classify, '{"examples": [{"a": [[1]]}]}', 'Feature: a has element with unexpected JSON type: Array'],
    [classify, '{"examples": [{"a": {"x": 1}}]}', 'Feature: a has element with unexpected JSON type: Object'],
    [classify, '{"examples": [{"a": {"b64": "!!"}}]}', 'Unable to base64 decode'],
    [classify, '{"signature_name": "nope", "examples": [{"a": 1.0}]}', 'No signature was found with the name: nope'],
    [regress, '{"signature_name": "nope", "examples": [{"a": 1.0}]}', 'No signature was found with the name: nope'],
    [classify, '{"examples": [{"a": 1.0}]}', 'Expected one or two output Tensors, found 3'],
    [regress, '{"signature_name": "classify", "examples": [{"a": 1.0}]}', 'Expected one output Tensor.'],
  ])('POST %s %j → 400', async (urlPath, body, message) => {
    expectError(await post(urlPath, body), 400, message);
  });

  test('a uint64 feature value beyond int64 is refused', async () => {
    const r = await post(classify, '{"examples": [{"a": 18446744073709551615}]}');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toBe('Feature: a has uint64_t element. Only int64_t is supported.');
  });

  test('a TensorFlow run error passes through as 400 with TensorFlow\'s message', async () => {
    const r = await post(regress, '{"signature_name": "regress", "examples": [{"a": 1, "b": 2}]}');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toContain("Data types don't match");
  });
});

/** WriteDecimal for a float32: shortest %g that round-trips, else 9 significant digits; ".0" on integers. */
function writeDecimalFloat(v: number): string {
  const g = (p: number) => {
    const e = Number(v.toExponential(p - 1).split('e')[1]);
    let s = e < -4 || e >= p ? v.toExponential(p - 1) : v.toFixed(Math.max(0, p - 1 - e));
    if (s.includes('.')) s = s.replace(/\.?0+(e|$)/, '$1');
    return s.replace(/e([+-])(\d)$/, 'e$10$2');
  };
  let s = g(6);
  if (Math.fround(Number(s)) !== v) s = g(9);
  if (!s.includes('.') && !s.includes('e')) s += '.0';
  return s;
}

describe('transport: gzip, body limit, CORS, timeout', () => {
  const plain = '{"inputs": {"input_x": [1.0, 2.0], "input_y": [3.0, 4.0]}}';

  test('a gzip body (Content-Encoding: gzip) is decompressed and answered as the plain one', async () => {
    const a = await post('/v1/models/add_sub:predict', plain);
    const b = await post('/v1/models/add_sub:predict', zlib.gzipSync(plain), { 'content-encoding': 'gzip' });
    expect(a.status).toBe(200);
    expect({ status: b.status, body: b.text }).toEqual({ status: 200, body: a.text });
  });

  const big = JSON.stringify({ inputs: { input_x: new Array(150000).fill(1.5), input_y: new Array(150000).fill(2.5) } });

  test('a body over --rest_api_max_request_bytes gets 413 with a JSON error', async () => {
    expect(big.length).toBeGreaterThan(BODY_LIMIT);
    const r = await post('/v1/models/add_sub:predict', big);
    expect(r.status).toBe(413);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.text).toMatch(/^\{\n {4}"error": ".+"\n\}$/);
  });

  test('the limit applies after gzip decompression', async () => {
    const gz = zlib.gzipSync(big);
    expect(gz.length).toBeLessThan(BODY_LIMIT);
    const r = await post('/v1/models/add_sub:predict', gz, { 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/^\{\n {4}"error": ".+"\n\}$/);
  });

  const CORS = {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'POST, GET',
    'access-control-allow-headers': 'Content-Type',
  };
  const corsOf = (r: Reply) => ({
    'access-control-allow-origin': r.headers['access-control-allow-origin'],
    'access-control-allow-methods': r.headers['access-control-allow-methods'],
    'access-control-allow-headers': r.headers['access-control-allow-headers'],
  });

  test('--rest_api_enable_cors_support: CORS headers on every /v1 answer, errors included', async () => {
    const answers = [
      await post('/v1/models/add_sub:predict', plain),
      await get('/v1/models/add_sub'),
      await get('/v1/models/add_sub/metadata'),
      await get('/v1/models/nope'),
      await post('/v1/models/add_sub:predict', '{'),
      await request(portA, 'PUT', '/v1/models/add_sub'),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 404, 400, 400]);
    for (const r of answers) expect(corsOf(r)).toEqual(CORS);
  });

  test('OPTIONS preflight: 200 and an empty body for an http(s) Origin, 400 without one', async () => {
    const ok = await request(portA, 'OPTIONS', '/v1/models/add_sub:predict', undefined, {
      origin: 'https://example.com',
      'access-control-request-method': 'POST',
    });
    expect({ status: ok.status, body: ok.text }).toEqual({ status: 200, body: '' });
    expect(corsOf(ok)).toEqual(CORS);
    const missing = await request(portA, 'OPTIONS', '/v1/models/add_sub:predict');
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Origin header is missing in CORS preflight');
    const ftp = await request(portA, 'OPTIONS', '/v1/models/add_sub', undefined, { origin: 'ftp://example.com' });
    expect(ftp.status).toBe(400);
  });

  test('without the flag there are no CORS headers', async () => {
    const answers = [await request(portB, 'GET', '/v1/models/add_sub'), await request(portB, 'GET', '/v1/models/nope')];
    expect(answers.map((r) => r.status)).toEqual([200, 404]);
    for (const r of answers) {
      expect(corsOf(r)).toEqual({ 'access-control-allow-origin': undefined, 'access-control-allow-methods': undefined, 'access-control-allow-headers': undefined });
    }
  });

  test('--rest_api_timeout_in_ms=1: a run that takes longer is 504 with TF Serving\'s JSON error body', async () => {
    const body = JSON.stringify({ inputs: { input_x: new Array(5000).fill(0.25), input_y: new Array(5000).fill(0.5) } });
    const r = await request(portB, 'POST', '/v1/models/add_sub:predict', body);
    expect(r.status).toBe(504);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.text).toMatch(/^\{\n {4}"error": "(?:[^"\\]|\\.)+"\n\}$/);
    expect(Object.keys(JSON.parse(r.text))).toEqual(['error']);
  });

  test('status and metadata calls are not time-limited', async () => {
    const status = await request(portB, 'GET', '/v1/models/add_sub');
    expect({ status: status.status, body: status.text }).toEqual({ status: 200, body: statusJson([2]) });
    const meta = await request(portB, 'GET', '/v1/models/add_sub/metadata');
    expect(meta.status).toBe(200);
  });
});

describeWithSharedTestdata("TF Serving's shared test models over REST", () => {
  const golden = (file: string) => JSON.parse(fs.readFileSync(path.join(SHARED_TESTDATA, file), 'utf8')) as Record<string, unknown>;

  test('half_plus_three: {"instances": [1.0, 2.0, 5.0]} → predictions [3.5, 4.0, 5.5] (api_rest.md), byte for byte', async () => {
    const r = await post('/v1/models/half_plus_three:predict', '{"instances": [1.0, 2.0, 5.0]}');
    expect({ status: r.status, body: r.text }).toEqual({ status: 200, body: '{\n    "predictions": [3.5, 4.0, 5.5\n    ]\n}' });
    expect(r.headers['content-type']).toBe('application/json');
    const cols = await post('/v1/models/half_plus_three:predict', '{"inputs": [1.0, 2.0, 5.0]}');
    expect(cols.text).toBe('{\n    "outputs": [\n        3.5,\n        4.0,\n        5.5\n    ]\n}');
  });

  test.each([
    ['/v1/models/saved_model_half_plus_two_2_versions:predict', '{"instances": [[1.0, 2.0], [3.0, 4.0]]}', '{\n    "predictions": [[2.5, 3.0], [3.5, 4.0]\n    ]\n}'],
    ['/v1/models/saved_model_half_plus_two_2_versions/versions/123:predict', '{"instances": [1.0, 2.0]}', '{\n    "predictions": [2.5, 3.0\n    ]\n}'],
    ['/v1/models/saved_model_half_plus_two_2_versions/versions/123:predict', '{"signature_name": "serving_default", "instances": [3.0, 4.0]}', '{\n    "predictions": [3.5, 4.0\n    ]\n}'],
    ['/v1/models/saved_model_half_plus_two_2_versions/labels/stable:predict', '{"signature_name": "serving_default", "inputs": [3.0, 4.0]}', '{\n    "outputs": [\n        3.5,\n        4.0\n    ]\n}'],
    ['/v1/models/default:predict', '{"instances": [[1.0], [2.0], [5.0]]}', '{\n    "predictions": [[2.5], [3.0], [4.5]\n    ]\n}'],
    ['/v1/models/half_plus_two_tf2:predict', '{"instances": [1.0, 2.0]}', '{\n    "predictions": [2.5, 3.0\n    ]\n}'],
    ['/v1/models/saved_model_half_plus_two_2_versions:regress', '{"signature_name": "regress_x_to_y", "examples": [ { "x": 80.0 } ] }', '{\n    "results": [42.0]\n}'],
    ['/v1/models/saved_model_half_plus_two_2_versions/versions/123:regress', '{"signature_name": "regress_x_to_y", "examples": [ { "x": 80.0 } ] }', '{\n    "results": [42.0]\n}'],
    ['/v1/models/saved_model_half_plus_two_2_versions:classify', '{"signature_name": "classify_x_to_y", "examples": [ { "x": 20.0 } ] }', '{\n    "results": [[["", 12.0]]\n    ]\n}'],
    ['/v1/models/saved_model_half_plus_two_2_versions/versions/123:classify', '{"signature_name": "classify_x_to_y", "examples": [ { "x": 10.0 } ] }', '{\n    "results": [[["", 7.0]]\n    ]\n}'],
    ['/v1/models/default:regress', '{"signature_name": "regress_x_to_y2", "examples": [{"x": 2.0}, {"x": 4.0}]}', '{\n    "results": [4.0, 5.0]\n}'],
    ['/v1/models/half_plus_two_tf2:regress', '{"signature_name": "regress_x_to_y", "examples": [ { "x": 80.0 } ] }', '{\n    "results": [42.0]\n}'],
    ['/v1/models/half_plus_two_tf2:classify', '{"signature_name": "classify_x_to_y", "examples": [ { "x": 20.0 } ] }', '{\n    "results": [[["", 12.0]]\n    ]\n}'],
    // http_rest_api_handler_test.cc Predict, Regress and Classify through the version label
    ['/v1/models/saved_model_half_plus_two_2_versions/labels/stable:predict', '{"instances": [1.0, 2.0]}', '{\n    "predictions": [2.5, 3.0\n    ]\n}'],
    ['/v1/models/saved_model_half_plus_two_2_versions/versions/123:predict', '{"signature_name": "serving_default", "inputs": [3.0, 4.0]}', '{\n    "outputs": [\n        3.5,\n        4.0\n    ]\n}'],
    ['/v1/models/saved_model_half_plus_two_2_versions/labels/stable:regress', '{"signature_name": "regress_x_to_y", "examples": [ { "x": 80.0 } ] }', '{\n    "results": [42.0]\n}'],
    ['/v1/models/saved_model_half_plus_two_2_versions/labels/stable:classify', '{"signature_name": "classify_x_to_y", "examples": [ { "x": 10.0 } ] }', '{\n    "results": [[["", 7.0]]\n    ]\n}'],
  ])('POST %s %s → golden', async (urlPath, body, expected) => {
    const r = await post(urlPath, body);
    expect({ status: r.status, body: r.text }).toEqual({ status: 200, body: expected });
  });

  test.each([
    ['/v1/models/half_plus_three:predict', '{"instances": ["a"]}', 400, "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: \"a\" Type: String is not of expected type: float"],
    ['/v1/models/half_plus_three:predict', '{"instances": [1.0, {"x": 1.0}]}', 400, 'Expecting value/list but got object at item 1 of input list'],
    ['/v1/models/default:predict', '{"signature_name": "nope", "instances": [[1.0]]}', 400, 'Serving signature name: "nope" not found in signature def'],
    ['/v1/models/half:predict', '{"instances": [1.0]}', 404, 'Servable not found for request: Latest(half)'],
    ['/v1/models/saved_model_half_plus_two_2_versions/versions/99:predict', '{"instances": [1.0]}', 404, 'Servable not found for request: Specific(saved_model_half_plus_two_2_versions, 99)'],
    ['/v1/models/counter:predict', '{"signature_name": "get_counter", "instances": [1.0]}', 400, 'Failed to get input map for signature: get_counter'],
    ['/v1/models/half_plus_two_tf2:predict', '{"signature_name": "__saved_model_init_op", "instances": [1.0]}', 400, 'Failed to get input map for signature: __saved_model_init_op'],
    ['/v1/models/default:classify', '{"signature_name": "nope", "examples": [{"x": 1.0}]}', 400, 'No signature was found with the name: nope'],
    ['/v1/models/default:regress', '{"signature_name": "regress_x_to_y"}', 400, "JSON Value: {\n    \"signature_name\": \"regress_x_to_y\"\n} When method is classify, key 'examples' is expected and was not found"],
    // http_rest_api_handler_test.cc PredictModelNameVersionErrors and PredictRequestErrors
    ['/v1/models/foo:predict', '{ "instances": [1] }', 404, 'Servable not found for request: Latest(foo)'],
    ['/v1/models/foo/versions/50:predict', '{ "instances": [1] }', 404, 'Servable not found for request: Specific(foo, 50)'],
    ['/v1/models/saved_model_half_plus_two_2_versions99:predict', '{ "instances": [1] }', 404, 'Servable not found for request: Latest(saved_model_half_plus_two_2_versions99)'],
    ['/v1/models/saved_model_half_plus_two_2_versions:predict', '', 400, 'JSON Parse error: The document is empty'],
    ['/v1/models/saved_model_half_plus_two_2_versions:predict', 'instances = [1, 2]', 400, 'JSON Parse error: Invalid value. at offset: 0'],
    ['/v1/models/saved_model_half_plus_two_2_versions:predict', '{ "instances": ["x", "y"] }', 400, "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: \"x\" Type: String is not of expected type: float"],
    ['/v1/models/saved_model_half_plus_two_2_versions/labels/nonexistent:predict', '{ "instances": ["x", "y"] }', 400, 'Unrecognized servable version label: nonexistent'],
    ['/v1/models/saved_model_half_plus_two_2_versions:predict', '{ "signature_name": 100 }', 400, "JSON Value: {\n    \"signature_name\": 100\n} not formatted correctly. 'signature_name' key must be a string value."],
  ])('POST %s %s → %d', async (urlPath, body, status, message) => {
    expectError(await post(urlPath, body), status, message);
  });

  test('classify on a predict signature: "No classification inputs found in SignatureDef: <debug string>"', async () => {
    const r = await post('/v1/models/saved_model_half_plus_two_2_versions:classify', '{"examples": [{"x": 1.0}]}');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatch(/^No classification inputs found in SignatureDef: inputs \{\n {2}key: "x"\n/);
  });

  test.each([
    ['/v1/models/default/metadata', 'half_plus_two_model_metadata.json'],
    ['/v1/models/saved_model_half_plus_two_2_versions/versions/123/metadata', 'saved_model_half_plus_two_2_versions_metadata.json'],
    ['/v1/models/saved_model_half_plus_two_2_versions/labels/stable/metadata', 'saved_model_half_plus_two_2_versions_metadata.json'],
  ])('GET %s equals the golden %s modulo key order', async (urlPath, file) => {
    const r = await get(urlPath);
    expect(r.status).toBe(200);
    expect(canonical(JSON.parse(r.text))).toBe(canonical(golden(file)));
    const name = (golden(file).model_spec as { name: string }).name;
    expect(r.text.startsWith(`{\n"model_spec":{\n "name": "${name}",\n "version": "123",\n "signature_name": ""\n}\n,\n"metadata": {"signature_def": {\n "signature_def": {\n`)).toBe(true);
    expect(r.text.endsWith('\n  }\n }\n}\n}\n}\n')).toBe(true);
  });

  test('GET metadata of the TF2 model equals its golden but for `defaults` (and the model name)', async () => {
    // The shared TF2 export records a default value for serving_default's x; the golden file was
    // written from an export without it (see shared-testdata.test.ts).
    const r = await get('/v1/models/half_plus_two_tf2/metadata');
    expect(r.status).toBe(200);
    const doc = JSON.parse(r.text);
    expect(doc.model_spec).toEqual({ name: 'half_plus_two_tf2', signature_name: '', version: '123' });
    const want = golden('saved_model_half_plus_two_tf2_2_versions_metadata.json');
    const noDefaults = (k: string) => k === 'defaults';
    expect(canonical(doc.metadata, noDefaults)).toBe(canonical(want.metadata, noDefaults));
  });

  test('GET status of the two-version model, and with a label (ignored)', async () => {
    for (const p of ['/v1/models/saved_model_half_plus_two_2_versions', '/v1/models/saved_model_half_plus_two_2_versions/labels/stable']) {
      const r = await get(p);
      expect({ status: r.status, body: r.text }).toEqual({ status: 200, body: statusJson([124, 123]) });
    }
  });
});

describe('large :predict bodies are parsed off the event loop, with the inline path\'s results and errors', () => {
  const N = 70_000; // two inputs of 70k floats: about 0.45 MB of JSON (under this server's 1 MB limit), well past OFF_THREAD_BYTES
  const xs = Array.from({ length: N }, (_, i) => i % 1000);
  const ys = Array.from({ length: N }, (_, i) => (i % 7) * 2);
  const columnar = (extra = '') => `{${extra}"inputs": {"input_x": [${xs.join(',')}], "input_y": [${ys.join(',')}]}}`;
  /** What the codec says of `body` when it parses inline, in this process (the reference). */
  const inlineError = (body: string): string => {
    try {
      parsePredictRequest(body, () => new Map([['input_x', { dtype: 1 }], ['input_y', { dtype: 1 }]]));
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  };
  const errorOf = (r: Reply) => (JSON.parse(r.text) as { error: string }).error;

  test('a 0.45 MB columnar request: every value exact', async () => {
    expect(Buffer.byteLength(columnar())).toBeGreaterThan(OFF_THREAD_BYTES * 5);
    const r = await post('/v1/models/add_sub/versions/1:predict', columnar());
    expect(r.status).toBe(200);
    const out = JSON.parse(r.text) as { outputs: { result_add: number[]; result_sub: number[] } };
    expect(out.outputs.result_add).toEqual(xs.map((x, i) => x + ys[i]));
    expect(out.outputs.result_sub).toEqual(xs.map((x, i) => x - ys[i]));
  });

  test.each([
    ['a JSON error near the end', '/v1/models/add_sub:predict', () => columnar().slice(0, -3) + 'x}}', 400],
    ['a JSON error for a model that does not exist (the parse error comes first, as inline)', '/v1/models/nope:predict', () => columnar().slice(0, -3) + 'x}}', 400],
  ])('%s', async (_name, url, body, status) => {
    const r = await post(url, body());
    expect(r.status).toBe(status);
    expect(errorOf(r)).toBe(inlineError(body()));
    expect(errorOf(r)).toMatch(/^JSON Parse error: .* at offset: \d+$/);
  });

  test.each([
    ['a model that does not exist', '/v1/models/nope:predict', columnar(), 404, 'Servable not found for request: Latest(nope)'],
    ['a signature the model does not have', '/v1/models/add_sub:predict', columnar('"signature_name": "nope", '), 400, 'Serving signature name: "nope" not found in signature def'],
  ])('%s: the error of the inline path', async (_name, url, body, status, message) => {
    const r = await post(url, body);
    expect(r.status).toBe(status);
    expect(errorOf(r)).toBe(message);
  });

});
