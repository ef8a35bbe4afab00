import { ServingError, invalidArgument } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { dtypeSize } from '../tensor/dtype';
import { NumericTensor, StringTensor, Tensor, isStringTensor, numElements } from '../tensor/tensor';

/**
 * The pure part of batching: how many rows a request brings, joining requests along dimension 0
 * (the one planned copy of the hot path), padding, and splitting outputs back as zero-copy views.
 */

/** Rows in a request: dim 0 shared by all its inputs (TF Serving's rules and wording). */
export function taskSize(feeds: readonly Tensor[]): number {
  let size: number | undefined;
  for (const t of feeds) {
    if (t.shape.length === 0) throw invalidArgument('Batching Run() input tensors must have at least one dimension');
    if (size === undefined) size = t.shape[0];
    else if (t.shape[0] !== size) throw invalidArgument('Batching Run() input tensors must have equal 0th-dimension size');
  }
  return size ?? 0;
}

/**
 * Requests join the same batch only when their dtypes agree and, unless inner dims get padded,
 * everything but dim 0 agrees too.
 */
export function compatibilityKey(feeds: readonly Tensor[], padded: boolean): string {
  return feeds.map((t) => (padded ? `${t.dtype}:${t.shape.length}` : `${t.dtype}:${t.shape.slice(1).join('x')}`)).join('|');
}

/** The smallest allowed size ≥ n (TF Serving pads batches up to it), or n when none is configured. */
export function paddedSize(n: number, allowed: readonly number[]): number {
  for (const a of allowed) if (a >= n) return a;
  return n;
}

const rowBytes = (t: NumericTensor): number => numElements(t.shape.slice(1)) * dtypeSize(t.dtype);

/** Pads every dim > 0 of `t` up to `dims` (TF Serving's pad_variable_length_inputs), filling with its first element. */
function padInner(t: Tensor, dims: readonly number[]): Tensor {
  if (t.shape.slice(1).every((d, i) => d === dims[i])) return t;
  if (t.shape.length > 6) throw invalidArgument('Only tensors with rank from 1 to 6 can be padded.');
  if (numElements(t.shape) === 0) throw invalidArgument('Cannot pad an empty tensor.');
  const outShape = [t.shape[0], ...dims];
  const n = numElements(outShape);
  const strides = (shape: readonly number[]) => shape.map((_, i) => numElements(shape.slice(i + 1)));
  const inStrides = strides(t.shape);
  const outStrides = strides(outShape);
  // Maps each source element to its place in the padded layout.
  const place = (flat: number): number => {
    let rest = flat;
    let at = 0;
    for (let d = 0; d < t.shape.length; d++) {
      const idx = Math.floor(rest / inStrides[d]);
      rest -= idx * inStrides[d];
      at += idx * outStrides[d];
    }
    return at;
  };
  const count = numElements(t.shape);
  if (isStringTensor(t)) {
    const strings: Uint8Array[] = new Array<Uint8Array>(n).fill(t.strings[0]);
    for (let i = 0; i < count; i++) strings[place(i)] = t.strings[i];
    return { dtype: t.dtype, shape: outShape, strings };
  }
  const size = dtypeSize(t.dtype);
  const bytes = new Uint8Array(n * size);
  const first = t.bytes.subarray(0, size);
  for (let i = 0; i < n; i++) bytes.set(first, i * size);
  for (let i = 0; i < count; i++) bytes.set(t.bytes.subarray(i * size, (i + 1) * size), place(i) * size);
  return { dtype: t.dtype, shape: outShape, bytes };
}

/**
 * Joins the tasks' inputs along dim 0 and pads the batch to `total` rows by repeating the last task's
 * first row. With `padVariable`, inner dims are first padded to the batch maximum.
 */
