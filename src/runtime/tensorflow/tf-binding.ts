import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The one place that crosses into @tensorflow/tfjs-node's native binding.
 *
 * We use the binding, not tfjs-node's high-level `loadSavedModel().predict()`, because the latter
 * narrows int64 to int32, rejects float64 and handles only a few dtypes. The binding hands raw
 * element bytes to TF_NewTensor and runs TF_SessionRun / TFE_Execute, so every dtype is bit-exact.
 * Its calls are synchronous; only the inference worker thread calls them.
 */

/** What the binding reports for each tensor it owns. */
export interface BindingTensorInfo {
  id: number;
  shape: number[];
  dtype: number;
}

export interface BindingOpAttr {
  name: string;
  type: number;
  value: number | boolean | string | number[];
}

export type BindingData = Float32Array | Int32Array | Uint8Array | Uint8Array[];

export interface TfBinding {
  TF_Version: string;
  TF_FLOAT: number;
  TF_INT32: number;
  TF_INT64: number;
  TF_BOOL: number;
  TF_STRING: number;
  TF_UINT8: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_BOOL: number;
  createTensor(shape: number[], dtype: number, data: BindingData): number;
  deleteTensor(id: number): void;
  tensorDataSync(id: number): Float32Array | Int32Array | BigInt64Array | Uint8Array | Uint8Array[];
  executeOp(name: string, attrs: BindingOpAttr[], inputIds: number[], numOutputs: number): BindingTensorInfo[];
  loadSavedModel(exportDir: string, tags: string): number;
  deleteSavedModel(id: number): void;
  runSavedModel(id: number, inputIds: number[], inputNames: string, outputNames: string): BindingTensorInfo[];
  getNumOfSavedModels(): number;
  getNumOfTensors(): number;
}

/** Path of the compiled tfjs_binding.node inside the installed tfjs-node package. */
export function bindingPath(): string {
  const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-node/package.json'));
  const libDir = path.join(pkgDir, 'lib');
  const candidates = fs.existsSync(libDir)
    ? fs.readdirSync(libDir).filter((d) => d.startsWith('napi-v')).sort().reverse()
    : [];
  for (const d of candidates) {
    const p = path.join(libDir, d, 'tfjs_binding.node');
    if (fs.existsSync(p)) return p;
  }
  throw new Error(
    `tfjs-node's native binding is not built (no ${libDir}/napi-v*/tfjs_binding.node); run: npm run setup`,
  );
}

let binding: TfBinding | undefined;

export function loadBinding(): TfBinding {
  if (!binding) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require(bindingPath()) as TfBinding;
  }
  return binding;
}
