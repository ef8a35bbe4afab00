import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { VersionObject } from './version-objects';

/**
 * Local copies of object-store versions, which TensorFlow then loads as ordinary folders.
 *
 * A copy is written under a `.partial-*` name and renamed into place only once every object has
 * arrived with the listed size and MD5 (when the store states one) and the listed ETag/generation
 * (the read is pinned to it), so a folder in the cache is always a whole, verified version.
 * The cache holds only what the source currently emits: `retain` removes every other copy, so it
 * never grows beyond the versions the policies serve. Each process has its own directory under
 * TFSERVING_MODEL_CACHE_DIR (default: the system temp dir), removed on shutdown; directories left by
 * processes that died are removed at start.
 */
const PROCESS_DIR = /^tfserving-ts-models-(\d+)-/;
const PARALLEL_DOWNLOADS = 4;

export type ObjectReader = (key: string, etag: string) => Promise<Readable>;

export class VersionCache {
  private constructor(readonly root: string) {}

  static async create(parent = process.env.TFSERVING_MODEL_CACHE_DIR || os.tmpdir()): Promise<VersionCache> {
    await fsp.mkdir(parent, { recursive: true });
    await removeDeadProcessDirs(parent);
    return new VersionCache(await fsp.mkdtemp(path.join(parent, `tfserving-ts-models-${process.pid}-`)));
  }

  private modelDir(model: string): string {
    return path.join(this.root, createHash('sha1').update(model).digest('hex').slice(0, 16));
  }

  /** Where a version with this content lives (whether or not it is there yet). */
  dirFor(model: string, version: number, fingerprint: string): string {
    return path.join(this.modelDir(model), `${version}-${fingerprint.slice(0, 16)}`);
  }

  has(dir: string): boolean {
    return fs.existsSync(dir);
  }

  /** Downloads and verifies a version, then renames it into place; returns its folder. */
  async fetch(model: string, version: number, fingerprint: string, objects: readonly VersionObject[], read: ObjectReader): Promise<string> {
    const dir = this.dirFor(model, version, fingerprint);
    if (this.has(dir)) return dir;
    await fsp.mkdir(this.modelDir(model), { recursive: true });
    const partial = await fsp.mkdtemp(path.join(this.modelDir(model), `.partial-${version}-`));
    try {
      const queue = [...objects];
      const worker = async (): Promise<void> => {
        for (let o = queue.shift(); o; o = queue.shift()) await download(o, path.join(partial, ...o.rel.split('/')), read);
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, queue.length) }, worker));
      await fsp.rename(partial, dir);
      return dir;
    } catch (err) {
      await fsp.rm(partial, { recursive: true, force: true });
      throw err;
    }
  }

  /** Removes every copy of the model's versions except `keep` (folders returned by fetch). */
  async retain(model: string, keep: ReadonlySet<string>): Promise<void> {
    const dir = this.modelDir(model);
    const entries = await fsp.readdir(dir).catch(() => [] as string[]);
    for (const name of entries) {
      const full = path.join(dir, name);
      if (!keep.has(full)) await fsp.rm(full, { recursive: true, force: true });
    }
  }

  async destroy(): Promise<void> {
    await fsp.rm(this.root, { recursive: true, force: true });
  }
}

async function download(o: VersionObject, file: string, read: ObjectReader): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const md5 = createHash('md5');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      md5.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(await read(o.key, o.etag), count, fs.createWriteStream(file));
  const digest = md5.digest('hex');
  if (size !== o.size || (o.md5 !== undefined && digest !== o.md5)) {
    throw new ServingError(
      Code.DATA_LOSS,
      `${o.key}: downloaded ${size} bytes with MD5 ${digest}, the store lists ${o.size} bytes${o.md5 ? ` with MD5 ${o.md5}` : ''}`,
    );
  }
}

async function removeDeadProcessDirs(parent: string): Promise<void> {
  for (const name of await fsp.readdir(parent).catch(() => [] as string[])) {
    const m = PROCESS_DIR.exec(name);
    if (m && !isAlive(Number(m[1]))) await fsp.rm(path.join(parent, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
