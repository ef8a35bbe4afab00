/**
 * Decodes a FlexBuffer whose root is a map from keys to strings or blobs — the form TFLite's
 * signature_def_util writes ("signature_defs_metadata": SignatureDef key → serialized SignatureDef).
 */

const FBT_MAP = 9;
const FBT_STRING = 5;
const FBT_BLOB = 25;

function readUint(view: DataView, at: number, width: number): number {
  switch (width) {
    case 1:
      return view.getUint8(at);
    case 2:
      return view.getUint16(at, true);
    case 4:
      return view.getUint32(at, true);
    default:
      return Number(view.getBigUint64(at, true));
  }
}

function readKey(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.byteLength && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(at, end));
}

export function readFlexStringMap(bytes: Uint8Array): Map<string, Uint8Array> {
  if (bytes.byteLength < 3) throw new Error('FlexBuffer too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rootWidth = bytes[bytes.byteLength - 1];
  const rootPacked = bytes[bytes.byteLength - 2];
  if (rootPacked >> 2 !== FBT_MAP) throw new Error('FlexBuffer root is not a map');
  const rootAt = bytes.byteLength - 2 - rootWidth;
  const width = 1 << (rootPacked & 3);
  const values = rootAt - readUint(view, rootAt, rootWidth);
  const size = readUint(view, values - width, width);
  const keysAt = values - 3 * width;
  const keys = keysAt - readUint(view, keysAt, width);
  const keyWidth = readUint(view, values - 2 * width, width);
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < size; i++) {
    const keyElem = keys + i * keyWidth;
    const key = readKey(bytes, keyElem - readUint(view, keyElem, keyWidth));
    const packed = bytes[values + size * width + i];
    const type = packed >> 2;
    if (type !== FBT_STRING && type !== FBT_BLOB) throw new Error(`FlexBuffer value for ${key} is not a string`);
    const elem = values + i * width;
    const data = elem - readUint(view, elem, width);
    const childWidth = 1 << (packed & 3);
    const length = readUint(view, data - childWidth, childWidth);
    out.set(key, bytes.subarray(data, data + length));
  }
  return out;
}
