import { BatchScheduler } from '../batching/batch-scheduler';
import { BatchingServable } from '../batching/batching-servable';
import { BatchingOptions, readPerModelBatchingParameters } from '../config/batching-parameters';
import { Servable } from '../lifecycle/servable';
import { ServingMetrics } from '../metrics/serving-metrics';
import { warmUp } from '../loaders/warmup';
import { PlatformLoader, VersionToLoad } from '../loaders/loader';

export interface PipelineOptions {
  readonly scheduler?: BatchScheduler;
  readonly batching?: BatchingOptions;
  /** --enable_per_model_batching_parameters: batching options come from each version's folder. */
  readonly perModelBatching?: boolean;
  readonly metrics?: ServingMetrics;
  readonly warmup?: { iterations: number; checkMethodName: boolean };
}

/**
 * The one path every version takes, whatever its platform: load, put it behind its batching queues
 * when batching is on, and, before it can serve, replay its warmup requests through that same path
 * (a warmup failure fails the load and frees the version).
 */
export async function loadServable(loader: PlatformLoader, v: VersionToLoad, opts: PipelineOptions): Promise<Servable> {
  const start = process.hrtime.bigint();
  const metrics = opts.metrics;
  let loaded: Servable;
  try {
    loaded = await loader.load(v);
  } catch (err) {
    metrics?.loadAttemptCount.inc({ model_path: v.dir, status: 'fail' });
    throw err;
  }
  metrics?.loadAttemptCount.inc({ model_path: v.dir, status: 'success' });
  metrics?.loadLatency.inc({ model_path: v.dir }, Math.round(Number(process.hrtime.bigint() - start) / 1000));
  let batching: BatchingOptions | undefined;
  try {
    batching = opts.batching && opts.perModelBatching ? readPerModelBatchingParameters(v.dir, opts.batching) : opts.batching;
  } catch (err) {
    await loaded.unload();
    throw err;
  }
  const servable = opts.scheduler && batching ? new BatchingServable(loaded, opts.scheduler, batching) : loaded;
  if (!opts.warmup) return servable;
  try {
    await warmUp(servable, v.dir, opts.warmup);
  } catch (err) {
    await servable.unload();
    throw err;
  }
  return servable;
}
