import Long from 'long';
import { protoType } from '../../../src/proto/root';
import { DataType } from '../../../src/tensor/dtype';
import { Tensor, bytesOf } from '../../../src/tensor/tensor';
import { decodeModelInferMessage, encodeModelInferResponse, inferRequestOf } from '../../../src/v2/grpc-codec';

/** ModelInferRequest's typed contents and raw contents become the same tensors; responses are raw. */

const Request = protoType('inference.ModelInferRequest');
const Response = protoType('inference.ModelInferResponse');

const decode = (obj: object) => inferRequestOf(decodeModelInferMessage(Buffer.from(Request.encode(Request.fromObject(obj)).finish())));
const bytes = (t: Tensor): Buffer => Buffer.from('bytes' in t ? t.bytes : new Uint8Array(0));

const TYPED: [string, string, unknown[], Uint8Array, DataType][] = [
  ['BOOL', 'bool_contents', [true, false, true], Uint8Array.of(1, 0, 1), DataType.DT_BOOL],
  ['INT8', 'int_contents', [-128, 0, 127], bytesOf(Int8Array.of(-128, 0, 127)), DataType.DT_INT8],
  ['INT16', 'int_contents', [-32768, 1, 32767], bytesOf(Int16Array.of(-32768, 1, 32767)), DataType.DT_INT16],
  ['INT32', 'int_contents', [-2147483648, 2, 2147483647], bytesOf(Int32Array.of(-2147483648, 2, 2147483647)), DataType.DT_INT32],
  ['INT64', 'int64_contents', [Long.fromString('-9223372036854775808'), 3, Long.fromString('9223372036854775807')], bytesOf(BigInt64Array.of(-(2n ** 63n), 3n, 2n ** 63n - 1n)), DataType.DT_INT64],
  ['UINT8', 'uint_contents', [0, 4, 255], Uint8Array.of(0, 4, 255), DataType.DT_UINT8],
  ['UINT16', 'uint_contents', [0, 5, 65535], bytesOf(Uint16Array.of(0, 5, 65535)), DataType.DT_UINT16],
  ['UINT32', 'uint_contents', [0, 6, 4294967295], bytesOf(Uint32Array.of(0, 6, 4294967295)), DataType.DT_UINT32],
  ['UINT64', 'uint64_contents', [0, 7, Long.fromString('18446744073709551615', true)], bytesOf(BigUint64Array.of(0n, 7n, 2n ** 64n - 1n)), DataType.DT_UINT64],
  ['FP32', 'fp32_contents', [1.5, -0, Infinity], bytesOf(Float32Array.of(1.5, -0, Infinity)), DataType.DT_FLOAT],
  ['FP64', 'fp64_contents', [0.1, -1e-300, NaN], bytesOf(Float64Array.of(0.1, -1e-300, NaN)), DataType.DT_DOUBLE],
];

describe('typed contents', () => {
  test.each(TYPED)('%s from %s', (datatype, field, values, expected, dtype) => {
    const { request } = decode({ model_name: 'm', inputs: [{ name: 'x', datatype, shape: [3], contents: { [field]: values } }] });
    const t = request.inputs[0].tensor;
    expect({ dtype: t.dtype, shape: t.shape, bytes: bytes(t) }).toEqual({ dtype, shape: [3], bytes: Buffer.from(expected) });
  });

  test('BYTES from bytes_contents', () => {
    const { request } = decode({ model_name: 'm', inputs: [{ name: 's', datatype: 'BYTES', shape: [2], contents: { bytes_contents: [Buffer.from('a'), Buffer.from([0xff])] } }] });
    const t = request.inputs[0].tensor;
    expect('strings' in t && t.strings.map((s) => Buffer.from(s))).toEqual([Buffer.from('a'), Buffer.from([0xff])]);
  });

  test.each([
    ['FP16 has no field', { datatype: 'FP16', shape: [1], contents: { fp32_contents: [1] } }, "input 'x': FP16 has no typed contents field; send it in raw_input_contents"],
    ['too few values', { datatype: 'INT32', shape: [2, 2], contents: { int_contents: [1, 2, 3] } }, "input 'x' holds 3 value(s) in int_contents, its shape [2,2] has 4"],
    ['out of range', { datatype: 'UINT8', shape: [1], contents: { uint_contents: [256] } }, "input 'x': 256 is not a UINT8 value"],
    ['unknown datatype', { datatype: 'FP8', shape: [1] }, "input 'x' has datatype 'FP8', which is not one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES, BF16"],
  ])('%s', (_name, input, message) => {
    expect(() => decode({ model_name: 'm', inputs: [{ name: 'x', ...input }] })).toThrow(message);
  });
});

