import { BatchQueue, BatchScheduler, BatchTask } from '../../../src/batching/batch-scheduler';
import { BatchingOptions } from '../../../src/config/batching-parameters';
import { ServingError } from '../../../src/errors/serving-error';
import { batchingOptions } from '../../helpers/batching-options';

/**
 * BatchScheduler and BatchQueue (src/batching/batch-scheduler.ts), in the style of TF Serving's
 * shared_batch_scheduler_test: tasks go in, and each case checks which batches started (their tasks'
 * sizes) before any of them finished, with the runs released by the test. Waits are for conditions,
 * never for durations.
 */

const options = (over: Partial<BatchingOptions>): BatchingOptions => batchingOptions(4, over);

/** A queue whose batch runs wait for `finishAll()`; `started` lists each started batch's task sizes. */
function harness(threads: number, opts: BatchingOptions) {
  const scheduler = new BatchScheduler(threads);
  const started: number[][] = [];
  const pending: Array<() => void> = [];
  const queue = scheduler.createQueue(opts, (tasks: BatchTask[]) => {
    started.push(tasks.map((t) => t.size));
    return new Promise<void>((resolve) =>
      pending.push(() => {
        tasks.forEach((t) => t.resolve([]));
        resolve();
      }),
    );
  });
  const add = (size: number): Promise<unknown> =>
    new Promise((resolve, reject) => queue.enqueue({ feeds: [], size, enqueuedAt: Date.now(), resolve, reject }));
  const finishAll = () => pending.splice(0).forEach((f) => f());
  return { scheduler, queue, started, add, finishAll };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Case {
  name: string;
  threads: number;
  opts: Partial<BatchingOptions>;
  /** Task sizes enqueued together before anything runs. */
  first: number[];
  /** Task sizes enqueued once the first batch has started (and is still running). */
  then: number[];
  /** Batches started while nothing has finished, each as its tasks' sizes. */
  expected: number[][];
}

const cases: Case[] = [
  {
    name: 'num_batch_threads=2: two full batches of one queue run at once',
    threads: 2,
    opts: { maxBatchSize: 2 },
    first: [1, 1, 1, 1],
    then: [],
    expected: [[1, 1], [1, 1]],
  },
  {
    name: 'num_batch_threads=1: the second full batch waits for the first',
    threads: 1,
    opts: { maxBatchSize: 2 },
    first: [1, 1, 1, 1],
    then: [],
    expected: [[1, 1]],
  },
  {
    name: 'num_batch_threads=3: three full batches at once, the fourth waits',
    threads: 3,
    opts: { maxBatchSize: 1 },
    first: [1, 1, 1, 1],
    then: [],
    expected: [[1], [1], [1]],
  },
  {
    name: 'requests arriving together share one batch',
    threads: 2,
    opts: { maxBatchSize: 10 },
    first: [1, 2, 3],
    then: [],
    expected: [[1, 2, 3]],
  },
  {
    name: 'batch_timeout_micros unset: while a batch runs, the next keeps filling (work-conserving)',
    threads: 2,
    opts: { maxBatchSize: 10 },
    first: [1],
    then: [1, 1, 1],
    expected: [[1]],
  },
  {
    name: 'batch_timeout_micros set: a batch that waited that long goes while another runs',
    threads: 2,
    opts: { maxBatchSize: 10, batchTimeoutMicros: 20000, batchTimeoutSet: true },
    first: [1],
    then: [1, 1, 1],
    expected: [[1], [1, 1, 1]],
  },
  {
    name: 'batch_timeout_micros: 0 set explicitly: every task goes as soon as a thread is free',
    threads: 3,
    opts: { maxBatchSize: 10, batchTimeoutMicros: 0, batchTimeoutSet: true },
    first: [1],
    then: [2],
    expected: [[1], [2]],
  },
  {
    name: 'a task that does not fit the open batch closes it (it runs) and opens the next (it fills)',
    threads: 2,
    opts: { maxBatchSize: 4 },
    first: [3, 2],
    then: [],
    expected: [[3]],
  },
];

test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
  const h = harness(c.threads, options(c.opts));
  const answers = c.first.map((n) => h.add(n));
  await until('the first batch', () => h.started.length > 0);
  answers.push(...c.then.map((n) => h.add(n)));
  // Give whatever may start (a timeout, free threads) the chance to, then look.
  const settleMs = (c.opts.batchTimeoutMicros ?? 0) / 1000;
  const deadline = Date.now() + settleMs;
  await until('the batches that may start', () => h.started.length >= c.expected.length && Date.now() >= deadline);
  await turn();
  await turn();
  expect(h.started).toEqual(c.expected);
  expect(h.scheduler.runningBatches).toBe(c.expected.length);
  // Everything still completes once the runs are let go.
  for (let i = 0; i < 20 && h.started.flat().length < c.first.length + c.then.length; i++) {
    h.finishAll();
    await until('more batches', () => true);
    await turn();
  }
  h.finishAll();
  await Promise.all(answers);
});

test('a queue already holding max_enqueued_batches batches refuses the next task with UNAVAILABLE', async () => {
  // The first batch runs at once; the second is the one the queue may hold; the third does not fit.
  const h = harness(1, options({ maxBatchSize: 1, maxEnqueuedBatches: 1 }));
  const ok = [h.add(1), h.add(1)];
  const refused = await h.add(1).then(
    () => undefined,
    (e: ServingError) => ({ code: e.code, message: e.message }),
  );
  expect(refused).toEqual({ code: 14, message: 'The batch scheduling queue to which this task was submitted is full' });
  await until('a batch', () => h.started.length > 0);
  h.finishAll();
  await until('the second batch', () => h.started.length > 1);
  h.finishAll();
  await Promise.all(ok);
});

test('a queue with nothing queued or running reports idle (so its owner can drop it)', async () => {
  const h = harness(1, options({ maxBatchSize: 4 }));
  const idle: BatchQueue[] = [];
  h.queue.onIdle = () => idle.push(h.queue);
  const a = h.add(2);
  await until('the batch', () => h.started.length === 1);
  expect(idle).toEqual([]);
  h.finishAll();
  await a;
  await turn();
  expect(idle).toEqual([h.queue]);
});
