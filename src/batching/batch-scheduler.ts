import { BatchingOptions } from '../config/batching-parameters';
import { ServingError, unavailable } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { RunContext } from '../lifecycle/servable';
import { Tensor } from '../tensor/tensor';
import { paddedSize } from './batch-merge';

/** One request waiting in a batch. */
export interface BatchTask {
  readonly feeds: readonly Tensor[];
  readonly size: number;
  readonly ctx?: RunContext;
  readonly enqueuedAt: number;
  resolve(outputs: Tensor[]): void;
  reject(err: unknown): void;
}

/** Runs one closed batch (merge, TensorFlow, split) and settles its tasks. */
export type BatchRunner = (tasks: BatchTask[]) => Promise<void>;

/** Reported for every batch that runs, for metrics. */
export interface BatchEvent {
  readonly tasks: number;
  readonly rows: number;
  /** Rows of each task. */
  readonly taskRows: readonly number[];
  /** Rows after padding to an allowed batch size. */
  readonly paddedRows: number;
  /** Microseconds each task waited in the queue. */
  readonly queueMicros: readonly number[];
}

interface Batch {
  tasks: BatchTask[];
  rows: number;
  openedAt: number;
  closed: boolean;
  /** One event-loop turn has passed since it opened: requests that arrived together have joined it. */
  coalesced: boolean;
}

/**
 * A queue of batches for one servable version and one kind of request. A task joins the open batch;
 * one that does not fit closes it and opens the next. A queue already holding max_enqueued_batches
 * batches refuses the task at once with TF Serving's UNAVAILABLE. Batches hold at most `capacity`
 * rows: max_batch_size, or max_execution_batch_size when large batches are split.
 */
export class BatchQueue {
  readonly batches: Batch[] = [];
  /** Batches of this queue now running. */
  inFlight = 0;
  readonly capacity: number;
  /** Called when the queue has nothing queued and nothing running (its owner may drop it). */
  onIdle?: () => void;

  constructor(
    readonly opts: BatchingOptions,
    readonly runner: BatchRunner,
    private readonly scheduler: BatchScheduler,
  ) {
    this.capacity = opts.enableLargeBatchSplitting ? opts.maxExecutionBatchSize : opts.maxBatchSize;
  }

  /** Rows the open batch can still take (0 when there is none): where a split task's first piece goes. */
  openRoom(): number {
    const open = this.batches[this.batches.length - 1];
    return open && !open.closed ? this.capacity - open.rows : 0;
  }

  /** Tasks already queued would make `pieces` more batches past the queue's bound. */
  wouldOverflow(pieces: readonly number[]): boolean {
    let batches = this.batches.length;
    let room = this.openRoom();
    for (const n of pieces) {
      if (n <= room) room -= n;
      else {
        batches++;
        room = this.capacity - n;
      }
    }
    return batches > this.opts.maxEnqueuedBatches;
  }

  enqueue(task: BatchTask): void {
    const open = this.batches[this.batches.length - 1];
    if (open && !open.closed && open.rows + task.size <= this.capacity) {
      open.tasks.push(task);
      open.rows += task.size;
      if (open.rows === this.capacity) open.closed = true;
    } else {
      if (open) open.closed = true;
      if (this.batches.length >= this.opts.maxEnqueuedBatches) {
        this.scheduler.wake(this); // the batch just closed may run now
        throw unavailable('The batch scheduling queue to which this task was submitted is full');
      }
      this.batches.push({
        tasks: [task],
        rows: task.size,
        openedAt: task.enqueuedAt,
        closed: task.size === this.capacity,
        coalesced: false,
      });
    }
    this.scheduler.countQueued(1);
    this.scheduler.wake(this);
  }

  /** Rows of the last batch this queue ran, and how long it took (ms): the recent load. */
  lastRows = 0;
  lastRunMs = 0;

  /**
   * The first batch if it may run now. An explicit batch_timeout_micros is honoured as TF Serving
   * does: a batch that has waited that long goes as soon as a batch thread is free. Within that bound
   * (or always, when it is unset) the scheduler adapts to the load:
   * - while a batch of this queue runs, the next keeps filling (sending it could only queue it behind);
   * - when the servable is idle, the batch goes at once if it is as large as the last one, so at a
   *   steady load no request waits for a timeout;
   * - a smaller batch waits at most half the last run's duration for the rest of the load to arrive,
   *   which keeps closed-loop clients (answers of one batch coming back as the next) from settling
   *   into a large and a small batch that together cost more than one full batch. When the load
   *   drops, that wait happens once, then batches are small and go at once.
   * "At once" means after one event-loop turn, so requests that arrived in the same burst share a batch.
   */
  ready(now: number): { batch?: Batch; wakeAt?: number } {
    const b = this.batches[0];
    if (!b) return {};
    if (b.closed) return { batch: b };
    const deadline = this.opts.batchTimeoutSet ? b.openedAt + this.opts.batchTimeoutMicros / 1000 : Infinity;
    if (now >= deadline) return { batch: b };
    const bounded = deadline < Infinity ? { wakeAt: deadline } : {};
    if (this.inFlight > 0 || !b.coalesced) return bounded;
    if (b.rows >= this.lastRows) return { batch: b };
    const wakeAt = Math.min(b.openedAt + Math.min(this.lastRunMs / 2, MAX_IDLE_WAIT_MS), deadline);
    return now >= wakeAt ? { batch: b } : { wakeAt };
  }
}

