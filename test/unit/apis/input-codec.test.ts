import { Writer } from 'protobufjs';
import { decodeClassificationRequest, decodeMultiInferenceRequest } from '../../../src/apis/input-codec';
import { serializedExamplesTensor } from '../../../src/inference/example-input';
import { protoType } from '../../../src/proto/root';
import { ServingError } from '../../../src/errors/serving-error';

/**
 * The Input wire decoder keeps every tf.Example's bytes as sent and follows protobuf's merge rules
 * for an Input spread over several fields, as TF Serving's C++ parse would.
 */

const Example = protoType('tensorflow.Example');
const example = (feature: Record<string, number[]>): Uint8Array =>
  Example.encode(
    Example.fromObject({
      features: { feature: Object.fromEntries(Object.entries(feature).map(([k, v]) => [k, { float_list: { value: v } }])) },
    }),
  ).finish();

/** A length-delimited field holding `body`. */
const field = (n: number, body: Uint8Array): Uint8Array => Writer.create().uint32((n << 3) | 2).bytes(body).finish();
const cat = (...parts: Uint8Array[]): Buffer => Buffer.concat(parts);
const exampleList = (...examples: Uint8Array[]) => cat(...examples.map((e) => field(1, e)));

describe('Input decoding', () => {
  const e1 = example({ x: [1] });
  const e2 = example({ x: [2] });
  const ctx = example({ y: [3] });

  test('example_list keeps each Example byte for byte', () => {
    const req = decodeClassificationRequest(cat(field(2, field(1, exampleList(e1, e2)))));
    expect(req.modelSpec).toBeUndefined();
    expect(req.input.examples.map((b) => Buffer.from(b))).toEqual([Buffer.from(e1), Buffer.from(e2)]);
    expect(req.input.context).toBeUndefined();
  });

  test('matches what protobufjs encodes for the official message', () => {
    const Req = protoType('tensorflow.serving.ClassificationRequest');
    const buf = Buffer.from(
      Req.encode(
        Req.fromObject({
          model_spec: { name: 'm', signature_name: 's' },
          input: { example_list_with_context: { examples: [Example.decode(e1)], context: Example.decode(ctx) } },
        }),
      ).finish(),
    );
    const req = decodeClassificationRequest(buf);
    expect(req.modelSpec).toMatchObject({ name: 'm', signatureName: 's' });
    const t = serializedExamplesTensor(req.input);
    expect(t.shape).toEqual([1]);
    expect(Buffer.from(t.strings[0])).toEqual(cat(ctx, e1));
  });

  test('repeated input fields merge: examples append, context messages concatenate', () => {
    const withContext = (ex: Uint8Array, c: Uint8Array) => field(2, cat(field(1, ex), field(2, c)));
    const c2 = example({ z: [4] });
    const req = decodeClassificationRequest(cat(field(2, withContext(e1, ctx)), field(2, withContext(e2, c2))));
    expect(req.input.examples).toHaveLength(2);
    expect(Buffer.from(req.input.context ?? [])).toEqual(cat(ctx, c2));
  });

  test('switching the oneof member starts afresh, as protobuf clears the other one', () => {
    const req = decodeClassificationRequest(
      cat(field(2, field(1, exampleList(e1, e2))), field(2, field(2, cat(field(1, e2), field(2, ctx))))),
    );
    expect(req.input.examples.map((b) => Buffer.from(b))).toEqual([Buffer.from(e2)]);
    expect(Buffer.from(req.input.context ?? [])).toEqual(Buffer.from(ctx));
  });

  test('MultiInferenceRequest: tasks in order, input shared', () => {
    const Task = protoType('tensorflow.serving.InferenceTask');
    const task = (name: string, sig: string, method: string) =>
      field(1, Task.encode(Task.fromObject({ model_spec: { name, signature_name: sig }, method_name: method })).finish());
    const req = decodeMultiInferenceRequest(cat(task('m', 'a', 'x'), field(2, field(1, exampleList(e1))), task('m', 'b', 'y')));
    expect(req.tasks.map((t) => [t.modelSpec?.signatureName, t.methodName])).toEqual([
      ['a', 'x'],
      ['b', 'y'],
    ]);
    expect(req.input.examples).toHaveLength(1);
  });

  test('no examples is "Input is empty."', () => {
    for (const buf of [Buffer.alloc(0), cat(field(2, field(1, new Uint8Array(0)))), cat(field(2, field(2, field(2, ctx))))]) {
      const input = decodeClassificationRequest(buf).input;
      expect(() => serializedExamplesTensor(input)).toThrow(new ServingError(3, 'Input is empty.'));
    }
  });
});
