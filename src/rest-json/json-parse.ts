import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import {
  JSON_FALSE,
  JSON_NULL,
  JSON_TRUE,
  JsonItem,
  JsonMember,
  JsonNumber,
  JsonString,
  JsonValue,
  NumFlag,
  NumberStore,
} from './json-value';

/**
 * A JSON parser that behaves like the rapidjson 1.1.0 reader TF Serving uses
 * (`Document::ParseStream<kParseNanAndInfFlag>` over the request body, util/json_tensor.cc):
 *
 * - accepts `NaN`, `Inf`, `Infinity` (optionally negative) as numbers;
 * - keeps strings as raw bytes (no UTF-8 validation, `\uXXXX` escapes re-encoded as UTF-8);
 * - classifies numbers as rapidjson does and computes doubles with its default ("normal precision")
 *   algorithm, so a value is the same double TF Serving would have used;
 * - reports rapidjson's English error messages and byte offsets;
 * - like rapidjson's MemoryStream, treats a NUL byte as the end of input and skips a UTF-8 BOM.
 *
 * Unlike rapidjson it limits nesting depth (rapidjson recurses until the stack overflows), reporting
 * the limit as a handler termination, which is how rapidjson reports a handler refusing a value.
 */

export interface JsonParseOptions {
  /** Deepest array/object nesting accepted (default 1000). TensorFlow tensors have at most 254 dims. */
  readonly maxDepth?: number;
  /** Largest document accepted, in bytes (default: no limit; the HTTP layer should pass its own). */
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_DEPTH = 1000;

/** rapidjson's GetParseError_En texts for the errors this reader can raise. */
export const ParseErrorText = {
  DOCUMENT_EMPTY: 'The document is empty.',
  ROOT_NOT_SINGULAR: 'The document root must not be followed by other values.',
  VALUE_INVALID: 'Invalid value.',
  OBJECT_MISS_NAME: 'Missing a name for object member.',
  OBJECT_MISS_COLON: 'Missing a colon after a name of object member.',
  OBJECT_MISS_COMMA_OR_CURLY: "Missing a comma or '}' after an object member.",
  ARRAY_MISS_COMMA_OR_SQUARE: "Missing a comma or ']' after an array element.",
  STRING_UNICODE_ESCAPE_INVALID_HEX: 'Incorrect hex digit after \\u escape in string.',
  STRING_UNICODE_SURROGATE_INVALID: 'The surrogate pair in string is invalid.',
  STRING_ESCAPE_INVALID: 'Invalid escape character in string.',
  STRING_MISS_QUOTATION_MARK: 'Missing a closing quotation mark in string.',
  NUMBER_TOO_BIG: 'Number too big to be stored in double.',
  NUMBER_MISS_FRACTION: 'Miss fraction part in number.',
  NUMBER_MISS_EXPONENT: 'Miss exponent in number.',
  TERMINATION: 'Terminate parsing due to Handler error.',
} as const;

/** A syntax error: INVALID_ARGUMENT `JSON Parse error: <reason> at offset: <offset>`, as TF Serving. */
export class JsonParseError extends ServingError {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(Code.INVALID_ARGUMENT, `JSON Parse error: ${reason} at offset: ${offset}`);
    this.name = 'JsonParseError';
  }
}

/** Parses a whole document. TF Serving's own check for a zero-length body comes first (no offset). */
export function parseJson(input: Uint8Array | string, options: JsonParseOptions = {}): JsonValue {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const maxBytes = options.maxBytes ?? Infinity;
  if (bytes.byteLength > maxBytes) {
    throw new ServingError(
      Code.INVALID_ARGUMENT,
      `JSON Parse error: the document is ${bytes.byteLength} bytes, more than the limit of ${maxBytes} bytes`,
    );
  }
  if (bytes.byteLength === 0) throw new ServingError(Code.INVALID_ARGUMENT, 'JSON Parse error: The document is empty');
  return new Parser(bytes, options.maxDepth ?? DEFAULT_MAX_DEPTH).parseDocument();
}

/** A Predict body of one numeric array: which key held it, the array's shape and its numbers in order. */
export interface NumericBody {
  readonly key: 'instances' | 'inputs';
  readonly shape: number[];
  readonly numbers: NumberStore;
}

