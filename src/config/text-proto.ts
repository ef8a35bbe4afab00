import * as fs from 'node:fs';
import * as protobuf from 'protobufjs';
import { Code } from '../errors/status-code';
import { ServingError, notFound } from '../errors/serving-error';
import { SyntaxFailure, Token, Tokenizer } from './text-proto-tokenizer';
import { log } from '../log/logger';

/**
 * Reader for the protobuf TEXT format (what TF Serving's ParseProtoTextFile
 * accepts), driven by protobufjs reflection: the lazy tokenizer of
 * text-proto-tokenizer.ts and a recursive-descent parser modelled on
 * TextFormat::Parser, with the same error wording and 1-based positions.
 *
 * Values come out as plain objects for `Type.fromObject`: 64-bit integers as
 * decimal strings (no precision loss), enums as names (or numbers when given
 * as numbers), bytes as Uint8Array, maps as objects keyed by the map key, and
 * `google.protobuf.Any` expansions already packed into {type_url, value}.
 */

/** A scalar as produced by the parser. */
export type TextProtoScalar = string | number | boolean | Uint8Array;
/** Any field value as produced by the parser. */
export type TextProtoValue = TextProtoScalar | TextProtoObject | TextProtoValue[];
/** One parsed message: field name (as in the .proto) to value. */
export interface TextProtoObject {
  [field: string]: TextProtoValue;
}

/** Parse options. */
export interface TextProtoOptions {
  /**
   * Full names of message types whose text is not parsed here but kept as written, for another parser
   * (e.g. `tensorflow.ConfigProto`, which TensorFlow's own parser reads): the value of such a field is an
   * empty object carrying the text (opaqueTextOf). The braces must balance; nothing else is checked.
   */
  readonly opaqueTypes?: ReadonlySet<string>;
}

/** The text of an opaque message (TextProtoOptions.opaqueTypes), between its braces. */
export interface OpaqueText {
  readonly typeName: string;
  readonly text: string;
  /** 1-based position of the opening brace. */
  readonly line: number;
  readonly column: number;
}

/** The message an Any expansion (`[type.googleapis.com/pkg.Msg] { ... }`) held, as parsed. */
export interface AnyPayload {
  readonly typeName: string;
  readonly object: TextProtoObject;
}

const OPAQUE_TEXT = Symbol('text-proto opaque text');
const ANY_PAYLOAD = Symbol('text-proto Any payload');

/** The kept text, when `value` is an opaque message of parseTextProtoToObject's result. */
export function opaqueTextOf(value: TextProtoValue | undefined): OpaqueText | undefined {
  return value !== null && typeof value === 'object' ? (value as { [OPAQUE_TEXT]?: OpaqueText })[OPAQUE_TEXT] : undefined;
}

/**
 * For an Any that parseTextProtoToObject read in expanded form, the payload as parsed (its opaque
 * messages still carry their text, which the packed `value` bytes cannot).
 */
export function anyPayloadOf(value: TextProtoValue | undefined): AnyPayload | undefined {
  return value !== null && typeof value === 'object' ? (value as { [ANY_PAYLOAD]?: AnyPayload })[ANY_PAYLOAD] : undefined;
}

/** The same nesting limit as protobuf's TextFormat::Parser. */
export const TEXT_PROTO_RECURSION_LIMIT = 100;

/** Conversion used for the objects callers get back: no Longs, enum names, unset fields absent. */
export const TEXT_PROTO_TO_OBJECT_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
};

/**
 * A text-format syntax or schema error. The message reads like protobuf's
 * (`Error parsing text-format <type>: <line>:<column>: <detail>`), which is
 * what TF Serving logs and what its tests look for.
 */
export class TextProtoParseError extends ServingError {
  /** Full name of the top-level message type being parsed. */
  readonly typeName: string;
  /** 1-based line of the offending token. */
  readonly line: number;
  /** 1-based column of the offending token (tabs advance to the next multiple of 8, as in protobuf). */
  readonly column: number;
  /** The message without the prefix and position. */
  readonly detail: string;

