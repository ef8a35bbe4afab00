import { Writer } from 'protobufjs';
import { ServingError } from '../../errors/serving-error';
import { Code } from '../../errors/status-code';
import { Signature } from '../../lifecycle/servable';
import { protoType } from '../../proto/root';
import { readFlexStringMap } from '../../runtime/tflite/flexbuffer-map';
import { readModelMetadata } from '../../runtime/tflite/model-metadata';
import { TfLiteTensorDesc } from '../../runtime/tflite/tflite-binding';
import { fixTfLiteTensorName, legacyTfLiteName } from '../../runtime/tflite/tflite-session';
import { tfTypeOf } from '../../runtime/tflite/tflite-types';
import { ServableSignatures, SignatureDefObject, TensorInfoObject, signatureFromDef } from '../signature-defs';

/**
 * The SignatureDefs of a TFLite model, derived as TF Serving's TfLiteSession::Create does: those
 * stored in the model's "signature_defs_metadata" (with tensor names corrected to the model's own,
 * legacy converters having dropped ':0'), or else one generated "serving_default" predict signature
 * over all the model's inputs and outputs, keyed by tensor name.
 */

const SIGNATURE_DEFS_METADATA = 'signature_defs_metadata';
const PREDICT_METHOD = 'tensorflow/serving/predict';
const DEFAULT_KEY = 'serving_default';

/** What a TFLite model's signatures are read into (the same shape for every platform). */
export type TfLiteSignatures = ServableSignatures;

export interface TfLiteModelTensors {
  readonly inputs: readonly TfLiteTensorDesc[];
  readonly outputs: readonly TfLiteTensorDesc[];
}

const sortedRecord = <T>(entries: Array<[string, T]>): Record<string, T> =>
  Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function infoFromDesc(d: TfLiteTensorDesc): TensorInfoObject {
  return { name: d.name, dtype: tfTypeOf(d.type), tensor_shape: { dim: d.dims.map((size) => ({ size })) } };
}

function generated(model: TfLiteModelTensors): Map<string, SignatureDefObject> {
  return new Map([
    [
      DEFAULT_KEY,
      {
        inputs: sortedRecord(model.inputs.map((d) => [legacyTfLiteName(d.name), infoFromDesc(d)])),
        outputs: sortedRecord(model.outputs.map((d) => [legacyTfLiteName(d.name), infoFromDesc(d)])),
        method_name: PREDICT_METHOD,
      },
    ],
  ]);
}

function fromMetadata(stored: Uint8Array, model: TfLiteModelTensors): Map<string, SignatureDefObject> {
  const type = protoType('tensorflow.SignatureDef');
  let entries: Map<string, Uint8Array>;
  try {
    entries = readFlexStringMap(stored);
  } catch (err) {
    throw new ServingError(Code.INVALID_ARGUMENT, `Invalid SignatureDefs found in TfLite model: ${(err as Error).message}`);
  }
  const index = (descs: readonly TfLiteTensorDesc[]) => new Map(descs.map((d, i) => [d.name, i]));
  const inputIndex = index(model.inputs);
  const outputIndex = index(model.outputs);
  const fix = (infos: Record<string, TensorInfoObject>, idx: Map<string, number>, kind: string) =>
    sortedRecord(
      Object.entries(infos).map(([alias, info]): [string, TensorInfoObject] => {
        try {
          return [alias, { ...info, name: fixTfLiteTensorName(idx, info.name ?? '') }];
        } catch (err) {
          const e = err as ServingError;
          throw new ServingError(e.code, `${e.message}\n\tSignature ${kind} ${alias} references an unknown tensor`);
        }
      }),
    );
  const out = new Map<string, SignatureDefObject>();
  for (const [key, bytes] of [...entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const def = type.toObject(type.decode(bytes), { longs: Number }) as SignatureDefObject;
    out.set(key, {
      ...def,
      inputs: fix(def.inputs ?? {}, inputIndex, 'input'),
      outputs: fix(def.outputs ?? {}, outputIndex, 'output'),
    });
  }
  return out;
}

/** One `map<string, SignatureDef>` entry: field 1 the key, field 2 the SignatureDef. */
function encodeEntry(key: string, def: SignatureDefObject): Uint8Array {
  const type = protoType('tensorflow.SignatureDef');
  const value = type.encode(type.fromObject(def)).finish();
  return Writer.create().uint32((1 << 3) | 2).string(key).uint32((2 << 3) | 2).bytes(value).finish();
}

export function tfliteSignatures(modelBytes: Uint8Array, model: TfLiteModelTensors): TfLiteSignatures {
  const stored = readModelMetadata(modelBytes, SIGNATURE_DEFS_METADATA);
  const defs = stored && stored.byteLength > 0 ? fromMetadata(stored, model) : generated(model);
  const signatures = new Map<string, Signature>();
  const rawSignatureDefEntries: Uint8Array[] = [];
  for (const [key, def] of defs) {
    // A TFLite interpreter has no way to fill an omitted input, so stored defaults are not offered.
    signatures.set(key, signatureFromDef(key, { ...def, defaults: undefined }));
    rawSignatureDefEntries.push(encodeEntry(key, def));
  }
  return { signatures, rawSignatureDefEntries };
}
