import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { invalidArgument } from '../errors/serving-error';
import { protoType } from '../proto/root';
import { parseTextProto, readTextProtoFile } from './text-proto';

/**
 * --batching_parameters_file and per-model batching_params.pbtxt: read →
 * parse (tensorflow.serving.BatchingParameters text proto) → fill TF
 * Serving's defaults for unset wrappers → check → typed options.
 */

export const BATCHING_PARAMETERS_TYPE = 'tensorflow.serving.BatchingParameters';

/** SharedBatchScheduler defaults (TF core shared_batch_scheduler.h), used for unset fields. */
export const DEFAULT_MAX_BATCH_SIZE = 1000;
export const DEFAULT_BATCH_TIMEOUT_MICROS = 0;
export const DEFAULT_MAX_ENQUEUED_BATCHES = 10;
/** Thread pool name when a file leaves thread_pool_name unset. */
export const DEFAULT_BATCH_THREAD_POOL_NAME = 'batch_threads';
/** Thread pool name the model server uses when --enable_batching is given without a file. */
export const MODEL_SERVER_BATCH_THREAD_POOL_NAME = 'model_server_batch_threads';

/** num_batch_threads default: port::MaxParallelism(), i.e. the CPUs this process may use. */
export function defaultNumBatchThreads(): number {
  return os.availableParallelism();
}

/** BatchingParameters as parseTextProto returns it (int64 wrappers hold strings). */
export interface BatchingParametersProto {
  max_batch_size?: { value?: string };
  batch_timeout_micros?: { value?: string };
  max_enqueued_batches?: { value?: string };
  num_batch_threads?: { value?: string };
  thread_pool_name?: { value?: string };
  allowed_batch_sizes?: string[];
  pad_variable_length_inputs?: boolean;
  enable_large_batch_splitting?: { value?: boolean };
  max_execution_batch_size?: { value?: string };
}

/** Batching settings with every default filled in. */
export interface BatchingOptions {
  /** Largest batch and largest single request, in rows. */
  maxBatchSize: number;
  /** How long an open batch may wait for more rows. */
  batchTimeoutMicros: number;
  /**
   * batch_timeout_micros was given: it bounds how long a batch waits to fill. Unset, the scheduler is
   * purely work-conserving (BatchQueue.ready).
   */
  batchTimeoutSet: boolean;
  /** Queue bound, in batches; beyond it requests get UNAVAILABLE. */
  maxEnqueuedBatches: number;
  /** Batches executed at once, shared by all models. */
  numBatchThreads: number;
  threadPoolName: string;
  /** Increasing sizes batches are padded up to; empty = no padding; last = maxBatchSize. */
  allowedBatchSizes: number[];
  padVariableLengthInputs: boolean;
  enableLargeBatchSplitting: boolean;
  /** Size of executed batches when splitting is on; maxBatchSize otherwise. */
  maxExecutionBatchSize: number;
}

export interface BatchingDefaultsOverride {
  /** Replaces defaultNumBatchThreads() (tests, containers with CPU quotas). */
  numBatchThreads?: number;
}

function int64Value(wrapper: { value?: string } | undefined, fallback: number): number {
  if (wrapper === undefined) return fallback;
  return Number(wrapper.value ?? '0');
}

/**
 * Fills defaults and checks the rules TF Serving applies when it builds the
 * scheduler and the batching session (errors are INVALID_ARGUMENT):
 * positive sizes and thread count, non-negative timeout, and a last
 * allowed_batch_sizes entry equal to max_batch_size.
 */
