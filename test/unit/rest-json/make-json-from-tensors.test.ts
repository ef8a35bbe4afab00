import { Code } from '../../../src/errors/status-code';
import { NamedTensor, writePredictResponse } from '../../../src/rest-json/predict-response';
import { DataType } from '../../../src/tensor/dtype';
import { Tensor } from '../../../src/tensor/tensor';
import { thrown } from './helpers';

/**
 * json_tensor_test.cc's MakeJsonFromTensors cases (TF Serving 2.21): tensors in, JSON or error out.
 * TF Serving compares these documents value by value (numbers as their text), so the expected text is
 * compared after removing the writer's whitespace.
 */

const numeric = (dtype: DataType, shape: number[], data: ArrayBufferView): Tensor => ({
  dtype: dtype as Exclude<DataType, DataType.DT_STRING>,
  shape,
  bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
});
const f32 = (shape: number[], v: number[]) => numeric(DataType.DT_FLOAT, shape, new Float32Array(v));
const i32 = (shape: number[], v: number[]) => numeric(DataType.DT_INT32, shape, new Int32Array(v));
const str = (shape: number[], v: string[]): Tensor => ({ dtype: DataType.DT_STRING, shape, strings: v.map((s) => Buffer.from(s)) });

/** The document without insignificant whitespace (no string here holds a space). */
const compact = (json: string): string => json.replace(/\s+/g, '');

test.each<[string, NamedTensor[], string]>([
  [
    'FromJsonSingleFloatTensorSixDigitPrecision',
    [['float_tensor', f32([2, 3], [9000000, 999999, 0.5, 0.0003, 0.00003, 555557.5])]],
    '{"predictions": [[9e+06, 999999.0, 0.5], [0.0003, 3e-05, 555557.5]]}',
  ],
  ['FromJsonSingleFloatTensorNonFinite', [['float_tensor', f32([2, 2], [NaN, Infinity, 3, -Infinity])]], '{"predictions": [[NaN, Infinity], [3.0, -Infinity]]}'],
  ['FromJsonSingleZeroBatchTensor', [['int_tensor', i32([0, 2], [])]], '{ "predictions": [] }'],
  [
    'FromJsonMultipleZeroBatchTensors',
    [
      ['str_tensor', str([0, 1, 2], [])],
      ['float_tensor', f32([0, 3, 4], [])],
    ],
    '{ "predictions": [] }',
  ],
])('%s', (_name, outputs, expected) => {
  expect(compact(writePredictResponse(outputs, 'row').toString())).toBe(compact(expected));
});

test.each<[string, NamedTensor[], string]>([
  ['empty tensor map', [], 'Cannot convert empty tensor map to JSON'],
  ['complex64', [['tensor', numeric(DataType.DT_COMPLEX64, [2], new Float32Array([1, 0, 2, 0]))]], 'Failed to write JSON value for tensor type: complex64'],
  ['no shape', [['tensor', i32([], [1])]], 'Tensor name: tensor has no shape information '],
  [
    'FromJsonMultipleZeroBatchTensorsErrors',
    [
      ['int_tensor', i32([0, 2], [])],
      ['str_tensor', str([1, 2], ['foo', 'bar'])],
    ],
    'Tensor name: str_tensor has inconsistent batch size: 1 expecting: 0',
  ],
])('FromJsonSingleTensorErrors / %s', (_name, outputs, message) => {
  expect(thrown(() => writePredictResponse(outputs, 'row'))).toEqual({ code: Code.INVALID_ARGUMENT, message });
});
