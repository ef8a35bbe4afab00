import { ServingError, invalidArgument, unimplemented } from '../errors/serving-error';
import { DataType, isSupportedDType, tfTypeName } from '../tensor/dtype';
import { Tensor, bytesOf, numElements, numericTensor } from '../tensor/tensor';
import { base64Decode } from './base64';
import { jsonValueToString } from './json-debug-string';
import { JsonValue, NumFlag, jsonTypeName } from './json-value';

/**
 * The values of one input tensor as TF Serving's AddValueToTensor accepts them, collected straight
 * into the little-endian element buffer the tensor will use:
 *
 * | dtype                     | JSON accepted                                   |
 * |---------------------------|-------------------------------------------------|
 * | float, double             | any number, NaN, ±Infinity (rounded to the type; beyond float's range: ±Infinity) |
 * | int32, int16, int8, uint8 | integers in int32 range (narrower types wrap, as TensorFlow's int_val copy does) |
 * | int64 / uint32 / uint64   | integers in that type's range                    |
 * | bool                      | true / false                                     |
 * | string                    | a string (its bytes) or `{"b64": "..."}`         |
 * | anything else             | nothing: UNIMPLEMENTED                          |
 *
 * Numbers become float and double as rapidjson's GetFloat/GetDouble convert them, without a precision
 * check: TF Serving dropped its "without loss of precision" error in 2021 (api_rest.md, "Floating
 * Point Precision"), so an integer such as 1435774380 sent for a float input is rounded silently.
 */
/** Largest buffer reserved up front from a size hint (elements). */
const MAX_INITIAL_CAPACITY = 1 << 20;

export class TensorValues {
  private readonly kind: Kind;
  private f32 = new Float32Array(0);
  private f64 = new Float64Array(0);
  private i32 = new Int32Array(0);
  private i16 = new Int16Array(0);
  private i8 = new Int8Array(0);
  private u8 = new Uint8Array(0);
  private u32 = new Uint32Array(0);
  /** int64/uint64 as (low, high) 32-bit word pairs, which is their little-endian layout. */
  private words = new Uint32Array(0);
  private readonly strings: Uint8Array[] = [];
  /** Values added so far. */
  count = 0;

  constructor(
    readonly dtype: number,
    capacity = 16,
  ) {
    this.kind = kindOf(dtype);
    // The hint comes from the request's first element; the buffer grows by doubling past it, so a
    // lying first element cannot make us allocate more than the body really holds.
    this.reserve(Math.min(Math.max(capacity, 1), MAX_INITIAL_CAPACITY));
  }

  /**
   * Adds a number leaf. `value` and `flags` are what the parser recorded; `node` materializes the
   * JSON value only when an error message has to quote it.
   */
  addNumber(value: number, flags: number, node: () => JsonValue): void {
    const i = this.count;
    if (i === this.capacity()) this.reserve(i * 2);
    switch (this.kind) {
      case Kind.FLOAT:
        this.f32[i] = value;
        break;
      case Kind.DOUBLE:
        this.f64[i] = value;
        break;
      case Kind.INT32:
      case Kind.INT16:
      case Kind.INT8:
      case Kind.UINT8:
        if (!(flags & NumFlag.INT)) throw typeError(node(), this.dtype);
        this.storeInt(i, value);
        break;
      case Kind.INT64:
        if (!(flags & NumFlag.INT64)) throw typeError(node(), this.dtype);
        this.storeWide(i, value, node);
        break;
      case Kind.UINT32:
        if (!(flags & NumFlag.UINT)) throw typeError(node(), this.dtype);
        this.u32[i] = value;
        break;
      case Kind.UINT64:
        if (!(flags & NumFlag.UINT64)) throw typeError(node(), this.dtype);
        this.storeWide(i, value, node);
        break;
      case Kind.BOOL:
      case Kind.STRING:
        throw typeError(node(), this.dtype);
      case Kind.OTHER:
        throw conversionError(node(), this.dtype);
    }
    this.count = i + 1;
  }

