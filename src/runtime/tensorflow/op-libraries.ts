import * as fs from 'node:fs';
import * as path from 'node:path';
import { ServingError } from '../../errors/serving-error';
import { log } from '../../log/logger';
import { PACKAGE_ROOT, TfRuntimeAddon } from './native-addon';
import { tensorflowError } from './tensorflow-error';

/** Where scripts/setup.sh stages TF-Text's op libraries (tensorflow-text pinned to the linked TensorFlow). */
export const TF_TEXT_OPS_DIR = path.join(PACKAGE_ROOT, 'native', 'lib', 'tensorflow_text');

/** TF-Text's op libraries, as TF Serving's image links them in: present means loaded. */
export function defaultOpLibraries(): string[] {
  if (!fs.existsSync(TF_TEXT_OPS_DIR)) return [];
  return fs
    .readdirSync(TF_TEXT_OPS_DIR)
    .filter((f) => f.endsWith('.so'))
    .sort()
    .map((f) => path.join(TF_TEXT_OPS_DIR, f));
}

/**
 * Registers each library's ops with TensorFlow (TF_LoadLibrary) before any model loads. A library
 * that is missing or built for another TensorFlow stops start-up with a message naming the file.
 */
export function loadOpLibraries(addon: TfRuntimeAddon, files: readonly string[]): void {
  const start = Date.now();
  for (const file of files) {
    try {
      addon.loadLibrary(file);
    } catch (err) {
      const tf = tensorflowError(err);
      throw new ServingError(tf.code, `Failed to load op library ${file}: ${tf.message}`);
    }
  }
  if (files.length > 0) log.info(`Loaded ${files.length} TensorFlow op librar${files.length === 1 ? 'y' : 'ies'} in ${Date.now() - start} ms`);
}