export function mergeInputs(
  names: readonly string[],
  tasks: ReadonlyArray<readonly Tensor[]>,
  total: number,
  padVariable: boolean,
): Tensor[] {
  const numInputs = tasks[0].length;
  const merged: Tensor[] = [];
  for (let k = 0; k < numInputs; k++) {
    let parts = tasks.map((feeds) => feeds[k]);
    if (padVariable) {
      const rank = parts[0].shape.length;
      const dims = Array.from({ length: rank - 1 }, (_, d) => Math.max(...parts.map((p) => p.shape[d + 1] ?? 0)));
      parts = parts.map((p) => padInner(p, dims));
    } else {
      const inner = parts[0].shape.slice(1).join(',');
      if (parts.some((p) => p.shape.slice(1).join(',') !== inner)) {
        throw new ServingError(
          Code.FAILED_PRECONDITION,
          `Tensors with name '${names[k]}' from different tasks have different shapes and padding is turned off. Set pad_variable_length_inputs to true, or ensure that all tensors with the same name have equal dimensions starting with the first dim.`,
        );
      }
    }
    const rows = parts.reduce((n, p) => n + p.shape[0], 0);
    const padRows = total - rows;
    const shape = [total, ...parts[0].shape.slice(1)];
    const last = parts[parts.length - 1];
    if (isStringTensor(parts[0])) {
      const strings: Uint8Array[] = [];
      for (const p of parts as StringTensor[]) strings.push(...p.strings);
      const rowLen = numElements(shape.slice(1));
      const padRow = (last as StringTensor).strings.slice(0, rowLen);
      for (let r = 0; r < padRows; r++) strings.push(...padRow);
      merged.push({ dtype: parts[0].dtype as StringTensor['dtype'], shape, strings });
      continue;
    }
    const numeric = parts as NumericTensor[];
    const row = rowBytes(numeric[0]);
    const bytes = new Uint8Array(total * row);
    let at = 0;
    for (const p of numeric) {
      bytes.set(p.bytes, at);
      at += p.bytes.byteLength;
    }
    const padRow = (last as NumericTensor).bytes.subarray(0, row);
    for (let r = 0; r < padRows; r++, at += row) bytes.set(padRow, at);
    merged.push({ dtype: numeric[0].dtype, shape, bytes });
  }
  return merged;
}

/** Cuts each batched output back into per-task tensors, as views of the batch's buffers. */
export function splitOutputs(outputs: readonly Tensor[], sizes: readonly number[], total: number): Tensor[][] {
  const perTask: Tensor[][] = sizes.map(() => []);
  for (const t of outputs) {
    if (t.shape.length === 0) throw new ServingError(Code.FAILED_PRECONDITION, 'Batched output tensor has 0 dimensions');
    if (t.shape[0] !== total) {
      throw new ServingError(
        Code.FAILED_PRECONDITION,
        "Batched output tensor's 0th dimension does not equal the sum of the 0th dimension sizes of the input tensors",
      );
    }
    const inner = t.shape.slice(1);
    const rowLen = numElements(inner);
    let row = 0;
    sizes.forEach((n, i) => {
      const shape = [n, ...inner];
      if (isStringTensor(t)) {
        perTask[i].push({ dtype: t.dtype, shape, strings: t.strings.slice(row * rowLen, (row + n) * rowLen) });
      } else {
        const rb = rowLen * dtypeSize(t.dtype);
        perTask[i].push({ dtype: t.dtype, shape, bytes: t.bytes.subarray(row * rb, (row + n) * rb) });
      }
      row += n;
    });
  }
  return perTask;
}

/**
 * How a task of `size` rows is cut when large batches are split (TF Serving's SplitInputTask): a first
 * piece that fills the open batch's `room`, then pieces of `capacity` rows.
 */
export function splitSizes(size: number, room: number, capacity: number): number[] {
  if (size <= room || (room === 0 && size <= capacity)) return [size];
  const pieces: number[] = [];
  let left = size;
  if (room > 0) {
    pieces.push(room);
    left -= room;
  }
  for (; left > 0; left -= capacity) pieces.push(Math.min(capacity, left));
  return pieces;
}

/** Joins the answers of a split task's pieces along dimension 0, output by output. */
export function joinRows(pieces: ReadonlyArray<readonly Tensor[]>): Tensor[] {
  if (pieces.length === 1) return [...pieces[0]];
  const rows = pieces.reduce((n, p) => n + (p[0]?.shape[0] ?? 0), 0);
  const names = pieces[0].map((_, k) => `output ${k}`);
  return mergeInputs(names, pieces, rows, false);
}
