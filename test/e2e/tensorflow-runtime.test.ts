/**
 * The TensorFlow runtime under the server (native/, src/runtime/tensorflow): failed runs free their
 * inputs, runs of one session proceed concurrently, TensorFlow's status codes reach the client,
 * session options act, op libraries load (TF-Text by default), TensorFlow's profiler answers on
 * the gRPC port, and nothing a request or a model holds crashes or hangs the process. Real server
 * processes, the real addon (in child processes where a broken addon would abort), real TensorFlow,
 * models exported by python/export_runtime_models.py.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { request } from '../helpers/http-client';
import { PYTHON, REPO } from '../helpers/paths';
import { ServerProcess, freePort, runServer, startServer } from '../helpers/server-process';
import { writeModelConfig } from '../helpers/model-config';
import { Code } from '../../src/errors/status-code';
import { ADDON_PATH, NativeFeed, loadAddon } from '../../src/runtime/tensorflow/native-addon';
import { captureProfile } from '../../src/runtime/tensorflow/profiler';

const MODELS = path.join(REPO, '.cache/runtime-models');
const NAMES = ['reshape_2x2', 'read_file', 'rendezvous', 'while_loop', 'tf_text', 'text_format', 'xla_jit', 'huge_output', 'bad_output_name'];
const TFLITE_ADDON = path.join(REPO, 'native/tflite/build/Release/tflite_binding.node');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const floats = (b: Uint8Array): number[] => Array.from(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4));

let tmp: string;
let config: string;
let srv: ServerProcess;
let client: TestClient;
let restPort: number;

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const threadCount = (pid: number): number => Number(/Threads:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

interface ChildOutcome {
  code: number | null;
  signal: string | null;
  result?: Record<string, unknown>;
  stderr: string;
}

/**
 * Runs `body` (an async function body) in a fresh node process, with the addon as `addon`, the models
 * folder as `M`, `outcome(promise)` and `attempt(fn)` (each `{ok, value}` or `{code, message}`); what
 * it returns comes back as JSON. A child process, because an addon that does not check what it is
 * given aborts the whole process.
 */
function inChild(body: string, nodeArgs: string[] = []): Promise<ChildOutcome> {
  const script = `
const addon = require(${JSON.stringify(ADDON_PATH)});
const M = ${JSON.stringify(MODELS)};
const failed = (e) => ({ code: e.tfCode, message: e.message });
const outcome = (p) => p.then((value) => ({ ok: true, value }), failed);
const attempt = (f) => { try { return { ok: true, value: f() }; } catch (e) { return failed(e); } };
(async () => { ${body} })().then((r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n'));`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...nodeArgs, '-e', script],
      { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, timeout: 120000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
        const e = err as (Error & { code?: number | string; signal?: string }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, result: line ? JSON.parse(line.slice(7)) : undefined, stderr });
      },
    );
  });
}

/** The child exited normally and answered; otherwise fail with how it ended and its last words. */
function survived(r: ChildOutcome): Record<string, unknown> {
  if (r.code !== 0 || r.signal !== null || !r.result) {
    throw new Error(`child ended with code ${r.code}, signal ${r.signal}:\n${r.stderr.split('\n').slice(-15).join('\n')}`);
  }
  return r.result;
}

function python(code: string, args: string[]): string {
  return execFileSync(PYTHON, ['-c', code, ...args], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, encoding: 'utf8', timeout: 120000 });
}

beforeAll(async () => {
  execFileSync(PYTHON, [path.join(REPO, 'python/export_runtime_models.py'), '--out', MODELS], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-runtime-'));
  config = path.join(tmp, 'models.config');
  writeModelConfig(config, NAMES.map((n) => [n, path.join(MODELS, n)] as const));
  restPort = await freePort();
  srv = await startServer([`--model_config_file=${config}`, `--rest_api_port=${restPort}`]);
  client = new TestClient(srv.target);
}, 180000);

afterAll(async () => {
  client?.close();
  await srv?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('failed runs', () => {
  test('inputs of runs TensorFlow rejects are freed: 300 rejected 1 MiB requests, RSS grows < 64 MiB', async () => {
    const values = new Float32Array(262144); // 1 MiB, not 4 values: Reshape refuses it in TensorFlow
    const x = { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: String(values.length) }] }, tensor_content: Buffer.from(values.buffer) };
    const send = () => client.predict({ model_spec: { name: 'reshape_2x2' }, inputs: { x } });
    for (let i = 0; i < 20; i++) await send(); // allocator warm-up
    const before = rssMiB(srv.process.pid!);
    for (let i = 0; i < 300; i += 4) {
      const results = await Promise.all([send(), send(), send(), send()]);
      for (const r of results) {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.error.code).toBe('INVALID_ARGUMENT');
          expect(r.error.details).toContain('Input to reshape is a tensor with 262144 values, but the requested shape has 4');
        }
      }
    }
    const grown = rssMiB(srv.process.pid!) - before;
    console.log(`RSS after 300 rejected 1 MiB runs: ${grown.toFixed(1)} MiB more than before`);
    expect(grown).toBeLessThan(64);
    // The model still answers a good request.
    const ok = await client.predict({ model_spec: { name: 'reshape_2x2' }, inputs: { x: floatTensor([1, 2, 3, 4]) } });
    expect(ok.ok && ok.response.outputs.y.float_val).toEqual([1, 2, 3, 4]);
  }, 120000);
});

