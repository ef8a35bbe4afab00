/**
 * --per_process_gpu_memory_fraction, --mixed_precision and --xla_gpu_compilation_enabled on a real
 * server (CPU only): it starts and serves with them, warns about none of them, and TensorFlow computes
 * what it computes in Python under the same ConfigProto. Models and TensorFlow's answers come from
 * python/export_session_flag_models.py.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { PYTHON, REPO } from '../helpers/paths';
import { startServer } from '../helpers/server-process';
import { writeModelConfig } from '../helpers/model-config';

// 1 + 2^-10 and 2 + 2^-9 need more than bfloat16's 8 significant bits.
const X = [
  [1.0009765625, 0],
  [2, 0.001953125],
];

let tmp: string;
let config: string;
/** matmul's y from TensorFlow in Python: without and with the bfloat16 rewrite. */
let answers: { fp32: number[]; bf16: number[] };

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'session-flags-'));
  const out = execFileSync(PYTHON, [path.join(REPO, 'python/export_session_flag_models.py'), tmp, JSON.stringify(X)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    timeout: 120000,
  });
  answers = JSON.parse(out) as typeof answers;
  expect(answers.fp32).toEqual([1.0009765625, 2.001953125]);
  config = path.join(tmp, 'models.config');
  writeModelConfig(config, ['matmul', 'xla_jit'].map((n) => [n, path.join(tmp, n)] as const));
}, 180000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function serve(flags: string[], check: (c: TestClient, logs: () => string) => Promise<void>): Promise<void> {
  const s = await startServer([`--model_config_file=${config}`, ...flags]);
  const c = new TestClient(s.target);
  try {
    await check(c, s.logs);
  } finally {
    c.close();
    expect(await s.stop()).toBe(0);
  }
}

const matmul = (c: TestClient) => c.predict({ model_spec: { name: 'matmul' }, inputs: { x: floatTensor(X.flat(), [2, 2]) } });
const xla = (c: TestClient) => c.predict({ model_spec: { name: 'xla_jit' }, inputs: { x: floatTensor([1, 2]) } });

test('--per_process_gpu_memory_fraction=0.5 --mixed_precision=bfloat16, with a session config file and thread flags: loads and serves, computing as TensorFlow does with the bfloat16 rewrite', async () => {
  const sessionConfig = path.join(tmp, 'session.pbtxt');
  fs.writeFileSync(sessionConfig, 'gpu_options { allow_growth: true }\ngraph_options { rewrite_options { auto_mixed_precision_onednn_bfloat16: OFF } }\n');
  await serve(
    ['--per_process_gpu_memory_fraction=0.5', '--mixed_precision=bfloat16', `--tensorflow_session_config_file=${sessionConfig}`, '--tensorflow_session_parallelism=2'],
    async (c, logs) => {
      const r = await matmul(c);
      expect(r.ok).toBe(true);
      // The flag's ON wins over the file's OFF, as in TF Serving.
      if (r.ok) expect(r.response.outputs.y.float_val).toEqual(answers.bf16);
      console.log(
        answers.bf16[0] === answers.fp32[0]
          ? 'this CPU has no oneDNN bfloat16: the rewrite is requested but TensorFlow leaves the graph in float32'
          : `the bfloat16 rewrite acts on this CPU: y = ${JSON.stringify(answers.bf16)} instead of ${JSON.stringify(answers.fp32)}`,
      );
      // XLA JIT stays off without either XLA flag.
      const off = await xla(c);
      expect(off.ok).toBe(false);
      if (!off.ok) expect(off.error.details).toContain('XLA compilation disabled');
      // TF Serving's line at each SavedModel load; no flag reported as ignored.
      expect(logs().match(/Running inference with bfloat16 auto mixed precision/g)).toHaveLength(2);
      expect(logs()).not.toMatch(/is ignored|not implemented/);
    },
  );
}, 180000);

test('--mixed_precision=float16 warns at each load and computes in float32; --xla_gpu_compilation_enabled turns XLA JIT on, as in TF Serving', async () => {
  await serve(['--mixed_precision=float16', '--xla_gpu_compilation_enabled', '--per_process_gpu_memory_fraction=0.25'], async (c, logs) => {
    const r = await matmul(c);
    expect(r.ok && r.response.outputs.y.float_val).toEqual(answers.fp32);
    const on = await xla(c);
    expect(on.ok && on.response.outputs.y.float_val).toEqual([3, 5]);
    expect(logs().match(/float16 auto mixed precision is not supported\. Valid option: bfloat16/g)).toHaveLength(2);
    expect(logs()).not.toMatch(/is ignored|not implemented/);
  });
}, 180000);
