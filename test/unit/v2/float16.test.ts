import { BFLOAT16, HALF, decodeFloat16, encodeFloat16 } from '../../../src/v2/float16';

/** FP16 and BF16 for JSON tensors: nearest value, ties to even, straight from the double. */

describe.each([
  ['FP16', HALF, 0x7c00],
  ['BF16', BFLOAT16, 0x7f80],
] as const)('%s', (_name, format, infinity) => {
  test('every bit pattern survives decode then encode (NaNs stay NaN)', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = decodeFloat16(bits, format);
      const back = encodeFloat16(v, format);
      if (Number.isNaN(v) ? !Number.isNaN(decodeFloat16(back, format)) : back !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  test('halfway between two neighbours rounds to the even one; overflow is infinity', () => {
    const one = encodeFloat16(1, format);
    const next = decodeFloat16(one + 1, format);
    expect(encodeFloat16((1 + next) / 2, format)).toBe(one); // tie: 1 is even
    const afterNext = decodeFloat16(one + 2, format);
    expect(encodeFloat16((next + afterNext) / 2, format)).toBe(one + 2); // tie: the even one is above
    expect(encodeFloat16(1e39, format)).toBe(infinity);
    expect(encodeFloat16(-Infinity, format)).toBe(infinity | 0x8000);
    expect(encodeFloat16(-0, format)).toBe(0x8000);
  });
});

test('FP16 values as numpy.float16 gives them', () => {
  expect(encodeFloat16(65504, HALF)).toBe(0x7bff);
  expect(encodeFloat16(65519.99, HALF)).toBe(0x7bff);
  expect(encodeFloat16(65520, HALF)).toBe(0x7c00);
  expect(encodeFloat16(0.0001, HALF)).toBe(0x068e);
  expect(encodeFloat16(2 ** -24, HALF)).toBe(0x0001);
  expect(encodeFloat16(2 ** -25, HALF)).toBe(0x0000);
  expect(encodeFloat16(3 * 2 ** -25, HALF)).toBe(0x0002);
  expect(encodeFloat16(NaN, HALF)).toBe(0x7e00);
  expect(decodeFloat16(0x3555, HALF)).toBe(0.333251953125);
});
