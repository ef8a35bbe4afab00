import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The typed face of native/ (tf_runtime.node), the server's own addon over TensorFlow's C library.
 * Nothing outside src/runtime/tensorflow/ imports this file.
 */

/** A tensor handed to a run: numeric element bytes (little-endian), or one byte string per element. */
export interface NativeFeed {
  readonly dtype: number;
  readonly shape: readonly number[];
  readonly data?: Uint8Array;
  readonly strings?: readonly Uint8Array[];
}

/** A fetched tensor: `data` holds the element bytes, or, with `offsets`, the strings back to back. */
export interface NativeOutput {
  readonly dtype: number;
  readonly shape: number[];
  readonly data: Uint8Array;
  readonly offsets?: Uint32Array;
}

/** Opaque handle on a loaded session. */
export interface NativeSession {
  readonly __nativeSession: unique symbol;
}

export interface RunControl {
  /** Set element 0 to 1 to drop the run if it has not started yet. */
  readonly cancel?: Int32Array;
  /** Epoch milliseconds; a run still waiting for a thread then is dropped. */
  readonly deadlineMs?: number;
}

export interface NativeStats {
  sessions: number;
  runs: number;
  queuedRuns: number;
  runThreads: number;
}

/** Rejections and throws carry TensorFlow's canonical code (gRPC numbering) in `tfCode`. */
export interface NativeError extends Error {
  tfCode?: number;
}

export interface TfRuntimeAddon {
  version(): string;
  loadSavedModel(dir: string, tags: string[], config?: Uint8Array): Promise<{ session: NativeSession; metaGraphDef: Uint8Array }>;
  closeSession(session: NativeSession): Promise<void>;
  run(session: NativeSession, feeds: NativeFeed[], feedNames: string[], fetchNames: string[], control?: RunControl): Promise<NativeOutput[]>;
  configureRuns(threads: number): void;
  stats(): NativeStats;
  loadLibrary(file: string): number;
  profile(options: Uint8Array, durationMs: number, stop?: Int32Array): Promise<{ xspace: Uint8Array; empty: boolean }>;
  parseConfigProto(text: string): Uint8Array;
  disableXlaCompilation(): void;
}

/** Repository (or image) root: dist/runtime/tensorflow → ../../.. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');
export const ADDON_PATH = path.join(PACKAGE_ROOT, 'native', 'build', 'Release', 'tf_runtime.node');

let addon: TfRuntimeAddon | undefined;

export function loadAddon(): TfRuntimeAddon {
  if (!addon) {
    if (!fs.existsSync(ADDON_PATH)) throw new Error(`the TensorFlow runtime addon is not built (no ${ADDON_PATH}); run: npm run setup`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(ADDON_PATH) as TfRuntimeAddon;
  }
  return addon;
}
