import Long from 'long';
import { Writer } from 'protobufjs';
import { RawTensorProto } from '../tensor/tensor-proto-decode';
import { TENSOR_PROTO_FIELD as F } from '../tensor/tensor-proto-fields';
import { writeTensorShape } from '../tensor/tensor-proto-encode';

/**
 * A TensorProto as a gRPC client sent it, written back from its undecoded form (RawTensorProto): the
 * same dtype, shape and value fields (tensor_content stays tensor_content, float_val stays float_val),
 * so the logged request is the client's request, field for field. Only what the decoder does not keep
 * is lost: version_number and unknown fields.
 */

const LEN = 2;
const VARINT = 0;
const tag = (field: number, wire: number): number => (field << 3) | wire;

function writeFixed(w: Writer, field: number, chunks: readonly Uint8Array[] | undefined): void {
  if (!chunks) return;
  // Packed: one length-delimited field holding every value's little-endian bytes.
  w.uint32(tag(field, LEN)).bytes(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
}

function writeInts(w: Writer, field: number, values: readonly number[] | undefined, unsigned: boolean): void {
  if (!values) return;
  w.uint32(tag(field, LEN)).fork();
  for (const v of values) {
    if (unsigned) w.uint32(v);
    else w.int32(v);
  }
  w.ldelim();
}

function writeLongs(w: Writer, field: number, values: readonly bigint[] | undefined): void {
  if (!values) return;
  w.uint32(tag(field, LEN)).fork();
  // The decoder keeps 64-bit values as two's-complement bit patterns; a varint writes the same bits.
  for (const v of values) w.uint64(Long.fromBits(Number(v & 0xffffffffn) | 0, Number((v >> 32n) & 0xffffffffn) | 0, true));
  w.ldelim();
}

/** Appends the TensorProto body for `raw`, in field-number order as C++ writes it. */
export function writeRawTensorProto(w: Writer, raw: RawTensorProto): void {
  if (raw.dtype !== 0) w.uint32(tag(F.dtype, VARINT)).int32(raw.dtype);
  writeTensorShape(w, F.tensor_shape, raw.dims);
  if (raw.content) w.uint32(tag(F.tensor_content, LEN)).bytes(raw.content);
  writeFixed(w, F.float_val, raw.fixed.get(F.float_val));
  writeFixed(w, F.double_val, raw.fixed.get(F.double_val));
  writeInts(w, F.int_val, raw.ints.get(F.int_val), false);
  for (const s of raw.strings) w.uint32(tag(F.string_val, LEN)).bytes(s);
  writeFixed(w, F.scomplex_val, raw.fixed.get(F.scomplex_val));
  writeLongs(w, F.int64_val, raw.longs.get(F.int64_val));
  writeInts(w, F.bool_val, raw.ints.get(F.bool_val), true);
  writeFixed(w, F.dcomplex_val, raw.fixed.get(F.dcomplex_val));
  writeInts(w, F.half_val, raw.ints.get(F.half_val), false);
  writeInts(w, F.uint32_val, raw.ints.get(F.uint32_val), true);
  writeLongs(w, F.uint64_val, raw.longs.get(F.uint64_val));
}
