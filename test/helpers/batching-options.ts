import { BatchingOptions, DEFAULT_BATCH_THREAD_POOL_NAME } from '../../src/config/batching-parameters';

/** Batching options for unit tests: batches of `size` rows, no timeout, one batch thread, then `over`. */
export const batchingOptions = (size: number, over: Partial<BatchingOptions>): BatchingOptions => ({
  maxBatchSize: size,
  batchTimeoutMicros: 0,
  batchTimeoutSet: false,
  maxEnqueuedBatches: 10,
  numBatchThreads: 1,
  threadPoolName: DEFAULT_BATCH_THREAD_POOL_NAME,
  allowedBatchSizes: [],
  padVariableLengthInputs: false,
  enableLargeBatchSplitting: false,
  maxExecutionBatchSize: size,
  ...over,
});
