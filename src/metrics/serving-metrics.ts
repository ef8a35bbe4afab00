import { AggregatorRegistry, Counter, Gauge, Histogram, MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

/**
 * TF Serving's metrics, under the names its Prometheus exporter gives them (the TF metric path with
 * every character outside [a-zA-Z0-9_] turned into ':'), with the same labels and bucket layouts,
 * plus two of ours: each version's lifecycle state and each batching queue's depth, so an operator
 * can alert on a failed load or a growing backlog.
 */

/** `count` buckets growing geometrically from `start` by `factor`, as TF's ExponentialBuckets. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0, b = start; i < count; i++, b *= factor) out.push(b);
  return out;
}

/** TF Serving's Prometheus exporter names a metric by its TF path with ':' for other characters. */
export function prometheusName(tfName: string): string {
  return tfName.replace(/[^a-zA-Z0-9_]/g, ':');
}

function compareLabels(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

const LATENCY_BUCKETS = exponentialBuckets(10, 1.8, 33);
const BATCH_SIZE_BUCKETS = exponentialBuckets(1, 2, 14);

export class ServingMetrics {
  readonly registry = new Registry();

  readonly requestCount = new Counter({
    name: ':tensorflow:serving:request_count',
    help: 'The total number of requests.',
    labelNames: ['model_name', 'status'],
    registers: [this.registry],
  });

  readonly requestLatency = new Histogram({
    name: ':tensorflow:serving:request_latency',
    help: 'Distribution of wall time (in microseconds) for Tensorflow Serving request.',
    labelNames: ['model_name', 'API', 'entrypoint'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly runtimeLatency = new Histogram({
    name: ':tensorflow:serving:runtime_latency',
    help: 'Distribution of wall time (in microseconds) for Tensorflow runtime.',
    labelNames: ['model_name', 'API', 'runtime'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly requestExampleCounts = new Histogram({
    name: ':tensorflow:serving:request_example_counts',
    help: 'The number of tensorflow.Examples per request.',
    labelNames: ['model'],
    buckets: exponentialBuckets(1, 2, 15),
    registers: [this.registry],
  });

  readonly requestExampleCountTotal = new Counter({
    name: ':tensorflow:serving:request_example_count_total',
    help: 'The total number of tensorflow.Examples.',
    labelNames: ['model'],
    registers: [this.registry],
  });

  readonly loadAttemptCount = new Counter({
    name: ':tensorflow:cc:saved_model:load_attempt_count',
    help: 'The number of times a SavedModel was successfully loaded.',
    labelNames: ['model_path', 'status'],
    registers: [this.registry],
  });

  readonly loadLatency = new Counter({
    name: ':tensorflow:cc:saved_model:load_latency',
    help: 'Latency in microseconds for SavedModels that were successfully loaded.',
    labelNames: ['model_path'],
    registers: [this.registry],
  });

  readonly warmupLatency = new Histogram({
    name: ':tensorflow:serving:model_warmup_latency',
    help: 'Distribution of wall time (in microseconds) for warming up the model.',
    labelNames: ['model_path', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly queuingLatency = new Histogram({
    name: ':tensorflow:serving:batching_session:queuing_latency',
    help: 'Distribution of wall time spent (in microseconds) in queuing',
    labelNames: ['thread_pool_name'],
    buckets: exponentialBuckets(100, 1.2, 52),
    registers: [this.registry],
  });

  readonly wrappedRunCount = new Counter({
    name: ':tensorflow:serving:batching_session:wrapped_run_count',
    help: 'Counts the number of wrapped runs.',
    registers: [this.registry],
  });

  readonly inputBatchSize = new Histogram({
    name: ':tensorflow:serving:batching_session:input_batch_size',
    help: 'Tracks the batch size distribution on the inputs by model_name (if available).',
    buckets: BATCH_SIZE_BUCKETS,
    registers: [this.registry],
  });

  readonly processedBatchSize = new Histogram({
    name: ':tensorflow:serving:batching_session:processed_batch_size',
    help: 'Tracks the batch size distribution on processing by model_name (if available).',
    buckets: BATCH_SIZE_BUCKETS,
    registers: [this.registry],
  });

  readonly paddingSize = new Histogram({
    name: ':tensorflow:serving:batching_session:padding_size',
    help: 'Tracks the padding size distribution on batches by model_name (if available).',
    labelNames: ['execution_batch_size'],
    buckets: BATCH_SIZE_BUCKETS,
    registers: [this.registry],
  });

  /** Ours: 10 START, 20 LOADING, 30 AVAILABLE, 40 UNLOADING, 50 END, and 0 when a load failed. */
  readonly versionState = new Gauge({
    name: ':tensorflow:serving:model_version_state',
    help: 'Lifecycle state of each model version (ModelVersionStatus.State numbers; 0 = load failed).',
    labelNames: ['model_name', 'version'],
    registers: [this.registry],
  });

  /** Ours: requests waiting in batching queues. */
  readonly batchQueueDepth = new Gauge({
    name: ':tensorflow:serving:batching_session:queue_depth',
    help: 'Requests waiting in batching queues.',
    labelNames: ['thread_pool_name'],
    registers: [this.registry],
  });

  /** Ours: requests each front-end thread took (`main` when the main thread serves), to see the spread. */
  readonly frontEndRequests = new Counter({
    name: ':tensorflow:serving:front_end_request_count',
    help: 'Requests answered by each front-end thread.',
    labelNames: ['thread'],
    registers: [this.registry],
  });

  /**
   * A metric's value as TF Serving's HandleReloadConfigRequest reads it: by its TensorFlow name
   * (`/tensorflow/serving/request_count`), the first point's int64 value, and 0 for a metric that does
   * not exist, has no point yet, or holds a distribution (which has no int64 value).
   */
  async int64Value(tfName: string): Promise<number> {
    const metric = (await this.merged()).getSingleMetric(prometheusName(tfName));
    if (!metric) return 0;
    const { values, type } = await metric.get();
    if (String(type) === 'histogram') return 0;
    // TensorFlow keeps a metric's points ordered by their label values; the first one is read.
    const key = (v: { labels: object }) => Object.values(v.labels).map(String);
    const first = [...values].sort((a, b) => compareLabels(key(a), key(b)))[0];
    return first ? Math.trunc(first.value) : 0;
  }

  /**
   * The other threads that record requests (front-end threads): their counts are added to this
   * thread's in every read, so the server shows one set of totals.
   */
  peers?: () => Promise<MetricObjectWithValues<MetricValue<string>>[][]>;

  private async merged(): Promise<Registry> {
    if (!this.peers) return this.registry;
    return AggregatorRegistry.aggregate([await this.registry.getMetricsAsJSON(), ...(await this.peers())]);
  }

  /** The Prometheus text exposition of every metric, over all threads. */
  async text(): Promise<string> {
    return (await this.merged()).metrics();
  }
}
