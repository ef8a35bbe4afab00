/**
 * The numeric fast path of parsePredictRequest (a body holding one nested array of numbers, parsed with
 * no JSON tree) must give exactly what the general path gives for the same body: the same tensor, or the
 * same error. A body passed as a string always takes the general path, which is the oracle here.
 */
import * as fc from 'fast-check';
import { InputSpec, parsePredictRequest } from '../../../src/rest-json';
import { DataType } from '../../../src/tensor/dtype';
import { fcParams } from './fuzz-helpers';

const DTYPES = [
  DataType.DT_FLOAT,
  DataType.DT_DOUBLE,
  DataType.DT_INT32,
  DataType.DT_INT64,
  DataType.DT_UINT8,
  DataType.DT_INT8,
  DataType.DT_UINT64,
  DataType.DT_BOOL,
  DataType.DT_HALF,
  DataType.DT_STRING,
];

/** Number texts of every kind rapidjson tells apart: ints of each range, decimals, exponents, NaN/Inf, junk. */
const numberText = fc.oneof(
  fc.integer({ min: -300, max: 300 }).map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? '-0.0' : String(d))),
  fc.tuple(fc.integer({ min: 0, max: 99999 }), fc.integer({ min: -330, max: 330 })).map(([m, e]) => `${m}e${e}`),
  fc.constantFrom('NaN', '-Infinity', 'Infinity', '-Inf', '0.1', '1.', '-', '01', '1e', 'true', '"x"', 'null', '1.5e+3', '-0'),
);

/** A nested array: rectangular most of the time, ragged or oddly nested now and then. */
function nested(dims: number[], leaf: fc.Arbitrary<string>): fc.Arbitrary<string> {
  if (dims.length === 0) return leaf;
  const inner = nested(dims.slice(1), leaf);
  return fc
    .tuple(fc.array(inner, { minLength: dims[0], maxLength: dims[0] }), fc.integer({ min: 0, max: 19 }), inner)
    .map(([items, mutate, extra]) => {
      if (mutate === 0 && items.length > 0) items.pop(); // ragged
      if (mutate === 1) items.push(`[${extra}]`); // deeper on one side
      return `[${items.join(', ')}]`;
    });
}

const body = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }),
    fc.constantFrom('instances', 'inputs', 'Instances'),
    fc.constantFrom('', ' ', '\n  '),
    fc.integer({ min: 0, max: 9 }),
  )
  .chain(([dims, key, ws, tail]) =>
    nested(dims, numberText).map((array) => `${ws}{${ws}"${key}"${ws}:${ws}${array}${ws}}${tail === 0 ? ' x' : tail === 1 ? ',' : ws}`),
  );

function outcome(f: () => ReturnType<typeof parsePredictRequest>): unknown {
  try {
    const r = f();
    return { format: r.format, signatureName: r.signatureName, inputs: [...r.inputs] };
  } catch (err) {
    return { error: String(err) };
  }
}

test('the fast path gives the general path\'s tensor or error for every numeric body', () => {
  fc.assert(
    fc.property(body, fc.constantFrom(...DTYPES), (text, dtype) => {
      const lookup = (): ReadonlyMap<string, InputSpec> => new Map([['x', { dtype }]]);
      expect(outcome(() => parsePredictRequest(Buffer.from(text), lookup))).toEqual(outcome(() => parsePredictRequest(text, lookup)));
    }),
    fcParams(18, 3000),
  );
});

test('bodies the fast path takes: exact values, rapidjson rounding kept', () => {
  const lookup = (dtype: number) => (): ReadonlyMap<string, InputSpec> => new Map([['x', { dtype }]]);
  for (const [text, dtype] of [
    ['{"instances": [[0.1, 1e-320, 1.7976931348623157e308], [-0.0, 5e-324, 123456789012345678]]}', DataType.DT_DOUBLE],
    ['{"inputs": [[[1, 2, 3]], [[4, 5, 6]]]}', DataType.DT_FLOAT],
    ['{"instances": [1, 2, 3]}', DataType.DT_INT64],
    ['{"inputs": [NaN, -Infinity, 0.30000000000000004]}', DataType.DT_FLOAT],
  ] as const) {
    expect(outcome(() => parsePredictRequest(Buffer.from(text), lookup(dtype)))).toEqual(outcome(() => parsePredictRequest(text, lookup(dtype))));
  }
});
