import { DataType, dtypeSize } from '../../tensor/dtype';
import { BindingTensorInfo, TfBinding } from './tf-binding';
import { WireTensor } from './wire-tensor';

/**
 * Runs SavedModel sessions through tfjs-node's binding with exact dtypes. Lives in the worker thread.
 *
 * The binding can build tensors only from Float32Array (float), Int32Array (int32, and int64 as raw
 * pairs), Uint8Array (uint8, bool) and byte arrays (string), and can read back float, int32, int64,
 * bool and string. Every other dtype travels as raw bytes in a carrier tensor and is converted by
 * TensorFlow's own Bitcast/Cast ops, so no value is ever rounded in JavaScript.
 */
export class TfSessionRunner {
  private readonly b: TfBinding;

  constructor(binding: TfBinding) {
    this.b = binding;
  }

  load(dir: string, tags: string[]): number {
    return this.b.loadSavedModel(dir, tags.join(','));
  }

  unload(sessionId: number): void {
    this.b.deleteSavedModel(sessionId);
  }

  /** Feeds `feeds` to the graph tensors `feedNames`, fetches `fetchNames`; all tensors are freed on return. */
  run(sessionId: number, feeds: WireTensor[], feedNames: string[], fetchNames: string[]): WireTensor[] {
    const owned: number[] = [];
    try {
      const inputIds = feeds.map((f) => this.createTensor(f, owned));
      const outs = this.b.runSavedModel(sessionId, inputIds, feedNames.join(','), fetchNames.join(','));
      for (const o of outs) owned.push(o.id);
      return outs.map((o) => this.readTensor(o, owned));
    } finally {
      for (const id of owned) this.b.deleteTensor(id);
    }
  }

  stats(): { tensors: number; savedModels: number } {
    return { tensors: this.b.getNumOfTensors(), savedModels: this.b.getNumOfSavedModels() };
  }

  private op(name: string, attrs: Array<[string, number]>, input: number, owned: number[]): BindingTensorInfo {
    const out = this.b.executeOp(
      name,
      attrs.map(([n, v]) => ({ name: n, type: this.b.TF_ATTR_TYPE, value: v })),
      [input],
      1,
    )[0];
    owned.push(out.id);
    return out;
  }

  private createTensor(t: WireTensor, owned: number[]): number {
    const shape = t.shape;
    const b = this.b;
    let id: number;
    if (t.dtype === DataType.DT_STRING) {
      const { data, offsets } = t.strings ?? { data: new Uint8Array(0), offsets: new Uint32Array(1) };
      const list: Uint8Array[] = [];
      for (let i = 0; i + 1 < offsets.length; i++) list.push(data.subarray(offsets[i], offsets[i + 1]));
      id = b.createTensor(shape, b.TF_STRING, list);
      owned.push(id);
      return id;
    }
    const bytes = t.bytes ?? new Uint8Array(0);
    switch (t.dtype) {
      case DataType.DT_FLOAT:
        id = b.createTensor(shape, b.TF_FLOAT, aligned(bytes, Float32Array));
        break;
      case DataType.DT_INT32:
      case DataType.DT_INT64:
        // int64 goes in as an Int32Array of twice the length: the binding copies the raw bytes.
        id = b.createTensor(shape, t.dtype, aligned(bytes, Int32Array));
        break;
      case DataType.DT_UINT8:
      case DataType.DT_BOOL:
        id = b.createTensor(shape, t.dtype, bytes);
        break;
      default: {
        // Raw bytes as uint8 with a trailing dim of the element size; Bitcast drops that dim.
        const size = dtypeSize(t.dtype);
        const carrier = b.createTensor(size === 1 ? shape : [...shape, size], b.TF_UINT8, bytes);
        owned.push(carrier);
        return this.op('Bitcast', [['T', DataType.DT_UINT8], ['type', t.dtype]], carrier, owned).id;
      }
    }
    owned.push(id);
    return id;
  }

  private readTensor(info: BindingTensorInfo, owned: number[]): WireTensor {
    const b = this.b;
    const shape = info.shape;
    const dtype = info.dtype > 100 ? info.dtype - 100 : info.dtype;
    switch (dtype) {
      case DataType.DT_STRING: {
        const list = b.tensorDataSync(info.id) as Uint8Array[];
        let total = 0;
        for (const s of list) total += s.byteLength;
        const data = new Uint8Array(total);
        const offsets = new Uint32Array(list.length + 1);
        let at = 0;
        list.forEach((s, i) => {
          data.set(s, at);
          at += s.byteLength;
          offsets[i + 1] = at;
        });
        return { dtype, shape, strings: { data, offsets } };
      }
      case DataType.DT_FLOAT:
      case DataType.DT_INT32:
      case DataType.DT_INT64:
      case DataType.DT_BOOL:
        return { dtype, shape, bytes: wholeBytes(b.tensorDataSync(info.id) as ArrayBufferView) };
      default:
        return { dtype, shape, bytes: this.readViaCarrier(info, dtype, owned) };
    }
  }

  /** Element bytes of a dtype the binding cannot read directly. */
  private readViaCarrier(info: BindingTensorInfo, dtype: DataType, owned: number[]): Uint8Array {
    const size = dtypeSize(dtype);
    if (size % 4 === 0) {
      // 4-, 8- and 16-byte elements reinterpret as int32 words.
      const words = this.op('Bitcast', [['T', dtype], ['type', DataType.DT_INT32]], info.id, owned);
      return wholeBytes(this.b.tensorDataSync(words.id) as Int32Array);
    }
    // 1- and 2-byte elements: widen to int32 (exact), then narrow back here.
    let src = info.id;
    let srcType: number = dtype;
    if (dtype === DataType.DT_HALF || dtype === DataType.DT_BFLOAT16) {
      src = this.op('Bitcast', [['T', dtype], ['type', DataType.DT_UINT16]], src, owned).id;
      srcType = DataType.DT_UINT16;
    }
    const wide = this.op('Cast', [['SrcT', srcType], ['DstT', DataType.DT_INT32]], src, owned);
    const ints = this.b.tensorDataSync(wide.id) as Int32Array;
    const out = new Uint8Array(ints.length * size);
    const view = new DataView(out.buffer);
    for (let i = 0; i < ints.length; i++) {
      if (size === 1) view.setUint8(i, ints[i] & 0xff);
      else view.setUint16(i * 2, ints[i] & 0xffff, true);
    }
    return out;
  }
}

function aligned<T extends Float32Array | Int32Array>(bytes: Uint8Array, Ctor: { new (b: ArrayBufferLike, o: number, l: number): T }): T {
  const src = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Ctor(src.buffer, src.byteOffset, src.byteLength / 4);
}

function wholeBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
