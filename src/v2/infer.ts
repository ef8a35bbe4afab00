import { invalidArgument, notFound } from '../errors/serving-error';
import { ServableManager } from '../lifecycle/manager';
import { RunContext, Servable, Signature } from '../lifecycle/servable';
import { DEFAULT_SIGNATURE, ModelSpecInput, acquireServable } from '../inference/model-spec';
import { PredictOptions, predictOn } from '../inference/predict';
import { RequestLog } from '../request-logging/request-log';
import { DataType } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { V2Datatype, noV2Datatype, v2DatatypeOf } from './datatype';
import { InferParameters } from './parameters';

/**
 * ModelInfer, protocol-neutral: the front ends decode a request into tensors (each input's datatype
 * is in the request, so no signature is needed for that), and this checks them against the signature
 * in the protocol's terms and runs them through inference/predict's path, so versions, batching,
 * deadlines and TensorFlow's errors are exactly those of Predict.
 */

export interface V2Input {
  readonly name: string;
  readonly datatype: V2Datatype;
  readonly tensor: Tensor;
}

export interface V2InferRequest {
  /** Model name, version (number or label) and signature, as Predict's ModelSpec. */
  readonly modelSpec: ModelSpecInput;
  readonly id: string;
  readonly inputs: readonly V2Input[];
  /** Requested outputs in order; empty = every output of the signature. */
  readonly outputs: readonly string[];
}

export interface V2Output {
  readonly name: string;
  readonly datatype: V2Datatype;
  readonly tensor: Tensor;
}

export interface V2InferResult {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly outputs: readonly V2Output[];
  /** Time spent in TensorFlow (runtime_latency). */
  readonly runtimeMicros: number;
}

/**
 * The protocol's version string as a ModelSpec: empty = the highest version serving, digits = that
 * version, anything else = a version label from the model config (`stable`, `canary`).
 */
export function modelSpecOf(name: string, version: string, params: InferParameters | { signatureName: string }): ModelSpecInput {
  if (name === '') throw invalidArgument('model name is empty');
  const signatureName = params.signatureName;
  if (version === '') return { name, signatureName };
  if (/^[0-9]+$/.test(version)) {
    const n = Number(version);
    if (!Number.isSafeInteger(n)) throw notFound(`Servable not found for request: Specific(${name}, ${version})`);
    return { name, version: n, signatureName };
  }
  return { name, versionLabel: version, signatureName };
}

/**
 * Fails as the request would for its model and version alone (NOT_FOUND, UNAVAILABLE), so that a request
 * for a model that is not there says so before anything about its tensors.
 */
export function ensureServable(manager: ServableManager<Servable>, name: string, version: string): void {
  acquireServable(manager, modelSpecOf(name, version, { signatureName: '' })).release();
}

const sorted = (names: Iterable<string>): string => [...names].sort().join(', ');

/** Signatures a request may name (TensorFlow's own `__saved_model_init_op` is not one). */
const servingSignatures = (servable: Servable): string[] => [...servable.signatures.keys()].filter((k) => !k.startsWith('__'));

/** The request's inputs and outputs against the signature, with messages in the protocol's terms. */
function checkAgainst(signature: Signature, key: string, req: V2InferRequest): void {
  const model = req.modelSpec.name;
  const seen = new Set<string>();
  for (const input of req.inputs) {
    const info = signature.inputs.get(input.name);
    if (!info) {
      throw invalidArgument(
        `unexpected inference input '${input.name}' for model '${model}': signature '${key}' takes {${sorted(signature.inputs.keys())}}`,
      );
    }
    if (seen.has(input.name)) throw invalidArgument(`input '${input.name}' appears more than once`);
    seen.add(input.name);
    if (info.dtype === DataType.DT_INVALID) continue; // not recorded: TensorFlow checks it at run time
    const want = v2DatatypeOf(info.dtype);
    if (!want) throw noV2Datatype(`input '${input.name}' of signature '${key}'`, info.dtype);
    if (want !== input.datatype) {
      throw invalidArgument(`input '${input.name}' has datatype ${input.datatype}, but signature '${key}' of model '${model}' expects ${want}`);
    }
  }
  const missing = [...signature.inputs.keys()].filter((k) => !seen.has(k) && !signature.defaults.has(k));
  if (missing.length > 0) {
    throw invalidArgument(`model '${model}' signature '${key}' expects input(s) {${sorted(missing)}} that the request does not have`);
  }
  const wanted = new Set<string>();
  for (const name of req.outputs) {
    if (!signature.outputs.has(name)) {
      throw invalidArgument(
        `unexpected inference output '${name}' for model '${model}': signature '${key}' has {${sorted(signature.outputs.keys())}}`,
      );
    }
    if (wanted.has(name)) throw invalidArgument(`output '${name}' is requested more than once`);
    wanted.add(name);
  }
  // Refused before the run rather than after it.
  for (const [name, info] of signature.outputs) {
    if ((wanted.size === 0 || wanted.has(name)) && info.dtype !== DataType.DT_INVALID && !v2DatatypeOf(info.dtype)) throw noV2Datatype(`output '${name}' of signature '${key}'`, info.dtype);
  }
}

/** Predict's options, and where a sampled call is request-logged (as the PredictLog of the same call). */
export type V2InferOptions = PredictOptions & { readonly requestLog?: RequestLog };

export async function v2Infer(
  manager: ServableManager<Servable>,
  req: V2InferRequest,
  opts: V2InferOptions,
  ctx?: RunContext,
): Promise<V2InferResult> {
  const handle = acquireServable(manager, req.modelSpec);
  try {
    const key = req.modelSpec.signatureName || DEFAULT_SIGNATURE;
    const signature = handle.servable.signatures.get(key);
    if (!signature) {
      throw invalidArgument(
        `model '${req.modelSpec.name}' has no signature '${key}' (parameter 'signature_name'); it has {${sorted(servingSignatures(handle.servable))}}`,
      );
    }
    checkAgainst(signature, key, req);
    const inputs = new Map(req.inputs.map((i) => [i.name, i.tensor] as const));
    const input = { modelSpec: req.modelSpec, inputs, outputFilter: req.outputs };
    const out = await predictOn(handle, input, opts, ctx);
    opts.requestLog?.predict(input, out);
    const outputs = out.outputs.map(([name, tensor]): V2Output => {
      const datatype = v2DatatypeOf(tensor.dtype);
      if (!datatype) throw noV2Datatype(`output '${name}'`, tensor.dtype);
      return { name, datatype, tensor };
    });
    return { modelName: handle.name, modelVersion: String(handle.version), id: req.id, outputs, runtimeMicros: out.runtimeMicros };
  } finally {
    handle.release();
  }
}
