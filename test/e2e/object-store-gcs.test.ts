import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StoreServer } from '../helpers/object-store-servers';
import { runServer } from '../helpers/server-process';
import { GCS_STORE, expectUnreadableBasePath, objectStoreSuite } from '../helpers/object-store-scenario';

/** Models from gs:// against fake-gcs-server, reached by the official client through STORAGE_EMULATOR_HOST. */
describe('gs:// base path and config file (fake-gcs-server)', () => objectStoreSuite(GCS_STORE));

describe('gs:// that cannot be read', () => {
  let tmp: string;
  let store: StoreServer;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-gs-bad-'));
    store = await GCS_STORE.start(path.join(tmp, 'store'));
  }, 60000);
  afterAll(async () => {
    await store?.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  // The emulator checks no credentials; a bucket that does not exist is the error it can give.
  test('a bucket that does not exist: a clear status and log line, no crash', () =>
    expectUnreadableBasePath(store, 'gs://no-such-bucket/m', {}, { code: 'NOT_FOUND', text: 'no-such-bucket' }), 60000);

  test('a config file that does not exist stops start-up as a missing local file does', async () => {
    const r = await runServer(['--port=0', `--grpc_socket_path=${path.join(tmp, 's.sock')}`, '--model_config_file=gs://no-such-bucket/models.config'], 60000, store.env);
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('Failed to start server. Error: NOT_FOUND: gs://no-such-bucket/models.config; No such file or directory\n');
  }, 60000);
});
