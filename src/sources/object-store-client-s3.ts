import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ObjectStoreClient, StoredObject, md5FromEtag, storeError } from './object-store-client';

/**
 * S3 and S3-compatible stores through the official @aws-sdk/client-s3, configured as AWS tools are:
 * credentials by the SDK's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
 * AWS_PROFILE, instance roles); region AWS_REGION or AWS_DEFAULT_REGION (default us-east-1, as
 * TensorFlow's S3 file system). An endpoint other than AWS comes from AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL, or S3_ENDPOINT (TensorFlow's name: `host:port`, https unless S3_USE_HTTPS=0);
 * with one, requests use path-style addressing (`host/bucket/key`), which S3-compatible servers expect.
 */
export function s3ClientConfig(env: NodeJS.ProcessEnv): { region: string; endpoint?: string; forcePathStyle: boolean } {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  let endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || env.S3_ENDPOINT || undefined;
  if (endpoint && !/^https?:\/\//.test(endpoint)) endpoint = `${env.S3_USE_HTTPS === '0' ? 'http' : 'https'}://${endpoint}`;
  return { region, endpoint, forcePathStyle: endpoint !== undefined };
}

export function createS3Client(env: NodeJS.ProcessEnv = process.env): ObjectStoreClient {
  const s3 = new S3Client({
    ...s3ClientConfig(env),
    // Fail fast on a store that went away; the source looks again on its next poll.
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60000 },
    maxAttempts: 2,
  });
  return {
    async list(bucket: string, prefix: string): Promise<StoredObject[]> {
      const out: StoredObject[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })).catch(rethrow);
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          out.push({
            key: o.Key,
            size: o.Size ?? 0,
            etag: o.ETag ?? '',
            md5: md5FromEtag(o.ETag),
            modifiedMs: o.LastModified?.getTime() ?? 0,
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
    async read(bucket: string, key: string, etag?: string): Promise<Readable> {
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag || undefined })).catch(rethrow);
      if (!(r.Body instanceof Readable)) throw storeError(undefined, 'NoBody', `s3://${bucket}/${key} returned no body`, undefined);
      return r.Body;
    },
  };
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function rethrow(err: unknown): never {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  // Network failures carry Node's code (ECONNREFUSED); S3 errors their S3 name (InvalidAccessKeyId).
  const name = e.code && /^E[A-Z]+$/.test(e.code) ? e.code : (e.name ?? 'Error');
  throw storeError(e.$metadata?.httpStatusCode, name, e.message || name, err);
}
