#!/usr/bin/env node
'use strict';
/**
 * The runtime's memory benchmarks (issue 11), against real server processes:
 *
 *   failed runs   RSS of a server before and after N requests of 1 MiB that TensorFlow rejects at run
 *                 time (reshape_2x2 from python/export_runtime_models.py);
 *   many models   RSS and thread count of a server holding 1, 10, 100 and 500 copies of a tiny model
 *                 (half_plus_two from TF Serving's test data, one model name per copy), and the
 *                 same models loaded in one Python TensorFlow process, side by side.
 *
 * usage: node bench/runtime.js [--failed N] [--models 1,10,100,500]   (after `npm run setup`)
 * Prints a Markdown table; absolute figures drift between machines, the per-model slope is what counts.
 */
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const root = path.resolve(__dirname, '..');
const PYTHON = path.join(root, '.venv/bin/python');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const FAILED = Number(opt('failed', 2000));
const COUNTS = opt('models', '1,10,100,500').split(',').map(Number);
const HALF_PLUS_TWO = path.resolve(root, '../shared/testdata/tf_serving/saved_model_half_plus_two_cpu');
const status = (pid, key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const rssMiB = (pid) => status(pid, 'VmRSS') / 1024;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(config) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'dist/cli/main.js'), `--port=${port}`, `--model_config_file=${config}`, '--num_load_threads=2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      if (/Running gRPC ModelServer/.test(out)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited ${code}:\n${out.slice(-2000)}`)));
  });
  child.removeAllListeners('exit');
  return { child, target: `127.0.0.1:${port}` };
}

function stop(child) {
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function client(target) {
  const def = protoLoader.loadSync('tensorflow_serving/apis/prediction_service.proto', { includeDirs: [path.join(root, 'proto')], keepCase: true, longs: String });
  const pkg = grpc.loadPackageDefinition(def);
  return new pkg.tensorflow.serving.PredictionService(target, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
}

const predict = (c, req) => new Promise((resolve) => c.Predict(req, (err, res) => resolve(err ?? res)));

function writeConfig(dir, entries) {
  const file = path.join(dir, 'models.config');
  fs.writeFileSync(file, `model_config_list {\n${entries.map(([n, p]) => `  config { name: "${n}" base_path: "${p}" model_platform: "tensorflow" }`).join('\n')}\n}\n`);
  return file;
}

async function failedRuns(tmp) {
  const models = path.join(root, '.cache/runtime-models');
  execFileSync(PYTHON, [path.join(root, 'python/export_runtime_models.py'), '--out', models], { stdio: 'ignore', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  const { child, target } = await startServer(writeConfig(tmp, [['reshape_2x2', path.join(models, 'reshape_2x2')]]));
  const c = client(target);
  const values = Buffer.alloc(1 << 20);
  const req = { model_spec: { name: 'reshape_2x2' }, inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: String(values.length / 4) }] }, tensor_content: values } } };
  for (let i = 0; i < 20; i++) await predict(c, req);
  const before = rssMiB(child.pid);
  let rejected = 0;
  for (let i = 0; i < FAILED; i += 4) {
    const rs = await Promise.all([predict(c, req), predict(c, req), predict(c, req), predict(c, req)]);
    rejected += rs.filter((r) => r && r.code === grpc.status.INVALID_ARGUMENT).length;
  }
  const after = rssMiB(child.pid);
  c.close();
  await stop(child);
  return { rejected, before, after };
}

async function manyModels(tmp, n) {
  const config = writeConfig(tmp, Array.from({ length: n }, (_, i) => [`m${i}`, HALF_PLUS_TWO]));
  const { child } = await startServer(config);
  await new Promise((r) => setTimeout(r, 1000));
  const result = { rss: rssMiB(child.pid), threads: status(child.pid, 'Threads') };
  await stop(child);
  return result;
}

function pythonManyModels(n) {
  const code = `
import sys, resource, tensorflow as tf
models = [tf.saved_model.load(sys.argv[1]) for _ in range(int(sys.argv[2]))]
status = open('/proc/self/status').read()
rss = int(status.split('VmRSS:')[1].split()[0]) / 1024
threads = int(status.split('Threads:')[1].split()[0])
print(rss, threads)
`;
  const out = execFileSync(PYTHON, ['-c', code, path.join(HALF_PLUS_TWO, '00000123'), String(n)], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 1 << 24,
  });
  const [rss, threads] = out.trim().split('\n').pop().split(/\s+/).map(Number);
  return { rss, threads };
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-runtime-'));
  try {
    const f = await failedRuns(tmp);
    console.log(`## Failed runs\n\n${f.rejected} of ${FAILED} requests of 1 MiB rejected by TensorFlow (INVALID_ARGUMENT from Reshape)\n`);
    console.log(`| RSS before | RSS after | growth |\n|---|---|---|\n| ${f.before.toFixed(0)} MiB | ${f.after.toFixed(0)} MiB | ${(f.after - f.before).toFixed(1)} MiB |\n`);
    console.log('## Many models (half_plus_two copies)\n\n| models | server RSS | server threads | Python TF RSS | Python TF threads |\n|---|---|---|---|---|');
    const rows = [];
    for (const n of COUNTS) {
      const s = await manyModels(tmp, n);
      const p = pythonManyModels(n);
      rows.push({ n, s, p });
      console.log(`| ${n} | ${s.rss.toFixed(0)} MiB | ${s.threads} | ${p.rss.toFixed(0)} MiB | ${p.threads} |`);
    }
    if (rows.length > 1) {
      const a = rows[0];
      const b = rows[rows.length - 1];
      const per = (x, y) => ((y - x) / (b.n - a.n)).toFixed(2);
      console.log(`\nPer added model, ${a.n} → ${b.n}: server ${per(a.s.rss, b.s.rss)} MiB, Python TF ${per(a.p.rss, b.p.rss)} MiB; server threads ${a.s.threads} → ${b.s.threads}.`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
