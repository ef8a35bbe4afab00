import { Readable } from 'node:stream';
import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { ObjectStoreScheme } from './object-store-uri';

/**
 * What the object-store source needs from a provider's client: list a prefix, stream one object.
 * Each provider has one small adapter (object-store-client-gcs.ts, object-store-client-s3.ts) over
 * its official npm client, configured the provider's standard way (environment variables).
 * Adapters throw ServingError with a canonical code, so callers never see SDK error shapes.
 */
export interface StoredObject {
  readonly key: string;
  readonly size: number;
  /** Identifies this content of the key: the S3 ETag, the GCS generation. */
  readonly etag: string;
  /** MD5 of the content in hex, when the store states it (GCS md5Hash, single-part S3 ETag). */
  readonly md5?: string;
  /** Last write, by the store's clock. */
  readonly modifiedMs: number;
}

export interface ObjectStoreClient {
  /** Every object whose key starts with `prefix`, over all pages. */
  list(bucket: string, prefix: string): Promise<StoredObject[]>;
  /**
   * Streams an object. With `etag` (from a listing), exactly that content or an error: the object
   * is never read half old, half new.
   */
  read(bucket: string, key: string, etag?: string): Promise<Readable>;
}

/** Clients are created on first use, so a server with only local models never loads an SDK. */
const clients = new Map<ObjectStoreScheme, Promise<ObjectStoreClient>>();

export function objectStoreClient(scheme: ObjectStoreScheme): Promise<ObjectStoreClient> {
  let client = clients.get(scheme);
  if (!client) {
    client =
      scheme === 's3'
        ? import('./object-store-client-s3').then((m) => m.createS3Client())
        : import('./object-store-client-gcs').then((m) => m.createGcsClient());
    clients.set(scheme, client);
  }
  return client;
}

/** An MD5 stated as a plain single-part ETag (`"9e10…"`); multipart ETags (`…-3`) are not MD5s. */
export function md5FromEtag(etag: string | undefined): string | undefined {
  const m = /^"?([0-9a-f]{32})"?$/i.exec(etag ?? '');
  return m ? m[1].toLowerCase() : undefined;
}

/**
 * A provider error as a ServingError: HTTP status and network failures to canonical codes, keeping
 * the provider's own words (`InvalidAccessKeyId: The AWS Access Key Id you provided does not exist…`).
 */
export function storeError(httpStatus: number | undefined, name: string, message: string, cause: unknown): ServingError {
  const text = name && !message.startsWith(name) ? `${name}: ${message}` : message;
  return new ServingError(codeOf(httpStatus, name), text, { cause });
}

const NETWORK_ERRORS = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE|TimeoutError)$/;

function codeOf(httpStatus: number | undefined, name: string): Code {
  if (httpStatus === 401) return Code.UNAUTHENTICATED;
  if (httpStatus === 403) return Code.PERMISSION_DENIED;
  if (httpStatus === 404) return Code.NOT_FOUND;
  if (httpStatus === 429 || (httpStatus !== undefined && httpStatus >= 500)) return Code.UNAVAILABLE;
  if (NETWORK_ERRORS.test(name)) return Code.UNAVAILABLE;
  if (httpStatus !== undefined && httpStatus >= 400) return Code.FAILED_PRECONDITION;
  return Code.UNAVAILABLE;
}