  constructor(typeName: string, line: number, column: number, detail: string) {
    super(Code.INVALID_ARGUMENT, `Error parsing text-format ${typeName}: ${line}:${column}: ${detail}`);
    this.name = 'TextProtoParseError';
    this.typeName = typeName;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

// ---------------------------------------------------------------------------
// Schema: protobufjs reflection reduced to what the parser needs
// ---------------------------------------------------------------------------

type FieldShape =
  | { kind: 'scalar'; type: string }
  | { kind: 'enum'; type: protobuf.Enum }
  | { kind: 'message'; type: MessageSchema };

interface FieldSpec {
  name: string;
  shape: () => FieldShape;
  repeated: boolean;
  /** Key type of a map field (the field is then a repeated entry message). */
  mapKeyType?: string;
  /** Real (non-synthetic) oneof this field belongs to. */
  oneof?: string;
  /** Whether "set" means "present" rather than "different from the default" (protobuf's HasField). */
  explicitPresence: boolean;
}

interface MessageSchema {
  fullName: string;
  fields: ReadonlyMap<string, FieldSpec>;
}

const ANY_TYPE_NAME = 'google.protobuf.Any';
const SIXTY_FOUR_BIT = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const UNSIGNED = new Set(['uint32', 'fixed32', 'uint64', 'fixed64']);
const INTEGER_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

const schemaCache = new WeakMap<protobuf.Type, MessageSchema>();

const stripDot = (name: string): string => (name.startsWith('.') ? name.slice(1) : name);

/** protobuf's name for a map field's entry message: `version_labels` -> `VersionLabelsEntry`. */
function mapEntryName(fieldName: string): string {
  return fieldName.replace(/(^|_)([a-z])/g, (_m, _sep: string, ch: string) => ch.toUpperCase()).replace(/_/g, '') + 'Entry';
}

function shapeOf(field: protobuf.FieldBase): FieldShape {
  field.resolve();
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return { kind: 'message', type: schemaOf(resolved) };
  if (resolved instanceof protobuf.Enum) return { kind: 'enum', type: resolved };
  return { kind: 'scalar', type: field.type };
}

function schemaOf(type: protobuf.Type): MessageSchema {
  const cached = schemaCache.get(type);
  if (cached) return cached;
  const fields = new Map<string, FieldSpec>();
  const schema: MessageSchema = { fullName: stripDot(type.fullName), fields };
  schemaCache.set(type, schema); // before the fields, so recursive types terminate
  for (const field of type.fieldsArray) {
    field.resolve();
    if (field instanceof protobuf.MapField) {
      const entry = mapEntrySchema(schema.fullName, field);
      fields.set(field.name, {
        name: field.name,
        shape: () => ({ kind: 'message', type: entry }),
        repeated: true,
        mapKeyType: field.keyType,
        explicitPresence: false,
      });
      continue;
    }
    let shape: FieldShape | undefined;
    fields.set(field.name, {
      name: field.name,
      shape: () => (shape ??= shapeOf(field)),
      repeated: field.repeated,
      oneof: field.partOf && !field.partOf.isProto3Optional ? field.partOf.name : undefined,
      explicitPresence: !field.repeated && (field.resolvedType instanceof protobuf.Type || Boolean(field.hasPresence)),
    });
  }
  return schema;
}

function mapEntrySchema(parentName: string, field: protobuf.MapField): MessageSchema {
  let valueShape: FieldShape | undefined;
  const fields = new Map<string, FieldSpec>([
    ['key', { name: 'key', shape: () => ({ kind: 'scalar', type: field.keyType }), repeated: false, explicitPresence: false }],
    ['value', { name: 'value', shape: () => (valueShape ??= shapeOf(field)), repeated: false, explicitPresence: false }],
  ]);
  return { fullName: `${parentName}.${mapEntryName(field.name)}`, fields };
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

function parseIntegerLiteral(text: string): bigint {
  if (/^0[xX]/.test(text)) return BigInt(text);
  if (text.length > 1 && text.startsWith('0')) return BigInt(`0o${text.slice(1)}`);
  return BigInt(text);
}

function defaultOf(shape: FieldShape): TextProtoValue {
  if (shape.kind === 'message') return {};
  if (shape.kind === 'enum') return 0;
  switch (shape.type) {
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'bool':
      return false;
    default:
      return SIXTY_FOUR_BIT.has(shape.type) ? '0' : 0;
  }
}

function isDefaultScalar(value: TextProtoValue): boolean {
  if (value instanceof Uint8Array) return value.length === 0;
  if (typeof value === 'number') return value === 0 && !Object.is(value, -0);
  return value === '' || value === false || value === '0';
}

function mapKeyString(value: TextProtoValue): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error('map keys are scalars');
}

class Parser {
  private readonly tok: Tokenizer;

  constructor(
    private readonly text: string,
    private readonly root: protobuf.Root,
    private readonly opaqueTypes: ReadonlySet<string> = new Set(),
  ) {
    this.tok = new Tokenizer(text);
  }

  parseTopLevel(schema: MessageSchema): TextProtoObject {
    const out: TextProtoObject = {};
    const state = new MessageState();
    while (this.tok.current.kind !== 'end') this.consumeField(schema, out, state, 0);
    return out;
  }

  // -- token helpers ---------------------------------------------------------

  private failAt(token: Token, detail: string): never {
    throw new SyntaxFailure(token.line + 1, token.column + 1, detail);
  }

  private lookingAt(text: string): boolean {
    const t = this.tok.current;
    return t.kind !== 'string' && t.kind !== 'end' && t.text === text;
  }

  private tryConsume(text: string): boolean {
    if (!this.lookingAt(text)) return false;
    this.tok.next();
    return true;
  }

  private consume(text: string): void {
    if (!this.tryConsume(text)) this.failAt(this.tok.current, `Expected "${text}", found "${this.tok.current.text}".`);
  }

  private consumeIdentifier(): Token {
    const t = this.tok.current;
    if (t.kind !== 'identifier') this.failAt(t, `Expected identifier, got: ${t.text}`);
    return this.tok.next();
  }

  // -- fields -----------------------------------------------------------------

  private consumeField(schema: MessageSchema, out: TextProtoObject, state: MessageState, depth: number): void {
    const nameToken = this.tok.current;
    if (this.lookingAt('[')) {
      this.consumeBracketedField(schema, out, state, depth);
    } else {
      const name = this.consumeIdentifier().text;
      const field = schema.fields.get(name);
      if (!field) this.failAt(nameToken, `Message type "${schema.fullName}" has no field named "${name}".`);
      this.consumeFieldBody(field, out, state, depth);
    }
    if (!this.tryConsume(';')) this.tryConsume(',');
  }

  private consumeFieldBody(
    field: FieldSpec,
    out: TextProtoObject,
    state: MessageState,
    depth: number,
  ): void {
    // Like protobuf, these are reported at the token after the name.
    const after = this.tok.current;
    if (!field.repeated) {
      if (state.isSet(field.name)) {
        this.failAt(after, `Non-repeated field "${field.name}" is specified multiple times.`);
      }
      if (field.oneof !== undefined) {
        const other = state.oneofMember(field.oneof);
        if (other !== undefined && other !== field.name) {
          this.failAt(
            after,
            `Field "${field.name}" is specified along with field "${other}", another member of oneof "${field.oneof}".`,
          );
        }
      }
    }
    const shape = field.shape();
    if (shape.kind === 'message') this.tryConsume(':');
    else this.consume(':');

    const readOne = (): TextProtoValue =>
      shape.kind === 'message'
        ? this.opaqueTypes.has(shape.type.fullName)
          ? this.consumeOpaqueMessage(shape.type.fullName)
          : this.consumeMessageValue(shape.type, depth + 1)
        : this.consumeScalarValue(field, shape);

    if (field.repeated && this.tryConsume('[')) {
      if (!this.tryConsume(']')) {
        for (;;) {
          this.store(field, shape, out, readOne());
          if (this.tryConsume(']')) break;
          this.consume(',');
        }
      }
      return;
    }
    const value = readOne();
    this.store(field, shape, out, value);
    if (!field.repeated) {
      if (field.explicitPresence || !isDefaultScalar(value)) state.markSet(field.name);
      if (field.oneof !== undefined) state.setOneof(field.oneof, field.name);
    }
  }

  private store(field: FieldSpec, shape: FieldShape, out: TextProtoObject, value: TextProtoValue): void {
    if (field.mapKeyType !== undefined && shape.kind === 'message') {
      // A map is a repeated entry message; the last entry for a key wins, as in protobuf.
      const entry = value as TextProtoObject;
      const entrySchema = shape.type;
      const keySpec = entrySchema.fields.get('key') as FieldSpec;
      const valueSpec = entrySchema.fields.get('value') as FieldSpec;
      const key = entry['key'] ?? defaultOf(keySpec.shape());
      const mapValue = entry['value'] ?? defaultOf(valueSpec.shape());
      const map = (out[field.name] ??= {}) as TextProtoObject;
      map[mapKeyString(key)] = mapValue;
      return;
    }
    if (field.repeated) {
      const list = (out[field.name] ??= []) as TextProtoValue[];
      list.push(value);
    } else {
      out[field.name] = value;
    }
  }

  /** `[type.googleapis.com/pkg.Msg] { ... }` inside an Any; anything else in brackets is an extension. */
  private consumeBracketedField(schema: MessageSchema, out: TextProtoObject, state: MessageState, depth: number): void {
    const open = this.tok.next();
    let name = this.consumeIdentifier().text;
    while (this.tryConsume('.')) name += `.${this.consumeIdentifier().text}`;
    if (!this.lookingAt('/')) {
      this.consume(']');
      this.failAt(open, `Extension "${name}" is not defined or is not an extension of "${schema.fullName}".`);
    }
    this.tok.next();
    const prefix = `${name}/`;
    let typeName = this.consumeIdentifier().text;
    while (this.tryConsume('.')) typeName += `.${this.consumeIdentifier().text}`;
    this.consume(']');
    if (schema.fullName !== ANY_TYPE_NAME) {
      this.failAt(open, `Extension "${prefix}${typeName}" is not defined or is not an extension of "${schema.fullName}".`);
    }
    if (state.isSet('type_url') || state.isSet('value')) {
      this.failAt(open, 'Non-repeated Any specified multiple times.');
    }
    const found = this.root.lookup(`.${typeName}`);
    if (!(found instanceof protobuf.Type)) {
      this.failAt(open, `Could not find type "${prefix}${typeName}" stored in google.protobuf.Any.`);
    }
    this.tryConsume(':');
    const payload = this.consumeMessageValue(schemaOf(found), depth + 1);
    out['type_url'] = `${prefix}${typeName}`;
    out['value'] = encodeVerified(found, payload);
    Object.defineProperty(out, ANY_PAYLOAD, { value: { typeName, object: payload } satisfies AnyPayload });
    state.markSet('type_url');
    state.markSet('value');
  }

  /**
   * A message of an opaque type: its text between the braces, kept as written. Brackets nest (strings
   * and comments are tokens of their own, so braces in them do not count); the other parser checks the rest.
   */
  private consumeOpaqueMessage(typeName: string): TextProtoObject {
    const open = this.tok.current;
    const close = this.tryConsume('<') ? '>' : (this.consume('{'), '}');
    const closers: string[] = [];
    for (;;) {
      const t = this.tok.current;
      if (t.kind === 'end') this.failAt(t, `Expected "${closers.length > 0 ? (closers[closers.length - 1] as string) : close}", found "".`);
      if (t.kind === 'symbol') {
        if (t.text === '{') closers.push('}');
        else if (t.text === '<') closers.push('>');
        else if (t.text === '}' || t.text === '>') {
          const nested = closers.length > 0;
          const expected = closers.pop() ?? close;
          if (t.text !== expected) this.failAt(t, `Expected "${expected}", found "${t.text}".`);
          if (!nested) break;
        }
      }
      this.tok.next();
    }
    const closeToken = this.tok.next();
    const out: TextProtoObject = {};
    const opaque: OpaqueText = {
      typeName,
      text: this.text.slice(open.offset + open.text.length, closeToken.offset),
      line: open.line + 1,
      column: open.column + 1,
    };
    Object.defineProperty(out, OPAQUE_TEXT, { value: opaque });
    return out;
  }

  private consumeMessageValue(schema: MessageSchema, depth: number): TextProtoObject {
    if (depth > TEXT_PROTO_RECURSION_LIMIT) {
      this.failAt(
        this.tok.current,
        `Message is too deep, the parser exceeded the configured recursion limit of ${TEXT_PROTO_RECURSION_LIMIT}.`,
      );
    }
    let close: string;
    if (this.tryConsume('<')) close = '>';
    else {
      this.consume('{');
      close = '}';
    }
    const out: TextProtoObject = {};
    const state = new MessageState();
    while (!this.lookingAt('>') && !this.lookingAt('}')) this.consumeField(schema, out, state, depth);
    this.consume(close);
    return out;
  }

  // -- scalars ----------------------------------------------------------------

  private consumeScalarValue(field: FieldSpec, shape: Exclude<FieldShape, { kind: 'message' }>): TextProtoValue {
    if (shape.kind === 'enum') return this.consumeEnum(field, shape.type);
    const type = shape.type;
    switch (type) {
      case 'string':
        return Buffer.from(this.consumeStringBytes()).toString('utf8');
      case 'bytes':
        return this.consumeStringBytes();
      case 'bool':
        return this.consumeBool(field);
      case 'double':
      case 'float': {
        const value = this.consumeDouble();
        return type === 'float' ? Math.fround(value) : value;
      }
      default:
        return this.consumeInteger(type);
    }
  }

  private consumeStringBytes(): Uint8Array {
    const first = this.tok.current;
    if (first.kind !== 'string') this.failAt(first, `Expected string, got: ${first.text}`);
    const parts: Uint8Array[] = [];
    while (this.tok.current.kind === 'string') parts.push(this.tok.next().bytes ?? new Uint8Array(0));
    return Uint8Array.from(Buffer.concat(parts));
  }

  private consumeBool(field: FieldSpec): boolean {
    const t = this.tok.current;
    if (t.kind === 'integer') {
      const value = parseIntegerLiteral(t.text);
      if (value > 1n) this.failAt(t, `Integer out of range (${t.text})`);
      this.tok.next();
      return value === 1n;
    }
    const name = this.consumeIdentifier();
    if (name.text === 'true' || name.text === 'True' || name.text === 't') return true;
    if (name.text === 'false' || name.text === 'False' || name.text === 'f') return false;
    return this.failAt(name, `Invalid value for boolean field "${field.name}". Value: "${name.text}".`);
  }

  private consumeDouble(): number {
    const negative = this.tryConsume('-');
    const t = this.tok.current;
    let value: number;
    if (t.kind === 'integer') {
      value = Number(parseIntegerLiteral(t.text));
    } else if (t.kind === 'float') {
      value = Number(t.text.replace(/[fF]$/, ''));
    } else if (t.kind === 'identifier' && /^(inf|infinity)f?$/i.test(t.text)) {
      value = Infinity;
    } else if (t.kind === 'identifier' && /^nanf?$/i.test(t.text)) {
      value = NaN;
    } else {
      return this.failAt(t, `Expected double, got: ${t.text}`);
    }
    this.tok.next();
    return negative ? -value : value;
  }

  private consumeInteger(type: string): number | string {
    const range = INTEGER_RANGES[type];
    if (!range) throw new Error(`text-proto: unsupported scalar type ${type}`);
    const negative = !UNSIGNED.has(type) && this.tryConsume('-');
    const t = this.tok.current;
    if (t.kind !== 'integer') this.failAt(t, `Expected integer, got: ${t.text}`);
    const magnitude = parseIntegerLiteral(t.text);
    const value = negative ? -magnitude : magnitude;
    if (value < range[0] || value > range[1]) this.failAt(t, `Integer out of range (${t.text})`);
    this.tok.next();
    return SIXTY_FOUR_BIT.has(type) ? value.toString() : Number(value);
  }

  private consumeEnum(field: FieldSpec, enumType: protobuf.Enum): string | number {
    const t = this.tok.current;
    if (t.kind === 'identifier') {
      if (!Object.prototype.hasOwnProperty.call(enumType.values, t.text)) {
        this.failAt(t, `Unknown enumeration value of "${t.text}" for field "${field.name}".`);
      }
      this.tok.next();
      return t.text;
    }
    if (t.kind === 'integer' || this.lookingAt('-')) {
      // protobuf keeps unnamed numbers of open (proto3) enums, but protobufjs cannot
      // verify them, so they get the closed-enum error instead.
      const start = this.tok.current;
      const value = this.consumeInteger('int32') as number;
      if (enumType.valuesById[value] === undefined) {
        this.failAt(start, `Unknown enumeration value of "${value}" for field "${field.name}".`);
      }
      return value;
    }
    return this.failAt(t, `Expected integer or identifier, got: ${t.text}`);
  }
}

/** Which fields of one message are already set, for protobuf's duplicate and oneof checks. */
class MessageState {
  private readonly set = new Set<string>();
  private readonly oneofs = new Map<string, string>();

  isSet(field: string): boolean {
    return this.set.has(field);
  }
  markSet(field: string): void {
    this.set.add(field);
  }
  oneofMember(oneof: string): string | undefined {
    return this.oneofs.get(oneof);
  }
  setOneof(oneof: string, field: string): void {
    this.oneofs.set(oneof, field);
  }
}

function verifiedMessage(type: protobuf.Type, object: TextProtoObject): protobuf.Message {
  const message = type.fromObject(object);
  const problem = type.verify(message);
  // The parser only produces values of the declared types, so this is a bug, not bad input.
  if (problem) throw new ServingError(Code.INTERNAL, `text-proto produced an invalid ${stripDot(type.fullName)}: ${problem}`);
  return message;
}

function encodeVerified(type: protobuf.Type, object: TextProtoObject): Uint8Array {
  return type.encode(verifiedMessage(type, object)).finish();
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/** Parses `text` as a `type` into a plain object suitable for `type.fromObject`. */
export function parseTextProtoToObject(type: protobuf.Type, text: string, options: TextProtoOptions = {}): TextProtoObject {
  const typeName = stripDot(type.fullName);
  try {
    return new Parser(text, type.root, options.opaqueTypes).parseTopLevel(schemaOf(type));
  } catch (err) {
    if (err instanceof SyntaxFailure) throw new TextProtoParseError(typeName, err.line, err.column, err.detail);
    throw err;
  }
}

/** Parses `text` as a `type` into a verified protobufjs message. */
export function parseTextProtoMessage(type: protobuf.Type, text: string): protobuf.Message {
  return verifiedMessage(type, parseTextProtoToObject(type, text));
}

/**
 * Parses `text` as a `type` and returns the message as a plain object
 * (TEXT_PROTO_TO_OBJECT_OPTIONS: 64-bit integers as strings, enums as names,
 * unset fields absent, the chosen oneof member named under the oneof's name).
 */
export function parseTextProto<T>(type: protobuf.Type, text: string): T {
  return type.toObject(parseTextProtoMessage(type, text), TEXT_PROTO_TO_OBJECT_OPTIONS) as T;
}

/**
 * Reads and parses a text-proto file, as TF Serving's ParseProtoTextFile does.
 * A missing file is NOT_FOUND (`<file>; No such file or directory`); a parse
 * error is logged and becomes INVALID_ARGUMENT `Invalid protobuf file: '<file>'`
 * (the TextProtoParseError is its cause).
 */
export function readTextProtoFile<T>(type: protobuf.Type, file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notFound(`${file}; No such file or directory`);
    throw new ServingError(Code.INVALID_ARGUMENT, `Could not read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseTextProto<T>(type, text);
  } catch (err) {
    if (err instanceof TextProtoParseError) throw invalidProtobufFile(file, err);
    throw err;
  }
}

/**
 * TF Serving's ParseProtoTextFile status for a file that does not parse. As there, protobuf's error with
 * its position goes to stderr (where scripts and TF Serving's own test look for it); it is kept as the cause.
 */
export function invalidProtobufFile(file: string, err: TextProtoParseError): ServingError {
  log.error(err.message);
  return new ServingError(Code.INVALID_ARGUMENT, `Invalid protobuf file: '${file}'`, { cause: err });
}
