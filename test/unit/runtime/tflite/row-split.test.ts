import { DataType } from '../../../../src/tensor/dtype';
import { Tensor } from '../../../../src/tensor/tensor';
import { concatRows, partSizes, rowsPerPart, sliceRows } from '../../../../src/runtime/tflite/row-split';

const floats = (values: number[], shape: number[]): Tensor => ({
  dtype: DataType.DT_FLOAT,
  shape,
  bytes: new Uint8Array(new Float32Array(values).buffer),
});
const valuesOf = (t: Tensor): number[] => ('bytes' in t ? Array.from(new Float32Array(t.bytes.slice().buffer)) : []);

describe('rowsPerPart: TF Serving max_execution_batch_size for TFLite', () => {
  // tflite_session_test: kBatchSize / num_interpreters without a model batch, else the model's.
  it.each([
    [-1, 4, 125],
    [1, 4, 125],
    [1, 2, 250],
    [1, 3, 167],
    [5, 4, 5],
  ])('model batch %d, %d interpreters per pool -> %d rows', (modelBatch, perPool, rows) => {
    expect(rowsPerPart(modelBatch, perPool)).toBe(rows);
  });
});

describe('partSizes', () => {
  it.each([
    [600, 250, [250, 250, 100]],
    [500, 250, [250, 250]],
    [1, 250, [1]],
    [0, 250, []],
  ])('%d rows in parts of %d', (rows, per, sizes) => {
    expect(partSizes(rows, per)).toEqual(sizes);
  });
});

describe('sliceRows / concatRows', () => {
  it('split then join gives the tensor back, for numbers and strings', () => {
    const t = floats([1, 2, 3, 4, 5, 6], [3, 2]);
    const parts = [sliceRows(t, 0, 2), sliceRows(t, 2, 1)];
    expect(parts.map((p) => [p.shape, valuesOf(p)])).toEqual([
      [[2, 2], [1, 2, 3, 4]],
      [[1, 2], [5, 6]],
    ]);
    const joined = concatRows(parts);
    expect(joined.shape).toEqual([3, 2]);
    expect(valuesOf(joined)).toEqual([1, 2, 3, 4, 5, 6]);

    const enc = (s: string) => new TextEncoder().encode(s);
    const s: Tensor = { dtype: DataType.DT_STRING, shape: [3], strings: [enc('a'), enc('b'), enc('c')] };
    const back = concatRows([sliceRows(s, 0, 1), sliceRows(s, 1, 2)]);
    expect(back.shape).toEqual([3]);
    expect('strings' in back && back.strings.map((b) => new TextDecoder().decode(b))).toEqual(['a', 'b', 'c']);
  });
});
