import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The typed face of native/ (tf_runtime.node), the server's own addon over TensorFlow's C library.
 * Nothing outside src/runtime/tensorflow/ imports this file.
 */

/**
 * A tensor handed to a run: numeric element bytes (little-endian), or one byte string per element.
 * The run thread reads them in place: neither the bytes nor the list may change until the run settles.
 */
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

/** Opaque handle on a loaded session (type-tagged: the addon refuses any other value). */
export interface NativeSession {
  readonly __nativeSession: unique symbol;
}

export interface RunControl {
  /** Set element 0 to 1 to drop the run if it has not started yet. */
  readonly cancel?: Int32Array;
  /**
   * Epoch milliseconds; a run still waiting for a thread then is dropped, and a started run gets the
   * time left as RunOptions.timeout_in_ms, so TensorFlow cancels it there (DEADLINE_EXCEEDED).
   */
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
  /** The serialized MetaGraphDef TensorFlow loaded comes back only when asked for (a copy of the whole graph). */
  loadSavedModel(
    dir: string,
    tags: string[],
    config?: Uint8Array,
    wantMetaGraphDef?: boolean,
  ): Promise<{ session: NativeSession; metaGraphDef?: Uint8Array }>;
  /** Resolves once TensorFlow freed the session, after the runs already started. */
  closeSession(session: NativeSession): Promise<void>;
  run(session: NativeSession, feeds: NativeFeed[], feedNames: string[], fetchNames: string[], control?: RunControl): Promise<NativeOutput[]>;
  /**
   * A process-wide id for a loaded session, so that another thread (a worker) can open it with
   * openSharedSession and run it: sessions load once per process. Closing the session from any thread
   * closes it for all (their runs are refused with FAILED_PRECONDITION; started ones finish first).
   */
  shareSession(session: NativeSession): number;
  /** A handle in this thread on a session another thread shared; NOT_FOUND once it is closed. */
  openSharedSession(id: number): NativeSession;
  /** Sizes the run pool, 1 to MAX_RUN_THREADS threads, before the first run. */
  configureRuns(threads: number): void;
  stats(): NativeStats;
  loadLibrary(file: string): number;
  profile(options: Uint8Array, durationMs: number, stop?: Int32Array): Promise<{ xspace: Uint8Array; empty: boolean }>;
  parseConfigProto(text: string): Uint8Array;
  disableXlaCompilation(): void;
}

/** The most run threads configureRuns accepts. */
export const MAX_RUN_THREADS = 1024;

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
