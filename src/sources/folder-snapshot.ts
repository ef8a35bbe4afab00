import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * What a version folder looks like right now, for the "never load a half-copied folder" guard.
 *
 * `fingerprint` changes whenever any file under the folder is added, removed, resized or rewritten.
 * `newestChangeMs` is the latest ctime below the folder: a ctime cannot be set by `cp -p` or `rsync -t`,
 * so a file still being copied always looks recent, while a folder that was written elsewhere and then
 * renamed into place has only old ctimes inside it.
 */
export interface FolderSnapshot {
  readonly hasSavedModel: boolean;
  readonly fingerprint: string;
  readonly newestChangeMs: number;
}

export async function snapshotFolder(dir: string): Promise<FolderSnapshot> {
  const hash = createHash('sha1');
  let newest = 0;
  let hasSavedModel = false;
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      const st = await fs.stat(path.join(dir, relPath)).catch(() => undefined);
      if (!st) continue; // removed while we looked: the next scan sees a different fingerprint anyway
      newest = Math.max(newest, st.ctimeMs, st.mtimeMs);
      hash.update(`${relPath}\0${st.isDirectory() ? 'd' : st.size}\0${st.mtimeMs}\0${st.ino}\n`);
      // model.tflite: a TFLite version (--prefer_tflite_model) is complete without a saved_model.pb.
      if (relPath === 'saved_model.pb' || relPath === 'saved_model.pbtxt' || relPath === 'model.tflite') hasSavedModel ||= st.isFile();
      if (st.isDirectory()) await walk(relPath);
    }
  };
  await walk('');
  return { hasSavedModel, fingerprint: hash.digest('hex'), newestChangeMs: newest };
}

/**
 * A folder is complete when it has a model file (saved_model.pb(txt) or model.tflite) and nothing below it has changed for `settleMs`,
 * as seen by two scans with the same fingerprint, or by a first scan in which everything is already
 * older than `settleMs` (the folder arrived by rename).
 */
export function isSettled(
  now: FolderSnapshot,
  previous: FolderSnapshot | undefined,
  nowMs: number,
  settleMs: number,
): boolean {
  if (!now.hasSavedModel) return false;
  // With no settle time, "quiet" needs no clock: a ctime carries fractions of a millisecond and can lie
  // ahead of a Date.now() taken in the same millisecond.
  const quiet = settleMs <= 0 || nowMs - now.newestChangeMs >= settleMs;
  if (!previous) return quiet;
  return quiet && previous.fingerprint === now.fingerprint;
}
