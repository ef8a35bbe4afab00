import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestModels, modelDir } from './fixtures';
import { TestClient, floatTensor } from './grpc-client';
import { startLoad } from './load-process';
import { waitFor } from './model-folders';
import { TestBucket, gcsBucket, s3Bucket, uploadVersion } from './object-store-buckets';
import { StoreServer, startFakeGcs, startMinio } from './object-store-servers';
import { runPythonJson } from './python';
import { ServerProcess, startServer } from './server-process';

/**
 * The same end-to-end story for each object store, against a real server (MinIO, fake-gcs-server):
 * the model and the config file live in a bucket; the official Python client gets exact answers; a
 * version uploaded object by object serves only once complete and with zero failed requests; deleting
 * it rolls back; the config file's poll reads the bucket; the store going away keeps loaded versions
 * serving with the error in the status and the log; a bad bucket or bad credentials are reported.
 */
export interface StoreKind {
  readonly scheme: 's3' | 'gs';
  readonly start: (dataDir: string) => Promise<StoreServer>;
  readonly bucket: (store: StoreServer, name: string) => TestBucket;
}

export const S3_STORE: StoreKind = { scheme: 's3', start: startMinio, bucket: s3Bucket };
export const GCS_STORE: StoreKind = { scheme: 'gs', start: startFakeGcs, bucket: gcsBucket };

const INPUTS = { input_x: floatTensor([1, 2]), input_y: floatTensor([10, 20]) };

type Status = { version: string; state: string; status?: { error_code?: string; error_message?: string } };

