import { Reader } from 'protobufjs';
import { ClassifyInput } from '../inference/classify';
import { EMPTY_INPUT, ExampleInput } from '../inference/example-input';
import { ModelSpecInput } from '../inference/model-spec';
import { InferenceTaskInput, MultiInferenceInput } from '../inference/multi-inference';
import { RegressInput } from '../inference/regress';
import { decodeModelSpec } from './model-spec-codec';

/**
 * ClassificationRequest, RegressionRequest and MultiInferenceRequest on the wire, hand-written so each
 * tf.Example reaches TensorFlow as the exact bytes the client sent: TF Serving itself re-reads the
 * Input as `repeated bytes` (internal/serialized_input.proto) and never decodes an Example.
 *
 * ClassificationRequest / RegressionRequest: model_spec = 1, input = 2.
 * MultiInferenceRequest: tasks = 1 (InferenceTask: model_spec = 1, method_name = 2), input = 2.
 * Input: oneof { example_list = 1, example_list_with_context = 2 }.
 * ExampleList: examples = 1.  ExampleListWithContext: examples = 1, context = 2.
 */

const LEN = 2;
const tagOf = (field: number): number => (field << 3) | LEN;

/**
 * Protobuf's merge semantics for an Input spread over several fields: a repeated `input` field or a
 * repeated oneof member merges into what came before (examples append, context messages merge, i.e.
 * their bytes concatenate); switching oneof member starts afresh, as protobuf clears the other one.
 */
class InputAccumulator {
  private kind: 'none' | 'list' | 'context' = 'none';
  private examples: Uint8Array[] = [];
  private contextParts: Uint8Array[] = [];

  /** Reads one Input message body of `length` bytes. */
  read(r: Reader, length: number): void {
    const end = r.pos + length;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === tagOf(1)) this.readList(r, r.uint32(), 'list');
      else if (tag === tagOf(2)) this.readList(r, r.uint32(), 'context');
      else r.skipType(tag & 7);
    }
  }

  private readList(r: Reader, length: number, kind: 'list' | 'context'): void {
    if (this.kind !== kind) {
      this.kind = kind;
      this.examples = [];
      this.contextParts = [];
    }
    const end = r.pos + length;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === tagOf(1)) this.examples.push(r.bytes());
      else if (kind === 'context' && tag === tagOf(2)) this.contextParts.push(r.bytes());
      else r.skipType(tag & 7);
    }
  }

  result(): ExampleInput {
    if (this.kind === 'none') return EMPTY_INPUT;
    if (this.kind === 'list') return { examples: this.examples };
    return { examples: this.examples, context: Buffer.concat(this.contextParts) };
  }
}

/** ClassificationRequest and RegressionRequest share their layout. */
function decodeSingleTaskRequest(buf: Buffer): { modelSpec?: ModelSpecInput; input: ExampleInput } {
  const r = Reader.create(buf);
  let modelSpec: ModelSpecInput | undefined;
  const input = new InputAccumulator();
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === tagOf(1)) modelSpec = decodeModelSpec(r, r.uint32());
    else if (tag === tagOf(2)) input.read(r, r.uint32());
    else r.skipType(tag & 7);
  }
  return { modelSpec, input: input.result() };
}

export const decodeClassificationRequest = (buf: Buffer): ClassifyInput => decodeSingleTaskRequest(buf);
export const decodeRegressionRequest = (buf: Buffer): RegressInput => decodeSingleTaskRequest(buf);

function decodeTask(r: Reader, length: number): InferenceTaskInput {
  const end = r.pos + length;
  let modelSpec: ModelSpecInput | undefined;
  let methodName = '';
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === tagOf(1)) modelSpec = decodeModelSpec(r, r.uint32());
    else if (tag === tagOf(2)) methodName = r.string();
    else r.skipType(tag & 7);
  }
  return { modelSpec, methodName };
}

export function decodeMultiInferenceRequest(buf: Buffer): MultiInferenceInput {
  const r = Reader.create(buf);
  const tasks: InferenceTaskInput[] = [];
  const input = new InputAccumulator();
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === tagOf(1)) tasks.push(decodeTask(r, r.uint32()));
    else if (tag === tagOf(2)) input.read(r, r.uint32());
    else r.skipType(tag & 7);
  }
  return { tasks, input: input.result() };
}
