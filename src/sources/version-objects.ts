import { createHash } from 'node:crypto';
import { StoredObject } from './object-store-client';
import { FolderSnapshot } from './folder-snapshot';

/**
 * Numbered version "folders" in a bucket listing: the objects under `<base>/<n>/`, where `<n>` is a
 * non-negative integer (leading zeros allowed), exactly as version-dirs.ts reads a local base path.
 * Directory-marker objects (`2/variables/`) are skipped, and so are keys that could not be stored
 * safely under a local folder (`..`, `.` or empty segments).
 */
export interface VersionObject extends StoredObject {
  /** Path below the version prefix: `variables/variables.index`. */
  readonly rel: string;
}

export interface VersionObjects {
  readonly version: number;
  readonly objects: readonly VersionObject[];
  readonly snapshot: FolderSnapshot;
}

const VERSION_NAME = /^\d+$/;

export function groupVersions(basePrefix: string, listing: readonly StoredObject[]): VersionObjects[] {
  const byVersion = new Map<number, VersionObject[]>();
  for (const o of listing) {
    if (!o.key.startsWith(basePrefix)) continue;
    const rest = o.key.slice(basePrefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) continue;
    const name = rest.slice(0, slash);
    const rel = rest.slice(slash + 1);
    if (!VERSION_NAME.test(name) || !Number.isSafeInteger(Number(name)) || !isSafeRelPath(rel)) continue;
    const version = Number(name);
    const objects = byVersion.get(version) ?? [];
    objects.push({ ...o, rel });
    byVersion.set(version, objects);
  }
  return [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, objects]) => ({ version, objects, snapshot: snapshotObjects(objects) }));
}

function isSafeRelPath(rel: string): boolean {
  if (rel === '' || rel.endsWith('/') || rel.includes('\\') || rel.includes('\0')) return false;
  return rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** The same shape as a folder's snapshot; the fingerprint covers every key, size and content identity. */
function snapshotObjects(objects: readonly VersionObject[]): FolderSnapshot {
  const hash = createHash('sha1');
  let newest = 0;
  let hasSavedModel = false;
  for (const o of [...objects].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))) {
    hash.update(`${o.rel}\0${o.size}\0${o.etag}\n`);
    newest = Math.max(newest, o.modifiedMs);
    // model.tflite: a TFLite version (--prefer_tflite_model), as for folders (folder-snapshot.ts).
    if (o.rel === 'saved_model.pb' || o.rel === 'saved_model.pbtxt' || o.rel === 'model.tflite') hasSavedModel = true;
  }
  return { hasSavedModel, fingerprint: hash.digest('hex'), newestChangeMs: newest };
}

/** What the source remembers of a version between looks. */
export interface SeenVersion {
  readonly fingerprint: string;
  /** Local time at which this fingerprint was first listed. */
  readonly sinceMs: number;
  /** True while the version has been seen in one look only. */
  readonly firstLook: boolean;
}

/**
 * An object-store version is complete when it holds a model file (saved_model.pb(txt) or model.tflite)
 * and its listing — every key, size and ETag/generation — has stayed the same for `settleMs` (by this
 * server's clock, across looks).
 * A version seen for the first time whose newest object is already older than `settleMs` (by the
 * store's clock) is complete at once, so versions uploaded long ago serve without waiting at start-up.
 * Objects appear only when their upload has finished, so an upload in progress changes the listing
 * (a new key) at least every `settleMs` unless it stalls for longer than that.
 */
export function isVersionComplete(snapshot: FolderSnapshot, seen: SeenVersion, nowMs: number, settleMs: number): boolean {
  if (!snapshot.hasSavedModel) return false;
  if (seen.firstLook) return nowMs - snapshot.newestChangeMs >= settleMs;
  return nowMs - seen.sinceMs >= settleMs;
}
