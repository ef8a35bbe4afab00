import { Writer } from 'protobufjs';
import { ClassifyInput } from '../inference/classify';
import { ExampleInput } from '../inference/example-input';
import { ModelSpecInput } from '../inference/model-spec';
import { MultiInferenceInput } from '../inference/multi-inference';
import { PredictInput } from '../inference/predict';
import { RegressInput } from '../inference/regress';
import { RawTensorProto } from '../tensor/tensor-proto-decode';
import { writeTensorProto } from '../tensor/tensor-proto-encode';
import { Tensor } from '../tensor/tensor';
import { writeRawTensorProto } from './raw-tensor-encode';

/**
 * The request messages a PredictionLog embeds, written from the protocol-neutral inputs both front
 * ends produce. gRPC's inputs are the client's own wire values (undecoded TensorProtos, each
 * tf.Example's exact bytes), so its logged request matches what was sent; REST's are what its JSON
 * became: tensors go in typed *_val fields, as TF Serving's REST front end fills the PredictRequest it
 * builds, and Examples as the REST codec serialized them.
 *
 * PredictRequest: model_spec = 1, inputs = 2 (map<string, TensorProto>), output_filter = 3.
 * ClassificationRequest / RegressionRequest: model_spec = 1, input = 2.
 * MultiInferenceRequest: tasks = 1 (InferenceTask: model_spec = 1, method_name = 2), input = 2.
 * Input: example_list = 1 (examples = 1) | example_list_with_context = 2 (examples = 1, context = 2).
 * ModelSpec: name = 1, version = 2 (Int64Value), signature_name = 3, version_label = 4.
 */

const LEN = 2;
const VARINT = 0;
const tag = (field: number, wire: number): number => (field << 3) | wire;

const isRaw = (v: RawTensorProto | Tensor): v is RawTensorProto => 'fixed' in v;

/** A ModelSpec as the request asked (version or label as given, not as resolved). */
function writeRequestSpec(w: Writer, field: number, spec: ModelSpecInput | undefined): void {
  if (!spec) return;
  w.uint32(tag(field, LEN)).fork();
  if (spec.name) w.uint32(tag(1, LEN)).string(spec.name);
  if (spec.version !== undefined) {
    w.uint32(tag(2, LEN)).fork();
    if (spec.version !== 0) w.uint32(tag(1, VARINT)).int64(spec.version);
    w.ldelim();
  }
  if (spec.signatureName) w.uint32(tag(3, LEN)).string(spec.signatureName);
  if (spec.versionLabel) w.uint32(tag(4, LEN)).string(spec.versionLabel);
  w.ldelim();
}

function writeInput(w: Writer, input: ExampleInput): void {
  w.uint32(tag(2, LEN)).fork();
  const withContext = input.context !== undefined;
  w.uint32(tag(withContext ? 2 : 1, LEN)).fork();
  for (const example of input.examples) w.uint32(tag(1, LEN)).bytes(example);
  // The decoder reads an absent context as empty bytes; either way no feature is merged in.
  if (input.context && input.context.byteLength > 0) w.uint32(tag(2, LEN)).bytes(input.context);
  w.ldelim();
  w.ldelim();
}

/** Appends the PredictRequest body for `input` to `w` (so a log writes it once, in place). */
export function writePredictRequest(w: Writer, input: PredictInput): void {
  writeRequestSpec(w, 1, input.modelSpec);
  for (const [alias, value] of input.inputs) {
    w.uint32(tag(2, LEN)).fork();
    w.uint32(tag(1, LEN)).string(alias);
    w.uint32(tag(2, LEN)).fork();
    if (isRaw(value)) writeRawTensorProto(w, value);
    else writeTensorProto(w, value);
    w.ldelim();
    w.ldelim();
  }
  for (const alias of input.outputFilter) w.uint32(tag(3, LEN)).string(alias);
}

/** ClassificationRequest and RegressionRequest share their layout. */
export function writeSingleTaskRequest(w: Writer, input: ClassifyInput | RegressInput): void {
  writeRequestSpec(w, 1, input.modelSpec);
  writeInput(w, input.input);
}

export function writeMultiInferenceRequest(w: Writer, input: MultiInferenceInput): void {
  for (const task of input.tasks) {
    w.uint32(tag(1, LEN)).fork();
    writeRequestSpec(w, 1, task.modelSpec);
    if (task.methodName) w.uint32(tag(2, LEN)).string(task.methodName);
    w.ldelim();
  }
  writeInput(w, input.input);
}