/**
 * The fast path for the request that dominates large REST traffic, `{"instances": [...]}` or
 * `{"inputs": [...]}` holding one rectangular nested array of numbers: the numbers go to the number store
 * parseJson's arrays use (rapidjson's values and flags, exactly as parseJson records them), with no JSON
 * tree. Undefined for any other body, or any malformed one: the caller then takes the general path, which
 * gives every error its exact wording.
 */
export function parseNumericBody(input: Uint8Array, options: JsonParseOptions): NumericBody | undefined {
  if (input.byteLength > (options.maxBytes ?? Infinity)) return undefined;
  try {
    return new Parser(input, options.maxDepth ?? DEFAULT_MAX_DEPTH).numericBody();
  } catch {
    return undefined;
  }
}

const KEY_INSTANCES = Buffer.from('"instances"');
const KEY_INPUTS = Buffer.from('"inputs"');

// Character codes.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const TWO_53_BIG = 9007199254740992n;
/** Largest i64 whose `i64 * 10 + digit` is still exact in a double. */
const SAFE_MUL10 = 900719925474098;
const UINT64_MAX = 0xffffffffffffffffn;
const INT64_MIN_MAGNITUDE = 0x8000000000000000n;

/** rapidjson's Pow10 table: each entry the correctly rounded double of 1e+n. */
const POW10: Float64Array = (() => {
  const t = new Float64Array(309);
  for (let n = 0; n <= 308; n++) t[n] = Number(`1e${n}`);
  return t;
})();

/** rapidjson internal::FastPath. */
function fastPath(significand: number, exp: number): number {
  if (exp < -308) return 0.0;
  if (exp >= 0) return significand * POW10[exp];
  return significand / POW10[-exp];
}

/** rapidjson internal::StrtodNormalPrecision: not always correctly rounded, but what TF Serving computes. */
function strtodNormalPrecision(d: number, p: number): number {
  if (p < -308) return fastPath(fastPath(d, -308), p + 308);
  return fastPath(d, p);
}

/** The flags rapidjson's GenericValue(int/unsigned/int64_t/uint64_t) constructors set for an integer. */
function intFlags(v: number): number {
  let f = 0;
  if (v >= -2147483648 && v <= 2147483647) f |= NumFlag.INT;
  if (v >= 0 && v <= 4294967295) f |= NumFlag.UINT;
  // Callers only pass |v| < 2^53 here, inside both 64-bit ranges when of the right sign.
  f |= NumFlag.INT64;
  if (v >= 0) f |= NumFlag.UINT64;
  return f;
}

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

/** The byte at q, 0 past the end (rapidjson's Peek()). */
const at = (s: Uint8Array, end: number, q: number): number => (q < end ? s[q] : 0);

