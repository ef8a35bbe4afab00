import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FolderSnapshot, isSettled, snapshotFolder } from '../../../src/sources/folder-snapshot';

/** Which version folders hold a model the server can load (the settle guard's first condition). */
describe('snapshotFolder: a model file is present', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-snapshot-'))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each<[string[], boolean]>([
    [['saved_model.pb', 'variables/'], true],
    [['saved_model.pbtxt'], true],
    [['model.tflite'], true],
    [['variables/', 'assets/'], false],
    [['sub/model.tflite'], false],
    [['model.tflite/'], false],
  ])('%j -> %s', async (entries, has) => {
    const dir = fs.mkdtempSync(path.join(tmp, 'v-'));
    for (const e of entries) {
      const full = path.join(dir, e);
      if (e.endsWith('/')) fs.mkdirSync(full, { recursive: true });
      else {
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.writeFileSync(full, 'x');
      }
    }
    expect((await snapshotFolder(dir)).hasSavedModel).toBe(has);
  });
});

/** When a folder counts as complete: a model file, and nothing changed for the settle time. */
describe('isSettled', () => {
  const at = (newestChangeMs: number, fingerprint = 'a', hasSavedModel = true): FolderSnapshot => ({ hasSavedModel, fingerprint, newestChangeMs });
  it.each<[string, FolderSnapshot, FolderSnapshot | undefined, number, number, boolean]>([
    ['no model file', at(0, 'a', false), undefined, 10_000, 0, false],
    ['first scan, older than the settle time (renamed into place)', at(1_000), undefined, 10_000, 5_000, true],
    ['first scan, changed within the settle time', at(8_000), undefined, 10_000, 5_000, false],
    ['second scan, same fingerprint, quiet', at(1_000), at(1_000), 10_000, 5_000, true],
    ['second scan, fingerprint changed', at(1_000, 'b'), at(1_000), 10_000, 5_000, false],
    // A ctime with a fraction of a millisecond can lie ahead of Date.now() taken in the same millisecond.
    ['no settle time, ctime a fraction ahead of the clock', at(10_000.4), undefined, 10_000, 0, true],
    ['no settle time, fingerprint changed since the last scan', at(10_000.4, 'b'), at(9_000), 10_000, 0, false],
  ])('%s', (_name, now, previous, nowMs, settleMs, expected) => {
    expect(isSettled(now, previous, nowMs, settleMs)).toBe(expected);
  });
});