  /** Adds any other leaf (FillTensorProto's non-list case after the level check). */
  addValue(v: JsonValue): void {
    if (v.type === 'number') {
      this.addNumber(v.value, v.flags, () => v);
      return;
    }
    if (v.type === 'object') {
      if (this.kind !== Kind.STRING) throw typeError(v, this.dtype);
      this.strings.push(decodeBase64Object(v));
    } else if (this.kind === Kind.OTHER) {
      throw conversionError(v, this.dtype);
    } else if (v.type === 'string' && this.kind === Kind.STRING) {
      this.strings.push(v.bytes);
    } else if (v.type === 'bool' && this.kind === Kind.BOOL) {
      if (this.count === this.capacity()) this.reserve(this.count * 2);
      this.u8[this.count] = v.value ? 1 : 0;
    } else {
      throw typeError(v, this.dtype);
    }
    this.count++;
  }

  /**
   * The tensor of this shape. TensorFlow's Tensor::FromProto takes the first numElements(shape)
   * values when more were sent (possible only through duplicate JSON keys), so this does too.
   */
  toTensor(shape: readonly number[]): Tensor {
    const n = numElements(shape);
    const taken = Math.min(n, this.count);
    if (this.kind === Kind.STRING) {
      return { dtype: DataType.DT_STRING, shape, strings: this.strings.slice(0, taken) };
    }
    if (this.kind === Kind.OTHER) {
      if (!isSupportedDType(this.dtype) || this.dtype === DataType.DT_STRING) {
        throw unimplemented(`Conversion of JSON Value: [] to type: ${tfTypeName(this.dtype)}`);
      }
      return numericTensor(this.dtype as Exclude<DataType, DataType.DT_STRING>, shape, new Uint8Array(0));
    }
    const dtype = this.dtype as Exclude<DataType, DataType.DT_STRING>;
    return numericTensor(dtype, shape, this.bytes(taken));
  }

  private bytes(n: number): Uint8Array {
    switch (this.kind) {
      case Kind.FLOAT:
        return bytesOf(this.f32.subarray(0, n));
      case Kind.DOUBLE:
        return bytesOf(this.f64.subarray(0, n));
      case Kind.INT32:
        return bytesOf(this.i32.subarray(0, n));
      case Kind.INT16:
        return bytesOf(this.i16.subarray(0, n));
      case Kind.INT8:
        return bytesOf(this.i8.subarray(0, n));
      case Kind.UINT8:
      case Kind.BOOL:
        return this.u8.subarray(0, n);
      case Kind.UINT32:
        return bytesOf(this.u32.subarray(0, n));
      case Kind.INT64:
      case Kind.UINT64:
        return bytesOf(this.words.subarray(0, 2 * n));
      default:
        return new Uint8Array(0);
    }
  }

  private storeInt(i: number, v: number): void {
    // Typed-array stores wrap modulo 2^bits, like TensorFlow's int32 -> int8/int16/uint8 copy.
    switch (this.kind) {
      case Kind.INT32:
        this.i32[i] = v;
        break;
      case Kind.INT16:
        this.i16[i] = v;
        break;
      case Kind.INT8:
        this.i8[i] = v;
        break;
      default:
        this.u8[i] = v;
    }
  }

  private storeWide(i: number, v: number, node: () => JsonValue): void {
    if (Number.isSafeInteger(v)) {
      const hi = Math.floor(v / 4294967296);
      this.words[2 * i] = v - hi * 4294967296;
      this.words[2 * i + 1] = hi; // stored modulo 2^32: two's complement for negatives
    } else {
      const n = node();
      const exact = BigInt.asUintN(64, n.type === 'number' ? n.bigint : 0n);
      this.words[2 * i] = Number(exact & 0xffffffffn);
      this.words[2 * i + 1] = Number(exact >> 32n);
    }
  }

