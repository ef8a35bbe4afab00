import Long from 'long';
import { Writer } from 'protobufjs';
import { invalidArgument } from '../errors/serving-error';
import { protoType } from '../proto/root';
import { DataType } from '../tensor/dtype';
import { Tensor, bytesOf } from '../tensor/tensor';
import { ELEMENT_ARRAY, SMALL_INT_RANGE, V2Datatype, notA, tfDtypeOf } from './datatype';
import { V2InferRequest, V2InferResult, V2Input, modelSpecOf } from './infer';
import { V2Parameter, inferParameters } from './parameters';
import { checkShape, rawDataOf, tensorFromRawData } from './tensor-data';

/**
 * ModelInferRequest / ModelInferResponse of inference.GRPCInferenceService on the wire. Requests are
 * decoded by protobufjs (raw_input_contents stay views of the received message); responses are
 * written by hand, every output in raw_output_contents (what tritonclient reads and Triton sends).
 */

type Int64 = Long | number;

interface InferParameterMessage {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param';
  bool_param?: boolean;
  int64_param?: Int64;
  string_param?: string;
}

interface ContentsMessage {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: Int64[];
  uint_contents: number[];
  uint64_contents: Int64[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Uint8Array[];
}

interface InputMessage {
  name: string;
  datatype: string;
  shape: Int64[];
  parameters: Record<string, InferParameterMessage>;
  contents?: ContentsMessage | null;
}

export interface RequestMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameterMessage>;
  inputs: InputMessage[];
  outputs: { name: string; parameters: Record<string, InferParameterMessage> }[];
  raw_input_contents: Uint8Array[];
}

export interface GrpcInferRequest {
  readonly request: V2InferRequest;
  readonly timeoutMicros?: number;
}

const toNumber = (v: Int64): number => (typeof v === 'number' ? v : Long.fromValue(v).toNumber());

function parameters(map: Record<string, InferParameterMessage> | undefined): Map<string, V2Parameter> {
  const out = new Map<string, V2Parameter>();
  for (const [k, p] of Object.entries(map ?? {})) {
    if (p.parameter_choice === 'bool_param') out.set(k, p.bool_param ?? false);
    else if (p.parameter_choice === 'int64_param') out.set(k, toNumber(p.int64_param ?? 0));
    else if (p.parameter_choice === 'string_param') out.set(k, p.string_param ?? '');
  }
  return out;
}

function shapeOf(what: string, dims: Int64[]): number[] {
  return dims.map((d) => {
    const long = Long.fromValue(d);
    if (long.isNegative() || long.greaterThan(Number.MAX_SAFE_INTEGER)) throw invalidArgument(`${what} has an invalid shape dimension ${long.toString()}`);
    return long.toNumber();
  });
}

const TYPED_FIELD: Record<V2Datatype, keyof ContentsMessage | undefined> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
  FP16: undefined,
  BF16: undefined,
};

const hasContents = (c: ContentsMessage | null | undefined): boolean => !!c && Object.values(TYPED_FIELD).some((f) => f && c[f].length > 0);

/** A tensor from the typed contents field of its datatype. */
function tensorFromContents(what: string, datatype: V2Datatype, dtype: DataType, shape: number[], c: ContentsMessage | null | undefined): Tensor {
  const field = TYPED_FIELD[datatype];
  if (!field) throw invalidArgument(`${what}: ${datatype} has no typed contents field; send it in raw_input_contents`);
  const n = checkShape(what, shape);
  const values = (c?.[field] ?? []) as unknown[];
  if (values.length !== n) throw invalidArgument(`${what} holds ${values.length} value(s) in ${field}, its shape [${shape.join(',')}] has ${n}`);
  if (datatype === 'BYTES') return { dtype: DataType.DT_STRING, shape, strings: values as Uint8Array[] };
  let data: Uint8Array;
  const range = SMALL_INT_RANGE[datatype];
  if (range) {
    const out = new (ELEMENT_ARRAY[datatype as Exclude<V2Datatype, 'BYTES'>] as typeof Int32Array)(n);
    (values as number[]).forEach((v, i) => {
      if (v < range[0] || v > range[1]) throw notA(what, String(v), datatype);
      out[i] = v;
    });
    data = bytesOf(out);
  } else if (datatype === 'INT64' || datatype === 'UINT64') {
    // Two 32-bit words per element, low first: the little-endian layout whatever the sign.
    const words = new Uint32Array(2 * n);
    (values as Int64[]).forEach((v, i) => {
      const long = Long.fromValue(v);
      words[2 * i] = long.low >>> 0;
      words[2 * i + 1] = long.high >>> 0;
    });
    data = bytesOf(words);
  } else if (datatype === 'BOOL') {
    data = Uint8Array.from(values as boolean[], (b) => (b ? 1 : 0));
  } else {
    data = bytesOf(datatype === 'FP32' ? Float32Array.from(values as number[]) : Float64Array.from(values as number[]));
  }
  return tensorFromRawData(what, dtype, shape, data, datatype);
}