describe('concurrent runs of one session', () => {
  test('a run blocked in TensorFlow does not hold up a second run of the same version', async () => {
    // `take` waits in a FIFOQueue until `put` enqueues: with one run at a time it could never finish.
    const take = client.predictWithDeadline({ model_spec: { name: 'rendezvous', signature_name: 'take' }, inputs: { unused: floatTensor([0], []) } }, 20000);
    await new Promise((r) => setTimeout(r, 300));
    const put = await client.predict({ model_spec: { name: 'rendezvous', signature_name: 'put' }, inputs: { x: floatTensor([42], []) } });
    expect(put.ok).toBe(true);
    const taken = await take;
    expect(taken.ok && taken.response.outputs.y.float_val).toEqual([42]);
  }, 30000);

  test('a server stopped while a run is blocked in TensorFlow still exits promptly', async () => {
    const s = await startServer([`--model_config_file=${config}`, '--drain_timeout_seconds=1']);
    const c = new TestClient(s.target);
    const take = c.predictWithDeadline({ model_spec: { name: 'rendezvous', signature_name: 'take' }, inputs: { unused: floatTensor([0], []) } }, 20000);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const code = await s.stop();
    const took = Date.now() - t0;
    c.close();
    expect(code).toBe(0);
    expect(took).toBeLessThan(10000);
    expect((await take).ok).toBe(false);
  }, 30000);

  test('two sequential while_loop runs in parallel (timing printed, not asserted)', async () => {
    const n = floatTensor([0], []);
    const req = { model_spec: { name: 'while_loop' }, inputs: { n: { ...n, dtype: 'DT_INT32', float_val: undefined, int_val: [200000] } } };
    const t0 = Date.now();
    expect((await client.predict(req)).ok).toBe(true);
    const one = Date.now() - t0;
    const t1 = Date.now();
    const both = await Promise.all([client.predict(req), client.predict(req)]);
    const two = Date.now() - t1;
    expect(both.every((r) => r.ok)).toBe(true);
    console.log(`while_loop: one run ${one} ms, two in parallel ${two} ms (${(two / one).toFixed(2)}x of one)`);
  }, 60000);
});

