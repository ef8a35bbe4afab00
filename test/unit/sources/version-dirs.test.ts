/**
 * Version folder discovery (src/sources/version-dirs.ts) on a real temporary directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanVersionDirs } from '../../../src/sources/version-dirs';

describe('scanVersionDirs', () => {
  let root: string;
  let base: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'version-dirs-'));
    base = path.join(root, 'model');
    fs.mkdirSync(base);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const mkdir = (name: string): void => fs.mkdirSync(path.join(base, name));

  it('numbered folders are versions; other names, files and dangling links are ignored', async () => {
    mkdir('1');
    mkdir('00000123');
    mkdir('tmp');
    mkdir('3.partial');
    mkdir('.4');
    mkdir('-6');
    mkdir('6a');
    mkdir('1e3');
    fs.writeFileSync(path.join(base, '5'), 'a file, not a folder');
    const target = path.join(root, 'elsewhere');
    fs.mkdirSync(target);
    fs.symlinkSync(target, path.join(base, '7'));
    fs.writeFileSync(path.join(root, 'file-target'), 'x');
    fs.symlinkSync(path.join(root, 'file-target'), path.join(base, '8'));
    fs.symlinkSync(path.join(root, 'missing'), path.join(base, '9'));

    expect(await scanVersionDirs(base)).toEqual([
      { version: 1, dir: path.join(base, '1') },
      { version: 7, dir: path.join(base, '7') },
      { version: 123, dir: path.join(base, '00000123') },
    ]);
  });

  it('an empty base path has no versions', async () => {
    expect(await scanVersionDirs(base)).toEqual([]);
  });

  it('version 0 and sorting is numeric, not lexical', async () => {
    for (const v of ['10', '9', '0', '100']) mkdir(v);
    expect((await scanVersionDirs(base)).map((d) => d.version)).toEqual([0, 9, 10, 100]);
  });

  it('names beyond 2^53 are ignored', async () => {
    mkdir('2');
    mkdir('99999999999999999999');
    expect((await scanVersionDirs(base)).map((d) => d.version)).toEqual([2]);
  });

  it('1 and 001 are the same version: one entry, from one of the two folders', async () => {
    mkdir('1');
    mkdir('001');
    const found = await scanVersionDirs(base);
    expect(found.map((d) => d.version)).toEqual([1]);
    expect([path.join(base, '1'), path.join(base, '001')]).toContain(found[0].dir);
  });

  it('a missing base path rejects with ENOENT', async () => {
    await expect(scanVersionDirs(path.join(root, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
