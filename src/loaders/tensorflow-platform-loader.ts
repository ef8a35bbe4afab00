import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { Servable } from '../lifecycle/servable';
import { PlatformLoader, VersionToLoad } from './loader';
import { TFLITE_MODEL_FILE } from './tflite/tflite-servable';

/**
 * The "tensorflow" platform, as TF Serving's SavedModelBundleFactory: each version folder is loaded as
 * TFLite when --prefer_tflite_model is on and the folder holds `model.tflite`, otherwise as a
 * SavedModel (the flag's documented fallback), with session_bundle_util's checks and wording first.
 */
export class TensorFlowPlatformLoader implements PlatformLoader {
  readonly platform = 'tensorflow';

  constructor(
    private readonly savedModel: PlatformLoader,
    private readonly tflite: PlatformLoader,
    private readonly preferTflite: boolean,
  ) {}

  async load(v: VersionToLoad): Promise<Servable> {
    if (this.preferTflite && (await exists(path.join(v.dir, TFLITE_MODEL_FILE)))) return this.tflite.load(v);
    if (await exists(path.join(v.dir, 'export.meta'))) {
      throw new ServingError(Code.UNIMPLEMENTED, 'Session Bundle is deprecated and removed.');
    }
    const hasSavedModel = (await exists(path.join(v.dir, 'saved_model.pb'))) || (await exists(path.join(v.dir, 'saved_model.pbtxt')));
    if (!hasSavedModel) {
      throw new ServingError(
        Code.NOT_FOUND,
        'Specified file path does not appear to contain a SavedModel bundle (should have a file called `saved_model.pb`)\n' +
          `Specified file path: ${v.dir}`,
      );
    }
    return this.savedModel.load(v);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
