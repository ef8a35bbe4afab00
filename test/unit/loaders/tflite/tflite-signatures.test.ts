import * as fs from 'node:fs';
import * as path from 'node:path';
import { Reader } from 'protobufjs';
import { tfliteSignatures, TfLiteModelTensors } from '../../../../src/loaders/tflite/tflite-signatures';
import { protoType } from '../../../../src/proto/root';
import { SHARED_TESTDATA, hasSharedTestdata } from '../../../helpers/paths';

/**
 * Signatures derived from TF Serving's own TFLite test models, as its tflite_session_test expects
 * them (BasicTest, ModelFromLegacyConverterWithSigdef) and as the parse_example model stores them.
 */

const FLOAT = 1;
const STRING = 5;
const model = (dir: string) => fs.readFileSync(path.join(SHARED_TESTDATA, dir, '00000123/model.tflite'));
const dims = (...d: number[]) => ({ dim: d.map((size) => ({ size })) });

/** The tensors TFLite reports for each model (names, TfLiteType, model dims). */
const TENSORS: Record<string, TfLiteModelTensors> = {
  saved_model_half_plus_two_tflite: {
    inputs: [{ name: 'x', type: FLOAT, dims: [1, 1] }],
    outputs: [{ name: 'y', type: FLOAT, dims: [1, 1] }],
  },
  saved_model_half_plus_two_tflite_with_sigdef: {
    inputs: [{ name: 'tflite_input', type: FLOAT, dims: [1, 1] }],
    outputs: [{ name: 'y', type: FLOAT, dims: [1, 1] }],
  },
  parse_example_tflite: {
    inputs: [{ name: 'input', type: STRING, dims: [1] }],
    outputs: [
      { name: 'ParseExample/ParseExampleV2', type: FLOAT, dims: [1, 1] },
      { name: 'ParseExample/ParseExampleV2:1', type: STRING, dims: [1, 1] },
    ],
  },
};

const decodeEntries = (entries: readonly Uint8Array[]) => {
  const type = protoType('tensorflow.SignatureDef');
  return entries.map((e) => {
    const r = Reader.create(e);
    let key = '';
    let value: unknown;
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === 1) key = r.string();
      else value = type.toObject(type.decode(r.bytes()), { longs: Number });
    }
    return [key, value];
  });
};

(hasSharedTestdata() ? describe : describe.skip)('TFLite signatures (TF Serving test models)', () => {
  it.each([
    [
      'saved_model_half_plus_two_tflite',
      {
        inputs: { x: { name: 'x', dtype: FLOAT, tensor_shape: dims(1, 1) } },
        outputs: { y: { name: 'y', dtype: FLOAT, tensor_shape: dims(1, 1) } },
        method_name: 'tensorflow/serving/predict',
      },
    ],
    [
      // The stored signature names "tflite_input:0"; the converter dropped ':0' from the tensor.
      'saved_model_half_plus_two_tflite_with_sigdef',
      {
        inputs: { x: { name: 'tflite_input', dtype: FLOAT, tensor_shape: dims(1, 1) } },
        outputs: { y: { name: 'y', dtype: FLOAT, tensor_shape: dims(1, 1) } },
        method_name: 'tensorflow/serving/predict',
      },
    ],
    [
      'parse_example_tflite',
      {
        inputs: { input: { name: 'input', dtype: 7, tensor_shape: dims(-1) } },
        outputs: {
          'ParseExample/ParseExampleV2': { name: 'ParseExample/ParseExampleV2', dtype: FLOAT, tensor_shape: dims(-1, 1) },
          'ParseExample/ParseExampleV2:1': { name: 'ParseExample/ParseExampleV2:1', dtype: 7, tensor_shape: dims(-1, 1) },
        },
        method_name: 'tensorflow/serving/predict',
      },
    ],
  ])('%s: serving_default as TF Serving derives it', (dir, expected) => {
    const s = tfliteSignatures(model(dir), TENSORS[dir]);
    expect([...s.signatures.keys()]).toEqual(['serving_default']);
    expect(decodeEntries(s.rawSignatureDefEntries)).toEqual([['serving_default', expected]]);
    const sig = s.signatures.get('serving_default');
    expect(sig?.methodName).toBe('tensorflow/serving/predict');
    expect([...(sig?.inputs.values() ?? [])].map((i) => i.name)).toEqual(Object.values(expected.inputs).map((i) => i.name));
  });

  it('a stored signature naming a tensor the model lacks fails the load, with TF Serving wording', () => {
    const tensors = { ...TENSORS.saved_model_half_plus_two_tflite_with_sigdef, inputs: [{ name: 'other', type: FLOAT, dims: [1, 1] }] };
    expect(() => tfliteSignatures(model('saved_model_half_plus_two_tflite_with_sigdef'), tensors)).toThrow(
      "Unknown tensor 'tflite_input:0'.\n\tSignature input x references an unknown tensor",
    );
  });
});
