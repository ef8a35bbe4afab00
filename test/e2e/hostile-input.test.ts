import * as grpc from '@grpc/grpc-js';
import * as fc from 'fast-check';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Writer } from 'protobufjs';
import { ensureTestModels } from '../helpers/fixtures';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { ServerProcess, freePort, startServer } from '../helpers/server-process';
import { writeModelConfig } from '../helpers/model-config';
import { LEN, ProtoSpec, VARINT, materialize, specArb, tag, writeSpec } from '../unit/fuzz/tensor-proto-arbitrary';

/**
 * Hostile requests against the real server process, REST and gRPC: bodies over the limit, gzip
 * bombs, unknown content types and encodings, path traversal in model names and labels, junk JSON,
 * malformed HTTP/1.1, and well-framed requests whose tensors are adversarial (huge claims, overflowing
 * shapes, too many dims, every dtype). After each batch the process must be alive and serve a valid
 * Predict correctly. A request that kills the server is recorded (with the server's last words),
 * the server is restarted and the batch goes on, so one run reports every crash.
 */

const BODY_LIMIT = 1024 * 1024;

let tmp: string;
let modelsDir: string;
let args: string[];
let restPort: number;
let server: ServerProcess;
let client: TestClient;

async function waitForRest(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('REST port did not open');
}

async function start(): Promise<void> {
  server = await startServer(args);
  await waitForRest(restPort);
  client = new TestClient(server.target);
}

beforeAll(async () => {
  modelsDir = ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-hostile-'));
  const config = path.join(tmp, 'models.config');
  writeModelConfig(config, [
    ['dtypes', path.join(modelsDir, 'dtypes')],
    ['add_sub', path.join(modelsDir, 'add_sub'), 'version_labels { key: "stable" value: 2 }'],
  ]);
  restPort = await freePort();
  args = [`--model_config_file=${config}`, `--rest_api_port=${restPort}`, `--rest_api_max_request_bytes=${BODY_LIMIT}`];
  await start();
});

afterAll(async () => {
  client?.close();
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const alive = (): boolean => server.process.exitCode === null && server.process.signalCode === null;

/** The process is alive and answers a valid Predict correctly, over gRPC and REST. */
async function expectHealthy(): Promise<void> {
  expect({ exitCode: server.process.exitCode, signal: server.process.signalCode }).toEqual({ exitCode: null, signal: null });
  const r = await client.predict({ model_spec: { name: 'dtypes' }, inputs: { x: floatTensor([1, 2, 3], [1, 3]) } });
  expect(r.ok && r.response.outputs.y.float_val).toEqual([3, 5, 7]);
  const rest = await send('POST', '/v1/models/dtypes:predict', '{"instances":[[1,2,3]]}');
  expect(rest.status).toBe(200);
  expect(JSON.parse(rest.text)).toEqual({ predictions: [[3, 5, 7]] });
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One HTTP/1.1 request on a fresh connection; `error` when the server hung up instead of answering. */
function send(method: string, urlPath: string, body?: string | Buffer, headers: http.OutgoingHttpHeaders = {}, opts: { chunked?: boolean; timeoutMs?: number } = {}): Promise<Reply & { error?: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: restPort, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), error: e.message }));
    });
    req.setTimeout(opts.timeoutMs ?? 15000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, headers: {}, text: '', error: e.message }));
    if (body !== undefined) {
      if (opts.chunked) {
        const b = Buffer.from(body);
        for (let at = 0; at < b.length; at += 16 * 1024) req.write(b.subarray(at, at + 16 * 1024));
      } else req.write(body);
    }
    req.end();
  });
}

/** Raw bytes to the REST port; resolves with whatever came back once the server closes (or after waitMs). */
function rawHttp(bytes: Buffer, waitMs = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(restPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => chunks.push(d));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
  });
}

/** TF Serving's error body: JSON with a non-empty "error" string, nothing else. */
function expectJsonError(r: Reply & { error?: string }, statuses: number[], what = ''): void {
  expect([what, r.status, r.error, statuses.includes(r.status)]).toEqual([what, r.status, undefined, true]);
  expect(r.headers['content-type']).toBe('application/json');
  const body = JSON.parse(r.text) as { error?: unknown };
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error === 'string' && body.error.length > 0).toBe(true);
}

