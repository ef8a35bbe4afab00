import { serverVersion } from '../config/server-version';
import { ServableManager } from '../lifecycle/manager';
import { Servable, TensorInfo } from '../lifecycle/servable';
import { DEFAULT_SIGNATURE, acquireServable } from '../inference/model-spec';
import { metadataDatatype } from './datatype';
import { modelSpecOf } from './infer';

/** Server metadata, model metadata and model readiness, protocol-neutral. */

export const SERVER_NAME = 'tfserving-ts';
/** Optional protocol extensions served (Triton's names): tensors as binary data after the JSON on REST. */
export const EXTENSIONS: readonly string[] = ['binary_tensor_data'];

export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

export function serverMetadata(): ServerMetadata {
  return { name: SERVER_NAME, version: serverVersion(), extensions: EXTENSIONS };
}

export interface TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

export interface ModelMetadata {
  readonly name: string;
  /** Versions serving now, lowest first (each may be named in a request). */
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
}

/** TF Serving's models are SavedModels (a TFLite version folder is served under the same platform). */
export const PLATFORM = 'tensorflow_savedmodel';

/** Unknown dims are -1; an unknown rank, which the protocol cannot express, is reported as [-1]. */
function tensorMetadata(entries: ReadonlyMap<string, TensorInfo>): TensorMetadata[] {
  return [...entries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, info]) => ({ name, datatype: metadataDatatype(info.dtype), shape: info.dims ? [...info.dims] : [-1] }));
}

/**
 * A model's metadata: the `serving_default` signature's inputs and outputs of the version the request
 * names (empty lists when the version has no `serving_default`), and every version serving.
 */
export function modelMetadata(manager: ServableManager<Servable>, name: string, version: string): ModelMetadata {
  const handle = acquireServable(manager, modelSpecOf(name, version, { signatureName: '' }));
  try {
    const signature = handle.servable.signatures.get(DEFAULT_SIGNATURE);
    return {
      name: handle.name,
      versions: manager.availableVersions(name).sort((a, b) => a - b).map(String),
      platform: PLATFORM,
      inputs: signature ? tensorMetadata(signature.inputs) : [],
      outputs: signature ? tensorMetadata(signature.outputs) : [],
    };
  } finally {
    handle.release();
  }
}

/** Whether the version a request names (by number, label or neither) is serving; false for unknown models. */
export function modelReady(manager: ServableManager<Servable>, name: string, version: string): boolean {
  try {
    acquireServable(manager, modelSpecOf(name, version, { signatureName: '' })).release();
    return true;
  } catch {
    return false;
  }
}