export function batchingOptionsFromProto(
  proto: BatchingParametersProto,
  defaults: BatchingDefaultsOverride = {},
): BatchingOptions {
  const maxBatchSize = int64Value(proto.max_batch_size, DEFAULT_MAX_BATCH_SIZE);
  const enableLargeBatchSplitting = proto.enable_large_batch_splitting?.value ?? false;
  const options: BatchingOptions = {
    maxBatchSize,
    batchTimeoutMicros: int64Value(proto.batch_timeout_micros, DEFAULT_BATCH_TIMEOUT_MICROS),
    batchTimeoutSet: proto.batch_timeout_micros !== undefined,
    maxEnqueuedBatches: int64Value(proto.max_enqueued_batches, DEFAULT_MAX_ENQUEUED_BATCHES),
    numBatchThreads: int64Value(proto.num_batch_threads, defaults.numBatchThreads ?? defaultNumBatchThreads()),
    threadPoolName: proto.thread_pool_name ? (proto.thread_pool_name.value ?? '') : DEFAULT_BATCH_THREAD_POOL_NAME,
    allowedBatchSizes: (proto.allowed_batch_sizes ?? []).map(Number),
    padVariableLengthInputs: proto.pad_variable_length_inputs ?? false,
    enableLargeBatchSplitting,
    maxExecutionBatchSize: enableLargeBatchSplitting ? int64Value(proto.max_execution_batch_size, maxBatchSize) : maxBatchSize,
  };
  checkBatchingOptions(options);
  return options;
}

function checkBatchingOptions(o: BatchingOptions): void {
  if (o.numBatchThreads < 1) throw invalidArgument(`num_batch_threads must be positive; was ${o.numBatchThreads}`);
  if (o.maxBatchSize < 1) throw invalidArgument(`max_batch_size must be positive; was ${o.maxBatchSize}`);
  if (o.batchTimeoutMicros < 0) {
    throw invalidArgument(`batch_timeout_micros must be non-negative; was ${o.batchTimeoutMicros}`);
  }
  if (o.maxEnqueuedBatches < 1) throw invalidArgument(`max_enqueued_batches must be positive; was ${o.maxEnqueuedBatches}`);
  if (o.maxExecutionBatchSize < 1) {
    throw invalidArgument(`max_execution_batch_size must be positive; was ${o.maxExecutionBatchSize}`);
  }
  // Only the last entry is checked, as in TF Serving (bundle_factory_util.cc); the
  // proto asks for increasing entries but the server does not enforce it.
  const sizes = o.allowedBatchSizes;
  if (sizes.length > 0) {
    const last = sizes[sizes.length - 1] as number;
    if (last !== o.maxBatchSize) {
      throw invalidArgument(
        `Last entry in allowed_batch_sizes must match max_batch_size; last entry was ${last}; expected ${o.maxBatchSize}`,
      );
    }
  }
}

/**
 * The settings --enable_batching uses when no --batching_parameters_file is
 * given: every scheduler default, thread pool "model_server_batch_threads".
 */
export function defaultBatchingOptions(defaults: BatchingDefaultsOverride = {}): BatchingOptions {
  return batchingOptionsFromProto({ thread_pool_name: { value: MODEL_SERVER_BATCH_THREAD_POOL_NAME } }, defaults);
}

/** Parses and checks BatchingParameters text. */
export function batchingOptionsFromText(text: string, defaults?: BatchingDefaultsOverride): BatchingOptions {
  return batchingOptionsFromProto(parseTextProto<BatchingParametersProto>(protoType(BATCHING_PARAMETERS_TYPE), text), defaults);
}

/** Reads, parses and checks a BatchingParameters text file. */
export function readBatchingParametersFile(file: string, defaults?: BatchingDefaultsOverride): BatchingOptions {
  return batchingOptionsFromProto(
    readTextProtoFile<BatchingParametersProto>(protoType(BATCHING_PARAMETERS_TYPE), file),
    defaults,
  );
}

/** The per-version parameters file TF Serving reads with --enable_per_model_batching_parameters. */
export const PER_MODEL_BATCHING_FILE = 'batching_params.pbtxt';

/**
 * A version's own batching parameters (`<version dir>/batching_params.pbtxt`), or undefined when it has
 * none, which as in TF Serving means the version is not batched. The thread pool stays the shared one.
 */
export function readPerModelBatchingParameters(versionDir: string, shared: BatchingOptions): BatchingOptions | undefined {
  const file = path.join(versionDir, PER_MODEL_BATCHING_FILE);
  if (!fs.existsSync(file)) return undefined;
  const own = readBatchingParametersFile(file, { numBatchThreads: shared.numBatchThreads });
  return { ...own, numBatchThreads: shared.numBatchThreads, threadPoolName: shared.threadPoolName };
}
