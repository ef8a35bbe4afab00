/**
 * Reads one named metadata entry of a TFLite model (schema.fbs: Model.metadata → Metadata{name,
 * buffer} → Model.buffers[buffer].data) straight from the flatbuffer, without a generated schema.
 * TF Serving's models keep their SignatureDefs in the entry "signature_defs_metadata".
 */

class FlatTable {
  constructor(
    private readonly view: DataView,
    readonly pos: number,
  ) {}

  /** Absolute position of field `index`, or undefined when the field is absent. */
  private field(index: number): number | undefined {
    const vtable = this.pos - this.view.getInt32(this.pos, true);
    const vtableSize = this.view.getUint16(vtable, true);
    const entry = 4 + 2 * index;
    if (entry >= vtableSize) return undefined;
    const offset = this.view.getUint16(vtable + entry, true);
    return offset === 0 ? undefined : this.pos + offset;
  }

  uint32(index: number): number | undefined {
    const at = this.field(index);
    return at === undefined ? undefined : this.view.getUint32(at, true);
  }

  /** [start, length] of a vector (or string) field. */
  vector(index: number): [number, number] | undefined {
    const at = this.field(index);
    if (at === undefined) return undefined;
    const start = at + this.view.getUint32(at, true);
    return [start + 4, this.view.getUint32(start, true)];
  }

  /** The tables of a vector-of-tables field. */
  tables(index: number): FlatTable[] {
    const v = this.vector(index);
    if (!v) return [];
    const out: FlatTable[] = [];
    for (let i = 0; i < v[1]; i++) {
      const at = v[0] + 4 * i;
      out.push(new FlatTable(this.view, at + this.view.getUint32(at, true)));
    }
    return out;
  }
}

const MODEL_BUFFERS = 4;
const MODEL_METADATA = 6;
const METADATA_NAME = 0;
const METADATA_BUFFER = 1;
const BUFFER_DATA = 0;

/** The bytes of metadata entry `name`, or undefined when the model has none by that name. */
export function readModelMetadata(model: Uint8Array, name: string): Uint8Array | undefined {
  if (model.byteLength < 8) throw new Error('not a TFLite flatbuffer');
  const view = new DataView(model.buffer, model.byteOffset, model.byteLength);
  const root = new FlatTable(view, view.getUint32(0, true));
  const decoder = new TextDecoder();
  for (const entry of root.tables(MODEL_METADATA)) {
    const n = entry.vector(METADATA_NAME);
    if (!n || decoder.decode(model.subarray(n[0], n[0] + n[1])) !== name) continue;
    const buffer = root.tables(MODEL_BUFFERS)[entry.uint32(METADATA_BUFFER) ?? -1];
    const data = buffer?.vector(BUFFER_DATA);
    return data ? model.subarray(data[0], data[0] + data[1]) : new Uint8Array(0);
  }
  return undefined;
}
