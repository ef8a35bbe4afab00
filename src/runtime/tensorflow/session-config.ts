import * as fs from 'node:fs';
import { Writer } from 'protobufjs';
import { ServingError } from '../../errors/serving-error';
import { Code } from '../../errors/status-code';
import { TfRuntimeAddon } from './native-addon';
import { log } from '../../log/logger';

export interface SessionConfigFlags {
  /** --tensorflow_session_config_file: a text ConfigProto. */
  readonly configFile: string;
  readonly intraOp: number;
  readonly interOp: number;
  readonly sessionParallelism: number;
  /** --per_process_gpu_memory_fraction; 0 leaves TensorFlow's choice (or the file's value). */
  readonly gpuMemoryFraction: number;
  /** --mixed_precision: "bfloat16" turns on oneDNN's bfloat16 auto mixed precision; "" nothing. */
  readonly mixedPrecision: string;
  /**
   * Set when --platform_config_file is given: as in TF Serving, its SessionBundleConfig.session_config is
   * the ConfigProto, and the file, thread and GPU-memory flags above are ignored. `sessionConfig` absent
   * means the file has none (TensorFlow's defaults). mixedPrecision then holds the file's mixed_precision.
   */
  readonly platformConfig?: { readonly file: string; readonly sessionConfig?: PlatformSessionConfigSource };
}

/** A platform config file's session_config: text for TensorFlow's parser, or serialized bytes. */
export interface PlatformSessionConfigSource {
  readonly text?: { readonly text: string; readonly line: number; readonly column: number };
  readonly bytes?: Uint8Array;
}

// Field numbers, from tensorflow/core/protobuf/config.proto and rewriter_config.proto (TF 2.21).
const CONFIG_INTRA_OP_PARALLELISM_THREADS = 2; // int32
const CONFIG_INTER_OP_PARALLELISM_THREADS = 5; // int32
const CONFIG_GPU_OPTIONS = 6; // GPUOptions
const GPU_OPTIONS_PER_PROCESS_GPU_MEMORY_FRACTION = 1; // double
const CONFIG_GRAPH_OPTIONS = 10; // GraphOptions
const GRAPH_OPTIONS_REWRITE_OPTIONS = 10; // RewriterConfig
const REWRITER_AUTO_MIXED_PRECISION_ONEDNN_BFLOAT16 = 31; // RewriterConfig.Toggle
const TOGGLE_ON = 1;

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;

/** The one --mixed_precision value TF Serving acts on. */
export const MIXED_PRECISION_BFLOAT16 = 'bfloat16';

/**
 * What TF Serving logs about --mixed_precision each time it creates a SavedModel session
 * (servables/tensorflow/saved_model_bundle_factory.cc), or undefined when the flag is empty.
 */
export function mixedPrecisionLoadLog(mode: string): { level: 'info' | 'warn'; message: string } | undefined {
  if (mode === '') return undefined;
  if (mode === MIXED_PRECISION_BFLOAT16) return { level: 'info', message: 'Running inference with bfloat16 auto mixed precision' };
  return { level: 'warn', message: `${mode} auto mixed precision is not supported. Valid option: bfloat16` };
}

/**
 * The serialized ConfigProto every session is created with, built as TF Serving builds it
 * (model_servers/server.cc, then saved_model_bundle_factory.cc): the text file, parsed by TensorFlow's
 * own parser; then gpu_options.per_process_gpu_memory_fraction from the flag (a C++ float widened to
 * the field's double, as TF Serving stores it); the thread flags by TF Serving's rule (intra/inter when
 * either is set, else session_parallelism for both); and with --mixed_precision=bfloat16,
 * graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = ON (any other value changes
 * nothing). Fields are appended to the file's bytes: TensorFlow's parser lets a later scalar win and
 * merges a later message field into the earlier one, so the file's other settings stand.
 *
 * Unlike TF Serving, which always overwrites the file's thread counts and GPU memory fraction (with 0
 * when no flag is given), a file's values stand unless a flag sets them.
 */
export function buildSessionConfig(addon: Pick<TfRuntimeAddon, 'parseConfigProto'>, f: SessionConfigFlags): Uint8Array {
  if (f.platformConfig) return platformSessionConfig(addon, f.platformConfig.file, f.platformConfig.sessionConfig, f.mixedPrecision);
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
  const w = Writer.create();
  if (f.gpuMemoryFraction !== 0) {
    w.uint32((CONFIG_GPU_OPTIONS << 3) | LEN).fork();
    w.uint32((GPU_OPTIONS_PER_PROCESS_GPU_MEMORY_FRACTION << 3) | FIXED64).double(Math.fround(f.gpuMemoryFraction));
    w.ldelim();
  }
  let threads: [number, number] | undefined;
  if (f.intraOp > 0 || f.interOp > 0) threads = [f.intraOp, f.interOp];
  else if (f.sessionParallelism > 0) threads = [f.sessionParallelism, f.sessionParallelism];
  if (threads) {
    w.uint32((CONFIG_INTRA_OP_PARALLELISM_THREADS << 3) | VARINT).int32(threads[0]);
    w.uint32((CONFIG_INTER_OP_PARALLELISM_THREADS << 3) | VARINT).int32(threads[1]);
  }
  if (f.mixedPrecision === MIXED_PRECISION_BFLOAT16) writeBfloat16Rewrite(w);
  return appended(base, w.finish());
}

/** graph_options { rewrite_options { auto_mixed_precision_onednn_bfloat16: ON } }, as TF Serving sets it. */
function writeBfloat16Rewrite(w: Writer): void {
  w.uint32((CONFIG_GRAPH_OPTIONS << 3) | LEN).fork();
  w.uint32((GRAPH_OPTIONS_REWRITE_OPTIONS << 3) | LEN).fork();
  w.uint32((REWRITER_AUTO_MIXED_PRECISION_ONEDNN_BFLOAT16 << 3) | VARINT).int32(TOGGLE_ON);
  w.ldelim();
  w.ldelim();
}

/** `base` with `tail`'s fields after it: TensorFlow merges a later occurrence into the earlier one. */
function appended(base: Uint8Array, tail: Uint8Array): Uint8Array {
  if (tail.length === 0) return base;
  const out = new Uint8Array(base.length + tail.length);
  out.set(base, 0);
  out.set(tail, base.length);
  return out;
}

/**
 * The ConfigProto of a --platform_config_file (TF Serving uses the file's session_config as it is): its
 * text parsed by TensorFlow's parser; a parse error fails like any error in the file (`Invalid protobuf
 * file: '<file>'`, TensorFlow's message logged). Only mixed_precision "bfloat16", which TF Serving turns
 * into the oneDNN rewrite when it creates each session, is added to it.
 */
function platformSessionConfig(
  addon: Pick<TfRuntimeAddon, 'parseConfigProto'>,
  file: string,
  source: PlatformSessionConfigSource | undefined,
  mixedPrecision: string,
): Uint8Array {
  let base: Uint8Array = source?.bytes ?? new Uint8Array(0);
  if (source?.text) {
    try {
      base = addon.parseConfigProto(source.text.text);
    } catch (err) {
      log.error(
        `Error parsing text-format tensorflow.ConfigProto (session_config at ${source.text.line}:${source.text.column} of ${file}): ${(err as Error).message}`,
      );
      throw new ServingError(Code.INVALID_ARGUMENT, `Invalid protobuf file: '${file}'`, { cause: err });
    }
  }
  if (mixedPrecision !== MIXED_PRECISION_BFLOAT16) return base;
  const w = Writer.create();
  writeBfloat16Rewrite(w);
  return appended(base, w.finish());
}
