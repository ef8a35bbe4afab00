import { MAX_RUN_THREADS } from '../../../src/runtime/tensorflow/native-addon';
import { TensorFlowRuntime } from '../../../src/runtime/tensorflow/tensorflow-runtime';

const flags = { configFile: '', intraOp: 0, interOp: 0, sessionParallelism: 0, gpuMemoryFraction: 0, mixedPrecision: '' };

describe('TensorFlowRuntime.runThreadsFor', () => {
  test.each([
    ['inter-op parallelism', { interOp: 6 }, 6],
    ['session parallelism when inter-op is unset', { sessionParallelism: 5 }, 5],
    ['at least 2', { interOp: 1 }, 2],
    // The addon refuses more; TensorFlow's own pools still get the flag's value.
    ['at most MAX_RUN_THREADS', { interOp: 5000 }, MAX_RUN_THREADS],
  ])('%s', (_name, o, expected) => {
    expect(TensorFlowRuntime.runThreadsFor({ ...flags, ...o })).toBe(expected);
  });
});