// ---------------------------------------------------------------------------------------------

describe('REST request bodies', () => {
  test('over --rest_api_max_request_bytes: 413 JSON, whether declared, chunked or gzip-inflated', async () => {
    // Raw sockets: the whole request is written, then the answer read, so a client that is still
    // uploading cannot lose the 413 to its own EPIPE (an early answer is fine; no answer is not).
    const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);
    const head = (extra: string) => Buffer.from(`POST /v1/models/dtypes:predict HTTP/1.1\r\nHost: x\r\n${extra}\r\n`);
    // 1. A Content-Length over the limit: answered from the header alone.
    const declared = await rawHttp(Buffer.concat([head(`Content-Type: application/json\r\nContent-Length: ${3 * BODY_LIMIT}\r\n`), Buffer.alloc(10_000, 0x20)]));
    // 2. Chunked, no Content-Length: the limit is found while reading.
    const chunks: Buffer[] = [];
    for (let sent = 0; sent <= BODY_LIMIT + 64 * 1024; sent += 64 * 1024) chunks.push(Buffer.from(`10000\r\n${' '.repeat(64 * 1024)}\r\n`));
    const chunked = await rawHttp(Buffer.concat([head('Transfer-Encoding: chunked\r\n'), ...chunks]));
    // 3. A gzip bomb: 50 MB of spaces in ~50 KB of gzip; refused once 1 MiB has been inflated.
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(BODY_LIMIT);
    const rssBefore = rssOf(server.process.pid as number);
    const inflated = await rawHttp(Buffer.concat([head(`Content-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n`), bomb]));
    const rssAfter = rssOf(server.process.pid as number);
    const rows: Array<[string, { text: string; closed: boolean }]> = [['Content-Length over the limit', declared], ['chunked body over the limit', chunked], ['gzip body inflating over the limit', inflated]];
    console.log(`bodies over the limit:\n  ${rows.map(([n, o]) => `${n}: ${o.text.split('\r\n')[0] || '(no answer)'}${o.closed ? ', closed' : ''}`).join('\n  ')}\n  gzip bomb ${bomb.length} bytes -> 50 MB: server RSS ${rssBefore >> 20} -> ${rssAfter >> 20} MiB`);
    for (const [name, o] of rows) {
      expect([name, statusOf(o.text)]).toEqual([name, 413]);
      expect(JSON.parse(bodyOf(o.text))).toEqual({ error: expect.stringMatching(/.+/) });
    }
    expect(rssAfter - rssBefore).toBeLessThan(40 * 1024 * 1024);
    // An ordinary client uploading a large body: the 413 when it manages to read it (some clients see
    // their own EPIPE first, as with any server that answers early).
    const big = JSON.stringify({ instances: new Array(150_000).fill([1.5, 2.5, 3.5]) });
    const r = await send('POST', '/v1/models/dtypes:predict', big, { 'content-type': 'application/json' });
    if (r.error) console.log(`node http client, ${big.length} bytes: ${r.error} (status ${r.status})`);
    else expectJsonError(r, [413]);
    await expectHealthy();
  });

  test('unknown content types are ignored, as by TF Serving; unknown content encodings are refused with 400 JSON', async () => {
    const body = '{"instances":[[1,2,3]]}';
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'image/png', '*/*', '']) {
      const r = await send('POST', '/v1/models/dtypes:predict', body, type ? { 'content-type': type } : {});
      expect([type, r.status, r.text]).toEqual([type, 200, '{\n    "predictions": [[3.0, 5.0, 7.0]\n    ]\n}']);
    }
    for (const enc of ['br', 'deflate', 'compress', 'x-unknown', 'gzip, gzip', 'zstd']) {
      const r = await send('POST', '/v1/models/dtypes:predict', body, { 'content-encoding': enc });
      expectJsonError(r, [400, 415]);
    }
    const identity = await send('POST', '/v1/models/dtypes:predict', body, { 'content-encoding': 'identity' });
    expect(identity.status).toBe(200);
    const gz = await send('POST', '/v1/models/dtypes:predict', zlib.gzipSync(body), { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(200);
    const notGzip = await send('POST', '/v1/models/dtypes:predict', body, { 'content-encoding': 'gzip' });
    expectJsonError(notGzip, [400]);
    const truncatedGzip = await send('POST', '/v1/models/dtypes:predict', zlib.gzipSync(body).subarray(0, 15), { 'content-encoding': 'gzip' });
    expectJsonError(truncatedGzip, [400]);
    await expectHealthy();
  });

  test('random junk JSON bodies on :predict, :classify and :regress: 4xx JSON errors, never 500', async () => {
    const junk = fc.sample(
      fc.oneof(
        fc.json({ maxDepth: 4 }),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ instances: v })),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ inputs: v, signature_name: 'unknown_rank' })),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ examples: [v], context: v })),
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
      ),
      { numRuns: 240, seed: 0x1ab },
    );
    const targets = ['/v1/models/dtypes:predict', '/v1/models/add_sub:predict', '/v1/models/dtypes:classify', '/v1/models/add_sub/versions/1:regress', '/v1/models/add_sub/labels/stable:predict'];
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    for (let i = 0; i < junk.length; i += 24) {
      const replies = await Promise.all(junk.slice(i, i + 24).map((b, j) => send('POST', targets[(i + j) % targets.length], b)));
      replies.forEach((r, j) => {
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const ok = r.status === 200 || (r.status >= 400 && r.status < 500) || r.status === 501;
        let jsonError = r.status === 200;
        try {
          const parsed = JSON.parse(r.text) as { error?: string };
          jsonError = jsonError || (typeof parsed.error === 'string' && parsed.error.length > 0);
        } catch {
          jsonError = false;
        }
        if (!ok || !jsonError || r.error) bad.push(`${targets[(i + j) % targets.length]} ${JSON.stringify(junk[i + j]).slice(0, 200)} -> ${r.status} ${r.error ?? ''} ${r.text.slice(0, 200)}`);
      });
    }
    console.log(`junk JSON: status counts ${JSON.stringify([...statuses.entries()].sort())}`);
    expect(bad).toEqual([]);
    await expectHealthy();
  });
});

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

