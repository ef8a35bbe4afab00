import * as protobuf from 'protobufjs';
import { Servable } from '../lifecycle/servable';
import { debugString } from '../proto/debug-string';
import { protoType } from '../proto/root';

/**
 * `SignatureDef::DebugString()` (protobuf text format), which TF Serving puts into a few
 * Classify/Regress errors ("No classification inputs found in SignatureDef: ..."). Printed from the
 * SignatureDef bytes stored in the SavedModel, so every field appears as TensorFlow stored it.
 */

/** The DebugString of the signature `key` of a servable, or '' if it is not stored. */
export function signatureDebugString(servable: Servable, key: string): string {
  const type = protoType('tensorflow.SignatureDef');
  for (const entry of servable.rawSignatureDefEntries) {
    const r = protobuf.Reader.create(entry);
    let entryKey = '';
    let def: protobuf.Message | undefined;
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === ((1 << 3) | 2)) entryKey = r.string();
      else if (tag === ((2 << 3) | 2)) def = type.decode(r, r.uint32());
      else r.skipType(tag & 7);
    }
    if (entryKey === key) return debugString(type, def ?? type.create());
  }
  return '';
}
