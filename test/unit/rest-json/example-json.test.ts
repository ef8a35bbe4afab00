import { Code } from '../../../src/errors/status-code';
import { parseExamplesRequest } from '../../../src/rest-json/example-json';
import { protoType } from '../../../src/proto/root';
import { thrown } from './helpers';

type Features = Record<string, { bytes_list?: { value: string[] }; float_list?: { value: number[] }; int64_list?: { value: string[] } }>;

/** A serialized tensorflow.Example back as {feature: {kind: {value}}} with bytes as latin1 text. */
function features(bytes: Uint8Array | undefined): Features {
  if (!bytes) throw new Error('no example');
  const Example = protoType('tensorflow.Example');
  const obj = Example.toObject(Example.decode(bytes), { longs: String, arrays: true, objects: true }) as {
    features?: { feature?: Record<string, Record<string, { value: Array<Uint8Array | number | string> }>> };
  };
  const out: Features = {};
  for (const [name, f] of Object.entries(obj.features?.feature ?? {})) {
    out[name] = {};
    for (const [kind, list] of Object.entries(f)) {
      (out[name] as Record<string, unknown>)[kind] = {
        value: list.value.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v)),
      };
    }
  }
  return out;
}

describe('parseExamplesRequest: json_tensor_test.cc ClassifyRegressRequestTest', () => {
  it('RequestNoContext', () => {
    const r = parseExamplesRequest(`{
      "examples": [
        { "names": [ "foo", "bar" ], "ratings": [ 8.0, 9.0 ], "age": 20 },
        { "names": [ "baz" ], "ratings": 6.0 }
      ]}`);
    expect(r.signatureName).toBe('');
    expect(r.context).toBeUndefined();
    expect(r.examples.map(features)).toEqual([
      { names: { bytes_list: { value: ['foo', 'bar'] } }, ratings: { float_list: { value: [8, 9] } }, age: { int64_list: { value: ['20'] } } },
      { names: { bytes_list: { value: ['baz'] } }, ratings: { float_list: { value: [6] } } },
    ]);
  });

  it('RequestWithContextAndSignature', () => {
    const r = parseExamplesRequest(`{
      "signature_name": "custom_signture",
      "context": { "query": "pizza", "location": [ "sfo" ] },
      "examples": [
        { "names": [ "foo", "bar" ], "ratings": [ 8.0, 9.0, NaN, Infinity ], "age": 20 },
        { "names": [ "baz", { "b64": "aGVsbG8=" } ], "ratings": 6.0, "intboolmix": [ 1, true, false ] },
        { "names": "bar", "ratings": -Infinity }
      ]}`);
    expect(r.signatureName).toBe('custom_signture');
    expect(features(r.context)).toEqual({ query: { bytes_list: { value: ['pizza'] } }, location: { bytes_list: { value: ['sfo'] } } });
    expect(r.examples.map(features)).toEqual([
      {
        names: { bytes_list: { value: ['foo', 'bar'] } },
        ratings: { float_list: { value: [8, 9, NaN, Infinity] } },
        age: { int64_list: { value: ['20'] } },
      },
      {
        names: { bytes_list: { value: ['baz', 'hello'] } },
        ratings: { float_list: { value: [6] } },
        intboolmix: { int64_list: { value: ['1', '1', '0'] } },
      },
      { names: { bytes_list: { value: ['bar'] } }, ratings: { float_list: { value: [-Infinity] } } },
    ]);
  });

  it('keeps int64 features exact, narrows floats, and writes empty lists as empty features', () => {
    const r = parseExamplesRequest('{"examples": [{"big": [-9223372036854775808, 9007199254740993], "f": [0.1, 1e-3], "e": []}]}');
    expect(features(r.examples[0])).toEqual({
      big: { int64_list: { value: ['-9223372036854775808', '9007199254740993'] } },
      f: { float_list: { value: [Math.fround(0.1), Math.fround(1e-3)] } },
      e: {},
    });
  });

  it('narrows any fractional number to float without a precision check (TF Serving since 2021)', () => {
    const r = parseExamplesRequest('{"examples": [{"f": [1.79769e+308, -1e39, 1435774380.5]}]}');
    expect(features(r.examples[0])).toEqual({ f: { float_list: { value: [Infinity, -Infinity, Math.fround(1435774380.5)] } } });
  });

  it('JsonErrors, with TF Serving wording', () => {
    const err = (body: string) => thrown(() => parseExamplesRequest(body));
    expect(err('{"signature_name": [ "hello" ], "examples": [ { "names": [ "foo", "bar" ] } ]}').message).toMatch(
      /^JSON Value: \{\n {4}"signature_name": \[\n {8}"hello"\n {4}\],[\s\S]* not formatted correctly\. 'signature_name' key must be a string value\.$/,
    );
    expect(err('{"context": [ { "names": [ "foo", "bar" ] } ]}')).toEqual({
      code: Code.INVALID_ARGUMENT,
      message: 'Example must be JSON object but got JSON Array',
    });
    expect(err('{"examples": { "names": [ "foo", "bar" ] }}').message).toBe(
      'JSON Value: {\n    "examples": {\n        "names": [\n            "foo",\n            "bar"\n        ]\n    }\n}' +
        " Expecting 'examples' value to be an list/array",
    );
    expect(err('{"examples": []}').message).toBe('JSON Value: {\n    "examples": []\n} \'examples\' value is an empty array');
    expect(err('{"signature_name": "s"}').message).toBe(
      'JSON Value: {\n    "signature_name": "s"\n} When method is classify, key \'examples\' is expected and was not found',
    );
    expect(err('{"examples": [ [ { "names": [ "foo", "bar" ] } ] ]}').message).toBe('Example must be JSON object but got JSON Array');
    expect(err('{"examples": [ { "names": [ 10, null ] } ]}').message).toBe('Feature: names has element with unexpected JSON type: Null');
    expect(err('{"examples": [ { "names": [ 10, 10.0 ] } ]}').message).toBe('Unexpected element type in feature: names expecting type: int64');
    expect(err('{"examples": [ { "names": [ 1.5, "a" ] } ]}').message).toBe('Unexpected element type in feature: names expecting type: float');
    expect(err('{"examples": [ { "names": [ 10, { "test": 10 } ] } ]}').message).toBe(
      'Feature: names has element with unexpected JSON type: Object',
    );
    expect(err('{"examples": [ { "names": [ [10], 20 ] } ]}').message).toBe('Feature: names has element with unexpected JSON type: Array');
    expect(err('{"examples": [ { "names": [ 20, 18446744073709551603 ] } ]}').message).toBe(
      'Feature: names has uint64_t element. Only int64_t is supported.',
    );
    expect(err('{"examples": [ { "b": {"b64": "%%%"} } ]}').message).toBe('Unable to base64 decode');
  });
});
