import { Registry } from 'prom-client';
import { ModelServerConfigOptions } from '../config/model-server-config';
import { log } from '../log/logger';
import { LogCollectors } from './log-collectors';
import { RequestLogMetrics } from './request-log-metrics';
import { RequestLoggers, RequestLoggersOptions } from './request-loggers';

/** Default size at which a log file is closed and the next one started. */
export const DEFAULT_MAX_FILE_BYTES = 64 << 20;
/** Default bound on the bytes one collector holds in memory waiting for its disk. */
export const DEFAULT_MAX_QUEUE_BYTES = 32 << 20;
/** How long shutdown waits for queued records to reach the disk. */
const CLOSE_TIMEOUT_MS = 5000;

export interface RequestLoggingOptions extends RequestLoggersOptions {
  /** Where the request-log counters are registered (ServingMetrics.registry). */
  readonly registry: Registry;
  readonly maxFileBytes?: number;
  readonly maxQueueBytes?: number;
}

/** A positive integer from the environment (ours: TFSERVING_REQUEST_LOG_*), else the default. */
function bytesFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (Number.isSafeInteger(value) && value > 0) return value;
  log.warn(`${name}=${text} is not a positive number of bytes; using ${fallback}`);
  return fallback;
}

/**
 * Request logging on the main thread (ModelConfig.logging_config): the producer the front ends call
 * (`log`) over the file collectors it feeds, both following the config in force. A front end on
 * another thread runs its own RequestLoggers over a PostingLogSink (kept up to date with each config's
 * `models.map(({ name, logging }) => ({ name, logging }))`), whose records reach `collectors.append` here.
 */
export class RequestLogging {
  readonly collectors: LogCollectors;
  readonly log: RequestLoggers;

  constructor(opts: RequestLoggingOptions) {
    this.collectors = new LogCollectors({
      maxFileBytes: opts.maxFileBytes ?? bytesFromEnv('TFSERVING_REQUEST_LOG_FILE_BYTES', DEFAULT_MAX_FILE_BYTES),
      maxQueueBytes: opts.maxQueueBytes ?? bytesFromEnv('TFSERVING_REQUEST_LOG_QUEUE_BYTES', DEFAULT_MAX_QUEUE_BYTES),
      counters: new RequestLogMetrics(opts.registry),
    });
    this.log = new RequestLoggers(this.collectors, opts);
  }

  /** Follows a newly applied config: collectors first, so the producer never feeds a missing one. */
  update(config: ModelServerConfigOptions): void {
    this.collectors.update(config.models);
    this.log.update(config.models);
  }

  /** At shutdown: what is queued is written (for up to 5 s) and the files are closed. */
  async close(): Promise<void> {
    this.log.update([]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS)));
    const closed = await Promise.race([this.collectors.close().then(() => true), timeout]);
    clearTimeout(timer);
    if (!closed) log.warn('Request logs: records still waiting for the disk at exit are lost');
  }
}
