import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { StoreServer } from './object-store-servers';

/** What the tests do to a bucket, through each provider's official client (as a user's upload would). */
export interface TestBucket {
  readonly scheme: 's3' | 'gs';
  readonly name: string;
  create(): Promise<void>;
  put(key: string, data: Buffer | string): Promise<void>;
  /** Deletes every object under `prefix`. */
  removePrefix(prefix: string): Promise<void>;
  close(): void;
}

export function s3Bucket(store: StoreServer, name: string): TestBucket {
  const s3 = new S3Client({
    endpoint: store.endpoint,
    region: store.env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: store.env.AWS_ACCESS_KEY_ID, secretAccessKey: store.env.AWS_SECRET_ACCESS_KEY },
  });
  return {
    scheme: 's3',
    name,
    create: async () => void (await s3.send(new CreateBucketCommand({ Bucket: name }))),
    put: async (key, data) => void (await s3.send(new PutObjectCommand({ Bucket: name, Key: key, Body: data }))),
    removePrefix: async (prefix) => {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: name, Prefix: prefix }));
      const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key }));
      if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys } }));
    },
    close: () => s3.destroy(),
  };
}

export function gcsBucket(store: StoreServer, name: string): TestBucket {
  const storage = new Storage({ apiEndpoint: store.endpoint, projectId: 'test' });
  const bucket = storage.bucket(name);
  return {
    scheme: 'gs',
    name,
    create: async () => void (await storage.createBucket(name)),
    put: async (key, data) => void (await bucket.file(key).save(typeof data === 'string' ? Buffer.from(data) : data, { resumable: false })),
    removePrefix: async (prefix) => {
      const [files] = await bucket.getFiles({ prefix });
      for (const f of files) await f.delete();
    },
    close: () => undefined,
  };
}

/** Files of a local folder as [relative path with '/', absolute path], saved_model.pb first. */
export function versionFiles(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push([r, path.join(dir, r)]);
    }
  };
  walk('');
  return out.sort(([a], [b]) => (a === 'saved_model.pb' ? -1 : b === 'saved_model.pb' ? 1 : a.localeCompare(b)));
}

/** Uploads a local version folder to `<prefix>/…`, object by object, pausing `pauseMs` after the first. */
export async function uploadVersion(bucket: TestBucket, dir: string, prefix: string, pauseMs = 0): Promise<void> {
  let n = 0;
  for (const [rel, file] of versionFiles(dir)) {
    await bucket.put(`${prefix}/${rel}`, fs.readFileSync(file));
    if (++n === 1 && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
}
