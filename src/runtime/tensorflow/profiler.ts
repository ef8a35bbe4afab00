import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Reader } from 'protobufjs';
import { ServingError } from '../../errors/serving-error';
import { Code } from '../../errors/status-code';
import { loadAddon } from './native-addon';
import { tensorflowError } from './tensorflow-error';

export interface ProfileCapture {
  /** Serialized tensorflow.ProfileOptions, passed to TensorFlow's ProfilerSession as is. */
  readonly options: Uint8Array;
  /** Request-level duration, used when the options carry none (older clients). */
  readonly durationMs: number;
  readonly repositoryRoot: string;
  readonly sessionId: string;
  readonly hostName: string;
  /** Return the XSpace instead of writing it to the repository. */
  readonly emitXspace: boolean;
}

/** ProfileOptions.duration_ms (field 9), read without a schema for the whole message. */
function optionsDuration(options: Uint8Array): number {
  const r = Reader.create(options);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 9 && (tag & 7) === 0) return Number(r.uint64().toString());
    r.skipType(tag & 7);
  }
  return 0;
}

/** Sessions in progress by id, so Terminate can end one early. */
const running = new Map<string, Int32Array>();

/**
 * TensorFlow's profiler over this process for the requested time, as TensorFlow's own
 * ProfilerService does: the XSpace is written to `<repository_root>/<session_id>/<host>.xplane.pb`
 * (colons in the host name become underscores), or returned when the client asks for it.
 */
export async function captureProfile(req: ProfileCapture, signal?: AbortSignal): Promise<{ emptyTrace: boolean; xspace?: Uint8Array }> {
  const durationMs = optionsDuration(req.options) || req.durationMs;
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = () => Atomics.store(stop, 0, 1);
  signal?.addEventListener('abort', onAbort, { once: true });
  running.set(req.sessionId, stop);
  let result: { xspace: Uint8Array; empty: boolean };
  try {
    result = await loadAddon().profile(req.options, durationMs, stop);
  } catch (err) {
    // TensorFlow's code: a second capture while one runs is its ALREADY_EXISTS, not INTERNAL.
    throw tensorflowError(err);
  } finally {
    running.delete(req.sessionId);
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw new ServingError(Code.CANCELLED, 'Cancelled');
  if (req.emitXspace) return { emptyTrace: result.empty, xspace: result.xspace };
  const dir = path.join(req.repositoryRoot, req.sessionId);
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, `${req.hostName.replace(/:/g, '_')}.xplane.pb`), result.xspace);
  } catch (err) {
    throw new ServingError(Code.INTERNAL, (err as Error).message);
  }
  return { emptyTrace: result.empty };
}

/** Ends the named session's capture now; it still writes what it collected. */
export function terminateProfile(sessionId: string): void {
  const stop = running.get(sessionId);
  if (stop) Atomics.store(stop, 0, 1);
}