export function objectStoreSuite(kind: StoreKind): void {
  let tmp: string;
  let store: StoreServer;
  let bucket: TestBucket;
  let server: ServerProcess;
  let client: TestClient;
  const uri = (key: string) => `${kind.scheme}://models/${key}`;
  const config = (models: string[]) =>
    `model_config_list {\n${models.map((m) => `  config { name: "${m}" base_path: "${uri('add_sub')}" model_platform: "tensorflow" }\n`).join('')}}\n`;

  const servedVersion = async (model = 'add_sub') => {
    const r = await client.predict({ model_spec: { name: model }, inputs: INPUTS });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.details}`);
    return { version: Number(r.response.model_spec.version?.value), add: r.response.outputs.result_add.float_val };
  };
  /** The versions held in the server's local cache for add_sub (one folder per model). */
  const cachedVersions = (): string[] => {
    const root = path.join(tmp, 'cache');
    const own = fs.readdirSync(root).filter((d) => d.startsWith('tfserving-ts-models-'));
    const models = own.flatMap((d) => fs.readdirSync(path.join(root, d)).map((m) => path.join(root, d, m)));
    return models.flatMap((m) => fs.readdirSync(m)).map((v) => v.split('-')[0]).sort();
  };
  const statuses = async (): Promise<Status[]> => {
    const r = await client.status({ model_spec: { name: 'add_sub' } });
    return r.ok ? (r.response.model_version_status as Status[]) : [];
  };

  beforeAll(async () => {
    ensureTestModels();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tfs-${kind.scheme}-`));
    store = await kind.start(path.join(tmp, 'store'));
    bucket = kind.bucket(store, 'models');
    await bucket.create();
    await uploadVersion(bucket, modelDir('add_sub', 1), 'add_sub/1');
    await bucket.put('config/models.config', config(['add_sub']));
    server = await startServer(
      [
        `--model_config_file=${uri('config/models.config')}`,
        '--model_config_file_poll_wait_seconds=1',
        '--file_system_poll_wait_seconds=1',
      ],
      90000,
      { ...store.env, TFSERVING_MODEL_CACHE_DIR: path.join(tmp, 'cache') },
    );
    client = new TestClient(server.target);
  }, 120000);

  afterAll(async () => {
    client?.close();
    await server?.stop();
    bucket?.close();
    await store?.kill();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the official Python client gets exact answers from a model and config file in the bucket', async () => {
    const out = await runPythonJson<{ results: Array<{ name: string; ok: boolean; error?: string }> }>(
      'check_predict.py',
      ['--target', server.target, '--cases', '-'],
      JSON.stringify([
        {
          name: `${kind.scheme} add_sub v1`,
          model: 'add_sub',
          version: null,
          version_label: null,
          signature: null,
          saved_model_dir: modelDir('add_sub', 1),
          inputs: { input_x: { dtype: 'float32', value: [1.5, -2] }, input_y: { dtype: 'float32', value: [10, 0.25] } },
        },
      ]),
    );
    expect(out.results).toEqual([expect.objectContaining({ name: `${kind.scheme} add_sub v1`, ok: true })]);
  });

  test('an upload serves only once complete, with zero failed requests; deleting it rolls back', async () => {
    const load = await startLoad(server.target, 'add_sub', INPUTS);
    // Object by object, pausing after saved_model.pb for less than the settle period.
    const uploadStarted = Date.now();
    await uploadVersion(bucket, modelDir('add_sub', 2), 'add_sub/2', 700);
    const uploaded = Date.now();
    await waitFor('version 2 to serve', async () => ((await servedVersion()).version === 2 ? true : undefined), 60000);
    expect(await servedVersion()).toEqual({ version: 2, add: [21, 42] });
    // Cached copies of ended versions are removed: only version 2 remains.
    await waitFor('version 1 to end', async () => ((await statuses()).find((s) => s.version === '1')?.state === 'END' ? true : undefined));
    expect(cachedVersions()).toEqual(['2']);

    await bucket.removePrefix('add_sub/2/');
    await waitFor('version 1 to serve again', async () => ((await servedVersion()).version === 1 ? true : undefined), 60000);
    await waitFor('version 2 to end', async () => ((await statuses()).find((s) => s.version === '2')?.state === 'END' ? true : undefined));
    expect(cachedVersions()).toEqual(['1']);
    const summary = await load.stop();
    const servedAt = summary.versions['2']?.first ?? NaN;
    console.log(
      `${kind.scheme}: upload took ${uploaded - uploadStarted} ms; upload finished -> version 2 serving in ${servedAt - uploaded} ms; ` +
        `${summary.ok} requests, ${summary.failed} failed`,
    );
    expect(summary.failures).toEqual([]);
    expect(servedAt).toBeGreaterThanOrEqual(uploaded);
    expect(Object.keys(summary.versions).sort()).toEqual(['1', '2']);
  }, 120000);

  test('the config file is polled from the bucket', async () => {
    await bucket.put('config/models.config', config(['add_sub', 'add_sub_too']));
    await waitFor('the added model to serve', async () => {
      const r = await client.predict({ model_spec: { name: 'add_sub_too' }, inputs: INPUTS });
      return r.ok ? true : undefined;
    }, 30000);
    expect(await servedVersion('add_sub_too')).toEqual({ version: 1, add: [11, 22] });
  }, 60000);

  test('the store going away keeps loaded versions serving, with the error in the status and the log', async () => {
    await store.kill();
    const status = await waitFor('the error in the status', async () => {
      const s = (await statuses()).find((x) => x.version === '1');
      return s?.status?.error_message ? s : undefined;
    }, 30000);
    expect(status).toEqual({
      version: '1',
      state: 'AVAILABLE',
      status: {
        error_code: 'OK',
        error_message: expect.stringContaining(
          `FileSystemStoragePathSource encountered a filesystem access error: Could not find base path ${uri('add_sub')} for servable add_sub with error UNAVAILABLE: `,
        ),
      },
    });
    expect(server.logs()).toContain(`Could not find base path ${uri('add_sub')} for servable add_sub with error UNAVAILABLE`);
    for (let i = 0; i < 20; i++) expect(await servedVersion()).toEqual({ version: 1, add: [11, 22] });

    // Back again: the error clears.
    await store.start();
    await waitFor('the error to clear', async () => ((await statuses()).find((x) => x.version === '1')?.status?.error_message ? undefined : true), 30000);
    expect(server.logs()).toContain(`Base path ${uri('add_sub')} for servable add_sub is readable again`);
  }, 90000);

  test('shutdown removes the local cache', async () => {
    expect(cachedVersions()).toEqual(['1', '1']); // add_sub and add_sub_too
    expect(await server.stop()).toBe(0);
    expect(fs.readdirSync(path.join(tmp, 'cache'))).toEqual([]);
  });
}

/** A server whose base path cannot be read: it starts (not waiting for models), says why, and does not crash. */
export async function expectUnreadableBasePath(
  store: StoreServer,
  basePath: string,
  env: Record<string, string>,
  expected: { code: string; text: string },
): Promise<void> {
  const server = await startServer([`--model_base_path=${basePath}`, '--model_name=m', '--wait_for_models_at_startup=false'], 60000, {
    ...store.env,
    ...env,
  });
  const client = new TestClient(server.target);
  try {
    const prefix = `Could not find any versions of model m; FileSystemStoragePathSource encountered a filesystem access error: Could not find base path ${basePath} for servable m with error ${expected.code}: `;
    const r = await waitFor('the reason in the status', async () => {
      const s = await client.status({ model_spec: { name: 'm' } });
      return !s.ok && s.error.details.includes('FileSystemStoragePathSource') ? s : undefined;
    }, 30000);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('NOT_FOUND');
    expect(r.error.details.startsWith(prefix)).toBe(true);
    expect(r.error.details).toContain(expected.text);
    expect(server.logs()).toContain(`E`);
    expect(server.logs()).toContain(`Could not find base path ${basePath} for servable m with error ${expected.code}: `);
    expect(server.process.exitCode).toBeNull();
  } finally {
    client.close();
    await server.stop();
  }
}
