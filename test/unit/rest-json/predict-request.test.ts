import { Code } from '../../../src/errors/status-code';
import { notFound } from '../../../src/errors/serving-error';
import { InputSpec, parsePredictRequest } from '../../../src/rest-json/predict-request';
import { DataType } from '../../../src/tensor/dtype';
import { numeric, strings, thrown, values } from './helpers';

const { DT_FLOAT, DT_DOUBLE, DT_INT32, DT_STRING, DT_INT64, DT_BOOL, DT_UINT8, DT_INT8, DT_INT16, DT_UINT32, DT_UINT64, DT_HALF } =
  DataType;

/** A signature lookup returning these inputs, as TF Serving's test `getmap()` does. */
const inputs =
  (spec: Record<string, number>) =>
  (): ReadonlyMap<string, InputSpec> =>
    new Map(Object.entries(spec).map(([k, dtype]) => [k, { dtype }]));

const parse = (body: string, spec: Record<string, number>) => parsePredictRequest(body, inputs(spec));
const error = (body: string, spec: Record<string, number>) => thrown(() => parse(body, spec));
const fl = (xs: number[]) => xs.map(Math.fround);

describe('parsePredictRequest: json_tensor_test.cc cases', () => {
  it('SingleUnnamedTensor', () => {
    const r = parse('{"instances": [[1,2],[3,4],[5,6]]}', { default: DT_INT32 });
    expect(r.format).toBe('row');
    expect(r.signatureName).toBe('');
    expect([...r.inputs.keys()]).toEqual(['default']);
    expect(numeric(r.inputs.get('default')).shape).toEqual([3, 2]);
    expect(values(r.inputs.get('default'))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('MixedInputForFloatTensor / MixedInputForDoubleTensor', () => {
    const f = parse('{"instances": [1, 2.0, 3, 4, 5.003, 0.007, 0.0]}', { default: DT_FLOAT });
    expect(numeric(f.inputs.get('default')).shape).toEqual([7]);
    expect(values(f.inputs.get('default'))).toEqual(fl([1, 2, 3, 4, 5.003, 0.007, 0]));
    const d = parse('{"instances": [1.0, 2, 3, 4, 0.662, 0, 0.0]}', { default: DT_DOUBLE });
    expect(values(d.inputs.get('default'))).toEqual([1, 2, 3, 4, 0.662, 0, 0]);
  });

  it('SingleUnnamedTensorWithSignature: the lookup gets the signature name', () => {
    const seen: string[] = [];
    const r = parsePredictRequest('{"signature_name": "predict_images", "instances": [[1,2]]}', (sig) => {
      seen.push(sig);
      return new Map([['default', { dtype: DT_INT32 }]]);
    });
    expect(seen).toEqual(['predict_images']);
    expect(r.signatureName).toBe('predict_images');
    expect(numeric(r.inputs.get('default')).shape).toEqual([1, 2]);
  });

  it('TensorFromNonNullTerminatedBuffer', () => {
    const buf = Buffer.from('{"instances": [[1,2],[3,4],[5,6]]}X');
    const r = parsePredictRequest(buf.subarray(0, buf.length - 1), inputs({ default: DT_INT32 }));
    expect(values(r.inputs.get('default'))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('base64 scalars, lists and named', () => {
    const s = parse('{"instances": [ { "b64" : "aGVsbG8=" }, { "b64": "d29ybGQ=" } ]}', { default: DT_STRING });
    expect(s.inputs.get('default')?.shape).toEqual([2]);
    expect(strings(s.inputs.get('default'))).toEqual(['hello', 'world']);
    const l = parse('{"instances": [ [{ "b64" : "aGVsbG8=" }], [{ "b64": "d29ybGQ=" }] ]}', { default: DT_STRING });
    expect(l.inputs.get('default')?.shape).toEqual([2, 1]);
    const n = parse('{"instances": [{"default": [ [{ "b64" : "aGVsbG8=" }], [{ "b64": "d29ybGQ=" }] ]}]}', { default: DT_STRING });
    expect(n.inputs.get('default')?.shape).toEqual([1, 2, 1]);
    expect(strings(n.inputs.get('default'))).toEqual(['hello', 'world']);
  });

  it('MultipleNamedTensor', () => {
    const r = parse(
      `{"instances": [
        {"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"], "float_tensor": [1.0, NaN], "dbl_tensor": [NaN]},
        {"int_tensor": [[7,8],[9,0],[1,2]], "str_tensor": ["baz", "bat"], "float_tensor": [2.0, Infinity], "dbl_tensor": [2.0]}
      ]}`,
      { int_tensor: DT_INT32, str_tensor: DT_STRING, float_tensor: DT_FLOAT, dbl_tensor: DT_DOUBLE },
    );
    expect(r.inputs.size).toBe(4);
    expect(r.inputs.get('int_tensor')?.shape).toEqual([2, 3, 2]);
    expect(values(r.inputs.get('int_tensor'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]);
    expect(r.inputs.get('str_tensor')?.shape).toEqual([2, 2]);
    expect(strings(r.inputs.get('str_tensor'))).toEqual(['foo', 'bar', 'baz', 'bat']);
    expect(values(r.inputs.get('float_tensor'))).toEqual([1, NaN, 2, Infinity]);
    expect(r.inputs.get('dbl_tensor')?.shape).toEqual([2, 1]);
    expect(values(r.inputs.get('dbl_tensor'))).toEqual([NaN, 2]);
  });

  it('SingleUnnamedTensorColumnarFormat (named and unnamed)', () => {
    for (const body of ['{"inputs": {"int_tensor": [[[1,2],[3,4],[5,6]]]}}', '{"inputs": [[[1,2],[3,4],[5,6]]]}']) {
      const r = parse(body, { int_tensor: DT_INT32 });
      expect(r.format).toBe('columnar');
      expect(r.inputs.get('int_tensor')?.shape).toEqual([1, 3, 2]);
      expect(values(r.inputs.get('int_tensor'))).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('MultipleNamedTensorColumnarFormat: inputs may differ in dim 0, a b64 object is a scalar', () => {
    const r = parse(
      '{"inputs": {"int_tensor": [[[1,2],[3,4],[5,6]]], "str_tensor": ["foo", "bar"], "bin_tensor": { "b64" : "aGVsbG8=" }}}',
      { int_tensor: DT_INT32, str_tensor: DT_STRING, bin_tensor: DT_STRING },
    );
    expect(r.inputs.get('int_tensor')?.shape).toEqual([1, 3, 2]);
    expect(r.inputs.get('str_tensor')?.shape).toEqual([2]);
    expect(r.inputs.get('bin_tensor')?.shape).toEqual([]);
    expect(strings(r.inputs.get('bin_tensor'))).toEqual(['hello']);
  });

  it('SingleUnnamedTensorErrors, with TF Serving wording', () => {
    const spec = { default: DT_INT32 };
    expect(error('', spec)).toEqual({ code: Code.INVALID_ARGUMENT, message: 'JSON Parse error: The document is empty' });
    expect(error('{"signature_name": 5, "instances": [1]}', spec).message).toBe(
      'JSON Value: {\n    "signature_name": 5,\n    "instances": [\n        1\n    ]\n}' +
        " not formatted correctly. 'signature_name' key must be a string value.",
    );
    expect(error('{"instances": [1], "inputs": [1]}', spec).message).toBe(
      'JSON Value: {\n    "instances": [\n        1\n    ],\n    "inputs": [\n        1\n    ]\n}' +
        " Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ",
    );
    expect(error('{"instances": [[1,2],[3,4],[5,6,7]]}', spec).message).toBe(
      "Failed to process element: 2 of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 2 but got: 3",
    );
    expect(error('{"instances": [[1,2],[3,4],[[5,6]]]}', spec).message).toBe(
      "Failed to process element: 2 of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [2] but got: [1,2]",
    );
    expect(error('{"instances": [1, [1]]}', spec).message).toBe(
      "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [] but got: [1]",
    );
    expect(error('{"instances": [[1,2],["a", "b"]]}', spec).message).toBe(
      "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: " +
        'JSON Value: "a" Type: String is not of expected type: int32',
    );
  });

  // json_tensor_test.cc FloatTensorWithPrecisionLoss, FloatTensorThatExceedsMaxReturnsInf and
  // FloatTensorThatExceedsMinReturnsZero: since 2021 (b/181409782) any JSON number converts to float
  // or double as rapidjson's GetFloat/GetDouble do; the "without loss of precision" error is gone.
  // absl::Substitute("$0", DBL_MAX) and DBL_MIN print six significant digits.
  it.each([
    ['{ "instances": [1435774380] }', DT_FLOAT, [Math.fround(1435774380)]],
    ['{ "instances": [1435774380.0] }', DT_FLOAT, [Math.fround(1435774380)]],
    ['{ "instances": [1.79769e+308] }', DT_FLOAT, [Infinity]],
    ['{ "instances": [-1.79769e+308] }', DT_FLOAT, [-Infinity]],
    ['{ "instances": [2.22507e-308] }', DT_FLOAT, [0]],
    ['{ "instances": [-2.22507e-308] }', DT_FLOAT, [-0]],
    ['{ "instances": [16777217] }', DT_FLOAT, [16777216]],
    ['{ "instances": [9007199254740993] }', DT_DOUBLE, [9007199254740992]],
    ['{ "instances": [18446744073709551615] }', DT_FLOAT, [18446744073709551616]],
  ])('%s as %s converts silently to %j', (body, dtype, expected) => {
    const t = parse(body, { default: dtype }).inputs.get('default');
    expect(numeric(t).shape).toEqual([1]);
    expect(values(t)).toEqual(expected);
  });

  it('MultipleNamedTensorErrors', () => {
    const spec = { int_tensor: DT_INT32, str_tensor: DT_STRING };
    expect(
      error(
        `{"instances": [{"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"]},
                        {"int_tensor": [[[7,8],[9,0],[1,2]]], "str_tensor": ["baz", "bat"]}]}`,
        spec,
      ).message,
    ).toBe("Failed to process element: 1 key: int_tensor of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [3,2] but got: [1,3,2]");
    expect(
      error(
        `{"instances": [{"int_tensor": [[1,2],[3,4],[5,6],[7,8]], "str_tensor": ["foo", "bar"]},
                        {"int_tensor": [[7,8],[9,0],[1,2]], "str_tensor": ["baz", "bat"]}]}`,
        spec,
      ).message,
    ).toBe("Failed to process element: 1 key: int_tensor of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 8 but got: 6");
    expect(error('{"instances": [{"int_tensor": [1], "str_tensor": ["a"]}, [1, 20, 30]]}', spec).message).toBe(
      'Expecting object but got list at item 1 of input list',
    );
    expect(error('{"instances": [["baz", "bar"], {"str_tensor": ["baz", "bat"]}]}', { str_tensor: DT_STRING }).message).toBe(
      'Expecting value/list but got object at item 1 of input list',
    );
  });
});

describe('parsePredictRequest: request structure (§3.2)', () => {
  const two = { a: DT_INT32, b: DT_INT32 };

  it('rejects a body that is not an object, and bad instances', () => {
    expect(error('[1]', two).message).toBe('JSON Value: [\n    1\n] Is not object');
    expect(error('{"instances": 1}', two).message).toBe('JSON Value: {\n    "instances": 1\n} Expecting \'instances\' to be an list/array');
    expect(error('{"instances": []}', two).message).toBe('JSON Value: {\n    "instances": []\n} No values in \'instances\' array');
    expect(error('{"signature_name": "x"}', two)).toEqual({ code: Code.INVALID_ARGUMENT, message: "Missing 'inputs' or 'instances' key" });
  });

  it('needs one object per instance with exactly the input keys when there are several inputs', () => {
    expect(error('{"instances": [1, 2]}', two).message).toBe(
      'instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map',
    );
    expect(error('{"instances": [{"a": 1}]}', two).message).toBe(
      "Failed to process element: 0 of 'instances' list. JSON object: {\n    \"a\": 1\n} keys must be equal to: a,b",
    );
    expect(error('{"instances": [{"a": 1, "c": 2}]}', two).message).toBe(
      "Failed to process element: 0 key: c of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: c",
    );
    const r = parse('{"instances": [{"b": [1, 2], "a": 3}, {"a": 4, "b": [5, 6]}]}', two);
    expect(r.inputs.get('a')?.shape).toEqual([2]);
    expect(values(r.inputs.get('a'))).toEqual([3, 4]);
    expect(r.inputs.get('b')?.shape).toEqual([2, 2]);
  });

  it('checks columnar inputs', () => {
    expect(error('{"inputs": [1, 2]}', two).message).toBe(
      'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map',
    );
    expect(error('{"inputs": {"a": 1}}', two).message).toBe("Missing named input: b in 'inputs' object.");
    const r = parse('{"inputs": {"a": 1, "b": [[]], "extra": "ignored"}}', two);
    expect(r.inputs.get('a')?.shape).toEqual([]);
    expect(r.inputs.get('b')?.shape).toEqual([1, 0]);
    expect([...r.inputs.keys()].sort()).toEqual(['a', 'b']);
  });

  it('reports ragged lists', () => {
    const spec = { x: DT_INT32 };
    expect(error('{"inputs": [[1, 2], [3]]}', spec).message).toBe('Encountered list at unexpected size: 1 at level: 1 expected size: 2');
    expect(error('{"inputs": [1, [2]]}', spec).message).toBe('Encountered list at unexpected level: 1 expected < 1');
    expect(error('{"inputs": [[1], 2]}', spec).message).toBe('JSON Value: 2 found at incorrect level: 2 in the JSON DOM. Expected at level: 2');
  });

  it('handles signatures without inputs and lookup failures', () => {
    expect(error('{"instances": [1]}', {})).toEqual({ code: Code.INVALID_ARGUMENT, message: 'Failed to get input map for signature: DEFAULT' });
    expect(error('{"signature_name": "sig", "instances": [1]}', {}).message).toBe('Failed to get input map for signature: sig');
    const lookupFails = () =>
      parsePredictRequest('{"instances": [1]}', () => {
        throw notFound('Servable not found for request: Latest(half)');
      });
    expect(thrown(lookupFails)).toEqual({ code: Code.NOT_FOUND, message: 'Servable not found for request: Latest(half)' });
  });
});

describe('parsePredictRequest: JSON -> dtype', () => {
  const one = (dtype: number, json: string) => parse(`{"inputs": ${json}}`, { x: dtype }).inputs.get('x');
  const oneError = (dtype: number, json: string) => error(`{"inputs": ${json}}`, { x: dtype });

  it('converts integers by range, wrapping int8/int16/uint8 as TensorFlow does', () => {
    expect(values(one(DT_INT32, '[-2147483648, 2147483647]'))).toEqual([-2147483648, 2147483647]);
    expect(oneError(DT_INT32, '[2147483648]').message).toBe('JSON Value: 2147483648 Type: Number is not of expected type: int32');
    expect(oneError(DT_INT32, '[1.0]').message).toBe('JSON Value: 1.0 Type: Number is not of expected type: int32');
    expect(values(one(DT_INT8, '[127, 300, -129]'))).toEqual([127, 44, 127]);
    expect(values(one(DT_UINT8, '[255, 256, -1]'))).toEqual([255, 0, 255]);
    expect(values(one(DT_INT16, '[70000]'))).toEqual([4464]);
    expect(values(one(DT_UINT32, '[4294967295]'))).toEqual([4294967295]);
    expect(oneError(DT_UINT32, '[-1]').message).toBe('JSON Value: -1 Type: Number is not of expected type: uint32');
    expect(values(one(DT_INT64, '[9223372036854775807, -9223372036854775808, 9007199254740993, -5]'))).toEqual([
      '9223372036854775807',
      '-9223372036854775808',
      '9007199254740993',
      '-5',
    ]);
    expect(oneError(DT_INT64, '[9223372036854775808]').message).toBe(
      'JSON Value: 9223372036854775808 Type: Number is not of expected type: int64',
    );
    expect(values(one(DT_UINT64, '[18446744073709551615, 0]'))).toEqual(['18446744073709551615', '0']);
    expect(oneError(DT_UINT64, '[-1]').message).toBe('JSON Value: -1 Type: Number is not of expected type: uint64');
  });

  it('converts floats and doubles, NaN and Infinity included', () => {
    expect(values(one(DT_FLOAT, '[0.1, NaN, -Infinity, 16777215, 1e-50]'))).toEqual(fl([0.1, NaN, -Infinity, 16777215, 0]));
    expect(values(one(DT_DOUBLE, '[0.1, 9007199254740991, Infinity]'))).toEqual([0.1, 9007199254740991, Infinity]);
    expect(values(one(DT_FLOAT, '[1e39, -1e39]'))).toEqual([Infinity, -Infinity]);
    expect(oneError(DT_FLOAT, '["1"]').message).toBe('JSON Value: "1" Type: String is not of expected type: float');
    expect(oneError(DT_FLOAT, '[null]').message).toBe('JSON Value: null Type: Null is not of expected type: float');
    expect(oneError(DT_FLOAT, '[{"a": 1}]').message).toBe('JSON Value: {\n    "a": 1\n} Type: Object is not of expected type: float');
  });

  it('takes only true/false for bool', () => {
    expect(values(one(DT_BOOL, '[true, false]'))).toEqual([true, false]);
    expect(oneError(DT_BOOL, '[1]').message).toBe('JSON Value: 1 Type: Number is not of expected type: bool');
  });

  it('takes strings and b64 objects for string', () => {
    expect(strings(one(DT_STRING, '["a\\u00e9", {"b64": "AAE="}]'))).toEqual(['a\u00c3\u00a9', '\u0000\u0001']);
    expect(oneError(DT_STRING, '[{"b64": "AA=A"}]')).toEqual({ code: Code.INVALID_ARGUMENT, message: 'Unable to base64 decode' });
    expect(oneError(DT_STRING, '[{"b64": 1}]').message).toBe('JSON Value: {\n    "b64": 1\n} not formatted correctly for base64 data');
    expect(oneError(DT_STRING, '[1]').message).toBe('JSON Value: 1 Type: Number is not of expected type: string');
  });

  it('has no JSON form for other dtypes: UNIMPLEMENTED, wrapped in row format', () => {
    expect(oneError(DT_HALF, '[1.5]')).toEqual({ code: Code.UNIMPLEMENTED, message: 'Conversion of JSON Value: 1.5 to type: half' });
    expect(error('{"instances": [1.5]}', { x: DT_HALF })).toEqual({
      code: Code.INVALID_ARGUMENT,
      message: "Failed to process element: 0 of 'instances' list. Error: UNIMPLEMENTED: Conversion of JSON Value: 1.5 to type: half",
    });
    expect(numeric(one(DT_HALF, '[]')).shape).toEqual([0]);
  });
});
