import * as path from 'node:path';

/**
 * The N-API addon over TensorFlow Lite's C API (native/tflite/, built by scripts/setup-tflite.sh).
 * Nothing outside runtime/tflite/ sees it.
 */

/** A tensor as TFLite describes it: its name, TfLiteType number and dims. */
export interface TfLiteTensorDesc {
  readonly name: string;
  readonly type: number;
  readonly dims: readonly number[];
}

/** Tensor data crossing the binding: raw little-endian elements, or TFLite's packed string layout. */
export interface TfLiteTensorData {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

export interface TfLiteOutput extends TfLiteTensorData {
  readonly type: number;
}

/** An opaque handle to a model and its interpreters, freed by `deleteModel`. */
export type TfLiteModelHandle = { readonly __tfliteModel: unique symbol };

export interface LoadedTfLiteModel {
  readonly handle: TfLiteModelHandle;
  readonly inputs: readonly TfLiteTensorDesc[];
  readonly outputs: readonly TfLiteTensorDesc[];
}

export interface TfLiteBinding {
  version(): string;
  /** Builds `numInterpreters` interpreters over one copy of the model; rejects with TF Serving's messages. */
  loadModel(bytes: Uint8Array, numInterpreters: number): Promise<LoadedTfLiteModel>;
  /** Runs interpreter `interpreter` (never two runs on one at once); positions index the model's inputs/outputs. */
  run(
    handle: TfLiteModelHandle,
    interpreter: number,
    inputPositions: readonly number[],
    inputs: readonly TfLiteTensorData[],
    outputPositions: readonly number[],
  ): Promise<TfLiteOutput[]>;
  /** Frees the model now, or when its last run ends. */
  deleteModel(handle: TfLiteModelHandle): void;
}

/** Where the built addon lives: the same relative place from src/ (ts-jest) and dist/ (compiled). */
const ADDON = path.resolve(__dirname, '../../../native/tflite/build/Release/tflite_binding.node');

let binding: TfLiteBinding | undefined;

export function tfliteBinding(): TfLiteBinding {
  if (binding) return binding;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require(ADDON) as TfLiteBinding;
  } catch (err) {
    throw new Error(
      `The TensorFlow Lite runtime is not installed (${(err as Error).message.split('\n')[0]}); run scripts/setup-tflite.sh`,
    );
  }
  return binding;
}
