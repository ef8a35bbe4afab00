import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Reader } from 'protobufjs';
import { protoType } from '../../proto/root';
import { Signature } from '../../lifecycle/servable';
import { ServableSignatures, SignatureDefObject, signatureFromDef } from '../signature-defs';

/**
 * Reads the signatures of a SavedModel's MetaGraphDef straight from saved_model.pb, or from the
 * MetaGraphDef TensorFlow loaded (a folder with only saved_model.pbtxt).
 *
 * Only two fields of each MetaGraphDef are read (meta_info_def.tags and signature_def); the graph,
 * often most of the file, is skipped without being decoded. The signature_def map entries are also
 * kept as the exact bytes found in the file, so GetModelMetadata can return them unchanged.
 */

/** What a SavedModel's signatures are read into (the same shape for every platform). */
export type SavedModelSignatures = ServableSignatures;

function readTags(r: Reader, end: number): string[] {
  const tags: string[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === ((4 << 3) | 2)) tags.push(r.string());
    else r.skipType(tag & 7);
  }
  return tags;
}

interface MetaGraphScan {
  tags: string[];
  entries: Uint8Array[];
}

function scanMetaGraph(r: Reader, end: number): MetaGraphScan {
  const scan: MetaGraphScan = { tags: [], entries: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) {
      const len = r.uint32();
      scan.tags = readTags(r, r.pos + len);
    } else if (field === 5 && (tag & 7) === 2) {
      scan.entries.push(r.bytes());
    } else {
      r.skipType(tag & 7);
    }
  }
  return scan;
}

const sameSet = (a: string[], b: string[]): boolean =>
  new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));

/** Signatures of the MetaGraphDef whose tag set equals `tags` (as TensorFlow's loader picks it). */
export async function readSignatures(exportDir: string, tags: string[]): Promise<SavedModelSignatures> {
  const bytes = await fs.readFile(path.join(exportDir, 'saved_model.pb'));
  const r = Reader.create(bytes);
  const graphs: MetaGraphScan[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === 2) {
      const len = r.uint32();
      graphs.push(scanMetaGraph(r, r.pos + len));
    } else {
      r.skipType(tag & 7);
    }
  }
  const chosen = graphs.find((g) => sameSet(g.tags, tags));
  if (!chosen) {
    const available = graphs.map((g) => `[${g.tags.join(', ')}]`).join(', ');
    throw new Error(`MetaGraphDef associated with tags '${tags.join(' ')}' could not be found in SavedModel, with available tags '${available}'`);
  }
  // Copy the entries out of the file buffer so the (possibly large) graph bytes can be collected.
  return decodeEntries(chosen.entries.map((e) => Uint8Array.from(e)));
}

/** Signatures of one serialized MetaGraphDef (the one TensorFlow loaded). */
export function signaturesOfMetaGraph(metaGraphDef: Uint8Array): SavedModelSignatures {
  const r = Reader.create(metaGraphDef);
  return decodeEntries(scanMetaGraph(r, r.len).entries.map((e) => Uint8Array.from(e)));
}

/** Whether the folder holds the binary SavedModel (else TensorFlow read saved_model.pbtxt). */
export async function hasBinarySavedModel(exportDir: string): Promise<boolean> {
  return fs.access(path.join(exportDir, 'saved_model.pb')).then(
    () => true,
    () => false,
  );
}

function decodeEntries(rawSignatureDefEntries: Uint8Array[]): SavedModelSignatures {
  const entryType = protoType('tensorflow.SignatureDef');
  const signatures = new Map<string, Signature>();
  for (const entry of rawSignatureDefEntries) {
    const er = Reader.create(entry);
    let key = '';
    let def: SignatureDefObject = {};
    while (er.pos < er.len) {
      const tag = er.uint32();
      if (tag === ((1 << 3) | 2)) key = er.string();
      else if (tag === ((2 << 3) | 2)) def = entryType.toObject(entryType.decode(er, er.uint32()), { longs: Number }) as SignatureDefObject;
      else er.skipType(tag & 7);
    }
    signatures.set(key, signatureFromDef(key, def));
  }
  return { signatures, rawSignatureDefEntries };
}
