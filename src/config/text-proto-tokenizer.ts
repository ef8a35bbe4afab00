/**
 * Tokenizer for the protobuf text format, modelled on protobuf's io::Tokenizer
 * (the settings TextFormat uses: `#` comments, `f` after floats allowed):
 * identifiers, integers (decimal, 0x hex, leading-0 octal), floats, quoted
 * strings with C escapes decoded to bytes, and single-character symbols.
 * Lazy, so a syntax error later in the text never hides an earlier parse error.
 */

/** Thrown by the tokenizer and parser; turned into TextProtoParseError at the top. */
export class SyntaxFailure extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export type TokenKind = 'identifier' | 'integer' | 'float' | 'string' | 'symbol' | 'end';

export interface Token {
  kind: TokenKind;
  /** Raw text as written (strings keep their quotes); '' at the end. */
  text: string;
  /** 0-based, as protobuf keeps them internally. */
  line: number;
  column: number;
  /** 0-based character offset of the token's first character in the text (its end for 'end'). */
  offset: number;
  /** Decoded bytes of a string literal. */
  bytes?: Uint8Array;
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b,
  '\\': 0x5c, '?': 0x3f, "'": 0x27, '"': 0x22,
};

const isLetter = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isOctal = (c: string): boolean => c >= '0' && c <= '7';
const isHex = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
const isWhitespace = (c: string): boolean =>
  c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\v' || c === '\f';

export class Tokenizer {
  private pos = 0;
  private line = 0;
  private column = 0;
  /** The token the parser is looking at. */
  current: Token;

  constructor(private readonly text: string) {
    this.current = this.read();
  }

  next(): Token {
    const previous = this.current;
    this.current = this.read();
    return previous;
  }

  private peekChar(offset = 0): string {
    return this.text.charAt(this.pos + offset);
  }

  private advance(): string {
    const c = this.text.charAt(this.pos++);
    if (c === '\n') {
      this.line++;
      this.column = 0;
    } else if (c === '\t') {
      this.column += 8 - (this.column % 8);
    } else {
      this.column++;
    }
    return c;
  }

  private fail(detail: string, line = this.line, column = this.column): never {
    throw new SyntaxFailure(line + 1, column + 1, detail);
  }

  private read(): Token {
    for (;;) {
      const c = this.peekChar();
      if (c === '') return { kind: 'end', text: '', line: this.line, column: this.column, offset: this.pos };
      if (isWhitespace(c)) {
        this.advance();
      } else if (c === '#') {
        while (this.peekChar() !== '' && this.peekChar() !== '\n') this.advance();
      } else {
        break;
      }
    }
    const line = this.line;
    const column = this.column;
    const start = this.pos;
    const c = this.peekChar();
    if (isLetter(c)) {
      while (isLetter(this.peekChar()) || isDigit(this.peekChar())) this.advance();
      return { kind: 'identifier', text: this.text.slice(start, this.pos), line, column, offset: start };
    }
    if (isDigit(c) || (c === '.' && isDigit(this.peekChar(1)))) {
      const kind = this.readNumber();
      return { kind, text: this.text.slice(start, this.pos), line, column, offset: start };
    }
    if (c === '"' || c === "'") {
      const bytes = this.readString(c);
      return { kind: 'string', text: this.text.slice(start, this.pos), line, column, offset: start, bytes };
    }
    const code = c.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) this.fail('Invalid control characters encountered in text.');
    // One symbol per token; a surrogate pair stays together so the text is valid.
    this.advance();
    if (code >= 0xd800 && code <= 0xdbff && this.peekChar() !== '') this.advance();
    return { kind: 'symbol', text: this.text.slice(start, this.pos), line, column, offset: start };
  }

  private readNumber(): 'integer' | 'float' {
    let isFloat = false;
    if (this.peekChar() === '0' && (this.peekChar(1) === 'x' || this.peekChar(1) === 'X')) {
      this.advance();
      this.advance();
      if (!isHex(this.peekChar())) this.fail('"0x" must be followed by hex digits.');
      while (isHex(this.peekChar())) this.advance();
    } else if (this.peekChar() === '0' && isDigit(this.peekChar(1))) {
      while (isDigit(this.peekChar())) {
        if (!isOctal(this.peekChar())) this.fail('Numbers starting with leading zero must be in octal.');
        this.advance();
      }
    } else {
      while (isDigit(this.peekChar())) this.advance();
      if (this.peekChar() === '.') {
        isFloat = true;
        this.advance();
        while (isDigit(this.peekChar())) this.advance();
      }
      if (this.peekChar() === 'e' || this.peekChar() === 'E') {
        isFloat = true;
        this.advance();
        if (this.peekChar() === '+' || this.peekChar() === '-') this.advance();
        if (!isDigit(this.peekChar())) this.fail('"e" must be followed by exponent.');
        while (isDigit(this.peekChar())) this.advance();
      }
      if (this.peekChar() === 'f' || this.peekChar() === 'F') {
        isFloat = true;
        this.advance();
      }
    }
    if (isLetter(this.peekChar()) || this.peekChar() === '.') {
      this.fail('Need space between number and identifier.');
    }
    return isFloat ? 'float' : 'integer';
  }

  private readString(quote: string): Uint8Array {
    this.advance();
    const out: number[] = [];
    let literalStart = this.pos;
    const flushLiteral = (): void => {
      if (this.pos > literalStart) out.push(...Buffer.from(this.text.slice(literalStart, this.pos), 'utf8'));
    };
    for (;;) {
      const c = this.peekChar();
      if (c === '') this.fail('Unexpected end of string.');
      if (c === '\n') this.fail('String literals cannot cross line boundaries.');
      if (c === quote) {
        flushLiteral();
        this.advance();
        return Uint8Array.from(out);
      }
      if (c !== '\\') {
        this.advance();
        continue;
      }
      flushLiteral();
      const escLine = this.line;
      const escColumn = this.column;
      this.advance();
      const e = this.peekChar();
      if (e in SIMPLE_ESCAPES) {
        this.advance();
        out.push(SIMPLE_ESCAPES[e] as number);
      } else if (isOctal(e)) {
        let value = 0;
        for (let i = 0; i < 3 && isOctal(this.peekChar()); i++) value = value * 8 + Number(this.advance());
        out.push(value & 0xff);
      } else if (e === 'x' || e === 'X') {
        this.advance();
        if (!isHex(this.peekChar())) this.fail('Expected hex digits for escape sequence.', escLine, escColumn);
        let digits = this.advance();
        if (isHex(this.peekChar())) digits += this.advance();
        out.push(parseInt(digits, 16));
      } else if (e === 'u' || e === 'U') {
        this.advance();
        const count = e === 'u' ? 4 : 8;
        let digits = '';
        for (let i = 0; i < count; i++) {
          if (!isHex(this.peekChar())) this.fail('Expected hex digits for escape sequence.', escLine, escColumn);
          digits += this.advance();
        }
        const codePoint = parseInt(digits, 16);
        if (codePoint > 0x10ffff) this.fail('Expected hex digits for escape sequence.', escLine, escColumn);
        out.push(...Buffer.from(String.fromCodePoint(codePoint), 'utf8'));
      } else {
        this.fail('Invalid escape sequence in string literal.', escLine, escColumn);
      }
      literalStart = this.pos;
    }
  }
}
