import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { snapshotFolder } from '../../../src/sources/folder-snapshot';

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
