import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestModels, modelDir } from '../helpers/fixtures';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { startLoad as startLoadProcess } from '../helpers/load-process';
import { copyByRename, metadataWalk, slowCopy, waitFor } from '../helpers/model-folders';
import { ServerProcess, startServer } from '../helpers/server-process';

/**
 * New versions go live by copying a numbered folder in, roll back by deleting it, and a broken
 * version never takes the serving one down — with zero failed requests from a client hammering the
 * server from another process throughout.
 */

const INPUTS = { input_x: floatTensor([1, 2]), input_y: floatTensor([10, 20]) };

/** Four clients sending add_sub back to back from their own process (test/helpers/load-client.js). */
const startLoad = (target: string) => startLoadProcess(target, 'add_sub', INPUTS, 4);

let tmp: string;
let base: string;
let server: ServerProcess;
let client: TestClient;

const statuses = async () => {
  const r = await client.status({ model_spec: { name: 'add_sub' } });
  return r.ok ? r.response.model_version_status : [];
};
const stateOf = async (v: number) => (await statuses()).find((s) => s.version === String(v));
const servedVersion = async () => {
  const r = await client.predict({ model_spec: { name: 'add_sub' }, inputs: INPUTS });
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.details}`);
  return { version: Number(r.response.model_spec.version?.value), add: r.response.outputs.result_add.float_val };
};

beforeAll(async () => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-swap-'));
  base = path.join(tmp, 'add_sub');
  fs.mkdirSync(base);
  fs.cpSync(modelDir('add_sub', 1), path.join(base, '1'), { recursive: true });
  server = await startServer([
    '--model_name=add_sub',
    `--model_base_path=${base}`,
    '--file_system_poll_wait_seconds=1',
    '--max_num_load_retries=1',
    '--load_retry_interval_micros=100000',
  ]);
  client = new TestClient(server.target);
});

afterAll(async () => {
  client?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a slowly copied version goes live only once complete; deleting it rolls back; a broken one changes nothing', async () => {
  const load = await startLoad(server.target);
  expect(await servedVersion()).toEqual({ version: 1, add: [11, 22] });

  // Copy version 2 file by file, pausing after saved_model.pb (shorter than the settle period).
  const dest = path.join(base, '2');
  const copying = slowCopy(modelDir('add_sub', 2), dest, 600);
  let sawTwoEarly = false;
  while (!(await Promise.race([copying.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30))]))) {
    if (await stateOf(2)) sawTwoEarly = true;
  }
  const copyDone = Date.now();
  expect(sawTwoEarly).toBe(false);
  await waitFor('version 2 to serve', async () => ((await servedVersion()).version === 2 ? true : undefined));
  const swapMs = Date.now() - copyDone;
  expect(await servedVersion()).toEqual({ version: 2, add: [21, 42] });
  await waitFor('version 1 to unload', async () => ((await stateOf(1))?.state === 'END' ? true : undefined));

  // Roll back: delete version 2, version 1 serves again.
  fs.rmSync(dest, { recursive: true });
  await waitFor('version 1 to serve again', async () => ((await servedVersion()).version === 1 ? true : undefined));
  await waitFor('version 2 to unload', async () => ((await stateOf(2))?.state === 'END' ? true : undefined));

  // A corrupt version 3: its load fails, version 1 keeps serving, and status shows why.
  fs.mkdirSync(path.join(base, '3'));
  fs.writeFileSync(path.join(base, '3', 'saved_model.pb'), 'this is not a SavedModel');
  const failed = await waitFor('version 3 to fail', async () => {
    const s = await stateOf(3);
    return s?.state === 'END' ? s : undefined;
  });
  expect(failed).toEqual({
    version: '3',
    state: 'END',
    status: { error_code: expect.any(String) as unknown as string, error_message: expect.stringContaining('') as unknown as string },
  });
  expect((failed.status as { error_message: string }).error_message.length).toBeGreaterThan(0);
  expect(await servedVersion()).toEqual({ version: 1, add: [11, 22] });
  expect((await stateOf(1))?.state).toBe('AVAILABLE');

  // Fixing the folder (rewriting it) makes the server try it again.
  fs.rmSync(path.join(base, '3'), { recursive: true });
  copyByRename(modelDir('add_sub', 2), path.join(base, '3'));
  await waitFor('fixed version 3 to serve', async () => ((await servedVersion()).version === 3 ? true : undefined));

  const summary = await load.stop();
  console.log(`hot swap: copy finished -> version 2 serving in ${swapMs} ms; ${summary.ok} requests, ${summary.failed} failed`);
  expect(summary.failures).toEqual([]);
  expect(summary.ok).toBeGreaterThan(100);
  expect(Object.keys(summary.versions).sort()).toEqual(['1', '2', '3']);
});

test('ten add/remove cycles under full load: zero failed requests', async () => {
  // Start from a clean folder holding version 1 only.
  for (const v of fs.readdirSync(base)) if (v !== '1') fs.rmSync(path.join(base, v), { recursive: true });
  await waitFor('only version 1 serving', async () => ((await servedVersion()).version === 1 ? true : undefined));
  const load = await startLoad(server.target);
  for (let i = 0; i < 10; i++) {
    copyByRename(modelDir('add_sub', 2), path.join(base, '2'));
    await waitFor(`cycle ${i}: version 2`, async () => ((await servedVersion()).version === 2 ? true : undefined));
    fs.rmSync(path.join(base, '2'), { recursive: true });
    await waitFor(`cycle ${i}: version 1`, async () => ((await servedVersion()).version === 1 ? true : undefined));
  }
  const summary = await load.stop();
  console.log(`swap load test: ${summary.ok} requests over 10 add/remove cycles, ${summary.failed} failed`);
  expect(summary.failures).toEqual([]);
  expect(Object.keys(summary.versions).sort()).toEqual(['1', '2']);
});

/** Back to version 1 alone, serving. */
async function onlyVersionOne(): Promise<void> {
  for (const v of fs.readdirSync(base)) if (v !== '1') fs.rmSync(path.join(base, v), { recursive: true });
  await waitFor('only version 1 serving', async () => ((await servedVersion()).version === 1 ? true : undefined));
  await waitFor('nothing but version 1 loaded', async () =>
    (await statuses()).every((s) => s.version === '1' || s.state === 'END') ? true : undefined,
  );
}

test('copy a version in, then chmod -R and touch everything under the base path: the old version serves until the new one is up', async () => {
  await onlyVersionOne();
  const load = await startLoad(server.target);
  // A plain copy (fresh ctimes), then the permission walk users run so a non-root server can read it,
  // repeated while the new version settles.
  fs.cpSync(modelDir('add_sub', 2), path.join(base, '2'), { recursive: true });
  for (let i = 0; i < 3; i++) {
    metadataWalk(base);
    await new Promise((r) => setTimeout(r, 300));
  }
  // (A failed request here is counted by the load client, not thrown: the summary says how many.)
  await waitFor('version 2 to serve', async () => ((await servedVersion().catch(() => undefined))?.version === 2 ? true : undefined));
  await waitFor('version 1 to unload', async () => ((await stateOf(1))?.state === 'END' ? true : undefined));
  const summary = await load.stop();
  console.log(`hot update with chmod -R/touch: ${summary.ok} requests, ${summary.failed} failed`);
  expect(summary.failures).toEqual([]);
  expect(Object.keys(summary.versions).sort()).toEqual(['1', '2']);
});

test('touching the serving version alone unloads nothing and fails nothing', async () => {
  await onlyVersionOne();
  const load = await startLoad(server.target);
  const states = new Set<string>();
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    metadataWalk(path.join(base, '1'));
    states.add(String((await stateOf(1))?.state ?? 'missing'));
    await new Promise((r) => setTimeout(r, 200));
  }
  // Settled again with new mtimes: still the same loaded version.
  await new Promise((r) => setTimeout(r, 2500));
  states.add(String((await stateOf(1))?.state ?? 'missing'));
  const summary = await load.stop();
  console.log(`touching the served version: ${summary.ok} requests, ${summary.failed} failed`);
  expect([...states]).toEqual(['AVAILABLE']);
  expect(summary.failures).toEqual([]);
  expect(Object.keys(summary.versions)).toEqual(['1']);
  expect(server.logs()).toContain('Version 1 of servable add_sub changed on disk after it was complete');
});
