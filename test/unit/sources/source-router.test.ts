/**
 * The source router (src/sources/source-router.ts): local paths go to the file-system source, other
 * schemes than gs:// and s3:// are reported as TensorFlow reports them, on a real temporary directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ServingError } from '../../../src/errors/serving-error';
import { Code } from '../../../src/errors/status-code';
import { AspiredVersion } from '../../../src/lifecycle/source';
import { SourceRouter } from '../../../src/sources/source-router';

describe('SourceRouter', () => {
  let root: string;
  let router: SourceRouter;
  const aspired: Array<[string, number[]]> = [];
  const statuses: Array<[string, Code | undefined, string | undefined]> = [];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'source-router-'));
    aspired.length = 0;
    statuses.length = 0;
    router = new SourceRouter({ pollWaitSeconds: -1, settleMs: 0 });
    router.on('aspired', (name: string, versions: AspiredVersion[]) => aspired.push([name, versions.map((v) => v.version)]));
    router.on('status', (name: string, error: ServingError | undefined) => statuses.push([name, error?.code, error?.message]));
  });
  afterEach(async () => {
    await router.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const latest = { kind: 'latest' as const, numVersions: 1 };

  it('a local base path is read by the file-system source', async () => {
    fs.mkdirSync(path.join(root, 'm', '3'), { recursive: true });
    fs.writeFileSync(path.join(root, 'm', '3', 'saved_model.pb'), '');
    await router.setModels([{ name: 'm', basePath: path.join(root, 'm'), versionPolicy: latest }]);
    expect(aspired).toEqual([['m', [3]]]);
    expect(statuses).toEqual([]);
  });

  it('an unsupported scheme is reported with TensorFlow words and emits nothing', async () => {
    await router.setModels([{ name: 'h', basePath: 'hdfs://namenode:8020/m', versionPolicy: latest }]);
    expect(aspired).toEqual([]);
    expect(statuses).toEqual([
      [
        'h',
        Code.UNIMPLEMENTED,
        "FileSystemStoragePathSource encountered a filesystem access error: Could not find base path hdfs://namenode:8020/m for servable h with error UNIMPLEMENTED: File system scheme 'hdfs' not implemented (file: 'hdfs://namenode:8020/m')",
      ],
    ]);
  });

  it('a removed model is unloaded by the source that had it', async () => {
    fs.mkdirSync(path.join(root, 'm', '1'), { recursive: true });
    fs.writeFileSync(path.join(root, 'm', '1', 'saved_model.pb'), '');
    await router.setModels([{ name: 'm', basePath: path.join(root, 'm'), versionPolicy: latest }]);
    await router.setModels([]);
    expect(aspired).toEqual([
      ['m', [1]],
      ['m', []],
    ]);
  });
});
