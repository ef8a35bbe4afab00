import { invalidArgument, unimplemented } from '../errors/serving-error';
import { ServableManager } from '../lifecycle/manager';
import { RunContext, Servable, Signature } from '../lifecycle/servable';
import { Tensor } from '../tensor/tensor';
import {
  CLASSIFY_METHOD,
  ClassificationResult,
  InferenceOptions,
  SignatureIO,
  describeFor,
  postProcessClassification,
  preProcessClassification,
} from './classify';
import { ExampleInput, serializedExamplesTensor } from './example-input';
import { DEFAULT_SIGNATURE, ModelSpecInput, ResolvedModelSpec, acquireServable } from './model-spec';
import { runError } from './timed-run';
import { REGRESS_METHOD, RegressionResult, postProcessRegression, preProcessRegression } from './regress';

/**
 * MultiInference, after TF Serving's servables/tensorflow/multi_inference.cc: several classify and
 * regress tasks over one Input on one model version, computed by ONE session run that feeds the
 * serialized Examples to every distinct input tensor and fetches the union of the tasks' outputs.
 */

export interface InferenceTaskInput {
  readonly modelSpec?: ModelSpecInput;
  readonly methodName: string;
}

export interface MultiInferenceInput {
  readonly tasks: readonly InferenceTaskInput[];
  readonly input: ExampleInput;
}

export type InferenceResultOutput =
  | { readonly modelSpec: ResolvedModelSpec; readonly kind: 'classification'; readonly result: ClassificationResult }
  | { readonly modelSpec: ResolvedModelSpec; readonly kind: 'regression'; readonly result: RegressionResult };

export interface MultiInferenceOutput {
  /** In task order. */
  readonly results: readonly InferenceResultOutput[];
}

interface PreparedTask {
  readonly task: InferenceTaskInput;
  readonly key: string;
  readonly signature: Signature;
}

/** TF Serving serves the version task[0] asks for; a request without tasks names no model at all. */
const NO_SPEC: ModelSpecInput = { name: '', signatureName: '' };

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export async function multiInference(
  manager: ServableManager<Servable>,
  req: MultiInferenceInput,
  opts: InferenceOptions,
  ctx?: RunContext,
): Promise<MultiInferenceOutput> {
  // Other tasks' versions and labels are not consulted (TF Serving issue #1254): same servable for all.
  const handle = acquireServable(manager, req.tasks[0]?.modelSpec ?? NO_SPEC);
  try {
    const servable = handle.servable;
    let modelName = '';
    const seen = new Set<string>();
    const inputNames = new Set<string>();
    const outputNames = new Set<string>();
    const prepared: PreparedTask[] = [];
    for (const task of req.tasks) {
      const name = task.modelSpec?.name ?? '';
      if (name === '') throw invalidArgument('Found ModelSpec with an empty model name.');
      if (modelName === '') modelName = name;
      else if (modelName !== name) {
        throw invalidArgument('All ModelSpecs in a MultiInferenceRequest must access the same model name.');
      }
      const key = task.modelSpec?.signatureName || DEFAULT_SIGNATURE;
      if (seen.has(key)) throw invalidArgument(`Duplicate evaluation of signature: ${key}`);
      seen.add(key);
      const signature = servable.signatures.get(key);
      if (!signature) throw invalidArgument(`Requested signature not found in model graph: ${key}`);
      let io: SignatureIO;
      if (task.methodName === CLASSIFY_METHOD) io = preProcessClassification(signature, describeFor(servable, key), opts);
      else if (task.methodName === REGRESS_METHOD) io = preProcessRegression(signature, describeFor(servable, key), opts);
      else throw unimplemented(`Unsupported signature method_name: ${task.methodName}`);
      inputNames.add(io.inputName);
      for (const n of io.outputNames) outputNames.add(n);
      prepared.push({ task, key, signature });
    }

    const examples = serializedExamplesTensor(req.input);
    // A sorted, duplicate-free fetch list, as TF Serving builds it from a std::set.
    const fetchNames = [...outputNames].sort(byteOrder);
    const feedNames = [...inputNames].sort(byteOrder);
    let outputs: Tensor[];
    try {
      outputs = await servable.run(feedNames, feedNames.map(() => examples), fetchNames, ctx);
    } catch (err) {
      throw runError(err);
    }

    const n = examples.shape[0];
    const results = prepared.map(({ task, key, signature }): InferenceResultOutput => {
      const modelSpec = { name: task.modelSpec?.name ?? '', version: handle.version, signatureName: key };
      if (task.methodName === CLASSIFY_METHOD) {
        return { modelSpec, kind: 'classification', result: postProcessClassification(signature, n, fetchNames, outputs) };
      }
      const describe = describeFor(servable, key);
      return { modelSpec, kind: 'regression', result: postProcessRegression(signature, describe, n, fetchNames, outputs) };
    });
    return { results };
  } finally {
    handle.release();
  }
}
