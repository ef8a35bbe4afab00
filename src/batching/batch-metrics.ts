import { ServingMetrics } from '../metrics/serving-metrics';
import { BatchScheduler } from './batch-scheduler';

/** TF Serving's batching_session metrics, plus our queue depth. */
export function observeBatching(scheduler: BatchScheduler, metrics: ServingMetrics, threadPoolName: string): void {
  scheduler.onBatch = (e) => {
    metrics.wrappedRunCount.inc();
    for (const us of e.queueMicros) metrics.queuingLatency.observe({ thread_pool_name: threadPoolName }, us);
    for (const rows of e.taskRows) metrics.inputBatchSize.observe(rows);
    metrics.processedBatchSize.observe(e.paddedRows);
    metrics.paddingSize.observe({ execution_batch_size: String(e.paddedRows) }, e.paddedRows - e.rows);
  };
  scheduler.onDepth = (depth) => metrics.batchQueueDepth.set({ thread_pool_name: threadPoolName }, depth);
}
