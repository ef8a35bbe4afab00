/**
 * Object-store URIs, S3 client settings from the environment, and provider errors as canonical codes.
 */
import { Code } from '../../../src/errors/status-code';
import { md5FromEtag, storeError } from '../../../src/sources/object-store-client';
import { s3ClientConfig } from '../../../src/sources/object-store-client-s3';
import { gcsEmulatorBaseUrl } from '../../../src/sources/object-store-client-gcs';
import { folderPrefix, isObjectStoreUri, parseObjectStoreUri } from '../../../src/sources/object-store-uri';

describe('parseObjectStoreUri', () => {
  it.each([
    ['gs://bucket/models/m', { scheme: 'gs', bucket: 'bucket', prefix: 'models/m' }, 'models/m/'],
    ['s3://bucket/models/m/', { scheme: 's3', bucket: 'bucket', prefix: 'models/m' }, 'models/m/'],
    ['s3://bucket', { scheme: 's3', bucket: 'bucket', prefix: '' }, ''],
    ['gs://bucket/', { scheme: 'gs', bucket: 'bucket', prefix: '' }, ''],
  ])('%s', (uri, parsed, prefix) => {
    expect(isObjectStoreUri(uri)).toBe(true);
    expect(parseObjectStoreUri(uri)).toEqual(parsed);
    expect(folderPrefix(parseObjectStoreUri(uri)!)).toBe(prefix);
  });

  it.each(['/models/m', 'hdfs://nn/m', 'gs:/bucket/m', 's3://'])('%s is not an object store', (path) => {
    expect(isObjectStoreUri(path)).toBe(false);
    expect(parseObjectStoreUri(path)).toBeUndefined();
  });
});

describe('s3ClientConfig', () => {
  it.each([
    [{}, { region: 'us-east-1', endpoint: undefined, forcePathStyle: false }],
    [{ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' }, { region: 'eu-west-1', endpoint: undefined, forcePathStyle: false }],
    [{ AWS_DEFAULT_REGION: 'us-west-2' }, { region: 'us-west-2', endpoint: undefined, forcePathStyle: false }],
    [{ AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }, { region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }],
    [{ AWS_ENDPOINT_URL_S3: 'http://a:1', AWS_ENDPOINT_URL: 'http://b:2' }, { region: 'us-east-1', endpoint: 'http://a:1', forcePathStyle: true }],
    [{ S3_ENDPOINT: 'minio.local:9000' }, { region: 'us-east-1', endpoint: 'https://minio.local:9000', forcePathStyle: true }],
    [{ S3_ENDPOINT: 'minio.local:9000', S3_USE_HTTPS: '0' }, { region: 'us-east-1', endpoint: 'http://minio.local:9000', forcePathStyle: true }],
    [{ S3_ENDPOINT: 'http://minio.local:9000' }, { region: 'us-east-1', endpoint: 'http://minio.local:9000', forcePathStyle: true }],
  ])('%j', (env, expected) => {
    expect(s3ClientConfig(env)).toEqual(expected);
  });
});

describe('md5FromEtag', () => {
  it.each([
    ['"9E107D9D372BB6826BD81D3542A419D6"', '9e107d9d372bb6826bd81d3542a419d6'],
    ['9e107d9d372bb6826bd81d3542a419d6', '9e107d9d372bb6826bd81d3542a419d6'],
    ['"9e107d9d372bb6826bd81d3542a419d6-3"', undefined],
    ['1700000000000000', undefined],
    [undefined, undefined],
  ])('%s', (etag, md5) => expect(md5FromEtag(etag)).toBe(md5));
});

describe('storeError', () => {
  it.each([
    [403, 'SignatureDoesNotMatch', Code.PERMISSION_DENIED],
    [401, '', Code.UNAUTHENTICATED],
    [404, 'NoSuchBucket', Code.NOT_FOUND],
    [503, 'SlowDown', Code.UNAVAILABLE],
    [undefined, 'ECONNREFUSED', Code.UNAVAILABLE],
    [400, 'InvalidRequest', Code.FAILED_PRECONDITION],
  ])('HTTP %s %s', (status, name, code) => {
    expect(storeError(status, name, 'the message', undefined).code).toBe(code);
  });

  it('keeps the provider words, naming the error once', () => {
    expect(storeError(403, 'InvalidAccessKeyId', 'The Access Key Id you provided does not exist.', undefined).message).toBe(
      'InvalidAccessKeyId: The Access Key Id you provided does not exist.',
    );
    expect(storeError(404, 'NotFound', 'NotFound: gone', undefined).message).toBe('NotFound: gone');
  });
});

describe('gcsEmulatorBaseUrl', () => {
  it.each([
    ['127.0.0.1:4443', 'http://127.0.0.1:4443/storage/v1'],
    ['http://127.0.0.1:4443', 'http://127.0.0.1:4443/storage/v1'],
    ['http://127.0.0.1:4443/', 'http://127.0.0.1:4443/storage/v1'],
    ['https://emulator:4443/storage/v1', 'https://emulator:4443/storage/v1'],
  ])('%s', (value, url) => expect(gcsEmulatorBaseUrl(value)).toBe(url));
});