  private capacity(): number {
    switch (this.kind) {
      case Kind.FLOAT:
        return this.f32.length;
      case Kind.DOUBLE:
        return this.f64.length;
      case Kind.INT32:
        return this.i32.length;
      case Kind.INT16:
        return this.i16.length;
      case Kind.INT8:
        return this.i8.length;
      case Kind.UINT8:
      case Kind.BOOL:
        return this.u8.length;
      case Kind.UINT32:
        return this.u32.length;
      case Kind.INT64:
      case Kind.UINT64:
        return this.words.length / 2;
      default:
        return Infinity;
    }
  }

  private reserve(n: number): void {
    const grow = <T extends { length: number; set(a: T): void }>(old: T, make: (len: number) => T, len: number): T => {
      const a = make(len);
      a.set(old);
      return a;
    };
    switch (this.kind) {
      case Kind.FLOAT:
        this.f32 = grow(this.f32, (l) => new Float32Array(l), n);
        break;
      case Kind.DOUBLE:
        this.f64 = grow(this.f64, (l) => new Float64Array(l), n);
        break;
      case Kind.INT32:
        this.i32 = grow(this.i32, (l) => new Int32Array(l), n);
        break;
      case Kind.INT16:
        this.i16 = grow(this.i16, (l) => new Int16Array(l), n);
        break;
      case Kind.INT8:
        this.i8 = grow(this.i8, (l) => new Int8Array(l), n);
        break;
      case Kind.UINT8:
      case Kind.BOOL:
        this.u8 = grow(this.u8, (l) => new Uint8Array(l), n);
        break;
      case Kind.UINT32:
        this.u32 = grow(this.u32, (l) => new Uint32Array(l), n);
        break;
      case Kind.INT64:
      case Kind.UINT64:
        this.words = grow(this.words, (l) => new Uint32Array(l), 2 * n);
        break;
      default:
    }
  }
}

const enum Kind {
  FLOAT,
  DOUBLE,
  INT32,
  INT16,
  INT8,
  UINT8,
  INT64,
  UINT32,
  UINT64,
  BOOL,
  STRING,
  OTHER,
}

function kindOf(dtype: number): Kind {
  switch (dtype) {
    case DataType.DT_FLOAT:
      return Kind.FLOAT;
    case DataType.DT_DOUBLE:
      return Kind.DOUBLE;
    case DataType.DT_INT32:
      return Kind.INT32;
    case DataType.DT_INT16:
      return Kind.INT16;
    case DataType.DT_INT8:
      return Kind.INT8;
    case DataType.DT_UINT8:
      return Kind.UINT8;
    case DataType.DT_INT64:
      return Kind.INT64;
    case DataType.DT_UINT32:
      return Kind.UINT32;
    case DataType.DT_UINT64:
      return Kind.UINT64;
    case DataType.DT_BOOL:
      return Kind.BOOL;
    case DataType.DT_STRING:
      return Kind.STRING;
    default:
      // half, bfloat16, uint16, complex, quantized, reference types...: TF Serving has no JSON form.
      return Kind.OTHER;
  }
}

/** TypeError of util/json_tensor.cc. */
export const typeError = (v: JsonValue, dtype: number): ServingError =>
  invalidArgument(`JSON Value: ${jsonValueToString(v)} Type: ${jsonTypeName(v)} is not of expected type: ${tfTypeName(dtype)}`);

const conversionError = (v: JsonValue, dtype: number): ServingError =>
  unimplemented(`Conversion of JSON Value: ${jsonValueToString(v)} to type: ${tfTypeName(dtype)}`);

/** JsonDecodeBase64Object: the bytes of `{"b64": "<base64>"}`. */
export function decodeBase64Object(v: JsonValue): Uint8Array {
  if (v.type !== 'object' || v.members.length !== 1 || v.members[0].name.text !== 'b64' || v.members[0].value.type !== 'string') {
    throw invalidArgument(`JSON Value: ${jsonValueToString(v)} not formatted correctly for base64 data`);
  }
  const decoded = base64Decode(v.members[0].value.bytes);
  if (decoded === undefined) throw invalidArgument('Unable to base64 decode');
  return decoded;
}
