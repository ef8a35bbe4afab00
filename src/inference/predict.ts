import { failedPrecondition, internal, invalidArgument } from '../errors/serving-error';
import { ServableHandle, ServableManager } from '../lifecycle/manager';
import { RunContext, Servable, Signature } from '../lifecycle/servable';
import { MAX_DIMS, RawTensorProto, TensorProtoError, tensorFromRaw } from '../tensor/tensor-proto-decode';
import { DataType, baseDType, tfTypeName } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { DEFAULT_SIGNATURE, ModelSpecInput, ResolvedModelSpec, acquireServable } from './model-spec';
import { timedRun } from './timed-run';

/** A Predict call, protocol-neutral. gRPC hands inputs over as undecoded TensorProtos, REST as tensors. */
export interface PredictInput {
  readonly modelSpec?: ModelSpecInput;
  readonly inputs: ReadonlyMap<string, RawTensorProto | Tensor>;
  readonly outputFilter: readonly string[];
}

export interface PredictOutput {
  readonly modelSpec: ResolvedModelSpec;
  /** Time spent in TensorFlow (runtime_latency). */
  readonly runtimeMicros: number;
  /** Output alias and tensor, in fetch order. */
  readonly outputs: ReadonlyArray<readonly [string, Tensor]>;
}

export interface PredictOptions {
  /** --enable_signature_method_name_check */
  readonly checkMethodName: boolean;
}

const PREDICT_METHODS = ['tensorflow/serving/predict', 'tensorflow/serving/classify', 'tensorflow/serving/regress'];

const sortedKeys = (keys: Iterable<string>): string[] => [...keys].sort();

const isRaw = (v: RawTensorProto | Tensor): v is RawTensorProto => 'fixed' in v;

interface PreparedRun {
  feedNames: string[];
  feeds: Tensor[];
  fetchNames: string[];
  aliases: string[];
}

/** Checks a request against its signature, in TF Serving's order and with its wording. */
export function prepareRun(signature: Signature, input: PredictInput, opts: PredictOptions): PreparedRun {
  if (opts.checkMethodName && !PREDICT_METHODS.includes(signature.methodName)) {
    throw internal(
      `Expected prediction signature method_name to be one of {${PREDICT_METHODS.join(', ')}}. Was: ${signature.methodName}`,
    );
  }
  const sent = input.inputs.size;
  const expected = signature.inputs.size;
  if (sent > expected || (sent < expected && signature.defaults.size === 0)) {
    const req = sortedKeys(input.inputs.keys());
    const sig = sortedKeys(signature.inputs.keys());
    const extra = req.filter((k) => !signature.inputs.has(k));
    const missing = sig.filter((k) => !input.inputs.has(k));
    throw invalidArgument(
      `input size does not match signature: ${sent}!=${expected} len({${req.join(',')}}) != len({${sig.join(',')}}). ` +
        `Sent extra: {${extra.join(',')}}. Missing but required: {${missing.join(',')}}.`,
    );
  }
  const feedNames: string[] = [];
  const feeds: Tensor[] = [];
  const feedTypes: number[] = [];
  for (const [alias, value] of input.inputs) {
    const info = signature.inputs.get(alias);
    if (!info) {
      throw invalidArgument(
        `input tensor alias not found in signature: ${alias}. Inputs expected to be in the set {${sortedKeys(signature.inputs.keys()).join(',')}}.`,
      );
    }
    let tensor: Tensor;
    try {
      tensor = isRaw(value) ? tensorFromRaw(value) : value;
    } catch (err) {
      if (err instanceof TensorProtoError) throw invalidArgument(`tensor parsing error: ${alias}`);
      throw err;
    }
    // TensorFlow aborts the process on more dimensions than it supports; refuse them here.
    if (tensor.shape.length > MAX_DIMS) {
      throw invalidArgument(`Input ${alias} has ${tensor.shape.length} dimensions; TensorFlow supports at most ${MAX_DIMS}`);
    }
    feedNames.push(info.name);
    feeds.push(tensor);
    feedTypes.push(info.dtype);
  }

  const fetchNames: string[] = [];
  const aliases: string[] = [];
  const seen = new Set<string>();
  for (const alias of input.outputFilter) {
    const info = signature.outputs.get(alias);
    if (!info) {
      throw invalidArgument(
        `output tensor alias not found in signature: ${alias} Outputs expected to be in the set {${sortedKeys(signature.outputs.keys()).join(',')}}.`,
      );
    }
    if (seen.has(alias)) throw invalidArgument(`duplicate output tensor alias: ${alias}`);
    seen.add(alias);
    fetchNames.push(info.name);
    aliases.push(alias);
  }
  if (fetchNames.length === 0) {
    for (const [alias, info] of signature.outputs) {
      fetchNames.push(info.name);
      aliases.push(alias);
    }
  }
  // TensorFlow's own check of fed dtypes, with its code and message, made before the run: a request
  // that cannot run never takes a run thread.
  feeds.forEach((t, i) => {
    const want = baseDType(feedTypes[i]);
    if (want !== DataType.DT_INVALID && want !== t.dtype) {
      throw invalidArgument(`Expects arg[${i}] to be ${tfTypeName(want)} but ${tfTypeName(t.dtype)} is provided`);
    }
  });
  return { feedNames, feeds, fetchNames, aliases };
}

export async function predict(
  manager: ServableManager<Servable>,
  input: PredictInput,
  opts: PredictOptions,
  ctx?: RunContext,
): Promise<PredictOutput> {
  const handle = acquireServable(manager, input.modelSpec);
  try {
    return await predictOn(handle, input, opts, ctx);
  } finally {
    handle.release();
  }
}

/**
 * Predict on a version the caller already holds (and releases): REST reads the signature's dtypes to
 * build its tensors, and those tensors must run on that same version, not on one swapped in since.
 */
export async function predictOn(
  handle: ServableHandle<Servable>,
  input: PredictInput,
  opts: PredictOptions,
  ctx?: RunContext,
): Promise<PredictOutput> {
  const signatureName = input.modelSpec?.signatureName || DEFAULT_SIGNATURE;
  const signature = handle.servable.signatures.get(signatureName);
  if (!signature) throw failedPrecondition(`Serving signature key "${signatureName}" not found.`);
  const run = prepareRun(signature, input, opts);
  const { tensors, micros } = await timedRun(handle.servable, run.feedNames, run.feeds, run.fetchNames, ctx);
  return {
    modelSpec: { name: handle.name, version: handle.version, signatureName },
    runtimeMicros: micros,
    outputs: run.aliases.map((alias, i) => [alias, tensors[i]] as const),
  };
}
