/**
 * The TensorFlow runtime under the server (native/, src/runtime/tensorflow): failed runs free their
 * inputs, runs of one session proceed concurrently, TensorFlow's status codes reach the client,
 * session options act, op libraries load (TF-Text by default), and TensorFlow's profiler answers on
 * the gRPC port. Real server processes, real TensorFlow, models exported by
 * python/export_runtime_models.py.
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

const MODELS = path.join(REPO, '.cache/runtime-models');
const NAMES = ['reshape_2x2', 'read_file', 'rendezvous', 'while_loop', 'tf_text', 'text_format', 'xla_jit'];

let tmp: string;
let config: string;
let srv: ServerProcess;
let client: TestClient;
let restPort: number;

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const threadCount = (pid: number): number => Number(/Threads:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

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
  fs.writeFileSync(
    config,
    `model_config_list {\n${NAMES.map((n) => `  config { name: "${n}" base_path: "${path.join(MODELS, n)}" model_platform: "tensorflow" }\n`).join('')}}\n`,
  );
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
    fs.writeFileSync(textOnly, `model_config_list { config { name: "tf_text" base_path: "${path.join(MODELS, 'tf_text')}" model_platform: "tensorflow" } }\n`);
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
    fs.writeFileSync(xlaConfig, `model_config_list { config { name: "xla_jit" base_path: "${path.join(MODELS, 'xla_jit')}" model_platform: "tensorflow" } }\n`);
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
