/**
 * The verified local cache of object-store versions (src/sources/object-store-cache.ts), on a real
 * temporary directory, fed from in-memory object contents.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Code } from '../../../src/errors/status-code';
import { ServingError } from '../../../src/errors/serving-error';
import { VersionCache } from '../../../src/sources/object-store-cache';
import { VersionObject } from '../../../src/sources/version-objects';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const object = (rel: string, content: string, over: Partial<VersionObject> = {}): VersionObject => ({
  key: `m/1/${rel}`,
  rel,
  size: Buffer.byteLength(content),
  etag: `"${md5(content)}"`,
  md5: md5(content),
  modifiedMs: 0,
  ...over,
});
const contents: Record<string, string> = { 'm/1/saved_model.pb': 'graph', 'm/1/variables/variables.index': 'index' };
const read = async (key: string): Promise<Readable> => Readable.from([Buffer.from(contents[key])]);

describe('VersionCache', () => {
  let parent: string;
  let cache: VersionCache;
  beforeEach(async () => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'version-cache-'));
    cache = await VersionCache.create(parent);
  });
  afterEach(() => fs.rmSync(parent, { recursive: true, force: true }));

  const objects = [object('saved_model.pb', 'graph'), object('variables/variables.index', 'index')];
  const tree = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

  it('downloads a whole version and renames it into place', async () => {
    const dir = await cache.fetch('m', 1, 'f'.repeat(40), objects, read);
    expect(dir).toBe(cache.dirFor('m', 1, 'f'.repeat(40)));
    expect(tree(dir)).toEqual(['saved_model.pb', 'variables', path.join('variables', 'variables.index')]);
    expect(fs.readFileSync(path.join(dir, 'variables/variables.index'), 'utf8')).toBe('index');
    expect(tree(path.dirname(dir))).not.toContainEqual(expect.stringMatching(/^\.partial/));
  });

  it('a size or MD5 that differs from the listing is DATA_LOSS and leaves nothing behind', async () => {
    const bad = [objects[0], object('variables/variables.index', 'index', { md5: md5('other') })];
    const err = await cache.fetch('m', 1, 'a'.repeat(40), bad, read).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServingError);
    expect((err as ServingError).code).toBe(Code.DATA_LOSS);
    expect((err as ServingError).message).toBe(
      `m/1/variables/variables.index: downloaded 5 bytes with MD5 ${md5('index')}, the store lists 5 bytes with MD5 ${md5('other')}`,
    );
    expect(fs.existsSync(cache.dirFor('m', 1, 'a'.repeat(40)))).toBe(false);
    expect(tree(path.dirname(cache.dirFor('m', 1, 'a'.repeat(40))))).toEqual([]);
  });

  it('retain removes every other copy of the model', async () => {
    const keep = await cache.fetch('m', 1, 'a'.repeat(40), objects, read);
    const drop = await cache.fetch('m', 1, 'b'.repeat(40), objects, read);
    await cache.retain('m', new Set([keep]));
    expect(fs.existsSync(keep)).toBe(true);
    expect(fs.existsSync(drop)).toBe(false);
    await cache.retain('m', new Set());
    expect(fs.existsSync(keep)).toBe(false);
  });

  it('directories of processes that are gone are removed at start; destroy removes our own', async () => {
    const dead = path.join(parent, 'tfserving-ts-models-999999999-abc');
    fs.mkdirSync(dead);
    const other = await VersionCache.create(parent);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(cache.root)).toBe(true);
    await other.destroy();
    expect(fs.existsSync(other.root)).toBe(false);
  });
});