describe('raw contents', () => {
  test('numeric tensors are views of the message; BYTES are length-prefixed', () => {
    const s = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from('hi'), Buffer.from([0, 0, 0, 0])]);
    const { request } = decode({
      model_name: 'm',
      inputs: [
        { name: 'x', datatype: 'FP16', shape: [2], parameters: {} },
        { name: 's', datatype: 'BYTES', shape: [2] },
      ],
      raw_input_contents: [Buffer.from([0x00, 0x3c, 0x00, 0xc0]), s],
    });
    expect(bytes(request.inputs[0].tensor)).toEqual(Buffer.from([0x00, 0x3c, 0x00, 0xc0]));
    const t = request.inputs[1].tensor;
    expect('strings' in t && t.strings.map((x) => Buffer.from(x).toString())).toEqual(['hi', '']);
  });

  test.each([
    ['one entry per input', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }, { name: 'y', datatype: 'FP32', shape: [1] }], raw_input_contents: [Buffer.alloc(4)] }, 'raw_input_contents has 1 entries for 2 input(s); it needs one per input'],
    ['not both', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }], raw_input_contents: [Buffer.alloc(4)] }, 'contents must not be set on any input when raw_input_contents is used'],
    ['size', { inputs: [{ name: 'x', datatype: 'FP32', shape: [2] }], raw_input_contents: [Buffer.alloc(4)] }, "input 'x' has 4 bytes of data; FP32 of shape [2] needs 8"],
    ['BYTES length past the end', { inputs: [{ name: 's', datatype: 'BYTES', shape: [1] }], raw_input_contents: [Buffer.from([9, 0, 0, 0, 1])] }, "input 's': a BYTES element of 9 bytes runs past the end of the data"],
    ['negative dimension', { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], raw_input_contents: [Buffer.alloc(4)] }, "input 'x' has an invalid shape dimension -1"],
  ])('%s', (_name, fields, message) => {
    expect(() => decode({ model_name: 'm', ...fields })).toThrow(message);
  });
});

test('parameters: signature_name and timeout are read; other parameters are left alone', () => {
  const r = decode({
    model_name: 'm',
    model_version: 'stable',
    id: 'i',
    parameters: { signature_name: { string_param: 'sig' }, timeout: { int64_param: 5000 }, priority: { int64_param: 1 } },
  });
  expect(r).toEqual({ request: { modelSpec: { name: 'm', versionLabel: 'stable', signatureName: 'sig' }, id: 'i', inputs: [], outputs: [] }, timeoutMicros: 5000 });
});

test('the response carries every output in raw_output_contents, in output order', () => {
  const buf = encodeModelInferResponse({
    modelName: 'm',
    modelVersion: '3',
    id: 'i',
    runtimeMicros: 0,
    outputs: [
      { name: 'y', datatype: 'FP32', tensor: { dtype: DataType.DT_FLOAT, shape: [2, 1], bytes: bytesOf(Float32Array.of(1, 2)) } },
      { name: 's', datatype: 'BYTES', tensor: { dtype: DataType.DT_STRING, shape: [], strings: [Buffer.from('ab')] } },
    ],
  });
  const msg = Response.toObject(Response.decode(buf), { longs: Number, bytes: Array }) as Record<string, unknown>;
  expect(msg).toEqual({
    model_name: 'm',
    model_version: '3',
    id: 'i',
    outputs: [
      { name: 'y', datatype: 'FP32', shape: [2, 1] },
      { name: 's', datatype: 'BYTES' },
    ],
    raw_output_contents: [[...Buffer.from(Float32Array.of(1, 2).buffer)], [2, 0, 0, 0, 0x61, 0x62]],
  });
});