/** The message as sent: only its protobuf framing is checked here (a broken one is INTERNAL, as in gRPC's C++ core). */
export function decodeModelInferMessage(buf: Buffer): RequestMessage {
  try {
    return protoType('inference.ModelInferRequest').decode(buf) as unknown as RequestMessage;
  } catch (err) {
    throw invalidArgument(`Failed to parse ModelInferRequest: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The request's tensors and parameters, checked (INVALID_ARGUMENT for anything the protocol does not allow). */
export function inferRequestOf(msg: RequestMessage): GrpcInferRequest {
  const params = inferParameters(parameters(msg.parameters));
  const raw = msg.raw_input_contents;
  if (raw.length > 0) {
    if (raw.length !== msg.inputs.length) {
      throw invalidArgument(`raw_input_contents has ${raw.length} entries for ${msg.inputs.length} input(s); it needs one per input`);
    }
    if (msg.inputs.some((i) => hasContents(i.contents))) {
      throw invalidArgument('contents must not be set on any input when raw_input_contents is used');
    }
  }
  const inputs = msg.inputs.map((inp, i): V2Input => {
    const what = `input '${inp.name}'`;
    const dtype = tfDtypeOf(inp.datatype, what);
    const datatype = inp.datatype as V2Datatype;
    const shape = shapeOf(what, inp.shape);
    if (parameters(inp.parameters).has('shared_memory_region')) throw invalidArgument(`${what}: the shared memory extension is not supported by this server`);
    const tensor = raw.length > 0 ? tensorFromRawData(what, dtype, shape, raw[i], datatype) : tensorFromContents(what, datatype, dtype, shape, inp.contents);
    return { name: inp.name, datatype, tensor };
  });
  for (const o of msg.outputs) {
    const p = parameters(o.parameters);
    if (p.has('shared_memory_region')) throw invalidArgument(`output '${o.name}': the shared memory extension is not supported by this server`);
    if (p.has('classification')) throw invalidArgument(`output '${o.name}': the classification extension is not supported by this server`);
  }
  return {
    request: {
      modelSpec: modelSpecOf(msg.model_name, msg.model_version, params),
      id: msg.id,
      inputs,
      outputs: msg.outputs.map((o) => o.name),
    },
    timeoutMicros: params.timeoutMicros,
  };
}

/**
 * ModelInferResponse: model_name = 1, model_version = 2, id = 3, outputs = 5 (name = 1, datatype = 2,
 * shape = 3 packed), raw_output_contents = 6, one per output in output order.
 */
export function encodeModelInferResponse(out: V2InferResult): Buffer {
  const w = Writer.create();
  w.uint32((1 << 3) | 2).string(out.modelName);
  w.uint32((2 << 3) | 2).string(out.modelVersion);
  if (out.id) w.uint32((3 << 3) | 2).string(out.id);
  for (const o of out.outputs) {
    w.uint32((5 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(o.name);
    w.uint32((2 << 3) | 2).string(o.datatype);
    if (o.tensor.shape.length > 0) {
      w.uint32((3 << 3) | 2).fork();
      for (const d of o.tensor.shape) w.int64(d);
      w.ldelim();
    }
    w.ldelim();
  }
  for (const o of out.outputs) w.uint32((6 << 3) | 2).bytes(rawDataOf(o.tensor));
  return w.finish() as Buffer;
}
