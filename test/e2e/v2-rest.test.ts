import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODELS_DIR, ensureTestModels } from '../helpers/fixtures';
import { Reply, request } from '../helpers/http-client';
import { writeModelConfig } from '../helpers/model-config';
import { PYTHON, REPO } from '../helpers/paths';
import { parsePrometheusText, seriesOf } from '../helpers/prometheus-text';
import { ServerProcess, freePort, startServer } from '../helpers/server-process';
import { runV2Cases } from '../helpers/v2-client';

/**
 * The Open Inference Protocol's REST API byte for byte, as curl sees it: health and readiness
 * statuses, metadata and inference bodies, Triton's binary tensor data extension built by hand, the
 * error statuses and bodies, the body limit, --rest_api_timeout_in_ms and the gRPC deadline, and
 * request metrics labelled by protocol. TF Serving's /v1 API on the same port is unchanged.
 */

const METRICS_PATH = '/monitoring/prometheus/metrics';
const MAX_BODY = 1024 * 1024;
const REST_TIMEOUT_MS = 700;

let server: ServerProcess;
let tmp: string;
let port: number;

beforeAll(async () => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-v2-rest-'));
  // counter's `slow` signature takes about a second, past the REST timeout below.
  execFileSync(PYTHON, [path.join(REPO, 'python/export_warmup_model.py'), path.join(tmp, 'counter/1'), '0'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  const config = writeModelConfig(path.join(tmp, 'models.config'), [
    ['dtypes', path.join(MODELS_DIR, 'dtypes')],
    ['counter', path.join(tmp, 'counter')],
  ]);
  const monitoring = path.join(tmp, 'monitoring.config');
  fs.writeFileSync(monitoring, `prometheus_config { enable: true path: "${METRICS_PATH}" }\n`);
  port = await freePort();
  server = await startServer([
    `--model_config_file=${config}`,
    `--rest_api_port=${port}`,
    `--monitoring_config_file=${monitoring}`,
    `--rest_api_max_request_bytes=${MAX_BODY}`,
    `--rest_api_timeout_in_ms=${REST_TIMEOUT_MS}`,
  ]);
});

afterAll(async () => {
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const get = (p: string): Promise<Reply> => request(port, 'GET', p);
const post = (p: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> => request(port, 'POST', p, body, headers);
const json = (r: Reply) => ({ status: r.status, type: r.headers['content-type'], body: r.text });

/** A request body in the binary tensor data extension: the JSON header, then the tensors' bytes. */
function binaryBody(header: object, ...data: Buffer[]): { body: Buffer; headers: Record<string, string> } {
  const h = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([h, ...data]), headers: { 'Inference-Header-Content-Length': String(h.length), 'Content-Type': 'application/octet-stream' } };
}

const f32 = (...xs: number[]): Buffer => Buffer.from(new Float32Array(xs).buffer);
const lengthPrefixed = (...xs: Buffer[]): Buffer => Buffer.concat(xs.flatMap((x) => [Buffer.from(Uint32Array.of(x.length).buffer), x]));

describe('health, readiness and metadata', () => {
  test('GET /v2/health/live and /v2/health/ready: 200 with an empty body', async () => {
    for (const p of ['/v2/health/live', '/v2/health/ready']) {
      const r = await get(p);
      expect([p, r.status, r.text]).toEqual([p, 200, '']);
    }
  });

  test('GET /v2: server metadata', async () => {
    expect(json(await get('/v2'))).toEqual({
      status: 200,
      type: 'application/json',
      body: '{"name":"tfserving-ts","version":"0.1.0","extensions":["binary_tensor_data"]}',
    });
  });

  test('GET /v2/models/{m}[/versions/{v}]: model metadata; an unknown model is 404', async () => {
    const dtypes =
      '{"name":"dtypes","versions":["1"],"platform":"tensorflow_savedmodel","inputs":[{"name":"x","datatype":"FP32","shape":[-1,3]}],"outputs":[{"name":"y","datatype":"FP32","shape":[-1,3]}]}';
    expect(json(await get('/v2/models/dtypes'))).toEqual({ status: 200, type: 'application/json', body: dtypes });
    expect(json(await get('/v2/models/dtypes/versions/1'))).toEqual({ status: 200, type: 'application/json', body: dtypes });
    expect(json(await get('/v2/models/nope'))).toEqual({ status: 404, type: 'application/json', body: '{"error":"Servable not found for request: Latest(nope)"}' });
    expect(json(await get('/v2/models/dtypes/versions/7'))).toEqual({
      status: 404,
      type: 'application/json',
      body: '{"error":"Servable not found for request: Specific(dtypes, 7)"}',
    });
  });

  test('GET /v2/models/{m}[/versions/{v}]/ready: 200 when serving, 400 otherwise, empty bodies', async () => {
    const got: [string, number, string][] = [];
    for (const p of ['/v2/models/dtypes/ready', '/v2/models/dtypes/versions/1/ready', '/v2/models/dtypes/versions/2/ready', '/v2/models/nope/ready']) {
      const r = await get(p);
      got.push([p, r.status, r.text]);
    }
    expect(got).toEqual([
      ['/v2/models/dtypes/ready', 200, ''],
      ['/v2/models/dtypes/versions/1/ready', 200, ''],
      ['/v2/models/dtypes/versions/2/ready', 400, ''],
      ['/v2/models/nope/ready', 400, ''],
    ]);
  });
});

describe('inference', () => {
  test('JSON: nested data, the id echoed, outputs as flat data', async () => {
    const r = await post(
      '/v2/models/dtypes/infer',
      '{"id": "a-1", "inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [[1, 2, 3], [4.5, -6.25, 1e-7]]}]}',
    );
    expect(json(r)).toEqual({
      status: 200,
      type: 'application/json',
      body: '{"model_name":"dtypes","model_version":"1","id":"a-1","outputs":[{"name":"y","datatype":"FP32","shape":[2,3],"data":[3.0,5.0,7.0,10.0,-11.5,1.00000024]}]}',
    });
    expect(r.headers['inference-header-content-length']).toBeUndefined();
  });

  test('JSON: a version in the URL, the signature in parameters, INT64 beyond 2^53 exactly', async () => {
    const r = await post(
      '/v2/models/dtypes/versions/1/infer',
      '{"parameters": {"signature_name": "int64_math"}, "inputs": [' +
        '{"name": "a", "shape": [2], "datatype": "INT64", "data": [3074457345618258602, -9007199254740993]},' +
        '{"name": "f64", "shape": [2], "datatype": "FP64", "data": [0.1, 2.5e-300]}], "outputs": [{"name": "a_out"}, {"name": "f64_out"}]}',
    );
    expect(json(r)).toEqual({
      status: 200,
      type: 'application/json',
      body:
        '{"model_name":"dtypes","model_version":"1","outputs":[' +
        '{"name":"a_out","datatype":"INT64","shape":[2],"data":[9223372036854775806,-27021597764222979]},' +
        '{"name":"f64_out","datatype":"FP64","shape":[2],"data":[0.010000000000000002,2.5e-301]}]}',
    });
  });

  test('binary tensor data extension by hand: FP32 in, FP32 out as binary data', async () => {
    const { body, headers } = binaryBody(
      { inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', parameters: { binary_data_size: 24 } }], outputs: [{ name: 'y', parameters: { binary_data: true } }] },
      f32(1, 2, 3, 4, 5, 6),
    );
    const r = await post('/v2/models/dtypes/infer', body, headers);
    const header = '{"model_name":"dtypes","model_version":"1","outputs":[{"name":"y","datatype":"FP32","shape":[2,3],"parameters":{"binary_data_size":24}}]}';
    expect({ status: r.status, type: r.headers['content-type'], length: r.headers['inference-header-content-length'] }).toEqual({
      status: 200,
      type: 'application/octet-stream',
      length: String(header.length),
    });
    expect(r.body.subarray(0, header.length).toString()).toBe(header);
    expect(r.body.subarray(header.length)).toEqual(f32(3, 5, 7, 9, 11, 13));
  });

  test('binary tensor data extension by hand: BYTES (4-byte little-endian lengths) in, JSON out; binary_data_output', async () => {
    const s = lengthPrefixed(Buffer.from('abc'), Buffer.from(''), Buffer.from('xy'));
    const { body, headers } = binaryBody(
      { parameters: { signature_name: 'bytes_out' }, inputs: [{ name: 's', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: s.length } }] },
      s,
    );
    expect(json(await post('/v2/models/dtypes/infer', body, headers))).toEqual({
      status: 200,
      type: 'application/json',
      body: '{"model_name":"dtypes","model_version":"1","outputs":[{"name":"data_bytes","datatype":"BYTES","shape":[3],"data":["cba","","yx"]}]}',
    });
    const all = binaryBody(
      {
        parameters: { signature_name: 'bytes_out', binary_data_output: true },
        inputs: [{ name: 's', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: s.length } }],
      },
      s,
    );
    const r = await post('/v2/models/dtypes/infer', all.body, all.headers);
    const header = '{"model_name":"dtypes","model_version":"1","outputs":[{"name":"data_bytes","datatype":"BYTES","shape":[3],"parameters":{"binary_data_size":17}}]}';
    expect(r.body.subarray(0, header.length).toString()).toBe(header);
    expect(r.body.subarray(header.length)).toEqual(lengthPrefixed(Buffer.from('cba'), Buffer.from(''), Buffer.from('yx')));
  });
});

describe('errors: {"error": "..."} with the status of their code', () => {
  const x = '{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}';
  const cases: [string, string, string, string | Buffer, Record<string, string>, number, string][] = [
    ['unknown path', 'GET', '/v2/nothing', '', {}, 404, 'no Open Inference Protocol endpoint at /v2/nothing'],
    ['GET on infer', 'GET', '/v2/models/dtypes/infer', '', {}, 405, 'GET /v2/models/dtypes/infer: only POST is served here'],
    ['POST on metadata', 'POST', '/v2/models/dtypes', '{}', {}, 405, 'POST /v2/models/dtypes: only GET is served here'],
    ['unknown model (before the body is read)', 'POST', '/v2/models/nope/infer', '{', {}, 404, 'Servable not found for request: Latest(nope)'],
    ['unknown version', 'POST', '/v2/models/dtypes/versions/3/infer', `{"inputs": [${x}]}`, {}, 404, 'Servable not found for request: Specific(dtypes, 3)'],
    ['broken JSON', 'POST', '/v2/models/dtypes/infer', '{', {}, 400, 'JSON Parse error: Missing a name for object member. at offset: 1'],
    ['no inputs', 'POST', '/v2/models/dtypes/infer', '{}', {}, 400, 'inputs must be an array'],
    [
      'unknown datatype',
      'POST',
      '/v2/models/dtypes/infer',
      '{"inputs": [{"name": "x", "shape": [1], "datatype": "FLOAT", "data": [1]}]}',
      {},
      400,
      "input 'x' has datatype 'FLOAT', which is not one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES, BF16",
    ],
    [
      'data and shape disagree',
      'POST',
      '/v2/models/dtypes/infer',
      '{"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3]}]}',
      {},
      400,
      "input 'x': data holds 3 value(s), shape [2,3] has 6",
    ],
    [
      'a value out of range',
      'POST',
      '/v2/models/dtypes/infer',
      '{"parameters": {"signature_name": "echo_all"}, "inputs": [{"name": "i8", "shape": [2], "datatype": "INT8", "data": [1, 300]}]}',
      {},
      400,
      "input 'i8': 300 is not an INT8 value",
    ],
    [
      'a string for FP32',
      'POST',
      '/v2/models/dtypes/infer',
      '{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": ["1"]}]}',
      {},
      400,
      "input 'x': data holds a String value where FP32 is expected",
    ],
    [
      'binary_data_size without the header',
      'POST',
      '/v2/models/dtypes/infer',
      '{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "parameters": {"binary_data_size": 12}}]}',
      {},
      400,
      "input 'x' has binary_data_size but the request has no Inference-Header-Content-Length header",
    ],
    [
      'shared memory',
      'POST',
      '/v2/models/dtypes/infer',
      '{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "parameters": {"shared_memory_region": "r", "shared_memory_byte_size": 12}}]}',
      {},
      400,
      "input 'x': the shared memory extension is not supported by this server",
    ],
    [
      'classification',
      'POST',
      '/v2/models/dtypes/infer',
      `{"inputs": [${x}], "outputs": [{"name": "y", "parameters": {"classification": 2}}]}`,
      {},
      400,
      "output 'y': the classification extension is not supported by this server",
    ],
    [
      'sequence_id',
      'POST',
      '/v2/models/dtypes/infer',
      `{"parameters": {"sequence_id": 5}, "inputs": [${x}]}`,
      {},
      400,
      "parameter 'sequence_id': sequence batching is not supported by this server",
    ],
  ];
  const binaryCases: [string, Buffer, string][] = [
    ['binary data shorter than binary_data_size', f32(1, 2), "input 'x' has binary_data_size 12, but only 8 bytes of binary data are left in the request"],
    ['binary data no input accounts for', f32(1, 2, 3, 4), 'the request has 4 bytes of binary data that no input\'s binary_data_size accounts for'],
  ];

  test.each(cases)('%s', async (_name, method, urlPath, body, headers, status, error) => {
    const r = await request(port, method, urlPath, body || undefined, headers);
    expect({ status: r.status, type: r.headers['content-type'], body: r.text }).toEqual({ status, type: 'application/json', body: JSON.stringify({ error }) });
    if (status === 405) expect(r.headers.allow).toBe(method === 'GET' ? 'POST' : 'GET');
  });

  test.each(binaryCases)('%s', async (_name, data, error) => {
    const { body, headers } = binaryBody({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', parameters: { binary_data_size: 12 } }] }, data);
    expect(json(await post('/v2/models/dtypes/infer', body, headers))).toEqual({ status: 400, type: 'application/json', body: JSON.stringify({ error }) });
  });

  test(`a body over --rest_api_max_request_bytes: 413`, async () => {
    const r = await post('/v2/models/dtypes/infer', Buffer.alloc(MAX_BODY + 1, 0x20));
    expect(json(r)).toEqual({ status: 413, type: 'application/json', body: `{"error":"Request body exceeds the limit of ${MAX_BODY} bytes"}` });
  });

  test(`--rest_api_timeout_in_ms (${REST_TIMEOUT_MS} ms) bounds a slow run: 504; gRPC's deadline: DEADLINE_EXCEEDED`, async () => {
    const started = Date.now();
    const r = await post('/v2/models/counter/infer', '{"parameters": {"signature_name": "slow"}, "inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}');
    const took = Date.now() - started;
    expect({ status: r.status, hasError: typeof JSON.parse(r.text).error === 'string' }).toEqual({ status: 504, hasError: true });
    expect(took).toBeLessThan(REST_TIMEOUT_MS + 2000);
    const [g] = await runV2Cases(`127.0.0.1:${port}`, server.target, [
      {
        name: 'grpc deadline',
        transport: 'grpc',
        model: 'counter',
        signature: 'slow',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1], values: [1] }],
        client_timeout: 0.3,
      },
    ]);
    expect(g.error?.status).toBe('StatusCode.DEADLINE_EXCEEDED');
  });
});

test("TF Serving's API on the same port is unchanged", async () => {
  const r = await post('/v1/models/dtypes:predict', '{"instances": [[1, 2, 3]]}');
  expect({ status: r.status, body: JSON.parse(r.text) }).toEqual({ status: 200, body: { predictions: [[3, 5, 7]] } });
  expect(await get('/v3')).toMatchObject({ status: 404, text: 'Not Found\n' });
});

test('request metrics: counted like Predict, labelled API="infer" on REST and API="ModelInfer" on gRPC', async () => {
  const scrape = async () => {
    const families = parsePrometheusText((await get(METRICS_PATH)).text);
    return {
      count: seriesOf(families, ':tensorflow:serving:request_count'),
      latency: seriesOf(families, ':tensorflow:serving:request_latency', ':tensorflow:serving:request_latency_count'),
      runtime: seriesOf(families, ':tensorflow:serving:runtime_latency', ':tensorflow:serving:runtime_latency_count'),
    };
  };
  const before = await scrape();
  const body = '{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}';
  for (let i = 0; i < 3; i++) expect((await post('/v2/models/dtypes/infer', body)).status).toBe(200);
  expect((await post('/v2/models/dtypes/infer', '{"inputs": []}')).status).toBe(400);
  const x = { name: 'x', datatype: 'FP32', shape: [1, 3], values: [1, 2, 3] };
  const grpcResults = await runV2Cases(`127.0.0.1:${port}`, server.target, [
    { name: 'a', transport: 'grpc', model: 'dtypes', inputs: [x] },
    { name: 'b', transport: 'grpc', model: 'dtypes', inputs: [x] },
  ]);
  expect(grpcResults.map((g) => g.ok)).toEqual([true, true]);
  const after = await scrape();
  const delta = (a: Record<string, number>, b: Record<string, number>, key: string) => (a[key] ?? 0) - (b[key] ?? 0);
  expect({
    ok: delta(after.count, before.count, 'model_name="dtypes",status="OK"'),
    invalid: delta(after.count, before.count, 'model_name="dtypes",status="INVALID_ARGUMENT"'),
    rest: delta(after.latency, before.latency, 'API="infer",entrypoint="REST",model_name="dtypes"'),
    grpc: delta(after.latency, before.latency, 'API="ModelInfer",entrypoint="GRPC",model_name="dtypes"'),
    runtime: delta(after.runtime, before.runtime, 'API="ModelInfer",model_name="dtypes",runtime="TF1"'),
  }).toEqual({ ok: 5, invalid: 1, rest: 3, grpc: 2, runtime: 5 });
});
