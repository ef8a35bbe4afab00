import { invalidArgument } from '../errors/serving-error';
import { parseJson } from '../rest-json';
import { JsonArray, JsonObject, JsonValue, NumFlag, arrayItem, jsonTypeName } from '../rest-json/json-value';
import { DataType } from '../tensor/dtype';
import { Tensor, bytesOf } from '../tensor/tensor';
import { BinaryInputData } from './binary-codec';
import { ELEMENT_ARRAY, SMALL_INT_RANGE, V2Datatype, notA, tfDtypeOf } from './datatype';
import { BFLOAT16, HALF, encodeFloat16 } from './float16';
import { V2InferRequest, V2Input, modelSpecOf } from './infer';
import { V2Parameter, inferParameters } from './parameters';
import { checkShape, tensorFromRawData } from './tensor-data';

/**
 * The protocol's JSON inference request on REST: tensors as `data` (flattened or nested) or as binary
 * data after the JSON, parameters, requested outputs. Numbers are read exactly: integers to 64 bits,
 * floats correctly rounded from their text.
 */

/** Which outputs go back as binary data. */
export interface OutputChoice {
  binary(name: string): boolean;
}

export interface JsonInferRequest {
  readonly request: V2InferRequest;
  readonly outputs: OutputChoice;
  /** The request's `timeout` parameter (microseconds), if any. */
  readonly timeoutMicros?: number;
}

const member = (obj: JsonObject, name: string): JsonValue | undefined => obj.members.find((m) => m.name.text === name)?.value;

function asObject(v: JsonValue | undefined, what: string): JsonObject {
  if (!v || v.type !== 'object') throw invalidArgument(`${what} must be a JSON object${v ? `, not ${jsonTypeName(v)}` : ''}`);
  return v;
}

function asString(v: JsonValue | undefined, what: string): string {
  if (!v || v.type !== 'string') throw invalidArgument(`${what} must be a string`);
  return v.text;
}

function asArray(v: JsonValue | undefined, what: string): JsonArray {
  if (!v || v.type !== 'array') throw invalidArgument(`${what} must be an array`);
  return v;
}

/** A non-negative integer that fits a double exactly (shape dims, byte counts). */
function asCount(v: JsonValue, what: string): number {
  if (v.type !== 'number' || !(v.flags & NumFlag.UINT64) || !Number.isSafeInteger(v.value)) {
    throw invalidArgument(`${what} must be a non-negative integer`);
  }
  return v.value;
}

function parameters(v: JsonValue | undefined, what: string): Map<string, V2Parameter> {
  const out = new Map<string, V2Parameter>();
  if (v === undefined) return out;
  for (const m of asObject(v, what).members) {
    const x = m.value;
    if (x.type === 'string') out.set(m.name.text, x.text);
    else if (x.type === 'bool') out.set(m.name.text, x.value);
    else if (x.type === 'number') out.set(m.name.text, x.value);
    else throw invalidArgument(`${what}: parameter '${m.name.text}' must be a string, number or boolean`);
  }
  return out;
}

/** Extensions this server does not serve, refused by name rather than ignored. */
function refuseSharedMemory(p: ReadonlyMap<string, V2Parameter>, what: string): void {
  if (p.has('shared_memory_region')) throw invalidArgument(`${what}: the shared memory extension is not supported by this server`);
}

// ---- tensor data ------------------------------------------------------------------------------

/** Leaves of (possibly nested) `data`; a bare value counts as one. */
function countLeaves(v: JsonValue): number {
  if (v.type !== 'array') return 1;
  let n = 0;
  for (const it of v.items) n += typeof it === 'number' ? 1 : countLeaves(it);
  return n;
}

/** Writes leaves into a tensor's elements in row-major order. */
abstract class Sink {
  at = 0;

  constructor(protected readonly what: string) {}

  /** A number leaf: its double (integers exact to 2^53), rapidjson flags and exact text. */
  abstract number(value: number, flags: number, text: () => string): void;

  other(v: JsonValue): void {
    throw this.typeError(jsonTypeName(v));
  }

  typeError(got: string): Error {
    return invalidArgument(`${this.what}: data holds a ${got} value where ${this.datatype()} is expected`);
  }

  abstract datatype(): string;
  abstract tensor(shape: readonly number[]): Tensor;
}

