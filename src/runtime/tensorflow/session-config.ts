import * as fs from 'node:fs';
import { Writer } from 'protobufjs';
import { ServingError } from '../../errors/serving-error';
import { Code } from '../../errors/status-code';
import { TfRuntimeAddon } from './native-addon';

export interface SessionConfigFlags {
  /** --tensorflow_session_config_file: a text ConfigProto. */
  readonly configFile: string;
  readonly intraOp: number;
  readonly interOp: number;
  readonly sessionParallelism: number;
}

// ConfigProto field numbers.
const INTRA_OP_PARALLELISM_THREADS = 2;
const INTER_OP_PARALLELISM_THREADS = 5;

/**
 * The serialized ConfigProto every session is created with. The text file is parsed by TensorFlow's
 * own parser; the thread flags follow TF Serving's rule (intra/inter when either is set, else
 * session_parallelism for both). Unlike TF Serving, which always overwrites the file's thread counts
 * (with 0 when no flag is given), a file's counts stand unless a flag sets them.
 */
export function buildSessionConfig(addon: TfRuntimeAddon, f: SessionConfigFlags): Uint8Array {
  let base: Uint8Array = new Uint8Array(0);
  if (f.configFile) {
    let text: string;
    try {
      text = fs.readFileSync(f.configFile, 'utf8');
    } catch (err) {
      throw new ServingError(Code.NOT_FOUND, `${f.configFile}; ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (err as Error).message}`);
    }
    try {
      base = addon.parseConfigProto(text);
    } catch (err) {
      throw new ServingError(Code.INVALID_ARGUMENT, `Invalid ConfigProto in ${f.configFile}: ${(err as Error).message}`);
    }
  }
  let threads: [number, number] | undefined;
  if (f.intraOp > 0 || f.interOp > 0) threads = [f.intraOp, f.interOp];
  else if (f.sessionParallelism > 0) threads = [f.sessionParallelism, f.sessionParallelism];
  if (!threads) return base;
  // A later occurrence of a scalar field wins when TensorFlow parses the message.
  const w = Writer.create();
  w.uint32((INTRA_OP_PARALLELISM_THREADS << 3) | 0).int32(threads[0]);
  w.uint32((INTER_OP_PARALLELISM_THREADS << 3) | 0).int32(threads[1]);
  const tail = w.finish();
  const out = new Uint8Array(base.length + tail.length);
  out.set(base, 0);
  out.set(tail, base.length);
  return out;
}
