import { invalidArgument } from '../errors/serving-error';
import { DataType, baseDType, tfTypeName } from '../tensor/dtype';

/**
 * The Open Inference Protocol's tensor datatypes and the TensorFlow dtypes they are. BYTES elements
 * are TensorFlow strings (arbitrary bytes); every other datatype has TensorFlow's little-endian layout.
 * TensorFlow dtypes outside this table (complex, quantized, resource, variant) have no V2 datatype.
 */
const TO_TF = {
  BOOL: DataType.DT_BOOL,
  UINT8: DataType.DT_UINT8,
  UINT16: DataType.DT_UINT16,
  UINT32: DataType.DT_UINT32,
  UINT64: DataType.DT_UINT64,
  INT8: DataType.DT_INT8,
  INT16: DataType.DT_INT16,
  INT32: DataType.DT_INT32,
  INT64: DataType.DT_INT64,
  FP16: DataType.DT_HALF,
  FP32: DataType.DT_FLOAT,
  FP64: DataType.DT_DOUBLE,
  BYTES: DataType.DT_STRING,
  BF16: DataType.DT_BFLOAT16,
} as const;

export type V2Datatype = keyof typeof TO_TF;

const FROM_TF = new Map<number, V2Datatype>(Object.entries(TO_TF).map(([name, dtype]) => [dtype, name as V2Datatype]));

export const V2_DATATYPES = Object.keys(TO_TF) as V2Datatype[];

/** The TensorFlow dtype of a request's datatype string; `what` names the tensor in the error. */
export function tfDtypeOf(datatype: string, what: string): DataType {
  const dtype = (TO_TF as Record<string, DataType>)[datatype];
  if (dtype === undefined) {
    throw invalidArgument(`${what} has datatype '${datatype}', which is not one of ${V2_DATATYPES.join(', ')}`);
  }
  return dtype;
}

/** The V2 datatype of a TensorFlow dtype (a reference type counts as its base type), if it has one. */
export function v2DatatypeOf(dtype: number): V2Datatype | undefined {
  return FROM_TF.get(baseDType(dtype));
}

/**
 * A signature tensor's datatype for model metadata: its V2 name, or for a dtype V2 cannot carry,
 * TensorFlow's enum name (`DT_COMPLEX64`), which no request can match.
 */
export function metadataDatatype(dtype: number): string {
  return v2DatatypeOf(dtype) ?? `DT_${tfTypeName(baseDType(dtype)).toUpperCase()}`;
}

/** The error for a tensor whose TensorFlow dtype has no V2 datatype. */
export function noV2Datatype(what: string, dtype: number): Error {
  return invalidArgument(`${what} is TensorFlow ${tfTypeName(dtype)}, which the Open Inference Protocol has no datatype for`);
}

/** Element arrays of the fixed-size datatypes (FP16 and BF16 as their bits), in TensorFlow's layout. */
export const ELEMENT_ARRAY: Record<Exclude<V2Datatype, 'BYTES'>, new (n: number) => ArrayBufferView & ArrayLike<number | bigint>> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
  BF16: Uint16Array,
};

/** The integer datatypes of at most 32 bits (what JSON numbers and gRPC's int/uint contents carry) and their ranges. */
export const SMALL_INT_RANGE: Partial<Record<V2Datatype, readonly [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
};

/** The error for a value outside its datatype (`input 'x': 300 is not an INT8 value`). */
export function notA(what: string, value: string, datatype: V2Datatype): Error {
  return invalidArgument(`${what}: ${value} is not a${datatype.startsWith('INT') ? 'n' : ''} ${datatype} value`);
}