/** A finite double exactly as its text rounds (rapidjson's fast parse is not always correctly rounded). */
function exactDouble(value: number, flags: number, text: () => string): number {
  if (!Number.isFinite(value) || (flags & NumFlag.INT64 && Number.isSafeInteger(value)) || (flags & NumFlag.UINT64 && Number.isSafeInteger(value))) {
    return value;
  }
  return Number(text());
}

type NumericArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

class NumberSink extends Sink {
  constructor(
    what: string,
    private readonly name: V2Datatype,
    private readonly dtype: DataType,
    private readonly out: NumericArray,
    private readonly convert: (value: number, flags: number, text: () => string) => number,
  ) {
    super(what);
  }

  number(value: number, flags: number, text: () => string): void {
    this.out[this.at++] = this.convert(value, flags, text);
  }

  datatype(): string {
    return this.name;
  }

  tensor(shape: readonly number[]): Tensor {
    return tensorFromRawData(this.what, this.dtype, shape, bytesOf(this.out), this.name);
  }
}

class BoolSink extends Sink {
  private readonly out: Uint8Array;

  constructor(what: string, n: number) {
    super(what);
    this.out = new Uint8Array(n);
  }

  number(): void {
    throw this.typeError('Number');
  }

  other(v: JsonValue): void {
    if (v.type !== 'bool') throw this.typeError(jsonTypeName(v));
    this.out[this.at++] = v.value ? 1 : 0;
  }

  datatype(): string {
    return 'BOOL';
  }

  tensor(shape: readonly number[]): Tensor {
    return tensorFromRawData(this.what, DataType.DT_BOOL, shape, this.out, 'BOOL');
  }
}

/** INT64 / UINT64, exact beyond 2^53. */
class WideSink extends Sink {
  private readonly out: BigInt64Array | BigUint64Array;

  constructor(
    what: string,
    private readonly signed: boolean,
    n: number,
  ) {
    super(what);
    this.out = signed ? new BigInt64Array(n) : new BigUint64Array(n);
  }

  number(value: number, flags: number, text: () => string): void {
    if (!(flags & (this.signed ? NumFlag.INT64 : NumFlag.UINT64))) throw notA(this.what, text(), this.signed ? 'INT64' : 'UINT64');
    this.out[this.at++] = Number.isSafeInteger(value) ? BigInt(value) : BigInt(text());
  }

  datatype(): string {
    return this.signed ? 'INT64' : 'UINT64';
  }

  tensor(shape: readonly number[]): Tensor {
    return tensorFromRawData(this.what, this.signed ? DataType.DT_INT64 : DataType.DT_UINT64, shape, bytesOf(this.out), this.datatype());
  }
}

class BytesSink extends Sink {
  private readonly out: Uint8Array[] = [];

  number(): void {
    throw this.typeError('Number');
  }

  other(v: JsonValue): void {
    if (v.type !== 'string') throw this.typeError(jsonTypeName(v));
    this.out.push(v.bytes);
    this.at++;
  }

  datatype(): string {
    return 'BYTES';
  }

  tensor(shape: readonly number[]): Tensor {
    return { dtype: DataType.DT_STRING, shape, strings: this.out };
  }
}

function sinkFor(what: string, datatype: V2Datatype, dtype: DataType, n: number): Sink {
  const range = SMALL_INT_RANGE[datatype];
  if (range) {
    const out = new (ELEMENT_ARRAY[datatype as Exclude<V2Datatype, 'BYTES'>] as new (n: number) => NumericArray)(n);
    return new NumberSink(what, datatype, dtype, out, (value, flags, text) => {
      if (!(flags & (NumFlag.INT64 | NumFlag.UINT64)) || value < range[0] || value > range[1]) throw notA(what, text(), datatype);
      return value;
    });
  }
  switch (datatype) {
    case 'BOOL':
      return new BoolSink(what, n);
    case 'INT64':
    case 'UINT64':
      return new WideSink(what, datatype === 'INT64', n);
    case 'FP32':
      return new NumberSink(what, datatype, dtype, new Float32Array(n), exactDouble);
    case 'FP64':
      return new NumberSink(what, datatype, dtype, new Float64Array(n), exactDouble);
    case 'FP16':
    case 'BF16': {
      const format = datatype === 'FP16' ? HALF : BFLOAT16;
      return new NumberSink(what, datatype, dtype, new Uint16Array(n), (v, f, t) => encodeFloat16(exactDouble(v, f, t), format));
    }
    default:
      return new BytesSink(what);
  }
}

