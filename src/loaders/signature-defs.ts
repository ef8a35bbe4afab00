import { Signature, TensorInfo } from '../lifecycle/servable';

/** A servable's signatures, and their `map<string, SignatureDef>` entries serialized for GetModelMetadata. */
export interface ServableSignatures {
  readonly signatures: ReadonlyMap<string, Signature>;
  readonly rawSignatureDefEntries: readonly Uint8Array[];
}

/** tensorflow.TensorInfo as protobufjs decodes it (longs as numbers). */
export interface TensorInfoObject {
  name?: string;
  dtype?: number;
  tensor_shape?: { dim?: Array<{ size?: number }>; unknown_rank?: boolean };
}

/** tensorflow.SignatureDef as protobufjs decodes it. */
export interface SignatureDefObject {
  inputs?: Record<string, TensorInfoObject>;
  outputs?: Record<string, TensorInfoObject>;
  method_name?: string;
  defaults?: Record<string, unknown>;
}

function toTensorInfo(t: TensorInfoObject): TensorInfo {
  const shape = t.tensor_shape;
  const dims = shape && !shape.unknown_rank ? (shape.dim ?? []).map((d) => Number(d.size ?? 0)) : undefined;
  return { name: t.name ?? '', dtype: t.dtype ?? 0, dims };
}

/** The serving view of one decoded SignatureDef, whichever platform stored it. */
export function signatureFromDef(key: string, def: SignatureDefObject): Signature {
  return {
    key,
    methodName: def.method_name ?? '',
    inputs: new Map(Object.entries(def.inputs ?? {}).map(([k, v]) => [k, toTensorInfo(v)])),
    outputs: new Map(Object.entries(def.outputs ?? {}).map(([k, v]) => [k, toTensorInfo(v)])),
    defaults: new Set(Object.keys(def.defaults ?? {})),
  };
}
