#!/usr/bin/env node
// Soak test (issue 8): the real server under mixed valid and invalid traffic, gRPC and REST, while
// model versions are swapped in and out, for a configurable time. Every --sample-seconds it records
// requests served, outcomes by protocol and code, p99 latency of the window, unexpected outcomes (a
// valid request failing, an invalid one getting the wrong code) and the server's RSS
// (/proc/<pid>/status VmRSS). At the end it appends a section to bench/SOAK.md.
//
// Usage: node bench/soak.js [--minutes 10] [--concurrency 8] [--sample-seconds 10] [--swap-seconds 15]
//                           [--out bench/SOAK.md] [--no-write]
// Needs the compiled server (npx tsc -p tsconfig.json) and the test fixtures (.cache/test-models,
// exported on first use with .venv's TensorFlow). Not a CI test: it only reports.
//
// Live TensorFlow tensors / sessions (SavedModelServable.stats()) are not exposed over the network,
// so the report shows RSS only.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const ROOT = path.resolve(__dirname, '..');
const MODELS = path.join(ROOT, '.cache/test-models');
const RUNTIME_MODELS = path.join(ROOT, '.cache/runtime-models');
const SERVER_MAIN = path.join(ROOT, 'dist/cli/main.js');

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const o = { minutes: 10, concurrency: 8, sampleSeconds: 10, swapSeconds: 15, out: path.join(ROOT, 'bench/SOAK.md'), write: true };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=');
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--minutes': o.minutes = Number(value()); break;
      case '--concurrency': o.concurrency = Number(value()); break;
      case '--sample-seconds': o.sampleSeconds = Number(value()); break;
      case '--swap-seconds': o.swapSeconds = Number(value()); break;
      case '--out': o.out = path.resolve(value()); break;
      case '--no-write': o.write = false; break;
      case '--help':
      case '-h':
        console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 14).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
        process.exit(0);
        break;
      default:
        console.error(`unknown argument ${argv[i]} (see --help)`);
        process.exit(2);
    }
  }
  if (!(o.minutes > 0) || !(o.concurrency >= 1) || !(o.sampleSeconds > 0)) {
    console.error('--minutes, --concurrency and --sample-seconds must be positive');
    process.exit(2);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

function ensureFixtures() {
  console.log('exporting the test fixtures (.cache/test-models, .cache/runtime-models) with TensorFlow, unless up to date...');
  execFileSync(path.join(ROOT, '.venv/bin/python'), [path.join(ROOT, 'python/export_test_models.py'), '--out', MODELS], {
    stdio: 'inherit',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  // reshape_2x2: requests that TensorFlow itself rejects at run time, after taking their bytes.
  execFileSync(path.join(ROOT, '.venv/bin/python'), [path.join(ROOT, 'python/export_runtime_models.py'), '--out', RUNTIME_MODELS], {
    stdio: 'inherit',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
}

// ---------------------------------------------------------------------------------------------
// The server

function startServer(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [SERVER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let up = false;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start within 120 s:\n${out.slice(-2000)}`));
    }, 120000);
    const onData = (d) => {
      out += d.toString();
      if (out.length > 4e6) out = out.slice(-2e6); // keep the tail of a long run's log
      if (!up && /Running gRPC ModelServer at/.test(out)) {
        up = true;
        clearTimeout(timer);
        resolve({ proc, logs: () => out });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code, signal) => {
      if (!up) {
        clearTimeout(timer);
        reject(new Error(`server exited (${code ?? signal}) before listening:\n${out.slice(-2000)}`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Traffic

const def = protoLoader.loadSync(['tensorflow_serving/apis/prediction_service.proto', 'tensorflow_serving/apis/model_service.proto'], {
  includeDirs: [path.join(ROOT, 'proto')],
  keepCase: true,
  longs: String,
  enums: String,
  oneofs: true,
});
const pkg = grpc.loadPackageDefinition(def).tensorflow.serving;

const floatTensor = (values, shape) => ({ dtype: 'DT_FLOAT', tensor_shape: { dim: shape.map((s) => ({ size: String(s) })) }, float_val: values });

/**
 * The request mix: weight, protocol, what a correct server answers (`expect`), and the call. gRPC
 * outcomes are status names, REST ones HTTP status codes as strings.
 */
function requestKinds(ctx) {
  const grpcCall = (req) => () =>
    new Promise((resolve) => {
      ctx.prediction.Predict(req, { deadline: Date.now() + 30000 }, (err, res) => resolve(err ? { code: grpc.status[err.code], details: err.details } : { code: 'OK', res }));
    });
  const rawGrpc = (bytes) => () =>
    new Promise((resolve) => {
      ctx.raw.makeUnaryRequest('/tensorflow.serving.PredictionService/Predict', (b) => b, (b) => b, bytes, { deadline: Date.now() + 30000 }, (err) =>
        resolve(err ? { code: grpc.status[err.code], details: err.details } : { code: 'OK' }),
      );
    });
  const rest = (urlPath, body) => () =>
    new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: ctx.restPort, method: 'POST', path: urlPath, agent: ctx.agent, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ code: String(res.statusCode), details: text.slice(0, 200) }));
      });
      req.setTimeout(30000, () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ code: `error:${e.code || e.message}`, details: e.message }));
      req.end(body);
    });
  const rejected = Buffer.alloc(1 << 20); // 262144 floats: Reshape to [2, 2] fails inside TensorFlow
  const bigBody = JSON.stringify({ instances: new Array(120000).fill([1.5, 2.5, 3.5]) }); // > 1 MiB
  return [
    { name: 'grpc dtypes predict', weight: 26, proto: 'grpc', expect: 'OK', run: grpcCall({ model_spec: { name: 'dtypes' }, inputs: { x: floatTensor([1, 2, 3, 4, 5, 6], [2, 3]) } }), valid: true },
    { name: 'grpc swap predict (version swapping)', weight: 20, proto: 'grpc', expect: 'OK', run: grpcCall({ model_spec: { name: 'swap' }, inputs: { input_x: floatTensor([1, 2, 3], [3]), input_y: floatTensor([1, 1, 1], [3]) } }), valid: true },
    { name: 'grpc dtypes int64_math', weight: 4, proto: 'grpc', expect: 'OK', run: grpcCall({ model_spec: { name: 'dtypes', signature_name: 'int64_math' }, inputs: { a: { dtype: 'DT_INT64', tensor_shape: { dim: [{ size: '2' }] }, int64_val: ['1', '9007199254740993'] }, f64: { dtype: 'DT_DOUBLE', tensor_shape: { dim: [{ size: '2' }] }, double_val: [0.5, 1.5] } } }), valid: true },
    { name: 'grpc unknown model', weight: 4, proto: 'grpc', expect: 'NOT_FOUND', run: grpcCall({ model_spec: { name: 'nope' }, inputs: { x: floatTensor([1], [1]) } }) },
    { name: 'grpc wrong dtype', weight: 4, proto: 'grpc', expect: 'INVALID_ARGUMENT', run: grpcCall({ model_spec: { name: 'dtypes' }, inputs: { x: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: '1' }, { size: '3' }] }, string_val: [Buffer.from('a')] } } }) },
    { name: 'grpc unknown input alias', weight: 3, proto: 'grpc', expect: 'INVALID_ARGUMENT', run: grpcCall({ model_spec: { name: 'dtypes' }, inputs: { nope: floatTensor([1, 2, 3], [1, 3]) } }) },
    { name: 'grpc content length mismatch', weight: 3, proto: 'grpc', expect: 'INVALID_ARGUMENT', run: grpcCall({ model_spec: { name: 'dtypes' }, inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '1' }, { size: '3' }] }, tensor_content: Buffer.alloc(11) } } }) },
    { name: 'grpc 1 MiB input TensorFlow rejects', weight: 2, proto: 'grpc', expect: 'INVALID_ARGUMENT', run: grpcCall({ model_spec: { name: 'reshape_2x2' }, inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: String(rejected.length / 4) }] }, tensor_content: rejected } } }) },
    { name: 'grpc malformed protobuf', weight: 3, proto: 'grpc', expect: 'INTERNAL', run: rawGrpc(Buffer.from([0x0a, 0xff, 0xff, 0x12])) },
    { name: 'rest dtypes predict', weight: 16, proto: 'rest', expect: '200', run: rest('/v1/models/dtypes:predict', '{"instances":[[1,2,3],[4,5,6]]}'), valid: true },
    { name: 'rest swap predict', weight: 6, proto: 'rest', expect: '200', run: rest('/v1/models/swap:predict', '{"inputs":{"input_x":[1,2,3],"input_y":[1,1,1]}}'), valid: true },
    { name: 'rest junk JSON', weight: 3, proto: 'rest', expect: '400', run: rest('/v1/models/dtypes:predict', '{"instances": [1, 2,') },
    { name: 'rest wrong type', weight: 2, proto: 'rest', expect: '400', run: rest('/v1/models/dtypes:predict', '{"instances":[["a","b","c"]]}') },
    { name: 'rest unknown model', weight: 3, proto: 'rest', expect: '404', run: rest('/v1/models/nope:predict', '{"instances":[1]}') },
    { name: 'rest body over the limit', weight: 1, proto: 'rest', expect: '413', run: rest('/v1/models/dtypes:predict', bigBody) },
  ];
}

function pick(kinds, total) {
  let r = Math.random() * total;
  for (const k of kinds) {
    r -= k.weight;
    if (r < 0) return k;
  }
  return kinds[kinds.length - 1];
}

// ---------------------------------------------------------------------------------------------
// Version swaps: copy a version in (the atomic way), wait until it serves, remove the old one.

async function swapper(ctx, swapDir, state) {
  const sources = [path.join(MODELS, 'add_sub/1'), path.join(MODELS, 'add_sub/2')];
  let next = 2;
  while (!state.stopping) {
    await sleep(ctx.swapMs);
    if (state.stopping) break;
    const version = next++;
    const tmp = path.join(swapDir, `.incoming-${version}`);
    fs.cpSync(sources[version % 2], tmp, { recursive: true });
    fs.renameSync(tmp, path.join(swapDir, String(version)));
    const added = Date.now();
    // Wait (bounded) for the new version to answer, then remove every older folder.
    while (!state.stopping && Date.now() - added < 30000 && state.latestSwapVersionSeen < version) await sleep(100);
    state.swapLatencies.push(state.latestSwapVersionSeen >= version ? Date.now() - added : NaN);
    for (const name of fs.readdirSync(swapDir)) {
      if (/^\d+$/.test(name) && Number(name) < version) fs.rmSync(path.join(swapDir, name), { recursive: true, force: true });
    }
    state.swaps++;
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run npx tsc -p tsconfig.json first`);
  ensureFixtures();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-soak-'));
  const swapDir = path.join(tmp, 'swap');
  fs.mkdirSync(swapDir, { recursive: true });
  fs.cpSync(path.join(MODELS, 'add_sub/1'), path.join(swapDir, '1'), { recursive: true });
  const config = path.join(tmp, 'models.config');
  fs.writeFileSync(
    config,
    `model_config_list {
  config { name: "dtypes" base_path: "${path.join(MODELS, 'dtypes')}" model_platform: "tensorflow" }
  config { name: "swap" base_path: "${swapDir}" model_platform: "tensorflow" }
  config { name: "reshape_2x2" base_path: "${path.join(RUNTIME_MODELS, 'reshape_2x2')}" model_platform: "tensorflow" }
}
`,
  );
  const [grpcPort, restPort] = [await freePort(), await freePort()];
  const args = [`--port=${grpcPort}`, `--rest_api_port=${restPort}`, `--model_config_file=${config}`, '--file_system_poll_wait_seconds=1', '--rest_api_max_request_bytes=1048576'];
  const command = `node bench/soak.js ${process.argv.slice(2).join(' ')}`.trim();
  console.log(`soak: ${opts.minutes} min, concurrency ${opts.concurrency}, samples every ${opts.sampleSeconds} s, a version swap every ${opts.swapSeconds} s`);
  const startedAt = new Date();
  const server = await startServer(args);
  const pid = server.proc.pid;
  const target = `127.0.0.1:${grpcPort}`;
  const ctx = {
    restPort,
    swapMs: opts.swapSeconds * 1000,
    prediction: new pkg.PredictionService(target, grpc.credentials.createInsecure()),
    raw: new grpc.Client(target, grpc.credentials.createInsecure()),
    agent: new http.Agent({ keepAlive: true, maxSockets: opts.concurrency }),
  };
  const kinds = requestKinds(ctx);
  const totalWeight = kinds.reduce((a, k) => a + k.weight, 0);
  const state = { stopping: false, swaps: 0, latestSwapVersionSeen: 1, swapLatencies: [] };
  const totals = { requests: 0, byCode: {}, unexpected: 0, unexpectedSamples: [] };
  let win = { requests: 0, byCode: {}, latencies: [], validLatencies: [], unexpected: 0 };
  const samples = [];
  const rssStart = rssMiB(pid);
  const t0 = Date.now();
  const endAt = t0 + opts.minutes * 60000;
  let serverDied = false;
  server.proc.once('exit', (code, signal) => {
    if (!state.stopping) {
      serverDied = `exit ${code ?? signal}`;
      state.stopping = true;
    }
  });

  async function worker() {
    while (!state.stopping && Date.now() < endAt) {
      const k = pick(kinds, totalWeight);
      const start = process.hrtime.bigint();
      const out = await k.run();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const key = `${k.proto}:${out.code}`;
      win.requests++;
      totals.requests++;
      win.byCode[key] = (win.byCode[key] || 0) + 1;
      totals.byCode[key] = (totals.byCode[key] || 0) + 1;
      win.latencies.push(ms);
      if (k.valid) win.validLatencies.push(ms);
      if (out.code !== k.expect) {
        win.unexpected++;
        totals.unexpected++;
        if (totals.unexpectedSamples.length < 20) totals.unexpectedSamples.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${k.name}: expected ${k.expect}, got ${out.code} ${String(out.details || '').slice(0, 160)}`);
      }
      if (k.name.startsWith('grpc swap') && out.res) {
        const v = Number(out.res.model_spec.version && out.res.model_spec.version.value);
        if (v > state.latestSwapVersionSeen) state.latestSwapVersionSeen = v;
      }
    }
  }

  const sampler = setInterval(() => {
    const lat = win.latencies.sort((a, b) => a - b);
    const valid = win.validLatencies.sort((a, b) => a - b);
    const s = {
      t: Math.round((Date.now() - t0) / 1000),
      requests: win.requests,
      rps: win.requests / opts.sampleSeconds,
      byCode: win.byCode,
      unexpected: win.unexpected,
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      p99Valid: pct(valid, 99),
      rss: rssMiB(pid),
      swaps: state.swaps,
    };
    samples.push(s);
    console.log(
      `t=${String(s.t).padStart(4)}s  ${String(s.requests).padStart(6)} req (${fmt(s.rps, 0)}/s)  p50 ${fmt(s.p50)} ms  p99 ${fmt(s.p99)} ms (valid ${fmt(s.p99Valid)})  unexpected ${s.unexpected}  RSS ${fmt(s.rss, 0)} MiB  swaps ${s.swaps}  ${JSON.stringify(s.byCode)}`,
    );
    win = { requests: 0, byCode: {}, latencies: [], validLatencies: [], unexpected: 0 };
  }, opts.sampleSeconds * 1000);

  const swapping = swapper(ctx, swapDir, state);
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  state.stopping = true;
  clearInterval(sampler);
  await swapping;
  const rssEnd = rssMiB(pid);
  const stopStart = Date.now();
  let stopResult = 'already exited';
  if (!serverDied) {
    stopResult = await new Promise((resolve) => {
      const timer = setTimeout(() => {
        server.proc.kill('SIGKILL');
        resolve('did not exit within 30 s of SIGTERM (killed)');
      }, 30000);
      server.proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(`exited ${code ?? signal} ${Date.now() - stopStart} ms after SIGTERM`);
      });
      server.proc.kill('SIGTERM');
    });
  }
  ctx.prediction.close();
  ctx.raw.close();
  ctx.agent.destroy();
  fs.rmSync(tmp, { recursive: true, force: true });

  // Summary.
  const rssValues = samples.map((s) => s.rss).filter(Number.isFinite);
  const rssMax = Math.max(...rssValues);
  // RSS trend after the first minute (warm-up), least squares, MiB per minute.
  const later = samples.filter((s) => s.t >= 60 && Number.isFinite(s.rss));
  let slope = NaN;
  if (later.length >= 3) {
    const xs = later.map((s) => s.t / 60);
    const ys = later.map((s) => s.rss);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  }
  const swapLat = state.swapLatencies.filter(Number.isFinite).sort((a, b) => a - b);
  const lines = [];
  lines.push(`## Soak run ${startedAt.toISOString().replace(/\.\d+Z$/, 'Z')}`);
  lines.push('');
  lines.push(`\`${command}\` — ${opts.minutes} min, ${opts.concurrency} concurrent clients, a version swap every ${opts.swapSeconds} s, samples every ${opts.sampleSeconds} s.`);
  lines.push(`Machine: ${os.cpus().length} CPUs (${os.cpus()[0] ? os.cpus()[0].model : 'unknown'}), ${fmt(os.totalmem() / 2 ** 30, 0)} GiB; Node ${process.version}.`);
  lines.push('Models: `dtypes` (fixed) and `swap` (add_sub versions copied in by rename and the old one removed once the new one answers).');
  lines.push('Traffic: ' + kinds.map((k) => `${k.name} ${Math.round((100 * k.weight) / totalWeight)}% (→ ${k.expect})`).join(', ') + '.');
  lines.push('');
  lines.push(`- requests: ${totals.requests} (${fmt(totals.requests / ((Date.now() - t0) / 1000), 0)}/s), unexpected outcomes: **${totals.unexpected}**${serverDied ? `; **the server died: ${serverDied}**` : ''}`);
  lines.push(`- outcomes: ${Object.entries(totals.byCode).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`- version swaps: ${state.swaps}; new version answering ${fmt(pct(swapLat, 50), 0)} ms (median) / ${fmt(swapLat[swapLat.length - 1], 0)} ms (max) after its rename`);
  lines.push(`- server RSS: ${fmt(rssStart, 0)} MiB at start, ${fmt(rssMax, 0)} MiB max, ${fmt(rssEnd, 0)} MiB at the end; trend after the first minute ${fmt(slope, 2)} MiB/min`);
  lines.push(`- shutdown: ${stopResult}`);
  lines.push('- live TensorFlow tensors / sessions: not exposed over the network (SavedModelServable.stats() is in-process only); RSS is the leak signal here');
  if (totals.unexpectedSamples.length) {
    lines.push('');
    lines.push('Unexpected outcomes (first 20):');
    lines.push('');
    for (const u of totals.unexpectedSamples) lines.push(`    ${u}`);
  }
  lines.push('');
  lines.push('| t (s) | requests | req/s | p50 ms | p99 ms | p99 valid ms | unexpected | RSS MiB | swaps | outcomes |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const s of samples) {
    const codes = Object.entries(s.byCode).sort().map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`| ${s.t} | ${s.requests} | ${fmt(s.rps, 0)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.p99Valid)} | ${s.unexpected} | ${fmt(s.rss, 0)} | ${s.swaps} | ${codes} |`);
  }
  lines.push('');
  const section = lines.join('\n');
  console.log(`\n${section}`);
  if (opts.write) {
    const header = '# Soak runs\n\n`bench/soak.js` (not a CI test): mixed valid and invalid gRPC and REST traffic against the real server while versions are swapped, sampled every 10 s. Each run appends a section.\n\n';
    const existing = fs.existsSync(opts.out) ? fs.readFileSync(opts.out, 'utf8') : header;
    fs.writeFileSync(opts.out, `${existing.replace(/\n*$/, '\n\n')}${section}`);
    console.log(`appended to ${path.relative(ROOT, opts.out)}`);
  }
  process.exit(serverDied || totals.unexpected > 0 ? 1 : 0);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(2);
});
