#!/usr/bin/env node
'use strict';
/**
 * Start-up time with many models (issue 19): from the process's start until its gRPC port opens, which
 * happens once every configured model is loaded. Copies of a small real model (half_plus_two from TF
 * Serving's test data), one model name per copy, loaded
 *   side by side   the default: TF Serving's 4 x cores initial load threads (--num_initial_load_threads)
 *   one at a time  --num_initial_load_threads=1, what this server did before
 * in alternating order, each measured --rounds times; the median is printed.
 *
 * usage: node bench/startup.js [--models 1,10,50] [--rounds 3]   (after `npm run setup`)
 * Prints a Markdown table; absolute figures drift between machines, the ratio is what counts.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const COUNTS = opt('models', '1,10,50').split(',').map(Number);
const ROUNDS = Number(opt('rounds', 3));
const HALF_PLUS_TWO = path.resolve(root, '../shared/testdata/tf_serving/saved_model_half_plus_two_cpu');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Milliseconds from spawn to "Running gRPC ModelServer", then the server is stopped. */
async function timeToReady(config, extra) {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [path.join(root, 'dist/cli/main.js'), `--port=${port}`, `--model_config_file=${config}`, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ms = await new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      if (/Running gRPC ModelServer/.test(out)) resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited ${code}:\n${out.slice(-2000)}`)));
  });
  child.removeAllListeners('exit');
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (!fs.existsSync(HALF_PLUS_TWO)) throw new Error(`${HALF_PLUS_TWO} is missing (TF Serving's test data, ../shared)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
  const rows = [];
  try {
    for (const n of COUNTS) {
      const config = path.join(tmp, `models-${n}.config`);
      const entries = Array.from({ length: n }, (_, i) => `  config { name: "m${i}" base_path: "${HALF_PLUS_TWO}" model_platform: "tensorflow" }`);
      fs.writeFileSync(config, `model_config_list {\n${entries.join('\n')}\n}\n`);
      const side = [];
      const serial = [];
      for (let r = 0; r < ROUNDS; r++) {
        // Alternate which goes first, so a warmer page cache favours neither.
        const order = r % 2 === 0 ? [[side, []], [serial, ['--num_initial_load_threads=1']]] : [[serial, ['--num_initial_load_threads=1']], [side, []]];
        for (const [into, extra] of order) into.push(await timeToReady(config, extra));
      }
      rows.push({ n, side: median(side), serial: median(serial) });
      process.stderr.write(`[startup] ${n} models: side by side ${median(side).toFixed(0)} ms, one at a time ${median(serial).toFixed(0)} ms\n`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const cores = os.availableParallelism();
  console.log(`## Start-up with many models (\`node bench/startup.js --models ${COUNTS.join(',')} --rounds ${ROUNDS}\`, ${cores} cores)\n`);
  console.log(`Time from process start to the gRPC port opening (every model loaded), median of ${ROUNDS}.\n`);
  console.log(`| models | side by side (default: ${4 * cores} initial load threads) | one at a time (\`--num_initial_load_threads=1\`) | ratio |`);
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.n} | ${(r.side / 1000).toFixed(2)} s | ${(r.serial / 1000).toFixed(2)} s | ${(r.serial / r.side).toFixed(2)}x |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