/** Longest an idle servable holds a small batch back waiting for more of the load. */
const MAX_IDLE_WAIT_MS = 200;

/** A request that can no longer use its answer is dropped before it takes a batch slot. */
function expired(task: BatchTask, now: number): ServingError | undefined {
  if (task.ctx?.signal?.aborted) return new ServingError(Code.CANCELLED, 'Request was cancelled while queued for batching');
  if (task.ctx?.deadlineMs !== undefined && now >= task.ctx.deadlineMs) {
    return new ServingError(Code.DEADLINE_EXCEEDED, 'Deadline exceeded while queued for batching');
  }
  return undefined;
}

/**
 * The process-wide scheduler shared by every batching queue: up to num_batch_threads batches run at
 * once (TF Serving's meaning: its batch threads), across models and versions and within one queue,
 * and queues are served round-robin. When a batch may close: BatchQueue.ready.
 */
export class BatchScheduler {
  private readonly queues = new Set<BatchQueue>();
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  onBatch?: (e: BatchEvent) => void;
  /** Called with the number of queued requests whenever it changes. */
  onDepth?: (depth: number) => void;
  private depth = 0;

  constructor(private readonly numBatchThreads: number) {}

  createQueue(opts: BatchingOptions, runner: BatchRunner): BatchQueue {
    const q = new BatchQueue(opts, runner, this);
    this.queues.add(q);
    return q;
  }

  removeQueue(q: BatchQueue): void {
    this.queues.delete(q);
  }

  /** A task entered (+1) or left (-1) a queue. */
  countQueued(delta: number): void {
    this.depth += delta;
    this.onDepth?.(this.depth);
  }

  wake(q: BatchQueue): void {
    // Move the queue to the end of the round-robin order only when it had nothing pending.
    if (q.batches.length === 1 && q.batches[0].tasks.length === 1) {
      this.queues.delete(q);
      this.queues.add(q);
    }
    this.pump();
  }

  private coalescing = false;

  /** Marks every open batch as having waited one event-loop turn, then schedules again. */
  private coalesceSoon(): void {
    if (this.coalescing) return;
    this.coalescing = true;
    setImmediate(() => {
      this.coalescing = false;
      for (const q of this.queues) for (const b of q.batches) b.coalesced = true;
      this.pump();
    });
  }

  private pump(): void {
    const now = Date.now();
    let uncoalesced = false;
    let nextWake = Infinity;
    // Passes repeat while batches start, so one queue holding several ready batches fills every free
    // batch thread, not one per pass.
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const q of [...this.queues]) {
        if (this.running >= this.numBatchThreads) break;
        const { batch: b, wakeAt } = q.ready(now);
        if (!b) {
          if (q.batches[0] && !q.batches[0].coalesced) uncoalesced = true;
          if (wakeAt !== undefined) nextWake = Math.min(nextWake, wakeAt);
          continue;
        }
        q.batches.shift();
        progressed = true;
        this.countQueued(-b.tasks.length);
        // Keep round-robin fair: a queue that just ran goes to the back.
        this.queues.delete(q);
        this.queues.add(q);
        const live: BatchTask[] = [];
        for (const t of b.tasks) {
          const err = expired(t, now);
          if (err) t.reject(err);
          else live.push(t);
        }
        if (live.length === 0) {
          this.checkIdle(q);
          continue;
        }
        this.running++;
        q.inFlight++;
        const started = Date.now();
        const rows = live.reduce((n, t) => n + t.size, 0);
        q.lastRows = rows;
        this.onBatch?.({
          tasks: live.length,
          rows,
          taskRows: live.map((t) => t.size),
          paddedRows: paddedSize(rows, q.opts.allowedBatchSizes),
          queueMicros: live.map((t) => (now - t.enqueuedAt) * 1000),
        });
        q.runner(live)
          .catch((err: unknown) => live.forEach((t) => t.reject(err)))
          .finally(() => {
            this.running--;
            q.inFlight--;
            q.lastRunMs = Date.now() - started;
            this.checkIdle(q);
            this.pump();
          });
      }
    }
    if (uncoalesced) this.coalesceSoon();
    if (nextWake < Infinity) this.armTimer(nextWake);
  }

  private checkIdle(q: BatchQueue): void {
    if (q.batches.length === 0 && q.inFlight === 0) q.onIdle?.();
  }

  /** Batches running now, across every queue. */
  get runningBatches(): number {
    return this.running;
  }

  private armTimer(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - Date.now()));
  }
}