const INITY = [0x69, 0x6e, 0x69, 0x74, 0x79];

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly end: number;
  private readonly numbers: NumberStore;
  /** The last scanned number, so array elements need no object of their own. */
  private numValue = 0;
  private numFlags = 0;

  constructor(
    private readonly s: Uint8Array,
    private readonly maxDepth: number,
  ) {
    this.end = s.byteLength;
    this.numbers = new NumberStore(s);
    // EncodedInputStream<UTF8, MemoryStream> skips the BOM bytes EF BB BF, each only if present.
    if (this.peek() === 0xef) this.pos++;
    if (this.peek() === 0xbb) this.pos++;
    if (this.peek() === 0xbf) this.pos++;
  }

  /** rapidjson's Peek(): 0 at the end, and a NUL byte reads as the end. */
  private peek(): number {
    return this.pos < this.end ? this.s[this.pos] : 0;
  }

  private fail(reason: string, offset: number): never {
    throw new JsonParseError(reason, offset);
  }

  private skipWhitespace(): void {
    const s = this.s;
    const end = this.end;
    let p = this.pos;
    while (p < end) {
      const c = s[p];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  parseDocument(): JsonValue {
    this.skipWhitespace();
    if (this.peek() === 0) this.fail(ParseErrorText.DOCUMENT_EMPTY, this.pos);
    const v = this.parseValue();
    this.skipWhitespace();
    if (this.peek() !== 0) this.fail(ParseErrorText.ROOT_NOT_SINGULAR, this.pos);
    return v;
  }

  /** See parseNumericBody; undefined where the general parser must decide. */
  numericBody(): NumericBody | undefined {
    this.skipWhitespace();
    if (this.peek() !== LBRACE) return undefined;
    this.pos++;
    this.skipWhitespace();
    const key = this.startsWith(KEY_INSTANCES) ? 'instances' : this.startsWith(KEY_INPUTS) ? 'inputs' : undefined;
    if (!key) return undefined;
    this.pos += key === 'instances' ? KEY_INSTANCES.length : KEY_INPUTS.length;
    this.skipWhitespace();
    if (this.peek() !== COLON) return undefined;
    this.pos++;
    this.skipWhitespace();
    if (this.peek() !== LBRACKET) return undefined;
    // shape[d]: the length of the first array seen at depth d; every later one must match.
    const shape: number[] = [];
    const counts: number[] = [];
    let rank = -1;
    let depth = -1;
    for (;;) {
      const c = this.peek();
      if (c === LBRACKET) {
        depth++;
        // The general parser counts the enclosing object as a level too.
        if (depth + 2 > this.maxDepth || (rank >= 0 && depth >= rank)) return undefined;
        counts[depth] = 0;
        this.pos++;
        this.skipWhitespace();
        if (this.peek() === RBRACKET) return undefined; // an empty array: the general path's rules
        continue;
      }
      if (c === RBRACKET) return undefined;
      if (c !== MINUS && !(c >= ZERO && c <= NINE) && c !== 0x49 && c !== 0x4e) return undefined;
      if (rank < 0) rank = depth + 1;
      else if (depth + 1 !== rank) return undefined;
      const start = this.pos;
      this.scanNumber();
      this.numbers.add(this.numValue, this.numFlags, start, this.pos);
      counts[depth]++;
      // Close every array that ends here, checking its length against the first of its depth.
      for (;;) {
        this.skipWhitespace();
        const n = this.peek();
        if (n === COMMA) {
          this.pos++;
          this.skipWhitespace();
          break;
        }
        if (n !== RBRACKET) return undefined;
        this.pos++;
        if (shape[depth] === undefined) shape[depth] = counts[depth];
        else if (shape[depth] !== counts[depth]) return undefined;
        if (depth === 0) {
          this.skipWhitespace();
          if (this.peek() !== RBRACE) return undefined;
          this.pos++;
          this.skipWhitespace();
          return this.pos === this.end ? { key, shape, numbers: this.numbers } : undefined;
        }
        depth--;
        counts[depth]++;
      }
    }
  }

  private startsWith(bytes: Uint8Array): boolean {
    if (this.pos + bytes.length > this.end) return false;
    for (let i = 0; i < bytes.length; i++) if (this.s[this.pos + i] !== bytes[i]) return false;
    return true;
  }

  private parseValue(): JsonValue {
    switch (this.peek()) {
      case 0x6e: // n
        return this.parseLiteral('null', JSON_NULL);
      case 0x74: // t
        return this.parseLiteral('true', JSON_TRUE);
      case 0x66: // f
        return this.parseLiteral('false', JSON_FALSE);
      case QUOTE:
        return this.parseString();
      case LBRACE:
        return this.parseObject();
      case LBRACKET:
        return this.parseArray();
      default: {
        const start = this.pos;
        this.scanNumber();
        return new JsonNumber(this.numValue, this.numFlags, this.s, start, this.pos);
      }
    }
  }

  /** ParseNull/ParseTrue/ParseFalse: the error offset is where the first wrong character is. */
  private parseLiteral(word: string, value: JsonValue): JsonValue {
    this.pos++;
    for (let k = 1; k < word.length; k++) {
      if (this.peek() !== word.charCodeAt(k)) this.fail(ParseErrorText.VALUE_INVALID, this.pos);
      this.pos++;
    }
    return value;
  }

  private enter(): void {
    // Checked after the bracket is taken, where rapidjson reports a StartObject/StartArray refusal.
    if (++this.depth > this.maxDepth) this.fail(ParseErrorText.TERMINATION, this.pos);
  }

  private parseObject(): JsonValue {
    this.pos++; // '{'
    this.enter();
    this.skipWhitespace();
    const members: JsonMember[] = [];
    if (this.peek() === RBRACE) {
      this.pos++;
      this.depth--;
      return { type: 'object', members };
    }
    for (;;) {
      if (this.peek() !== QUOTE) this.fail(ParseErrorText.OBJECT_MISS_NAME, this.pos);
      const name = this.parseString();
      this.skipWhitespace();
      if (this.peek() !== COLON) this.fail(ParseErrorText.OBJECT_MISS_COLON, this.pos);
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue();
      members.push({ name, value });
      this.skipWhitespace();
      const c = this.peek();
      if (c === COMMA) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === RBRACE) {
        this.pos++;
        this.depth--;
        return { type: 'object', members };
      } else {
        this.fail(ParseErrorText.OBJECT_MISS_COMMA_OR_CURLY, this.pos);
      }
    }
  }

  private parseArray(): JsonValue {
    this.pos++; // '['
    this.enter();
    this.skipWhitespace();
    const items: JsonItem[] = [];
    const numbers = this.numbers;
    if (this.peek() === RBRACKET) {
      this.pos++;
      this.depth--;
      return { type: 'array', items, numbers };
    }
    const s = this.s;
    for (;;) {
      // Numbers dominate large requests: they go to the number store, without an object each.
      const c0 = this.pos < this.end ? s[this.pos] : 0;
      if ((c0 >= ZERO && c0 <= NINE) || c0 === MINUS || c0 === 0x4e || c0 === 0x49) {
        const start = this.pos;
        this.scanNumber();
        items.push(numbers.add(this.numValue, this.numFlags, start, this.pos));
      } else {
        items.push(this.parseValue());
      }
      this.skipWhitespace();
      const c = this.peek();
      if (c === COMMA) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === RBRACKET) {
        this.pos++;
        this.depth--;
        return { type: 'array', items, numbers };
      } else {
        this.fail(ParseErrorText.ARRAY_MISS_COMMA_OR_SQUARE, this.pos);
      }
    }
  }

  private parseString(): JsonString {
    const s = this.s;
    const end = this.end;
    const start = ++this.pos; // past '"'
    // Fast path: no escapes, the bytes are a view into the request.
    let p = start;
    while (p < end) {
      const c = s[p];
      if (c === QUOTE) {
        this.pos = p + 1;
        return new JsonString(s.subarray(start, p));
      }
      if (c === BACKSLASH || c < 0x20) break;
      p++;
    }
    return this.parseEscapedString(start, p);
  }

  /** The slow path once an escape or control character is met at `p`. */
  private parseEscapedString(start: number, p: number): JsonString {
    const s = this.s;
    const out: number[] = [];
    for (let k = start; k < p; k++) out.push(s[k]);
    this.pos = p;
    for (;;) {
      const c = this.peek();
      if (c === BACKSLASH) {
        const escapeOffset = this.pos;
        this.pos++;
        const e = this.peek();
        const simple = SIMPLE_ESCAPES[e];
        if (simple !== 0) {
          this.pos++;
          out.push(simple);
        } else if (e === 0x75) {
          // \uXXXX
          this.pos++;
          let cp = this.parseHex4(escapeOffset);
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (this.peek() !== BACKSLASH) this.fail(ParseErrorText.STRING_UNICODE_SURROGATE_INVALID, escapeOffset);
            this.pos++;
            if (this.peek() !== 0x75) this.fail(ParseErrorText.STRING_UNICODE_SURROGATE_INVALID, escapeOffset);
            this.pos++;
            const cp2 = this.parseHex4(escapeOffset);
            if (cp2 < 0xdc00 || cp2 > 0xdfff) this.fail(ParseErrorText.STRING_UNICODE_SURROGATE_INVALID, escapeOffset);
            cp = (((cp - 0xd800) << 10) | (cp2 - 0xdc00)) + 0x10000;
          }
          // rapidjson 1.1.0 encodes a lone low surrogate as-is (three bytes), so do we.
          encodeUtf8(cp, out);
        } else {
          this.fail(ParseErrorText.STRING_ESCAPE_INVALID, escapeOffset);
        }
      } else if (c === QUOTE) {
        this.pos++;
        return new JsonString(Uint8Array.from(out));
      } else if (c < 0x20) {
        this.fail(c === 0 ? ParseErrorText.STRING_MISS_QUOTATION_MARK : ParseErrorText.STRING_ESCAPE_INVALID, this.pos);
      } else {
        out.push(c);
        this.pos++;
      }
    }
  }

  private parseHex4(escapeOffset: number): number {
    let cp = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.peek();
      let d: number;
      if (c >= ZERO && c <= NINE) d = c - ZERO;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else this.fail(ParseErrorText.STRING_UNICODE_ESCAPE_INVALID_HEX, escapeOffset);
      cp = (cp << 4) | d;
      this.pos++;
    }
    return cp;
  }

  /**
   * rapidjson's ParseNumber, step for step: the integer part is accumulated as uint32 then uint64
   * (switching to double past 2^64, or 2^63 when negative), up to 17 significant digits of a
   * fraction are accumulated, and the result is scaled by a power of ten. Integers within 2^53 are
   * held as doubles; longer digit runs go through BigInt so every rounding step matches C's.
   */
  private scanNumber(): void {
    const s = this.s;
    const end = this.end;
    const startOffset = this.pos;
    let p = this.pos;
        const minus = at(s, end, p) === MINUS;
    if (minus) p++;

    // Integer part: `iv` exact while < 2^53; `big` holds longer integers exactly. (rapidjson's
    // uint32/uint64 split only decides which handler is called; the flags below follow the value.)
    let iv = 0;
    let big: bigint | undefined;
    let useDouble = false;
    let useNanOrInf = false;
    let d = 0.0;
    let significandDigit = 0;

    let c = at(s, end, p);
    if (c === ZERO) {
      p++;
    } else if (c > ZERO && c <= NINE) {
      const digitsStart = p;
      p++;
      while (isDigit(at(s, end, p))) p++;
      const n = p - digitsStart;
      if (n <= 15) {
        for (let q = digitsStart; q < p; q++) iv = iv * 10 + (s[q] - ZERO);
        significandDigit = n - 1;
      } else {
        // Re-run rapidjson's 64-bit loop: stop at the digit that would overflow the range.
        const limit = minus ? INT64_MIN_MAGNITUDE : UINT64_MAX;
        let acc = 0n;
        let q = digitsStart;
        for (; q < p; q++) {
          const next = acc * 10n + BigInt(s[q] - ZERO);
          if (next > limit) break;
          acc = next;
        }
        significandDigit = q - digitsStart - 1;
        big = acc;
        if (q < p) {
          // Force double for big integer.
          useDouble = true;
          d = Number(acc);
          for (; q < p; q++) {
            if (d >= 1.7976931348623157e307) this.fail(ParseErrorText.NUMBER_TOO_BIG, startOffset);
            d = d * 10 + (s[q] - ZERO);
          }
        }
      }
    } else if (c === 0x49 || c === 0x4e) {
      // NaN / Inf / Infinity (kParseNanAndInfFlag), with rapidjson's short-circuit Consume() chain:
      // a failed `NaN` leaves its consumed characters behind before `Inf` is tried.
      useNanOrInf = true;
      let ok = false;
      if (at(s, end, p) === 0x4e) {
        p++;
        if (at(s, end, p) === 0x61) {
          p++;
          if (at(s, end, p) === 0x4e) {
            p++;
            ok = true;
            d = NaN;
          }
        }
      }
      if (!ok && at(s, end, p) === 0x49) {
        p++;
        if (at(s, end, p) === 0x6e) {
          p++;
          if (at(s, end, p) === 0x66) {
            p++;
            ok = true;
            d = minus ? -Infinity : Infinity;
            if (at(s, end, p) === 0x69) {
              for (const ch of INITY) {
                if (at(s, end, p) !== ch) this.fail(ParseErrorText.VALUE_INVALID, p);
                p++;
              }
            }
          }
        }
      }
      if (!ok) this.fail(ParseErrorText.VALUE_INVALID, p);
    } else {
      this.fail(ParseErrorText.VALUE_INVALID, p);
    }

    // Fraction.
    let expFrac = 0;
    if (at(s, end, p) === DOT) {
      p++;
      if (!isDigit(at(s, end, p))) this.fail(ParseErrorText.NUMBER_MISS_FRACTION, p);
      if (!useDouble) {
        // i64 = the integer part; take digits while it is at most 2^53 - 1. `small` holds i64 while
        // it is below 2^53, `wide` once a step crosses it (only the last step can).
        let small = big === undefined ? iv : big < TWO_53_BIG ? Number(big) : -1;
        let wide = small < 0 ? (big as bigint) : 0n;
        while (small >= 0 && isDigit(at(s, end, p))) {
          const digit = s[p] - ZERO;
          if (small <= SAFE_MUL10) {
            small = small * 10 + digit;
          } else {
            const next = BigInt(small) * 10n + BigInt(digit);
            if (next < TWO_53_BIG) small = Number(next);
            else {
              small = -1;
              wide = next;
            }
          }
          p++;
          expFrac--;
          if (small !== 0) significandDigit++;
        }
        d = small >= 0 ? small : Number(wide);
        useDouble = true;
      }
      while (isDigit(at(s, end, p))) {
        if (significandDigit < 17) {
          d = d * 10.0 + (s[p] - ZERO);
          expFrac--;
          if (d > 0.0) significandDigit++;
        }
        p++;
      }
    }

    // Exponent.
    let exp = 0;
    c = at(s, end, p);
    if (c === 0x65 || c === 0x45) {
      p++;
      if (!useDouble) {
        d = big !== undefined ? Number(big) : iv;
        useDouble = true;
      }
      let expMinus = false;
      if (at(s, end, p) === PLUS) p++;
      else if (at(s, end, p) === MINUS) {
        p++;
        expMinus = true;
      }
      if (!isDigit(at(s, end, p))) this.fail(ParseErrorText.NUMBER_MISS_EXPONENT, p);
      exp = s[p++] - ZERO;
      if (expMinus) {
        while (isDigit(at(s, end, p))) {
          exp = exp * 10 + (s[p++] - ZERO);
          if (exp >= 214748364) while (isDigit(at(s, end, p))) p++;
        }
        exp = -exp;
      } else {
        const maxExp = 308 - expFrac;
        while (isDigit(at(s, end, p))) {
          exp = exp * 10 + (s[p++] - ZERO);
          if (exp > maxExp) this.fail(ParseErrorText.NUMBER_TOO_BIG, startOffset);
        }
      }
    }
    this.pos = p;

    if (useDouble) {
      const v = strtodNormalPrecision(d, exp + expFrac);
      this.numValue = minus ? -v : v;
      this.numFlags = NumFlag.DOUBLE;
    } else if (useNanOrInf) {
      this.numValue = d;
      this.numFlags = NumFlag.DOUBLE;
    } else if (big === undefined) {
      // `-0` is rapidjson's Int(0): plain zero.
      const v = minus ? (iv === 0 ? 0 : -iv) : iv;
      this.numValue = v;
      this.numFlags = intFlags(v);
    } else {
      // 64-bit integers beyond 2^53: flags from the exact value, GetDouble() = (double)int.
      const exact = minus ? -big : big;
      let flags = 0;
      if (exact >= -INT64_MIN_MAGNITUDE && exact < INT64_MIN_MAGNITUDE) flags |= NumFlag.INT64;
      if (exact >= 0n) flags |= NumFlag.UINT64;
      this.numValue = Number(exact);
      this.numFlags = flags;
    }
  }
}

/** rapidjson's escape table: the byte each simple escape stands for, 0 for none. */
const SIMPLE_ESCAPES: Uint8Array = (() => {
  const t = new Uint8Array(256);
  t[QUOTE] = QUOTE;
  t[BACKSLASH] = BACKSLASH;
  t[0x2f] = 0x2f; // '/'
  t[0x62] = 0x08; // b
  t[0x66] = 0x0c; // f
  t[0x6e] = 0x0a; // n
  t[0x72] = 0x0d; // r
  t[0x74] = 0x09; // t
  return t;
})();

/** rapidjson UTF8::Encode. */
function encodeUtf8(cp: number, out: number[]): void {
  if (cp <= 0x7f) out.push(cp);
  else if (cp <= 0x7ff) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp <= 0xffff) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}
