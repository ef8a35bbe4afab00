import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSystemSource } from '../../../src/sources/filesystem-source';
import { AspiredVersion } from '../../../src/sources/source';

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
