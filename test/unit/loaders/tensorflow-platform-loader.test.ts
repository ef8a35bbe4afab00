import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Servable } from '../../../src/lifecycle/servable';
import { PlatformLoader, VersionToLoad } from '../../../src/loaders/loader';
import { TensorFlowPlatformLoader } from '../../../src/loaders/tensorflow-platform-loader';

/** Which format a "tensorflow" version folder loads as (TF Serving's SavedModelBundleFactory). */

const fake = (name: string): PlatformLoader => ({
  platform: 'tensorflow',
  load: async () => ({ name }) as unknown as Servable,
});

describe('TensorFlowPlatformLoader', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-chooser-'))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const folder = (files: string[]): VersionToLoad => {
    const dir = fs.mkdtempSync(path.join(tmp, 'v-'));
    for (const f of files) fs.writeFileSync(path.join(dir, f), '');
    return { modelName: 'm', version: 1, dir };
  };
  const loadAs = async (prefer: boolean, files: string[]) =>
    ((await new TensorFlowPlatformLoader(fake('savedmodel'), fake('tflite'), prefer).load(folder(files))) as unknown as { name: string }).name;

  it.each<[boolean, string[], string]>([
    [true, ['model.tflite'], 'tflite'],
    [true, ['model.tflite', 'saved_model.pb'], 'tflite'],
    [true, ['saved_model.pb'], 'savedmodel'],
    [true, ['saved_model.pbtxt'], 'savedmodel'],
    [false, ['model.tflite', 'saved_model.pb'], 'savedmodel'],
  ])('prefer_tflite_model=%s, folder %j: %s', async (prefer, files, want) => {
    expect(await loadAs(prefer, files)).toBe(want);
  });

  it.each<[boolean, string[], string]>([
    [false, ['model.tflite'], 'Specified file path does not appear to contain a SavedModel bundle (should have a file called `saved_model.pb`)'],
    [true, ['variables'], 'Specified file path does not appear to contain a SavedModel bundle (should have a file called `saved_model.pb`)'],
    [true, ['export.meta'], 'Session Bundle is deprecated and removed.'],
  ])('prefer_tflite_model=%s, folder %j fails: %s', async (prefer, files, message) => {
    await expect(loadAs(prefer, files)).rejects.toThrow(message);
  });
});