describe('REST URLs and HTTP', () => {
  test('path traversal in model names, versions and labels: 400/404 JSON, no file-system path or file content leaked', async () => {
    const paths: Array<[string, string]> = [
      ['GET', '/v1/models/..%2f..%2fetc%2fpasswd'],
      ['GET', '/v1/models/..%2f..%2fetc%2fpasswd/metadata'],
      ['GET', '/v1/models/x/labels/..%2f..'],
      ['GET', '/v1/models/dtypes/labels/..%2f..%2f..%2fetc%2fpasswd/metadata'],
      ['GET', '/v1/models/%2e%2e'],
      ['GET', '/v1/models/%2e%2e%2f%2e%2e/versions/1'],
      ['GET', '/v1/models/..%5c..%5cwindows'],
      ['GET', '/v1/models/dtypes%00.json'],
      ['GET', '/v1/models/%252e%252e%252fetc'],
      ['GET', '/v1/models/../../etc/passwd'],
      ['GET', '/v1/models/dtypes/../../../etc/passwd'],
      ['GET', `/v1/models/${encodeURIComponent(modelsDir)}`],
      ['GET', '/v1/models/dtypes/versions/1/..%2f..%2f..%2fsaved_model.pb'],
      ['POST', '/v1/models/..%2f..%2fetc%2fpasswd:predict'],
      ['POST', '/v1/models/dtypes/labels/..%2f..:predict'],
      ['POST', '/v1/models/%2fetc%2fpasswd:predict'],
      ['POST', `/v1/models/${encodeURIComponent(path.join(modelsDir, 'dtypes'))}:predict`],
      ['POST', '/v1/models/dtypes%2f..%2fdtypes:predict'],
      ['GET', '/v1/models/%ff%fe%fd'],
      ['GET', '/v1/models/%'],
      ['GET', '/v1/models/%zz'],
    ];
    for (const [method, p] of paths) {
      const r = await send(method, p, method === 'POST' ? '{"instances":[[1,2,3]]}' : undefined);
      expectJsonError(r, [400, 404]);
      // Echoing the name the client sent is TF Serving's wording; anything else from the file system is a leak.
      const leaked = (dir: string) => r.text.includes(dir) && !p.includes(encodeURIComponent(dir)) && !p.includes(dir);
      expect([p, leaked(modelsDir), leaked(tmp), /root:.*:0:0:/.test(r.text), /\n\s+at /.test(r.text)]).toEqual([p, false, false, false, false]);
    }
    await expectHealthy();
  });

  test('malformed HTTP/1.1 is refused with a 4xx and the connection closed; the server keeps serving', async () => {
    const cases: Array<[string, Buffer]> = [
      ['garbage', Buffer.alloc(512, 0xfe)],
      ['a header line without a colon', Buffer.from('GET /v1/models/dtypes HTTP/1.1\r\nHost x\r\n\r\n')],
      ['Content-Length and Transfer-Encoding together (smuggling)', Buffer.from('POST /v1/models/dtypes:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')],
      ['a non-numeric Content-Length', Buffer.from('POST /v1/models/dtypes:predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n')],
      ['two different Content-Lengths', Buffer.from('POST /v1/models/dtypes:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}')],
      ['a bad chunk size', Buffer.from('POST /v1/models/dtypes:predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n')],
      ['64 KB of headers', Buffer.from(`GET /v1/models/dtypes HTTP/1.1\r\nHost: x\r\n${'X-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(900)}\r\n`)],
      ['a 64 KB URL', Buffer.from(`GET /v1/models/${'a'.repeat(65536)} HTTP/1.1\r\nHost: x\r\n\r\n`)],
      ['an unknown method', Buffer.from('BREW /v1/models/dtypes HTTP/1.1\r\nHost: x\r\n\r\n')],
      ['HTTP/0.9', Buffer.from('GET /v1/models/dtypes\r\n\r\n')],
      ['HTTP/2 preface on the REST port', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')],
    ];
    const outcomes = await Promise.all(cases.map(([, b]) => rawHttp(b)));
    const rows = cases.map(([name], i) => `${name}: ${outcomes[i].text.split('\r\n')[0] || '(nothing)'}${outcomes[i].closed ? ', closed' : ', left open'}`);
    console.log(`malformed HTTP:\n  ${rows.join('\n  ')}`);
    outcomes.forEach((o, i) => {
      const statusLine = o.text.split('\r\n')[0];
      const code = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      // Either a 4xx (any wording) or a plain close: never a 5xx, never a hang. (Node answers an
      // HTTP/0.9-style request line as a GET: harmless.)
      const fine = code === 0 ? o.closed : (code >= 400 && code < 500) || (cases[i][0] === 'HTTP/0.9' && code === 200);
      expect([cases[i][0], fine]).toEqual([cases[i][0], true]);
    });
    for (const method of ['PUT', 'DELETE', 'PATCH', 'HEAD']) {
      const r = await send(method, '/v1/models/dtypes');
      expect([method, r.status]).toEqual([method, method === 'HEAD' ? r.status : 400]);
    }
    await expectHealthy();
  });
});

// ---------------------------------------------------------------------------------------------
// Requests that could take the process down
// ---------------------------------------------------------------------------------------------

/** PredictRequest bytes for model `m`, signature `sig`, one input `alias` holding `tensor` (TensorProto bytes). */
function predictBytes(m: string, sig: string, inputs: Array<[string, Uint8Array]>, outputFilter: string[] = [], extraSpec?: (w: Writer) => void): Buffer {
  const w = Writer.create();
  w.uint32(tag(1, LEN)).fork();
  w.uint32(tag(1, LEN)).string(m);
  extraSpec?.(w);
  w.uint32(tag(3, LEN)).string(sig);
  w.ldelim();
  for (const [alias, t] of inputs) w.uint32(tag(2, LEN)).fork().uint32(tag(1, LEN)).string(alias).uint32(tag(2, LEN)).bytes(t).ldelim();
  for (const f of outputFilter) w.uint32(tag(3, LEN)).string(f);
  return Buffer.from(w.finish());
}

/** A TensorProto with the given dtype and dims, and `fill` writing its values. */
function tensorBytes(dtype: number, dims: bigint[], entries: ProtoSpec['entries'] = [], content?: Uint8Array): Uint8Array {
  return writeSpec({ dtypes: [dtype], shapes: [{ dims, unknownRank: false }], contents: content ? [content] : [], exactContent: false, entries });
}

function rawPredict(body: Buffer, timeoutMs = 15000): Promise<{ code: number; details: string }> {
  const c = new grpc.Client(server.target, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
  return new Promise((resolve) => {
    c.makeUnaryRequest('/tensorflow.serving.PredictionService/Predict', (b: Buffer) => b, (b: Buffer) => b, body, { deadline: Date.now() + timeoutMs }, (err) => {
      c.close();
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' });
    });
  });
}

type Outcome = { kind: 'grpc'; code: number; details: string } | { kind: 'rest'; status: number; text: string; error?: string };

interface DangerCase {
  name: string;
  run: () => Promise<Outcome>;
  /** What a correct server answers. */
  ok: (o: Outcome) => boolean;
  want: string;
}

const grpcCase = (name: string, body: () => Buffer, codes: number[]): DangerCase => ({
  name,
  run: async () => ({ kind: 'grpc', ...(await rawPredict(body())) }),
  ok: (o) => o.kind === 'grpc' && codes.includes(o.code),
  want: codes.map((c) => grpc.status[c]).join(' or '),
});

const restCase = (name: string, urlPath: string, body: () => string, statuses: number[]): DangerCase => ({
  name,
  run: async () => ({ kind: 'rest', ...(await send('POST', urlPath, body())) }),
  ok: (o) => o.kind === 'rest' && statuses.includes(o.status) && !o.error,
  want: `HTTP ${statuses.join(' or ')}`,
});

const describeOutcome = (o: Outcome): string =>
  o.kind === 'grpc' ? `${grpc.status[o.code]}: ${o.details.slice(0, 160)}` : `HTTP ${o.status}${o.error ? ` (${o.error})` : ''} ${o.text.slice(0, 160)}`;

/**
 * Runs each case; a case whose answer is wrong or after which the process is gone is recorded, with
 * the server's last log lines, and the server is restarted for the next case.
 */
async function runDangerous(cases: DangerCase[]): Promise<string[]> {
  const failures: string[] = [];
  for (const c of cases) {
    const logStart = server.logs().length;
    const started = Date.now();
    const outcome = await c.run();
    const ms = Date.now() - started;
    await new Promise((r) => setTimeout(r, 150));
    if (!alive()) {
      const lastWords = server.logs().slice(logStart).trim().split('\n').slice(-3).join(' | ').slice(0, 400);
      failures.push(`${c.name}: SERVER DIED (${server.process.signalCode ?? `exit ${server.process.exitCode}`}) after ${ms} ms; client saw ${describeOutcome(outcome)}; server's last words: ${lastWords}`);
      client.close();
      await start();
      continue;
    }
    if (!c.ok(outcome)) failures.push(`${c.name}: expected ${c.want}, got ${describeOutcome(outcome)} after ${ms} ms`);
    else if (ms > 3000) failures.push(`${c.name}: right answer but took ${ms} ms`);
  }
  return failures;
}

const nested = (depth: number, leaf: string): string => '['.repeat(depth) + leaf + ']'.repeat(depth);
const F32 = 1;
const STR = 7;
const one: ProtoSpec['entries'] = [{ kind: 'fixed', field: 5, values: [0x3f800000n], packed: true }];
const { INVALID_ARGUMENT, NOT_FOUND } = grpc.status;

describe('inputs that could take the process down', () => {
  test('REST: tensors of more than 254 dims and huge preallocation claims', async () => {
    const N = 100_000;
    const failures = await runDangerous([
      restCase('REST columnar tensor of rank 255', '/v1/models/dtypes:predict', () => `{"inputs":${nested(255, '1')}}`, [400]),
      restCase('REST columnar tensor of rank 300, unknown-rank signature', '/v1/models/dtypes:predict', () => `{"signature_name":"unknown_rank","inputs":${nested(300, '1')}}`, [400]),
      restCase('REST row tensor of rank 255 (254 per instance)', '/v1/models/dtypes:predict', () => `{"instances":[${nested(254, '1')}]}`, [400]),
      restCase('REST tensor of rank 254 (the limit) on the unknown-rank signature', '/v1/models/dtypes:predict', () => `{"signature_name":"unknown_rank","inputs":${nested(254, '1')}}`, [200]),
      restCase(`REST columnar: first row of ${N} numbers, then ${N - 1} rows of one (10^10 elements claimed)`, '/v1/models/dtypes:predict', () => `{"inputs":[[${new Array(N).fill('1').join(',')}]${',[1]'.repeat(N - 1)}]}`, [400]),
      restCase('REST strings of rank 255', '/v1/models/dtypes:predict', () => `{"signature_name":"bytes_out","inputs":${nested(255, '"a"')}}`, [400]),
    ]);
    expect(failures).toEqual([]);
    await expectHealthy();
  }, 120000);

  test('gRPC: shapes and element claims TensorFlow must never see', async () => {
    const failures = await runDangerous([
      grpcCase('string tensor claiming 2^28 elements with one string_val', () => predictBytes('dtypes', 'bytes_out', [['s', tensorBytes(STR, [2n ** 28n], [{ kind: 'string', values: [Buffer.from('A')] }])]]), [INVALID_ARGUMENT]),
      grpcCase('float dims [2^52-1, 2^52-1, 0]: product overflows int64 before the 0', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(F32, [2n ** 52n - 1n, 2n ** 52n - 1n, 0n])]]), [INVALID_ARGUMENT]),
      grpcCase('float dims [0, 2^52, 2^52] (valid: 0 elements)', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(F32, [0n, 2n ** 52n, 2n ** 52n])]]), [grpc.status.OK, INVALID_ARGUMENT]),
      grpcCase('float tensor claiming 2^40 elements with one float_val', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(F32, [2n ** 40n], one)]]), [INVALID_ARGUMENT]),
      grpcCase('float tensor claiming 2^40 elements with 4 bytes of tensor_content', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(F32, [2n ** 40n], [], new Uint8Array(4))]]), [INVALID_ARGUMENT]),
      grpcCase('dims [-1]', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(F32, [-1n], one)]]), [INVALID_ARGUMENT]),
      grpcCase('255 dims of 1', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(F32, new Array(255).fill(1n), one)]]), [INVALID_ARGUMENT]),
      grpcCase('254 dims of 1 (the limit)', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(F32, new Array(254).fill(1n), one)]]), [grpc.status.OK]),
      grpcCase('dtype 9999', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(9999, [1n], one)]]), [INVALID_ARGUMENT]),
      grpcCase('DT_RESOURCE', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(20, [1n], [{ kind: 'payload', field: 14 }])]]), [INVALID_ARGUMENT]),
      grpcCase('DT_VARIANT', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(21, [1n], [{ kind: 'payload', field: 15 }])]]), [INVALID_ARGUMENT]),
      grpcCase('DT_FLOAT_REF (101)', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(101, [1n], one)]]), [INVALID_ARGUMENT]),
      grpcCase('tensor_content 1 byte short', () => predictBytes('dtypes', 'unknown_rank', [['x', tensorBytes(F32, [2n], [], new Uint8Array(7))]]), [INVALID_ARGUMENT]),
      grpcCase('string tensor_content with a length beyond its end', () => predictBytes('dtypes', 'bytes_out', [['s', tensorBytes(STR, [1n], [], Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1]))]]), [INVALID_ARGUMENT]),
      grpcCase('a string where a float goes', () => predictBytes('dtypes', '', [['x', tensorBytes(STR, [1n, 3n], [{ kind: 'string', values: [Buffer.from('a')] }])]]), [INVALID_ARGUMENT]),
      grpcCase('every input of echo_all as DT_STRING', () => predictBytes('dtypes', 'echo_all', ['f32', 'f64', 'f16', 'i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'b', 's'].map((k) => [k, tensorBytes(STR, [1n], [{ kind: 'string', values: [Buffer.from('a')] }])])), [INVALID_ARGUMENT]),
      grpcCase('10,000 output_filter entries, all the same', () => predictBytes('dtypes', '', [['x', tensorBytes(F32, [1n, 3n], one)]], new Array(10000).fill('y')), [INVALID_ARGUMENT]),
      grpcCase('an input alias of 1 MB', () => predictBytes('dtypes', '', [['x'.repeat(1 << 20), tensorBytes(F32, [1n, 3n], one)]]), [INVALID_ARGUMENT]),
      grpcCase('5,000 inputs', () => predictBytes('dtypes', '', Array.from({ length: 5000 }, (_, i) => [`in${i}`, tensorBytes(F32, [1n], one)] as [string, Uint8Array])), [INVALID_ARGUMENT]),
      grpcCase('a model name of 256 KB', () => predictBytes('m'.repeat(256 * 1024), '', [['x', tensorBytes(F32, [1n, 3n], one)]]), [NOT_FOUND]),
      grpcCase('a model name with NUL and ../', () => predictBytes('../../etc/passwd\0', '', [['x', tensorBytes(F32, [1n, 3n], one)]]), [NOT_FOUND]),
      grpcCase('version -1', () => predictBytes('dtypes', '', [['x', tensorBytes(F32, [1n, 3n], one)]], [], (w) => w.uint32(tag(2, LEN)).fork().uint32(tag(1, VARINT)).int64(-1).ldelim()), [NOT_FOUND]),
      grpcCase('version 2^63-1', () => predictBytes('dtypes', '', [['x', tensorBytes(F32, [1n, 3n], one)]], [], (w) => w.uint32(tag(2, LEN)).fork().uint32(tag(1, VARINT)).int64('9223372036854775807').ldelim()), [NOT_FOUND]),
      grpcCase('a version label of 64 KB', () => predictBytes('add_sub', '', [['x', tensorBytes(F32, [1n], one)]], [], (w) => w.uint32(tag(4, LEN)).string('l'.repeat(65536))), [INVALID_ARGUMENT]),
    ]);
    expect(failures).toEqual([]);
    await expectHealthy();
  }, 180000);

  test('gRPC: 150 random adversarial TensorProtos (fast-check, fixed seed) get OK or INVALID_ARGUMENT', async () => {
    const specs = fc.sample(specArb, { numRuns: 150, seed: 0xbad5eed });
    const cases = specs.map((spec, i): DangerCase => {
      const { bytes } = materialize(spec);
      const sig = ['unknown_rank', 'bytes_out', 'scalar', ''][i % 4];
      const alias = sig === 'bytes_out' ? 's' : 'x';
      return {
        ...grpcCase(`random TensorProto #${i} to ${sig || 'serving_default'} (${Buffer.from(bytes).toString('base64')})`, () => predictBytes('dtypes', sig, [[alias, bytes]]), [grpc.status.OK, INVALID_ARGUMENT]),
      };
    });
    // Batches of 10 run concurrently; a crash is retried one by one to name the request that caused it.
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += 10) {
      const batch = cases.slice(i, i + 10);
      const outcomes = await Promise.all(batch.map((c) => c.run()));
      await new Promise((r) => setTimeout(r, 100));
      if (!alive()) {
        client.close();
        await start();
        failures.push(...(await runDangerous(batch)));
        continue;
      }
      batch.forEach((c, j) => {
        if (!c.ok(outcomes[j])) failures.push(`${c.name}: expected ${c.want}, got ${describeOutcome(outcomes[j])}`);
      });
    }
    expect(failures).toEqual([]);
    await expectHealthy();
  }, 180000);
});
