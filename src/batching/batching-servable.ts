import { BatchingOptions } from '../config/batching-parameters';
import { invalidArgument, unavailable } from '../errors/serving-error';
import { RunContext, Servable, Signature } from '../lifecycle/servable';
import { Tensor } from '../tensor/tensor';
import { compatibilityKey, joinRows, mergeInputs, paddedSize, splitOutputs, splitSizes, taskSize } from './batch-merge';
import { BatchQueue, BatchScheduler, BatchTask } from './batch-scheduler';

/** A signal that fires once every task's own signal has fired (never, if some task has none). */
function allAborted(tasks: readonly BatchTask[]): AbortSignal | undefined {
  const signals = tasks.map((t) => t.ctx?.signal);
  if (signals.some((s) => s === undefined)) return undefined;
  const controller = new AbortController();
  const check = () => {
    if (signals.every((s) => s?.aborted)) controller.abort();
  };
  for (const s of signals) s?.addEventListener('abort', check, { once: true });
  check();
  return controller.signal;
}

/**
 * A servable whose runs go through batching queues: concurrent requests for the same version, the
 * same feeds and fetches, and the same inner shapes are joined into one TensorFlow run and split back.
 *
 * Unlike TF Serving, requests of different inner shapes go to different queues instead of failing
 * each other's batch, and requests that cannot be batched (no inputs, scalars) run on their own
 * instead of being refused.
 */
export class BatchingServable implements Servable {
  private readonly queues = new Map<string, BatchQueue>();

  constructor(
    private readonly inner: Servable,
    private readonly scheduler: BatchScheduler,
    private readonly opts: BatchingOptions,
  ) {}

  get signatures(): ReadonlyMap<string, Signature> {
    return this.inner.signatures;
  }

  get rawSignatureDefEntries(): readonly Uint8Array[] {
    return this.inner.rawSignatureDefEntries;
  }

  get batching(): BatchingOptions {
    return this.opts;
  }

  /** The inner session's id: another thread runs it through batching queues of its own (see `batching`). */
  shareSession(): number | undefined {
    return this.inner.shareSession?.();
  }

  /** Queues now alive (one per kind of request seen recently); idle ones are dropped. */
  get queueCount(): number {
    return this.queues.size;
  }

  run(feedNames: string[], feeds: Tensor[], fetchNames: string[], ctx?: RunContext): Promise<Tensor[]> {
    if (feeds.length === 0 || feeds.some((t) => t.shape.length === 0)) return this.inner.run(feedNames, feeds, fetchNames, ctx);
    const size = taskSize(feeds);
    if (size > this.opts.maxBatchSize) {
      return Promise.reject(invalidArgument(`Task size ${size} is larger than maximum input batch size ${this.opts.maxBatchSize}`));
    }
    // Feeds in a canonical order, so requests listing inputs differently share a queue.
    const order = feedNames.map((_, i) => i).sort((a, b) => (feedNames[a] < feedNames[b] ? -1 : 1));
    const names = order.map((i) => feedNames[i]);
    const sorted = order.map((i) => feeds[i]);
    const key = `${names.join(',')}=>${fetchNames.join(',')}#${compatibilityKey(sorted, this.opts.padVariableLengthInputs)}`;
    const q = this.queueFor(key, names, fetchNames);
    const pieces = this.opts.enableLargeBatchSplitting ? splitSizes(size, q.openRoom(), q.capacity) : [size];
    if (pieces.length === 1) return this.enqueue(q, sorted, size, ctx);
    // TF Serving's large batch splitting: the first piece fills the open batch, the rest go in
    // execution-sized batches; the answers are joined back in order. The request is refused whole
    // when its pieces do not all fit in the queue.
    if (q.wouldOverflow(pieces)) {
      return Promise.reject(unavailable('The batch scheduling queue to which this task was submitted is full'));
    }
    const parts = splitOutputs(sorted, pieces, size);
    const answers = parts.map((part, i) => this.enqueue(q, part, pieces[i], ctx));
    return Promise.all(answers).then((perPiece) => joinRows(perPiece));
  }

  /** The queue for one kind of request, created on first use and dropped once idle. */
  private queueFor(key: string, names: string[], fetchNames: string[]): BatchQueue {
    const existing = this.queues.get(key);
    if (existing) return existing;
    const q = this.scheduler.createQueue(this.opts, (tasks) => this.runBatch(names, fetchNames, tasks));
    // Variable-length inputs make a new queue per inner shape; an idle one is dropped, not kept until unload.
    q.onIdle = () => {
      if (this.queues.get(key) !== q) return;
      this.queues.delete(key);
      this.scheduler.removeQueue(q);
    };
    this.queues.set(key, q);
    return q;
  }

  private enqueue(q: BatchQueue, feeds: Tensor[], size: number, ctx: RunContext | undefined): Promise<Tensor[]> {
    return new Promise<Tensor[]>((resolve, reject) => {
      const task: BatchTask = { feeds, size, ctx, enqueuedAt: Date.now(), resolve, reject };
      q.enqueue(task);
    });
  }

  private async runBatch(feedNames: string[], fetchNames: string[], tasks: BatchTask[]): Promise<void> {
    const sizes = tasks.map((t) => t.size);
    const rows = sizes.reduce((a, b) => a + b, 0);
    const total = paddedSize(rows, this.opts.allowedBatchSizes);
    const merged = mergeInputs(feedNames, tasks.map((t) => t.feeds), total, this.opts.padVariableLengthInputs);
    // The batch is worth running until the last of its requests' deadlines, unless all its clients left.
    const deadlines = tasks.map((t) => t.ctx?.deadlineMs);
    const deadlineMs = deadlines.some((d) => d === undefined) ? undefined : Math.max(...(deadlines as number[]));
    const outputs = await this.inner.run(feedNames, merged, fetchNames, { deadlineMs, signal: allAborted(tasks) });
    const perTask = splitOutputs(outputs, sizes, total);
    tasks.forEach((t, i) => t.resolve(perTask[i]));
  }

  async unload(): Promise<void> {
    for (const q of this.queues.values()) this.scheduler.removeQueue(q);
    await this.inner.unload();
  }
}
