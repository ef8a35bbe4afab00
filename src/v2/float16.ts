/**
 * 16-bit floats for JSON tensors: FP16 (IEEE half: 5 exponent bits, 10 mantissa bits) and BF16
 * (bfloat16: 8 and 7). A JSON number becomes the nearest value, ties to even, straight from the
 * double (no detour through float32, which could round twice); overflow gives ±Infinity.
 */

interface Format {
  readonly expBits: number;
  readonly mantBits: number;
}

export const HALF: Format = { expBits: 5, mantBits: 10 };
export const BFLOAT16: Format = { expBits: 8, mantBits: 7 };

function roundHalfEven(q: number): number {
  const f = Math.floor(q);
  const r = q - f;
  return r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** floor(log2(a)) for a finite a > 0, exactly. */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/** The bits of the 16-bit float nearest to x. */
export function encodeFloat16(x: number, f: Format): number {
  const { expBits, mantBits } = f;
  const bias = (1 << (expBits - 1)) - 1;
  const expAll = (1 << expBits) - 1;
  const sign = x < 0 || Object.is(x, -0) ? 1 << (expBits + mantBits) : 0;
  if (Number.isNaN(x)) return (expAll << mantBits) | (1 << (mantBits - 1));
  const a = Math.abs(x);
  if (a === Infinity) return sign | (expAll << mantBits);
  const emin = 1 - bias;
  let e = a === 0 ? emin : Math.max(emin, exponentOf(a));
  // a in units of the quantum 2^(e - mantBits): [2^mantBits, 2^(mantBits+1)) when normal, below when subnormal.
  let m = roundHalfEven(a * 2 ** (mantBits - e));
  const implicit = 2 ** mantBits;
  if (m >= 2 * implicit) {
    m /= 2;
    e++;
  }
  if (m < implicit) return sign | m;
  if (e > bias) return sign | (expAll << mantBits);
  return sign | ((e + bias) << mantBits) | (m - implicit);
}

/** The value of 16-bit float bits. */
export function decodeFloat16(bits: number, f: Format): number {
  const { expBits, mantBits } = f;
  const bias = (1 << (expBits - 1)) - 1;
  const expAll = (1 << expBits) - 1;
  const negative = (bits >> (expBits + mantBits)) & 1;
  const exp = (bits >> mantBits) & expAll;
  const mant = bits & ((1 << mantBits) - 1);
  let v: number;
  if (exp === expAll) v = mant ? NaN : Infinity;
  else if (exp === 0) v = mant * 2 ** (1 - bias - mantBits);
  else v = (2 ** mantBits + mant) * 2 ** (exp - bias - mantBits);
  return negative ? -v : v;
}
