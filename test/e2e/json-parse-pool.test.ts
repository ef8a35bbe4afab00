import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../helpers/paths';
import type * as PoolModule from '../../src/rest/json-parse-pool';
import { parsePredictRequest } from '../../src/rest-json/predict-request';

/**
 * The REST front end's JSON parse threads, compiled as the server runs them (dist/, real worker
 * threads): a large :predict body costs the calling thread a small fraction of an inline parse, and
 * gives the same tensors.
 */
const { JsonParsePool } = require(path.join(REPO, 'dist/rest/json-parse-pool.js')) as typeof PoolModule;

/** CPU seconds of this process's main thread (its tid is the pid), from /proc. */
function mainThreadCpu(): number {
  const stat = fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const specs = new Map([['x', { dtype: 1 }]]);
const lookup = () => specs;
const signatures = () => new Map([['serving_default', specs]]);
// One 224x224x3 image of floats in [0, 1) with 4 decimals, as a REST client sends it: about 1 MB. It names
// its signature, which keeps it off the numeric fast path (a body of nothing but one array): this measures
// the general parser, the one whose cost the parse threads exist for.
const image = Array.from({ length: 224 }, (_, i) => Array.from({ length: 224 }, (_, j) => [0, 1, 2].map((c) => ((i * 7 + j * 3 + c) % 10000) / 10000)));
const body = Buffer.from(JSON.stringify({ signature_name: 'serving_default', instances: [image] }));

test('a 1 MB image parses on a parse thread: same tensor as inline, a fraction of the calling thread\'s CPU', async () => {
  const pool = new JsonParsePool(2);
  const inline = parsePredictRequest(body, lookup);
  const offThread = await pool.parse(Buffer.from(body), signatures); // starts the threads
  expect(offThread.format).toBe('row');
  const [a, b] = [inline.inputs.get('x')!, offThread.inputs.get('x')!];
  expect(b.shape).toEqual([1, 224, 224, 3]);
  expect(b.dtype).toBe(a.dtype);
  expect(Buffer.compare(Buffer.from((b as { bytes: Uint8Array }).bytes), Buffer.from((a as { bytes: Uint8Array }).bytes))).toBe(0);

  const runs = 20;
  const bodies = Array.from({ length: runs }, () => Buffer.from(body)); // each moves to a parse thread
  let t = mainThreadCpu();
  for (let i = 0; i < runs; i++) parsePredictRequest(body, lookup);
  const inlineCpu = mainThreadCpu() - t;
  t = mainThreadCpu();
  await Promise.all(bodies.map((b) => pool.parse(b, signatures)));
  const pooledCpu = mainThreadCpu() - t;
  console.log(`${runs} parses of a ${(body.length / 1e6).toFixed(1)} MB image: calling thread ${inlineCpu.toFixed(2)} s inline, ${pooledCpu.toFixed(2)} s with parse threads`);
  // Measured: a tenth (Node 20) to a third (Node 24, whose inline parse is faster); inline would be all of it.
  expect(pooledCpu).toBeLessThan(inlineCpu / 2);
}, 60000);

test('small bodies parse inline, and parse errors keep the inline wording', async () => {
  const pool = new JsonParsePool(1);
  await expect(pool.parse(Buffer.from('{"instances": [1.0, }'), signatures)).rejects.toThrow(/^JSON Parse error: .* at offset: 20$/);
  const big = Buffer.from(`{"instances": [${'1.0,'.repeat(40000)}]}`);
  let inlineMessage = '';
  try {
    parsePredictRequest(big, lookup);
  } catch (err) {
    inlineMessage = (err as Error).message;
  }
  expect(inlineMessage).toMatch(/^JSON Parse error: /);
  await expect(pool.parse(big, signatures)).rejects.toThrow(inlineMessage);
});

test('a parse in flight keeps the process alive; idle parse threads never do', () => {
  // A process with nothing but a parse to wait for: it must print the result, then exit by itself.
  const script = `
const { JsonParsePool } = require(${JSON.stringify(path.join(REPO, 'dist/rest/json-parse-pool.js'))});
const pool = new JsonParsePool(1);
const body = Buffer.from(JSON.stringify({ instances: Array.from({ length: 30000 }, (_, i) => i) }));
pool.parse(body, () => new Map([['serving_default', new Map([['x', { dtype: 1 }]])]])).then((r) => console.log(JSON.stringify(r.inputs.get('x').shape)));`;
  const out = execFileSync(process.execPath, ['-e', script], { timeout: 20000 }).toString();
  expect(out).toBe('[30000]\n');
});
