import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Servable } from '../lifecycle/servable';
import { PlatformLoader, VersionToLoad } from './loader';
import { TFLITE_MODEL_FILE } from './tflite/tflite-servable';

/**
 * The "tensorflow" platform, as TF Serving's SavedModelBundleFactory: each version folder is loaded as
 * TFLite when --prefer_tflite_model is on and the folder holds `model.tflite`, otherwise as a
 * SavedModel (the flag's documented fallback).
 */
export class TensorFlowPlatformLoader implements PlatformLoader {
  readonly platform = 'tensorflow';

  constructor(
    private readonly savedModel: PlatformLoader,
    private readonly tflite: PlatformLoader,
    private readonly preferTflite: boolean,
  ) {}

  async load(v: VersionToLoad): Promise<Servable> {
    const useTflite = this.preferTflite && (await exists(path.join(v.dir, TFLITE_MODEL_FILE)));
    return (useTflite ? this.tflite : this.savedModel).load(v);
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
