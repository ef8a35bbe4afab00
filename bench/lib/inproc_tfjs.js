#!/usr/bin/env node
'use strict';
/**
 * Row (b): our runtime without a server. Loads the SavedModel through the compiled dist/ loader
 * (SavedModelServable over the native runtime addon, linked against TensorFlow's C library) and
 * calls run() in a loop at a fixed batch size, exactly like row (a) does in Python:
 * one caller, same kind of input, rows per second = batch x calls / s, latency = one run().
 *
 * usage: node inproc_tfjs.js ROOT MANIFEST MODEL
 * Loads the model, prints READY, then reads commands from stdin, one a line:
 *   BATCH DURATION_S WARMUP_S    -> one JSON line {batch, calls, elapsed_s, lat_ms: [...]}
 * and exits at end of input.
 */
const path = require('node:path');
const fs = require('node:fs');
const readline = require('node:readline');

/** As in inproc_tf.py: at least this many calls whatever the duration. */
const MIN_CALLS = 5;

async function main() {
  const [root, manifestPath, model] = process.argv.slice(2);
  const { SavedModelServable } = require(path.join(root, 'dist/loaders/saved-model/saved-model-servable.js'));
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const m = manifest.models[model];
  const servable = await SavedModelServable.load(m.export_dir, ['serve']);
  const sig = servable.signatures.get(manifest.signature);
  const feedName = sig.inputs.get(m.input).name;
  const fetchNames = m.outputs.map((k) => sig.outputs.get(k).name);
  const rowElems = m.row_shape.reduce((a, b) => a * b, 1);
  let seed = 1234;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  const feeds = new Map();
  console.log('READY');
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const [batch, durationS, warmupS] = line.trim().split(/\s+/).map(Number);
    if (!feeds.has(batch)) {
      const data = new Float32Array(batch * rowElems);
      for (let i = 0; i < data.length; i++) data[i] = rowElems === 1 ? 1 : rand();
      feeds.set(batch, { dtype: 1 /* DT_FLOAT */, shape: [batch, ...m.row_shape], bytes: new Uint8Array(data.buffer) });
    }
    const feed = feeds.get(batch);
    const call = () => servable.run([feedName], [feed], fetchNames);
    await call();
    const warmEnd = performance.now() + warmupS * 1000;
    while (performance.now() < warmEnd) await call();
    const lat = [];
    const start = performance.now();
    const end = start + durationS * 1000;
    for (;;) {
      const t0 = performance.now();
      await call();
      const t1 = performance.now();
      lat.push(Math.round((t1 - t0) * 1e4) / 1e4);
      if (t1 >= end && lat.length >= MIN_CALLS) break;
    }
    const elapsed = (performance.now() - start) / 1000;
    console.log(JSON.stringify({ batch, calls: lat.length, elapsed_s: elapsed, lat_ms: lat }));
  }
  await servable.unload();
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