function fill(v: JsonValue, sink: Sink): void {
  if (v.type === 'number') {
    sink.number(v.value, v.flags, () => v.text);
    return;
  }
  if (v.type !== 'array') {
    sink.other(v);
    return;
  }
  const store = v.numbers;
  for (let i = 0; i < v.items.length; i++) {
    const it = v.items[i];
    if (typeof it === 'number') sink.number(store.values[it], store.flags[it], () => store.number(it).text);
    else if (it.type === 'array') fill(it, sink);
    else sink.other(arrayItem(v, i));
  }
}

/** One input tensor from `data`, after its element count has been checked against the shape. */
function tensorFromJson(what: string, datatype: V2Datatype, dtype: DataType, shape: readonly number[], data: JsonValue): Tensor {
  const n = checkShape(what, shape);
  const count = countLeaves(data);
  if (count !== n) throw invalidArgument(`${what}: data holds ${count} value(s), shape [${shape.join(',')}] has ${n}`);
  const sink = sinkFor(what, datatype, dtype, n);
  fill(data, sink);
  return sink.tensor(shape);
}

// ---- request ----------------------------------------------------------------------------------

function parseInput(v: JsonValue, binary: BinaryInputData | undefined, index: number): V2Input {
  const obj = asObject(v, `inputs[${index}]`);
  const name = asString(member(obj, 'name'), `inputs[${index}].name`);
  const what = `input '${name}'`;
  const datatype = asString(member(obj, 'datatype'), `${what}: datatype`);
  const dtype = tfDtypeOf(datatype, what);
  const shape = asArray(member(obj, 'shape'), `${what}: shape`);
  const dims = shape.items.map((_, i) => asCount(arrayItem(shape, i), `${what}: each dimension of shape`));
  const params = parameters(member(obj, 'parameters'), `${what}: parameters`);
  refuseSharedMemory(params, what);
  const size = params.get('binary_data_size');
  const data = member(obj, 'data');
  let tensor: Tensor;
  if (size !== undefined) {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalidArgument(`${what}: binary_data_size must be a non-negative integer`);
    if (data !== undefined) throw invalidArgument(`${what} has both data and binary_data_size`);
    if (!binary) throw invalidArgument(`${what} has binary_data_size but the request has no Inference-Header-Content-Length header`);
    tensor = tensorFromRawData(what, dtype, dims, binary.take(name, size), datatype);
  } else {
    if (data === undefined) throw invalidArgument(`${what} has no data`);
    tensor = tensorFromJson(what, datatype as V2Datatype, dtype, dims, data);
  }
  return { name, datatype: datatype as V2Datatype, tensor };
}

/** An inference request from its JSON (and the binary data after it, if any). */
export function parseInferRequest(json: Uint8Array, binary: BinaryInputData | undefined, model: string, version: string): JsonInferRequest {
  const doc = asObject(parseJson(json), 'the inference request');
  const idValue = member(doc, 'id');
  const id = idValue === undefined ? '' : asString(idValue, 'id');
  const params = parameters(member(doc, 'parameters'), 'parameters');
  const known = inferParameters(params);
  const modelSpec = modelSpecOf(model, version, known);
  const inputsValue = asArray(member(doc, 'inputs'), 'inputs');
  const inputs = inputsValue.items.map((_, i) => parseInput(arrayItem(inputsValue, i), binary, i));
  binary?.finish();
  const outputsValue = member(doc, 'outputs');
  const outputs: string[] = [];
  const binaryByName = new Map<string, boolean>();
  if (outputsValue !== undefined) {
    const list = asArray(outputsValue, 'outputs');
    list.items.forEach((_, i) => {
      const obj = asObject(arrayItem(list, i), `outputs[${i}]`);
      const name = asString(member(obj, 'name'), `outputs[${i}].name`);
      const p = parameters(member(obj, 'parameters'), `output '${name}': parameters`);
      refuseSharedMemory(p, `output '${name}'`);
      if (p.has('classification')) throw invalidArgument(`output '${name}': the classification extension is not supported by this server`);
      const b = p.get('binary_data');
      if (b !== undefined && typeof b !== 'boolean') throw invalidArgument(`output '${name}': binary_data must be true or false`);
      if (b !== undefined) binaryByName.set(name, b);
      outputs.push(name);
    });
  }
  const all = params.get('binary_data_output');
  if (all !== undefined && typeof all !== 'boolean') throw invalidArgument('parameter binary_data_output must be true or false');
  return {
    request: { modelSpec, id, inputs, outputs },
    outputs: { binary: (name) => binaryByName.get(name) ?? all === true },
    timeoutMicros: known.timeoutMicros,
  };
}
