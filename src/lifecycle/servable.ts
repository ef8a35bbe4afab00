import type { BatchingOptions } from '../config/batching-parameters';
import { Tensor } from '../tensor/tensor';

/**
 * The contract between the lifecycle, the inference APIs and a loader's servable: a loaded model version
 * that describes its signatures and runs graph tensors. Each platform's loader (loaders/saved-model,
 * loaders/tflite) implements it; nothing above them knows how.
 */

export interface TensorInfo {
  /** Graph tensor name, e.g. `serving_default_x:0`. */
  readonly name: string;
  readonly dtype: number;
  /** Dims with -1 for unknown; undefined when the rank is unknown or no shape was recorded. */
  readonly dims?: readonly number[];
}

export interface Signature {
  readonly key: string;
  readonly methodName: string;
  readonly inputs: ReadonlyMap<string, TensorInfo>;
  readonly outputs: ReadonlyMap<string, TensorInfo>;
  /** Inputs with a default value in the signature (TF2), which a request may leave out. */
  readonly defaults: ReadonlySet<string>;
}

/**
 * What a request brings to a run besides its tensors: its deadline and a signal that fires when the
 * client goes away. A request whose deadline passes or whose client left while queued never runs.
 */
export interface RunContext {
  /** Epoch milliseconds after which the result is useless; undefined = no deadline. */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

export interface Servable {
  readonly signatures: ReadonlyMap<string, Signature>;
  /** `map<string, SignatureDef>` entries exactly as serialized in the SavedModel, for GetModelMetadata. */
  readonly rawSignatureDefEntries: readonly Uint8Array[];
  /** Feeds graph tensors by name and returns the fetched graph tensors in `fetchNames` order. */
  run(feedNames: string[], feeds: Tensor[], fetchNames: string[], ctx?: RunContext): Promise<Tensor[]>;
  unload(): Promise<void>;
  /**
   * A process-wide id by which another thread can run this version directly (a TensorFlow session);
   * undefined when runs must stay with the thread that loaded it (TFLite interpreters).
   */
  shareSession?(): number | undefined;
  /** The batching its runs go through, when on; the session id above is then run through batching queues. */
  readonly batching?: BatchingOptions;
}
