import { DataType, dtypeSize } from './dtype';

/**
 * A dense tensor as it travels through the server.
 *
 * Numeric tensors keep their elements as little-endian bytes (`bytes`), the layout of TensorProto's
 * tensor_content, of packed fixed-width proto fields and of TensorFlow's own buffers. That lets a
 * request's bytes reach TensorFlow, and TensorFlow's output reach the response, without a per-element
 * loop. `bytes` may be a view into a larger buffer (a decoded gRPC message): never assume offset 0.
 * Strings are arbitrary byte sequences, one per element.
 */
export type Tensor = NumericTensor | StringTensor;

export interface NumericTensor {
  readonly dtype: Exclude<DataType, DataType.DT_STRING>;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export interface StringTensor {
  readonly dtype: DataType.DT_STRING;
  readonly shape: readonly number[];
  readonly strings: readonly Uint8Array[];
}

export const isStringTensor = (t: Tensor): t is StringTensor => t.dtype === DataType.DT_STRING;

/** Product of the dims; 1 for a scalar. */
export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[2,3]`, as TensorFlow prints shapes in messages. */
export const shapeString = (shape: readonly number[]): string => `[${shape.join(',')}]`;

export function numericTensor(dtype: NumericTensor['dtype'], shape: readonly number[], bytes: Uint8Array): NumericTensor {
  const expected = numElements(shape) * dtypeSize(dtype);
  if (bytes.byteLength !== expected) {
    throw new Error(`tensor of shape ${shapeString(shape)} needs ${expected} bytes, got ${bytes.byteLength}`);
  }
  return { dtype, shape, bytes };
}

/** Bytes of a typed array without copying. */
export const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * A typed array over the tensor's bytes: a view when the offset is aligned, otherwise one copy.
 * The caller picks the array type matching the element size.
 */
export function alignedView<T extends ArrayBufferView>(
  bytes: Uint8Array,
  Ctor: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
): T {
  const width = Ctor.BYTES_PER_ELEMENT;
  const src = bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  return new Ctor(src.buffer, src.byteOffset, src.byteLength / width);
}
