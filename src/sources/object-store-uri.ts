/**
 * `gs://bucket/prefix` and `s3://bucket/prefix`: which store, which bucket, which key prefix. A base
 * path's prefix is a "folder": its objects are the keys that start with `prefix/`.
 */
export type ObjectStoreScheme = 'gs' | 's3';

export interface ObjectStoreUri {
  readonly scheme: ObjectStoreScheme;
  readonly bucket: string;
  /** The key prefix without leading or trailing slashes ('' = the whole bucket). */
  readonly prefix: string;
}

const OBJECT_STORE_URI = /^(gs|s3):\/\/([^/]+)\/*(.*)$/;

export function isObjectStoreUri(path: string): boolean {
  return OBJECT_STORE_URI.test(path);
}

/** The URI's parts, or undefined when `path` names no object store (a local path or another scheme). */
export function parseObjectStoreUri(path: string): ObjectStoreUri | undefined {
  const m = OBJECT_STORE_URI.exec(path);
  if (!m) return undefined;
  return { scheme: m[1] as ObjectStoreScheme, bucket: m[2], prefix: m[3].replace(/\/+$/, '') };
}

/** The prefix under which a "folder" URI's objects live: `models/m/` (or '' for a bucket root). */
export function folderPrefix(uri: ObjectStoreUri): string {
  return uri.prefix === '' ? '' : `${uri.prefix}/`;
}

export function formatObjectStoreUri(uri: ObjectStoreUri, key: string): string {
  return `${uri.scheme}://${uri.bucket}/${key}`;
}
