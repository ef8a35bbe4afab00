import { DataType } from '../../tensor/dtype';
import { Tensor, isOwned, isStringTensor, markOwned } from '../../tensor/tensor';

/**
 * How tensors cross between the main thread and the inference worker: compact, structured-clonable,
 * and with every buffer owned by the message so it can be transferred instead of copied.
 *
 * Views into a request's buffer are never transferred (that would detach memory others use, e.g.
 * Node's Buffer pool); they are copied once into a fresh buffer, which is then transferred.
 */
export interface WireTensor {
  dtype: number;
  shape: number[];
  /** Element bytes for numeric dtypes. */
  bytes?: Uint8Array;
  /** Strings packed back to back, with `offsets[i]..offsets[i+1]` delimiting string i. */
  strings?: { data: Uint8Array; offsets: Uint32Array };
}

function ownedCopy(view: Uint8Array): Uint8Array {
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}

/** Packs a tensor for postMessage; pushes the buffers to transfer onto `transfer`. */
export function toWire(t: Tensor, transfer: ArrayBuffer[]): WireTensor {
  if (isStringTensor(t)) {
    let total = 0;
    for (const s of t.strings) total += s.byteLength;
    const data = new Uint8Array(total);
    const offsets = new Uint32Array(t.strings.length + 1);
    let at = 0;
    t.strings.forEach((s, i) => {
      data.set(s, at);
      at += s.byteLength;
      offsets[i + 1] = at;
    });
    transfer.push(data.buffer, offsets.buffer);
    return { dtype: t.dtype, shape: [...t.shape], strings: { data, offsets } };
  }
  const owned = isOwned(t.bytes) ? t.bytes : ownedCopy(t.bytes);
  transfer.push(owned.buffer as ArrayBuffer);
  return { dtype: t.dtype, shape: [...t.shape], bytes: owned };
}

export function fromWire(w: WireTensor): Tensor {
  if (w.dtype === DataType.DT_STRING) {
    const { data, offsets } = w.strings ?? { data: new Uint8Array(0), offsets: new Uint32Array(1) };
    const strings: Uint8Array[] = [];
    for (let i = 0; i + 1 < offsets.length; i++) strings.push(data.subarray(offsets[i], offsets[i + 1]));
    return { dtype: DataType.DT_STRING, shape: w.shape, strings };
  }
  return { dtype: w.dtype as Exclude<DataType, DataType.DT_STRING>, shape: w.shape, bytes: markOwned(w.bytes ?? new Uint8Array(0)) };
}
