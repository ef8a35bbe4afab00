import { ServingError } from '../../errors/serving-error';
import { Code } from '../../errors/status-code';
import { DataType } from '../../tensor/dtype';

/** TfLiteType numbers (c_api_types.h) that TF Serving maps to TensorFlow dtypes. */
export enum TfLiteType {
  NoType = 0,
  Float32 = 1,
  Int32 = 2,
  UInt8 = 3,
  Int64 = 4,
  String = 5,
  Bool = 6,
  Int16 = 7,
  Complex64 = 8,
  Int8 = 9,
}

const TO_TF: ReadonlyMap<number, DataType> = new Map([
  [TfLiteType.NoType, DataType.DT_INVALID],
  [TfLiteType.Float32, DataType.DT_FLOAT],
  [TfLiteType.Int32, DataType.DT_INT32],
  [TfLiteType.UInt8, DataType.DT_UINT8],
  [TfLiteType.Int64, DataType.DT_INT64],
  [TfLiteType.String, DataType.DT_STRING],
  [TfLiteType.Bool, DataType.DT_BOOL],
  [TfLiteType.Int16, DataType.DT_INT16],
  [TfLiteType.Complex64, DataType.DT_COMPLEX64],
  [TfLiteType.Int8, DataType.DT_INT8],
]);

/** TF Serving's TfLiteTypeToTfType: only these nine types cross; any other fails with its message. */
export function tfTypeOf(tfliteType: number): DataType {
  const t = TO_TF.get(tfliteType);
  if (t === undefined) throw new ServingError(Code.INTERNAL, `Unknown TfLite type: ${tfliteType}`);
  return t;
}
