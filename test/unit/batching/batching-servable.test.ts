import { BatchScheduler } from '../../../src/batching/batch-scheduler';
import { BatchingServable } from '../../../src/batching/batching-servable';
import { splitSizes } from '../../../src/batching/batch-merge';
import { BatchingOptions } from '../../../src/config/batching-parameters';
import { Servable } from '../../../src/lifecycle/servable';
import { DataType } from '../../../src/tensor/dtype';
import { NumericTensor, Tensor, bytesOf, numericTensor } from '../../../src/tensor/tensor';
import { batchingOptions } from '../../helpers/batching-options';

/**
 * BatchingServable (src/batching/batching-servable.ts): large batch splitting
 * (enable_large_batch_splitting + max_execution_batch_size) and per-shape queues that go away when idle.
 * The inner servable is an identity model that records the rows of every batch it runs.
 */

const options = (over: Partial<BatchingOptions>): BatchingOptions => batchingOptions(8, over);

function identity(ran: number[][]): Servable {
  return {
    signatures: new Map(),
    rawSignatureDefEntries: [],
    run: async (_names: string[], feeds: Tensor[]) => {
      ran.push([...feeds[0].shape]);
      return [feeds[0]];
    },
    unload: async () => undefined,
  };
}

/** A float tensor of `rows` rows of `width` values: row r holds r*10 + column. */
const rows = (n: number, width = 2, from = 0): NumericTensor =>
  numericTensor(
    DataType.DT_FLOAT,
    [n, width],
    bytesOf(Float32Array.from({ length: n * width }, (_, i) => (from + Math.floor(i / width)) * 10 + (i % width))),
  );
const floats = (t: Tensor): number[] => Array.from(new Float32Array((t as NumericTensor).bytes.slice().buffer));

test.each([
  // [task rows, room left in the open batch, execution batch size, pieces] (TF Serving's SplitInputTask)
  [7, 0, 3, [3, 3, 1]],
  [6, 0, 3, [3, 3]],
  [3, 0, 3, [3]],
  [2, 1, 3, [1, 1]],
  [7, 2, 3, [2, 3, 2]],
  [1, 2, 3, [1]],
])('splitSizes(%d rows, room %d, capacity %d) = %j', (size, room, capacity, pieces) => {
  expect(splitSizes(size, room, capacity)).toEqual(pieces);
});

test('enable_large_batch_splitting: a request larger than max_execution_batch_size runs in several batches and comes back whole', async () => {
  const ran: number[][] = [];
  const s = new BatchingServable(identity(ran), new BatchScheduler(1), options({ enableLargeBatchSplitting: true, maxExecutionBatchSize: 3 }));
  const [out] = await s.run(['x'], [rows(7)], ['y']);
  expect({ executed: ran.map((shape) => shape[0]), shape: out.shape, values: floats(out) }).toEqual({
    executed: [3, 3, 1],
    shape: [7, 2],
    values: floats(rows(7)),
  });
});

test('without splitting the same request is refused as in TF Serving', async () => {
  const s = new BatchingServable(identity([]), new BatchScheduler(1), options({ maxBatchSize: 4, maxExecutionBatchSize: 4 }));
  await expect(s.run(['x'], [rows(7)], ['y'])).rejects.toMatchObject({ code: 3, message: 'Task size 7 is larger than maximum input batch size 4' });
});

test('with splitting, max_batch_size still bounds a request', async () => {
  const s = new BatchingServable(identity([]), new BatchScheduler(1), options({ maxBatchSize: 4, enableLargeBatchSplitting: true, maxExecutionBatchSize: 2 }));
  await expect(s.run(['x'], [rows(5)], ['y'])).rejects.toMatchObject({ message: 'Task size 5 is larger than maximum input batch size 4' });
});

test('a queue per inner shape is dropped once idle: variable-length inputs do not grow memory', async () => {
  const ran: number[][] = [];
  const s = new BatchingServable(identity(ran), new BatchScheduler(1), options({}));
  for (const width of [2, 3, 4, 5]) {
    const pending = s.run(['x'], [rows(1, width)], ['y']);
    expect(s.queueCount).toBe(1);
    await pending;
    await new Promise((r) => setImmediate(r));
  }
  expect({ queues: s.queueCount, ran }).toEqual({ queues: 0, ran: [[1, 2], [1, 3], [1, 4], [1, 5]] });
});
