import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSystemSource } from '../../../src/sources/filesystem-source';
import { AspiredVersion } from '../../../src/lifecycle/source';

/**
 * --file_system_poll_wait_seconds: 0 looks once (TF Serving: "polled exactly once") and never sees a
 * version added later; a positive value keeps looking (poll and watch) and does.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-fss-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A version folder that counts as complete: a saved_model.pb, written before the source looks. */
function addVersion(base: string, version: number): void {
  fs.mkdirSync(path.join(base, String(version)), { recursive: true });
  fs.writeFileSync(path.join(base, String(version), 'saved_model.pb'), 'x');
}

async function run(pollWaitSeconds: number, waitMs: number): Promise<number[][]> {
  const base = path.join(tmp, 'm');
  addVersion(base, 1);
  const source = new FileSystemSource({ pollWaitSeconds, settleMs: 0 });
  const emitted: number[][] = [];
  source.on('aspired', (_name: string, versions: AspiredVersion[]) => emitted.push(versions.map((v) => v.version)));
  try {
    await source.setModels([{ name: 'm', basePath: base, versionPolicy: { kind: 'all' } }]);
    source.start();
    // Let a watcher (when there is one) finish its initial crawl before the change.
    await sleep(300);
    addVersion(base, 2);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && !emitted.some((e) => e.includes(2))) await sleep(50);
  } finally {
    await source.stop();
  }
  // Repeated identical emissions (a poll finding nothing new) say nothing here.
  return emitted.filter((e, i) => i === 0 || e.join() !== emitted[i - 1].join());
}

test.each([
  // [poll wait seconds, what the source emitted over ~2.5 s after version 2 appeared]
  [0, [[1]]],
  [1, [[1], [1, 2]]],
])('--file_system_poll_wait_seconds=%d emits %j', async (seconds, expected) => {
  expect(await run(seconds, 2500)).toEqual(expected);
});

/** Sets every ctime and mtime under `dir` to now, as chmod -R / touch / chown -R do. */
function touchTree(dir: string): void {
  const now = new Date();
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    fs.chmodSync(p, fs.statSync(p).mode); // ctime
    fs.utimesSync(p, now, now);
  }
}

test('a settled version stays emitted while its files are touched; a new one waits for its settle time', async () => {
  const base = path.join(tmp, 'm');
  addVersion(base, 1);
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(base, '1', 'saved_model.pb'), old, old);
  const source = new FileSystemSource({ pollWaitSeconds: -1, settleMs: 1000 });
  const emitted: number[][] = [];
  source.on('aspired', (_name: string, versions: AspiredVersion[]) => emitted.push(versions.map((v) => v.version)));
  try {
    // Version 1's files are old (ctime is not: it was just written), so it settles after 1 s.
    await source.setModels([{ name: 'm', basePath: base, versionPolicy: { kind: 'latest', numVersions: 1 } }]);
    const deadline = Date.now() + 6000;
    while (!emitted.some((e) => e.includes(1)) && Date.now() < deadline) await sleep(50);
    emitted.length = 0;
    // A new version is copied in and everything is touched: version 1 is still the one emitted.
    addVersion(base, 2);
    touchTree(base);
    await source.scanNow();
    touchTree(path.join(base, '1'));
    await source.scanNow();
    // (Settle re-scans may add emissions of their own; every one must still hold version 1.)
    expect(emitted.length).toBeGreaterThanOrEqual(2);
    expect(emitted.filter((e) => e.join() !== '1')).toEqual([]);
    // Once version 2 has been quiet for the settle time, the policy picks it.
    await sleep(1100);
    await source.scanNow();
    await sleep(1100);
    await source.scanNow();
    expect(emitted[emitted.length - 1]).toEqual([2]);
  } finally {
    await source.stop();
  }
});

test('--file_system_poll_wait_seconds=0: a version still being written at start is emitted once settled; one added later never is', async () => {
  const base = path.join(tmp, 'm');
  addVersion(base, 1); // written just now: not settled yet
  // A settle time well above the few milliseconds between the write and the first look, even on a busy machine.
  const source = new FileSystemSource({ pollWaitSeconds: 0, settleMs: 1000 });
  const emitted: number[][] = [];
  source.on('aspired', (_name: string, versions: AspiredVersion[]) => emitted.push(versions.map((v) => v.version)));
  try {
    await source.setModels([{ name: 'm', basePath: base, versionPolicy: { kind: 'all' } }]);
    source.start();
    expect(emitted).toEqual([[]]);
    addVersion(base, 2);
    const deadline = Date.now() + 6000;
    while (!emitted.some((e) => e.includes(1)) && Date.now() < deadline) await sleep(50);
    await sleep(1500);
  } finally {
    await source.stop();
  }
  expect(emitted.filter((e, i) => i === 0 || e.join() !== emitted[i - 1].join())).toEqual([[], [1]]);
});