describe("TensorFlow's status codes", () => {
  const missing = '/nonexistent/definitely/missing.txt';

  test('NOT_FOUND from tf.io.read_file of a missing file, over gRPC and REST', async () => {
    const r = await client.predict({ model_spec: { name: 'read_file' }, inputs: { path: { dtype: 'DT_STRING', string_val: [Buffer.from(missing)] } } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('NOT_FOUND');
      expect(r.error.details).toContain(`${missing}; No such file or directory`);
    }
    const rest = await request(restPort, 'POST', '/v1/models/read_file:predict', JSON.stringify({ inputs: { path: missing } }));
    expect(rest.status).toBe(404);
    expect(JSON.parse(rest.text).error).toContain(`${missing}; No such file or directory`);
  });

  test('INVALID_ARGUMENT from a bad shape, over gRPC and REST', async () => {
    const r = await client.predict({ model_spec: { name: 'reshape_2x2' }, inputs: { x: floatTensor([1, 2, 3]) } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('INVALID_ARGUMENT');
      expect(r.error.details).toContain('Input to reshape is a tensor with 3 values, but the requested shape has 4');
    }
    const rest = await request(restPort, 'POST', '/v1/models/reshape_2x2:predict', JSON.stringify({ instances: [1, 2, 3] }));
    expect(rest.status).toBe(400);
    expect(JSON.parse(rest.text).error).toContain('Input to reshape is a tensor with 3 values, but the requested shape has 4');
  });

  test('a file that exists is read', async () => {
    const file = path.join(tmp, 'hello.txt');
    fs.writeFileSync(file, 'hello, runtime');
    const r = await client.predict({ model_spec: { name: 'read_file' }, inputs: { path: { dtype: 'DT_STRING', string_val: [Buffer.from(file)] } } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(Buffer.from((r.response.outputs.contents.string_val as Buffer[])[0]).toString()).toBe('hello, runtime');
  });
});

describe('text SavedModels', () => {
  test('a version folder with only saved_model.pbtxt loads, serves and reports its signature', async () => {
    expect(fs.existsSync(path.join(MODELS, 'text_format/1/saved_model.pb'))).toBe(false);
    const r = await client.predict({ model_spec: { name: 'text_format' }, inputs: { x: floatTensor([1, 2, 5]) } });
    expect(r.ok && r.response.outputs.y.float_val).toEqual([2.5, 3, 4.5]);
    const meta = await request(restPort, 'GET', '/v1/models/text_format/metadata');
    const sig = JSON.parse(meta.text).metadata.signature_def.signature_def.serving_default;
    expect(sig.inputs.x.dtype).toBe('DT_FLOAT');
    expect(sig.outputs.y.dtype).toBe('DT_FLOAT');
    expect(sig.method_name).toBe('tensorflow/serving/predict');
  });
});

describe('op libraries', () => {
  test('a TF-Text model serves with default flags (official Python client)', () => {
    const out = python(
      `
import sys, json, grpc, tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(sys.argv[1]))
req = predict_pb2.PredictRequest()
req.model_spec.name = "tf_text"
req.inputs["text"].CopyFrom(tf.make_tensor_proto(["hello tensorflow serving", "drop in"]))
res = stub.Predict(req, 30)
print(json.dumps({"tokens": [t.decode() for t in tf.make_ndarray(res.outputs["tokens"]).flatten()],
                  "counts": tf.make_ndarray(res.outputs["counts"]).tolist()}))
`,
      [srv.target],
    );
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ tokens: ['hello', 'tensorflow', 'serving', 'drop', 'in', ''], counts: [3, 2] });
  }, 120000);

  test('--custom_op_libraries with a bad path stops start-up with a message naming the file', async () => {
    const bad = path.join(tmp, 'no_such_ops.so');
    const r = await runServer([`--port=${await freePort()}`, `--model_config_file=${config}`, `--custom_op_libraries=${bad}`]);
    expect(r.code).toBe(255);
    expect(r.stdout).toContain(`Failed to start server. Error: NOT_FOUND: Failed to load op library ${bad}: ${bad}: cannot open shared object file: No such file or directory`);
  });

  test('without TF-Text (--load_tensorflow_text_ops=false) the TF-Text model fails to load with TensorFlow\'s message', async () => {
    const textOnly = path.join(tmp, 'text.config');
    writeModelConfig(textOnly, [['tf_text', path.join(MODELS, 'tf_text')]]);
    const r = await runServer([`--port=${await freePort()}`, `--model_config_file=${textOnly}`, '--load_tensorflow_text_ops=false', '--max_num_load_retries=0']);
    expect(r.code).toBe(255);
    expect(r.stdout + r.stderr).toContain("Op type not registered 'TFText>WhitespaceTokenizeWithOffsetsV2'");
  });
});

describe('session options', () => {
  async function threadsWith(flags: string[]): Promise<{ threads: number; logs: string }> {
    const s = await startServer([`--model_config_file=${config}`, ...flags]);
    try {
      // One run creates TensorFlow's pools.
      await new TestClient(s.target).predict({ model_spec: { name: 'reshape_2x2' }, inputs: { x: floatTensor([1, 2, 3, 4]) } });
      return { threads: threadCount(s.process.pid!), logs: s.logs() };
    } finally {
      await s.stop();
    }
  }

  test('thread flags are accepted without a warning and change TensorFlow\'s thread count', async () => {
    const one = await threadsWith(['--tensorflow_intra_op_parallelism=1', '--tensorflow_inter_op_parallelism=1']);
    const many = await threadsWith(['--tensorflow_session_parallelism=12']);
    console.log(`threads: intra=inter=1 -> ${one.threads}; session_parallelism=12 -> ${many.threads}`);
    expect(one.logs).not.toContain('not implemented');
    expect(many.logs).not.toContain('not implemented');
    expect(many.logs).toContain('up to 12 runs at once');
    // 12 inter-op + 12 intra-op TensorFlow threads and 12 run threads against 1 + 1 + 2.
    expect(many.threads - one.threads).toBeGreaterThanOrEqual(20);
  }, 120000);

  test('--tensorflow_session_config_file: a text ConfigProto acts; a bad one stops start-up with the parser\'s message', async () => {
    const good = path.join(tmp, 'session.pbtxt');
    fs.writeFileSync(good, 'inter_op_parallelism_threads: 12\nintra_op_parallelism_threads: 12\n');
    const fromFile = await threadsWith([`--tensorflow_session_config_file=${good}`]);
    const base = await threadsWith(['--tensorflow_session_parallelism=1']);
    expect(fromFile.threads - base.threads).toBeGreaterThanOrEqual(15);
    const bad = path.join(tmp, 'bad-session.pbtxt');
    fs.writeFileSync(bad, 'inter_op_parallelism_thread: 2\n');
    const r = await runServer([`--port=${await freePort()}`, `--model_config_file=${config}`, `--tensorflow_session_config_file=${bad}`]);
    expect(r.code).toBe(255);
    expect(r.stdout).toContain(`Failed to start server. Error: INVALID_ARGUMENT: Invalid ConfigProto in ${bad}`);
    expect(r.stdout).toContain('inter_op_parallelism_thread');
  }, 180000);
});

describe('XLA', () => {
  test('XLA JIT is off unless --xla_cpu_compilation_enabled, as in TF Serving', async () => {
    const req = { model_spec: { name: 'xla_jit' }, inputs: { x: floatTensor([1, 2]) } };
    const off = await client.predict(req);
    expect(off.ok).toBe(false);
    if (!off.ok) expect(off.error.details).toContain('XLA compilation disabled');
    const xlaConfig = path.join(tmp, 'xla.config');
    writeModelConfig(xlaConfig, [['xla_jit', path.join(MODELS, 'xla_jit')]]);
    const s = await startServer([`--model_config_file=${xlaConfig}`, '--xla_cpu_compilation_enabled']);
    const c = new TestClient(s.target);
    try {
      const on = await c.predict(req);
      expect(on.ok && on.response.outputs.y.float_val).toEqual([3, 5]);
    } finally {
      c.close();
      await s.stop();
    }
  }, 120000);
});

describe('profiler', () => {
  test("TensorFlow's profiler client captures a trace from the gRPC port", async () => {
    const logdir = path.join(tmp, 'profile');
    let tracing = true;
    const load = (async () => {
      while (tracing) {
        await client.predict({ model_spec: { name: 'reshape_2x2' }, inputs: { x: floatTensor([1, 2, 3, 4]) } });
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    // Asynchronous, so this test keeps sending requests while the trace runs.
    await promisify(execFile)(PYTHON, ['-c', 'import sys, tensorflow as tf\ntf.profiler.experimental.client.trace("grpc://" + sys.argv[1], sys.argv[2], 1500)', srv.target, logdir], {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
      timeout: 120000,
    }).finally(() => (tracing = false));
    await load;
    const root = path.join(logdir, 'plugins', 'profile');
    const sessions = fs.readdirSync(root);
    expect(sessions).toHaveLength(1);
    const files = fs.readdirSync(path.join(root, sessions[0]));
    const xplane = files.filter((f) => f.endsWith('.xplane.pb'));
    expect(xplane).toHaveLength(1);
    // The trace holds the session runs made meanwhile.
    const trace = fs.readFileSync(path.join(root, sessions[0], xplane[0]));
    expect(trace.includes(Buffer.from('SessionRun'))).toBe(true);
  }, 120000);
});

describe('shapes and names TensorFlow would abort on', () => {
  test('refused shapes are INVALID_ARGUMENT: over 254 dims, element count or byte size past 64 bits', async () => {
    const r = survived(
      await inChild(`
const { session } = await addon.loadSavedModel(M + '/reshape_2x2/1', ['serve']);
const run = (feed) => outcome(addon.run(session, [feed], ['serving_default_x:0'], ['PartitionedCall:0']));
const values = (o) => o.ok ? Array.from(new Float32Array(o.value[0].data.buffer, o.value[0].data.byteOffset, 4)) : o;
const unaligned = new Uint8Array(17);
unaligned.set(new Uint8Array(new Float32Array([5, 6, 7, 8]).buffer), 1);
return {
  rank255: await run({ dtype: 1, shape: new Array(255).fill(1), data: new Uint8Array(4) }),
  prefixOverflow: await run({ dtype: 1, shape: [2 ** 32, 2 ** 32, 0], data: new Uint8Array(0) }),
  doublesWrap: await run({ dtype: 2, shape: [2 ** 61], data: new Uint8Array(0) }),
  floatsWrap: await run({ dtype: 1, shape: [2 ** 62], data: new Uint8Array(0) }),
  strings: await run({ dtype: 7, shape: [2 ** 32, 2 ** 32, 0], strings: [] }),
  fractional: await run({ dtype: 1, shape: [4.5], data: new Uint8Array(16) }),
  good: values(await run({ dtype: 1, shape: [4], data: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) })),
  unaligned: values(await run({ dtype: 1, shape: [4], data: unaligned.subarray(1) })),
};`),
    );
    const refused = (message: string) => ({ code: Code.INVALID_ARGUMENT, message });
    expect(r).toEqual({
      rank255: refused('Tensor shape has 255 dimensions; TensorFlow allows at most 254'),
      prefixOverflow: refused('Tensor shape [4294967296,4294967296,0] has more than 2^63 - 1 elements'),
      doublesWrap: refused('Tensor shape [2305843009213693952] of dtype 2 needs more than 2^63 - 1 bytes'),
      floatsWrap: refused('Tensor shape [4611686018427387904] of dtype 1 needs more than 2^63 - 1 bytes'),
      strings: refused('Tensor shape [4294967296,4294967296,0] has more than 2^63 - 1 elements'),
      fractional: refused('tensor dims must be non-negative integers'),
      good: [1, 2, 3, 4],
      unaligned: [5, 6, 7, 8],
    });
  }, 120000);

  test('a tensor name with an index past INT_MAX is not in the graph (addon and a SignatureDef naming one)', async () => {
    const r = survived(
      await inChild(`
const { session } = await addon.loadSavedModel(M + '/reshape_2x2/1', ['serve']);
const feed = { dtype: 1, shape: [4], data: new Uint8Array(16) };
return {
  fetch: await outcome(addon.run(session, [feed], ['serving_default_x:0'], ['PartitionedCall:99999999999'])),
  feed: await outcome(addon.run(session, [feed], ['serving_default_x:99999999999'], ['PartitionedCall:0'])),
};`),
    );
    const notFound = (name: string) => ({ code: Code.INVALID_ARGUMENT, message: `Tensor ${name}, specified in either feed_devices or fetch_devices was not found in the Graph` });
    expect(r).toEqual({ fetch: notFound('PartitionedCall:99999999999'), feed: notFound('serving_default_x:99999999999') });

    const p = await client.predict({ model_spec: { name: 'bad_output_name' }, inputs: { x: floatTensor([1, 2, 3, 4]) } });
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.error.code).toBe('INVALID_ARGUMENT');
      expect(p.error.details).toContain('Tensor PartitionedCall:99999999999, specified in either feed_devices or fetch_devices was not found in the Graph');
    }
    const ok = await client.predict({ model_spec: { name: 'reshape_2x2' }, inputs: { x: floatTensor([1, 2, 3, 4]) } });
    expect(ok.ok).toBe(true);
  }, 120000);
});

describe('outputs', () => {
  test('an output larger than a JavaScript buffer is RESOURCE_EXHAUSTED, and the server keeps serving', async () => {
    // tf.raw_ops.Empty(init=False): 4 GiB + 2 bytes TensorFlow allocates but never touches.
    const shape = { dtype: 'DT_INT32', tensor_shape: { dim: [{ size: '2' }] }, int_val: [3, 1431655766] };
    const r = await client.predict({ model_spec: { name: 'huge_output' }, inputs: { shape } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('RESOURCE_EXHAUSTED');
      expect(r.error.details).toContain('output of 4294967298 bytes is over the 4294967296 bytes a JavaScript buffer can hold');
    }
    const small = await client.predict({ model_spec: { name: 'huge_output' }, inputs: { shape: { ...shape, int_val: [2, 3] } } });
    expect(small.ok && small.response.outputs.y.tensor_shape).toEqual({ dim: [{ size: '2' }, { size: '3' }] });
  }, 60000);

  test("an output that is a constant comes back as a copy: writing into it leaves the graph's constant alone", async () => {
    const addon = loadAddon();
    const { session } = await addon.loadSavedModel(path.join(MODELS, 'constant/1'), ['serve']);
    try {
      const feed: NativeFeed = { dtype: 1, shape: [1], data: new Uint8Array(4) };
      const [first] = await addon.run(session, [feed], ['serving_default_x:0'], ['PartitionedCall:0']);
      expect(floats(first.data)).toEqual([1, 2, 3, 4]);
      new Float32Array(first.data.buffer, first.data.byteOffset, 4).fill(99);
      const [second] = await addon.run(session, [feed], ['serving_default_x:0'], ['PartitionedCall:0']);
      expect(floats(second.data)).toEqual([1, 2, 3, 4]);
      expect(floats(first.data)).toEqual([99, 99, 99, 99]);
    } finally {
      await addon.closeSession(session);
    }
  });
});

describe('deadlines inside TensorFlow', () => {
  test('a run blocked in TensorFlow ends at the deadline (gRPC Predict, REST, MultiInference) and gives its run thread back', async () => {
    const rest = await freePort();
    const s = await startServer([`--model_config_file=${config}`, '--tensorflow_session_parallelism=2', `--rest_api_port=${rest}`, '--rest_api_timeout_in_ms=1000']);
    const c = new TestClient(s.target);
    try {
      expect(s.logs()).toContain('up to 2 runs at once');
      // `take` waits on an empty queue for ever: three of them, more than the two run threads.
      const take = { model_spec: { name: 'rendezvous', signature_name: 'take' }, inputs: { unused: floatTensor([0], []) } };
      const grpcTakes = await Promise.all([0, 1, 2].map(() => c.predictWithDeadline(take, 1000)));
      expect(grpcTakes.map((r) => (r.ok ? 'OK' : r.error.code))).toEqual(['DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED']);
      const body = JSON.stringify({ signature_name: 'take', inputs: { unused: 0 } });
      const restTakes = await Promise.all([0, 1, 2].map(() => request(rest, 'POST', '/v1/models/rendezvous:predict', body)));
      expect(restTakes.map((r) => r.status)).toEqual([504, 504, 504]);
      const regress = {
        tasks: [{ model_spec: { name: 'rendezvous', signature_name: 'take_regress' }, method_name: 'tensorflow/serving/regress' }],
        input: { example_list: { examples: [{}] } },
      };
      const multiTakes = await Promise.all([0, 1, 2].map(() => c.rpc('MultiInference', regress, 1000)));
      expect(multiTakes.map((r) => (r.ok ? 'OK' : r.error.code))).toEqual(['DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED']);
      // Four runs on two threads: they all finish only if the blocked runs came back from TensorFlow.
      const reshape = { model_spec: { name: 'reshape_2x2' }, inputs: { x: floatTensor([1, 2, 3, 4]) } };
      const after = await Promise.all([0, 1, 2, 3].map(() => c.predictWithDeadline(reshape, 15000)));
      expect(after.map((r) => (r.ok ? 'OK' : r.error.code))).toEqual(['OK', 'OK', 'OK', 'OK']);
    } finally {
      c.close();
      await s.stop();
    }
  }, 120000);

  test('--rest_api_timeout_in_ms=0 means no deadline, as in TF Serving', async () => {
    const only = path.join(tmp, 'reshape.config');
    writeModelConfig(only, [['reshape_2x2', path.join(MODELS, 'reshape_2x2')]]);
    const rest = await freePort();
    const s = await startServer([`--model_config_file=${only}`, `--rest_api_port=${rest}`, '--rest_api_timeout_in_ms=0', '--load_tensorflow_text_ops=false']);
    try {
      const r = await request(rest, 'POST', '/v1/models/reshape_2x2:predict', JSON.stringify({ instances: [1, 2, 3, 4] }));
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text).predictions).toEqual([
        [1, 2],
        [3, 4],
      ]);
    } finally {
      await s.stop();
    }
  }, 60000);
});

describe('session memory and teardown', () => {
  test('closeSession resolves once the session is freed, after its last run', async () => {
    const addon = loadAddon();
    const before = addon.stats().sessions;
    const { session } = await addon.loadSavedModel(path.join(MODELS, 'rendezvous/1'), ['serve']);
    expect(addon.stats().sessions).toBe(before + 1);
    const events: string[] = [];
    const take = addon
      .run(session, [{ dtype: 1, shape: [], data: new Uint8Array(4) }], ['unused:0'], ['take_y:0'], { deadlineMs: Date.now() + 1500 })
      .then(
        () => events.push('take resolved'),
        (e: { tfCode?: number }) => events.push(`take failed with ${e.tfCode}`),
      );
    await sleep(300);
    const sessionsWhenClosed = await addon.closeSession(session).then(() => {
      events.push('closed');
      return addon.stats().sessions;
    });
    await take;
    expect(events).toEqual([`take failed with ${Code.DEADLINE_EXCEEDED}`, 'closed']);
    expect(sessionsWhenClosed).toBe(before);
  }, 30000);

  test("a loaded session keeps no JavaScript copy of its MetaGraphDef (a 16 MiB constant's worth)", async () => {
    const r = survived(
      await inChild(
        `
const { SavedModelServable } = require(${JSON.stringify(path.join(REPO, 'dist/loaders/saved-model/saved-model-servable.js'))});
const s = await SavedModelServable.load(M + '/constant/1', ['serve']);
for (let i = 0; i < 3; i++) { global.gc(); await new Promise((r) => setTimeout(r, 50)); }
const mib = process.memoryUsage().arrayBuffers / 1048576;
const outputs = [...s.signatures.get('serving_default').outputs.keys()].sort();
await s.unload();
return { mib, outputs };`,
        ['--expose-gc'],
      ),
    );
    console.log(`ArrayBuffer memory with the 16 MiB-constant model loaded: ${(r.mib as number).toFixed(1)} MiB`);
    expect(r.outputs).toEqual(['c', 'y']);
    expect(r.mib).toBeLessThan(8);
  }, 120000);

  test('the addon loads in a worker thread beside the main thread; a worker leaving mid-run harms neither', async () => {
    const r = survived(
      await inChild(`
const { Worker } = require('worker_threads');
const feed = { dtype: 1, shape: [4], data: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) };
const { session } = await addon.loadSavedModel(M + '/reshape_2x2/1', ['serve']);
const runs = async (n) => {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const [y] = await addon.run(session, [feed], ['serving_default_x:0'], ['PartitionedCall:0']);
    if (y.shape.join() === '2,2' && new Float32Array(y.data.buffer, y.data.byteOffset, 4)[3] === 4) ok++;
  }
  return ok;
};
const worker = new Worker(\`
const { parentPort, workerData } = require('worker_threads');
const addon = require(workerData.addon);
(async () => {
  const feed = { dtype: 1, shape: [4], data: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) };
  const { session } = await addon.loadSavedModel(workerData.M + '/reshape_2x2/1', ['serve']);
  let ok = 0;
  for (let i = 0; i < 20; i++) {
    const [y] = await addon.run(session, [feed], ['serving_default_x:0'], ['PartitionedCall:0']);
    if (y.shape.join() === '2,2') ok++;
  }
  // Left blocked in TensorFlow when this environment goes away; it ends (deadline) afterwards.
  const r = await addon.loadSavedModel(workerData.M + '/rendezvous/1', ['serve']);
  addon.run(r.session, [{ dtype: 1, shape: [], data: new Uint8Array(4) }], ['unused:0'], ['take_y:0'], { deadlineMs: Date.now() + 1000 });
  parentPort.postMessage(ok);
})();\`, { eval: true, workerData: { addon: ${JSON.stringify(ADDON_PATH)}, M } });
const [worker_ok, main_ok] = await Promise.all([new Promise((r) => worker.once('message', r)), runs(20)]);
await worker.terminate();
await new Promise((r) => setTimeout(r, 2000));
return { worker_ok, main_ok, after: await runs(3) };`),
    );
    expect(r).toEqual({ worker_ok: 20, main_ok: 20, after: 3 });
  }, 120000);

  test('a session loaded once runs from every thread: a worker opens it by id; closing it anywhere closes it everywhere', async () => {
    const r = survived(
      await inChild(`
const { Worker } = require('worker_threads');
const { session } = await addon.loadSavedModel(M + '/reshape_2x2/1', ['serve']);
const id = addon.shareSession(session);
const sameId = addon.shareSession(session) === id;
const worker = new Worker(\`
const { parentPort, workerData } = require('worker_threads');
const addon = require(workerData.addon);
const failed = (e) => ({ code: e.tfCode, message: e.message });
(async () => {
  const session = addon.openSharedSession(workerData.id);
  const values = [];
  for (let i = 0; i < 20; i++) {
    const x = new Float32Array([i, i + 1, i + 2, i + 3]);
    const [y] = await addon.run(session, [{ dtype: 1, shape: [4], data: new Uint8Array(x.buffer) }], ['serving_default_x:0'], ['PartitionedCall:0']);
    values.push(Array.from(new Float32Array(y.data.buffer, y.data.byteOffset, 4)).join() === Array.from(x).join() && y.shape.join() === '2,2');
  }
  parentPort.postMessage({ ok: values.filter(Boolean).length });
  // Told that the main thread closed the session: this thread's runs are refused, and it cannot be opened again.
  parentPort.once('message', async () => {
    let run, open;
    try { await addon.run(session, [{ dtype: 1, shape: [4], data: new Uint8Array(16) }], ['serving_default_x:0'], ['PartitionedCall:0']); run = 'ran'; } catch (e) { run = failed(e); }
    try { addon.openSharedSession(workerData.id); open = 'opened'; } catch (e) { open = failed(e); }
    parentPort.postMessage({ run, open });
  });
})();\`, { eval: true, workerData: { addon: ${JSON.stringify(ADDON_PATH)}, id } });
const next = () => new Promise((r) => worker.once('message', r));
let mainOk = 0;
const mainRuns = (async () => {
  for (let i = 0; i < 20; i++) {
    const [y] = await addon.run(session, [{ dtype: 1, shape: [4], data: new Uint8Array(new Float32Array([9, 8, 7, 6]).buffer) }], ['serving_default_x:0'], ['PartitionedCall:0']);
    if (Array.from(new Float32Array(y.data.buffer, y.data.byteOffset, 4)).join() === '9,8,7,6') mainOk++;
  }
})();
const [fromWorker] = await Promise.all([next(), mainRuns]);
const before = addon.stats().sessions;
await addon.closeSession(session);
const after = addon.stats().sessions;
worker.postMessage('closed');
const closed = await next();
await worker.terminate();
return { sameId, workerOk: fromWorker.ok, mainOk, freed: before - after, ...closed };`),
    );
    expect(r).toEqual({
      sameId: true,
      workerOk: 20,
      mainOk: 20,
      freed: 1,
      run: { code: 9, message: 'Session was closed' },
      open: { code: 5, message: expect.stringMatching(/^No open session with id \d+ \(closed, or never shared\)$/) as unknown as string },
    });
  }, 120000);
});

describe('handles, run threads and profiler errors', () => {
  test('a TFLite model handle (or any other value) is never taken for a session, nor a session for a TFLite model', async () => {
    const r = survived(
      await inChild(`
const tflite = require(${JSON.stringify(TFLITE_ADDON)});
const model = await tflite.loadModel(require('fs').readFileSync(M + '/tflite_add_one/1/model.tflite'), 1);
const { session } = await addon.loadSavedModel(M + '/reshape_2x2/1', ['serve']);
const result = {
  run: attempt(() => addon.run(model.handle, [], [], ['x:0'])),
  close: attempt(() => addon.closeSession(model.handle)),
  object: attempt(() => addon.run({}, [], [], [])),
  number: attempt(() => addon.closeSession(42)),
  tfliteRun: attempt(() => tflite.run(session, 0, [], [], [])),
  tfliteDelete: attempt(() => tflite.deleteModel(session)),
};
tflite.deleteModel(model.handle);
await addon.closeSession(session);
return result;`),
    );
    expect(r).toEqual({
      run: { code: Code.INVALID_ARGUMENT, message: 'run(session, feeds, feedNames, fetchNames)' },
      close: { code: Code.INVALID_ARGUMENT, message: 'closeSession(session): not a session' },
      object: { code: Code.INVALID_ARGUMENT, message: 'run(session, feeds, feedNames, fetchNames)' },
      number: { code: Code.INVALID_ARGUMENT, message: 'closeSession(session): not a session' },
      tfliteRun: { message: 'run(handle, interpreter, inputPositions, inputs, outputPositions)' },
      tfliteDelete: { message: 'deleteModel(handle)' },
    });
  }, 60000);

  test('configureRuns takes 1 to 1024 threads', async () => {
    const r = survived(
      await inChild(`
return {
  wraps: attempt(() => addon.configureRuns(2 ** 32)),
  over: attempt(() => addon.configureRuns(1025)),
  zero: attempt(() => addon.configureRuns(0)),
  ok: attempt(() => addon.configureRuns(3)),
  threads: addon.stats().runThreads,
};`),
    );
    const refused = { code: Code.INVALID_ARGUMENT, message: 'configureRuns(threads): threads must be 1 to 1024' };
    expect(r).toEqual({ wraps: refused, over: refused, zero: refused, ok: { ok: true }, threads: 3 });
  }, 60000);

  test("a profiler failure keeps TensorFlow's code: a second capture meanwhile is ALREADY_EXISTS", async () => {
    const base = { options: new Uint8Array(0), repositoryRoot: tmp, hostName: 'host', emitXspace: true };
    const first = captureProfile({ ...base, durationMs: 1500, sessionId: 'first' });
    await sleep(300);
    await expect(captureProfile({ ...base, durationMs: 100, sessionId: 'second' })).rejects.toMatchObject({
      code: Code.ALREADY_EXISTS,
      message: expect.stringContaining('Another profiling session active'),
    });
    expect((await first).xspace).toBeDefined();
  }, 30000);
});
