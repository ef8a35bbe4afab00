import { invalidArgument } from '../errors/serving-error';
import { DataType, dtypeSize } from '../tensor/dtype';
import { MAX_DIMS } from '../tensor/tensor-proto-decode';
import { Tensor, isStringTensor, numElements, shapeString } from '../tensor/tensor';

/**
 * The protocol's "raw" tensor layout, shared by gRPC's raw_input_contents / raw_output_contents and
 * the REST binary tensor data extension: elements flattened in row-major order without padding, each
 * fixed-size element little-endian (TensorFlow's own layout, so numeric tensors pass as views), and
 * each BYTES element as a 4-byte little-endian length followed by its bytes.
 */

const MAX_BYTES_ELEMENT = 0xffffffff;

/** Checks a request's shape (what TensorFlow can hold) and returns its element count. */
export function checkShape(what: string, shape: readonly number[]): number {
  if (shape.length > MAX_DIMS) throw invalidArgument(`${what} has ${shape.length} dimensions; TensorFlow supports at most ${MAX_DIMS}`);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw invalidArgument(`${what} has an invalid shape ${shapeString(shape)}`);
  }
  const n = numElements(shape);
  if (!Number.isSafeInteger(n)) throw invalidArgument(`${what} has shape ${shapeString(shape)}, more elements than a tensor can hold`);
  return n;
}

/** BYTES elements from their length-prefixed form; the element count must be `count`. */
export function parseBytesElements(what: string, raw: Uint8Array, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let at = 0;
  while (at < raw.byteLength) {
    if (at + 4 > raw.byteLength) throw invalidArgument(`${what}: BYTES data ends inside an element's 4-byte length`);
    const len = view.getUint32(at, true);
    at += 4;
    if (at + len > raw.byteLength) throw invalidArgument(`${what}: a BYTES element of ${len} bytes runs past the end of the data`);
    if (out.length === count) throw invalidArgument(`${what}: BYTES data holds more than the ${count} element(s) its shape has`);
    out.push(raw.subarray(at, at + len));
    at += len;
  }
  if (out.length !== count) throw invalidArgument(`${what}: BYTES data holds ${out.length} element(s), its shape has ${count}`);
  return out;
}

/** BYTES elements in their length-prefixed form. */
export function serializeBytesElements(strings: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const s of strings) size += 4 + s.byteLength;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const s of strings) {
    if (s.byteLength > MAX_BYTES_ELEMENT) throw invalidArgument('a BYTES element is larger than 4 GiB');
    out.writeUInt32LE(s.byteLength, at);
    out.set(s, at + 4);
    at += 4 + s.byteLength;
  }
  return out;
}

/** A tensor over raw data of a request (numeric tensors stay views of it). */
export function tensorFromRawData(what: string, dtype: DataType, shape: readonly number[], raw: Uint8Array, datatype: string): Tensor {
  const n = checkShape(what, shape);
  if (dtype === DataType.DT_STRING) return { dtype, shape, strings: parseBytesElements(what, raw, n) };
  const expected = n * dtypeSize(dtype);
  if (raw.byteLength !== expected) {
    throw invalidArgument(`${what} has ${raw.byteLength} bytes of data; ${datatype} of shape ${shapeString(shape)} needs ${expected}`);
  }
  return { dtype, shape, bytes: raw };
}

/** A tensor's elements in the raw layout: a view for numeric tensors, one copy for BYTES. */
export function rawDataOf(t: Tensor): Uint8Array {
  return isStringTensor(t) ? serializeBytesElements(t.strings) : t.bytes;
}
