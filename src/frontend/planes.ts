import type { MessagePort } from 'node:worker_threads';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { BatchingOptions } from '../config/batching-parameters';
import { Signature } from '../lifecycle/servable';
import { LoggingConfigOptions } from '../config/logging-config';
import { ModelServerConfigOptions } from '../config/model-server-config';
import { RequestLoggersOptions } from '../request-logging/request-loggers';
import { VersionStatus } from '../lifecycle/servable-state';
import { Tensor } from '../tensor/tensor';
import { FrontEndOptions } from './front-ends';

/**
 * The contract between the control plane (main thread: config, sources, loading, version policy) and
 * the front-end threads (data plane: accept, decode, run, encode). What crosses is small: the versions
 * serving and their states, readiness, config reloads, runs that must stay on the main thread, metric totals.
 *
 * Promises:
 * - A version is published to a thread only while AVAILABLE, and the control plane holds one handle on it
 *   per thread until that thread says `released`, so no version is unloaded while a thread can use it.
 * - Notes arrive in the order sent: a new version is always added before the old one is removed.
 */

/** One serving version as a front-end thread sees it. */
export interface PublishedVersion {
  readonly name: string;
  readonly version: number;
  readonly exportDir: string;
  readonly signatures: ReadonlyMap<string, Signature>;
  readonly rawSignatureDefEntries: readonly Uint8Array[];
  /** The process-wide session: runs go straight to it, or through the batching thread when batched. */
  readonly sessionId?: number;
  /** The version's batching (per model with --enable_per_model_batching_parameters); absent = unbatched. */
  readonly batching?: BatchingOptions;
}
/*
 * Where a version's runs go, decided by the two fields above: a session and no batching, straight to the
 * session from the thread that took the request; a session and batching, to the batching thread; no
 * session (TFLite), to the control plane, which loaded it.
 */

/**
 * What status calls and version resolution need besides the serving versions: the models known, their
 * labels, every version's state (loading, failed, ended) and each base path's read error.
 */
export interface ModelsNote {
  /** Models the manager knows (any that ever had a version or were configured). */
  readonly names: readonly string[];
  /** Models in the current config (GET /v1/models lists these). */
  readonly configured: readonly string[];
  readonly labels: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, number]>]>;
  readonly statuses: ReadonlyArray<readonly [string, readonly VersionStatus[]]>;
  readonly sourceErrors: ReadonlyArray<readonly [string, { readonly code: number; readonly message: string }]>;
  /** Each configured model's logging_config (request logs are sampled and encoded on the threads). */
  readonly logging: ReadonlyArray<{ readonly name: string; readonly logging?: LoggingConfigOptions }>;
}

export interface RunRequest {
  readonly name: string;
  readonly version: number;
  readonly feedNames: string[];
  readonly feeds: Tensor[];
  readonly fetchNames: string[];
  readonly deadlineMs?: number;
}

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** Control plane → thread. */
export type ThreadCalls = {
  listen: [void, { grpcPort: number; restPort: number }];
  stop: [{ deadline: number }, boolean];
  metrics: [void, MetricsSnapshot];
};
export type ThreadNotes = {
  add: PublishedVersion;
  remove: { name: string; version: number };
  models: ModelsNote;
  ready: boolean;
};

/** Thread → control plane. */
export type ControlCalls = {
  run: [RunRequest, Tensor[]];
  /** HandleReloadConfigRequest's new config, applied by the server core. */
  reload: [ModelServerConfigOptions, void];
  /** A metric's int64 value over the whole process (ServingMetrics.int64Value). */
  metricValue: [string, number];
  metricsText: [void, string];
};
export type ControlNotes = {
  released: { name: string; version: number };
  /** A sampled, encoded PredictionLog for the control plane's file collectors. */
  logRecord: { model: string; record: Uint8Array };
};

/** A batched version, announced to the batching thread on a port before its first run there. */
export interface BatchedVersion {
  readonly sessionId: number;
  readonly exportDir: string;
  readonly batching: BatchingOptions;
}

export interface BatchRunRequest {
  readonly sessionId: number;
  readonly feedNames: string[];
  readonly feeds: Tensor[];
  readonly fetchNames: string[];
  readonly deadlineMs?: number;
}

/** Front-end thread → batching thread. */
export type BatchCalls = { run: [BatchRunRequest, Tensor[]] };
export type BatchNotes = { version: BatchedVersion };
/** Control plane → batching thread. */
export type BatcherCalls = { metrics: [void, MetricsSnapshot] };
export type BatcherNotes = { forget: number; port: MessagePort };

/** What the batching thread is started with: a port from each front-end thread. */
export interface BatchingThreadData {
  readonly numBatchThreads: number;
  readonly threadPoolName: string;
  readonly ports: MessagePort[];
}

/** What a front-end thread is started with. */
export interface FrontEndThreadData {
  readonly index: number;
  /** Its port to the batching thread, when batching is on. */
  readonly batchPort?: MessagePort;
  readonly options: FrontEndOptions;
  readonly unavailableUntilFirstLoad: boolean;
  readonly requestLog: RequestLoggersOptions;
}
