import { PassThrough, Readable } from 'node:stream';
import { Storage } from '@google-cloud/storage';
import { ServingError } from '../errors/serving-error';
import { ObjectStoreClient, StoredObject, storeError } from './object-store-client';

/**
 * Google Cloud Storage through the official @google-cloud/storage, configured as Google's tools are:
 * credentials from GOOGLE_APPLICATION_CREDENTIALS (or the environment's default credentials), and
 * STORAGE_EMULATOR_HOST for an emulator (then no credentials are needed).
 */
export function createGcsClient(): ObjectStoreClient {
  const emulator = process.env.STORAGE_EMULATOR_HOST;
  // The Node client reads the variable itself, and only as a full API base URL.
  if (emulator) process.env.STORAGE_EMULATOR_HOST = gcsEmulatorBaseUrl(emulator);
  // Few, short retries: the source looks again on its next poll (the client's default retries for 10 min).
  const storage = new Storage({ retryOptions: { maxRetries: 2, totalTimeout: 30, maxRetryDelay: 2 } });
  return {
    async list(bucket: string, prefix: string): Promise<StoredObject[]> {
      const [files] = await storage.bucket(bucket).getFiles({ prefix, autoPaginate: true }).catch(rethrow);
      return files.map((f): StoredObject => {
        const m = f.metadata;
        return {
          key: f.name,
          size: Number(m.size ?? 0),
          etag: String(m.generation ?? m.etag ?? ''),
          md5: m.md5Hash ? Buffer.from(m.md5Hash, 'base64').toString('hex') : undefined,
          modifiedMs: Date.parse(String(m.updated ?? '')) || 0,
        };
      });
    },
    async read(bucket: string, key: string, etag?: string): Promise<Readable> {
      // A generation pins one version of the object; a rewritten object then answers 404.
      const file = storage.bucket(bucket).file(key, etag ? { generation: etag } : {});
      const source = file.createReadStream({ validation: false });
      const out = new PassThrough();
      source.on('error', (err) => out.destroy(mapped(err)));
      return source.pipe(out);
    },
  };
}

/**
 * STORAGE_EMULATOR_HOST as Google's Python and Go clients take it (`host:port` or `http://host:port`)
 * or as the Node client does (`http://host:port/storage/v1`): always the latter.
 */
export function gcsEmulatorBaseUrl(value: string): string {
  const url = /^[a-z]+:\/\//i.test(value) ? value : `http://${value}`;
  const trimmed = url.replace(/\/+$/, '');
  return /^[a-z]+:\/\/[^/]+$/i.test(trimmed) ? `${trimmed}/storage/v1` : trimmed;
}

interface GcsErrorShape {
  code?: number | string;
  message?: string;
  name?: string;
}

function mapped(err: unknown): ServingError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as GcsErrorShape;
  const status = typeof e.code === 'number' ? e.code : undefined;
  const name = typeof e.code === 'string' ? e.code : '';
  return storeError(status, name, e.message || String(err), err);
}

function rethrow(err: unknown): never {
  throw mapped(err);
}
