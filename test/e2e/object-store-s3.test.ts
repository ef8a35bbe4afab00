import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MINIO_USER, StoreServer } from '../helpers/object-store-servers';
import { S3_STORE, expectUnreadableBasePath, objectStoreSuite } from '../helpers/object-store-scenario';

/** Models from s3:// against MinIO, a real S3-compatible server (beyond TF Serving: its S3 broke in 2.7). */
describe('s3:// base path and config file (MinIO)', () => objectStoreSuite(S3_STORE));

describe('s3:// that cannot be read', () => {
  let tmp: string;
  let store: StoreServer;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-s3-bad-'));
    store = await S3_STORE.start(path.join(tmp, 'store'));
    const bucket = S3_STORE.bucket(store, 'models');
    await bucket.create();
    bucket.close();
  }, 60000);
  afterAll(async () => {
    await store?.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('wrong credentials: a clear status and log line, no crash', () =>
    expectUnreadableBasePath(store, 's3://models/m', { AWS_SECRET_ACCESS_KEY: 'wrong-secret' }, {
      code: 'PERMISSION_DENIED',
      text: 'SignatureDoesNotMatch',
    }), 60000);

  // Reached through TensorFlow's variable names instead of AWS's: the answer comes from MinIO.
  test('an unknown access key, with S3_ENDPOINT and S3_USE_HTTPS=0: a clear status', () =>
    expectUnreadableBasePath(
      store,
      's3://models/m',
      { AWS_ENDPOINT_URL: '', S3_ENDPOINT: store.endpoint.replace('http://', ''), S3_USE_HTTPS: '0', AWS_ACCESS_KEY_ID: `${MINIO_USER}-nobody` },
      { code: 'PERMISSION_DENIED', text: 'InvalidAccessKeyId' },
    ), 60000);
});
