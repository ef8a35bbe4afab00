import { Tensor, isStringTensor, numElements } from '../../tensor/tensor';

/**
 * Splitting a request along its first dimension and joining the parts' outputs back, for
 * --num_tflite_interpreters_per_pool > 1: TF Serving then splits a large request into tasks of at most
 * `max_execution_batch_size` rows that run on several interpreters at once.
 */

/** TF Serving's initial batch size for TFLite sessions (tflite_interpreter_pool.h). */
export const TFLITE_INITIAL_BATCH_SIZE = 500;

/**
 * Rows per part, as TF Serving picks `max_execution_batch_size`: the model's own batch size when its
 * single input fixes one above 1, else the initial batch size shared out over the interpreters.
 */
export function rowsPerPart(modelBatchSize: number, interpretersPerPool: number): number {
  if (modelBatchSize > 1) return modelBatchSize;
  return Math.ceil(TFLITE_INITIAL_BATCH_SIZE / interpretersPerPool);
}

/** Row counts of the parts: full parts of `perPart`, then the rest. */
export function partSizes(rows: number, perPart: number): number[] {
  const sizes: number[] = [];
  for (let left = rows; left > 0; left -= perPart) sizes.push(Math.min(left, perPart));
  return sizes;
}

/** Rows [begin, begin+count) of a tensor whose first dimension is the batch. */
export function sliceRows(t: Tensor, begin: number, count: number): Tensor {
  const shape = [count, ...t.shape.slice(1)];
  const perRow = numElements(t.shape.slice(1));
  if (isStringTensor(t)) return { dtype: t.dtype, shape, strings: t.strings.slice(begin * perRow, (begin + count) * perRow) };
  const rowBytes = t.shape[0] === 0 ? 0 : t.bytes.byteLength / t.shape[0];
  return { dtype: t.dtype, shape, bytes: t.bytes.subarray(begin * rowBytes, (begin + count) * rowBytes) };
}

/** Joins same-dtype tensors along the first dimension. */
export function concatRows(parts: readonly Tensor[]): Tensor {
  const first = parts[0];
  const rows = parts.reduce((n, p) => n + (p.shape[0] ?? 1), 0);
  const shape = [rows, ...first.shape.slice(1)];
  if (isStringTensor(first)) {
    return { dtype: first.dtype, shape, strings: parts.flatMap((p) => (isStringTensor(p) ? p.strings : [])) };
  }
  const total = parts.reduce((n, p) => n + (isStringTensor(p) ? 0 : p.bytes.byteLength), 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    if (isStringTensor(p)) continue;
    bytes.set(p.bytes, at);
    at += p.bytes.byteLength;
  }
  return { dtype: first.dtype, shape, bytes };
}
