/**
 * TFLite's layout of a string tensor (tensorflow/lite/string_util.h): int32 count N, N+1 int32 byte
 * offsets from the buffer's start, then the strings' bytes back to back. Little-endian.
 */

export function packStrings(strings: readonly Uint8Array[]): Uint8Array {
  const n = strings.length;
  const header = 4 * (n + 2);
  let total = header;
  for (const s of strings) total += s.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setInt32(0, n, true);
  let offset = header;
  for (let i = 0; i <= n; i++) {
    view.setInt32(4 * (i + 1), offset, true);
    if (i < n) {
      out.set(strings[i], offset);
      offset += strings[i].byteLength;
    }
  }
  return out;
}

/** The strings of a packed buffer, as views into it. */
export function unpackStrings(packed: Uint8Array): Uint8Array[] {
  if (packed.byteLength < 4) return [];
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const n = view.getInt32(0, true);
  if (n < 0 || 4 * (n + 2) > packed.byteLength) throw new Error('malformed TFLite string tensor');
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const begin = view.getInt32(4 * (i + 1), true);
    const end = view.getInt32(4 * (i + 2), true);
    if (begin < 0 || end < begin || end > packed.byteLength) throw new Error('malformed TFLite string tensor');
    out.push(packed.subarray(begin, end));
  }
  return out;
}
