import { writeDecimalDouble, writeDecimalFloat } from '../rest-json/number-format';
import { Tensor, alignedView, isStringTensor } from '../tensor/tensor';
import { InferResponseBody } from './binary-codec';
import { ELEMENT_ARRAY, V2Datatype } from './datatype';
import { BFLOAT16, HALF, decodeFloat16 } from './float16';
import { V2InferResult } from './infer';
import { OutputChoice } from './json-request';
import { rawDataOf } from './tensor-data';

/**
 * The protocol's JSON inference response on REST: each output as flat `data` (floats written as TF
 * Serving's REST API writes them, 64-bit integers exactly), or as binary data after the JSON.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** BYTES elements as JSON strings, or undefined when one is not UTF-8 (JSON strings cannot carry it). */
function bytesJson(strings: readonly Uint8Array[]): string | undefined {
  const parts: string[] = [];
  try {
    for (const s of strings) parts.push(JSON.stringify(utf8.decode(s)));
  } catch {
    return undefined;
  }
  return parts.join(',');
}

function numbersJson(t: Tensor, datatype: V2Datatype): string {
  if (isStringTensor(t)) throw new Error('numbersJson: a BYTES tensor');
  const parts: string[] = [];
  const b = t.bytes;
  switch (datatype) {
    case 'FP32':
      for (const x of alignedView(b, Float32Array)) parts.push(writeDecimalFloat(x));
      break;
    case 'FP64':
      for (const x of alignedView(b, Float64Array)) parts.push(writeDecimalDouble(x));
      break;
    case 'FP16':
    case 'BF16':
      for (const h of alignedView(b, Uint16Array)) parts.push(writeDecimalFloat(decodeFloat16(h, datatype === 'FP16' ? HALF : BFLOAT16)));
      break;
    case 'BOOL':
      for (const x of b) parts.push(x ? 'true' : 'false');
      break;
    default: {
      const Ctor = ELEMENT_ARRAY[datatype as Exclude<V2Datatype, 'BYTES'>] as typeof Int32Array;
      for (const x of alignedView(b, Ctor)) parts.push(String(x));
    }
  }
  return parts.join(',');
}

/**
 * The response: each output as `data`, or as binary data when asked for. A BYTES output that is not
 * valid UTF-8 goes as binary data even when JSON was asked for, since a JSON string cannot hold it.
 */
export function writeInferResponse(result: V2InferResult, choice: OutputChoice): InferResponseBody {
  const binary: Uint8Array[] = [];
  const outputs = result.outputs.map((o) => {
    const head = `{"name":${JSON.stringify(o.name)},"datatype":"${o.datatype}","shape":[${o.tensor.shape.join(',')}]`;
    if (!choice.binary(o.name)) {
      const data = isStringTensor(o.tensor) ? bytesJson(o.tensor.strings) : numbersJson(o.tensor, o.datatype);
      if (data !== undefined) return `${head},"data":[${data}]}`;
    }
    const raw = rawDataOf(o.tensor);
    binary.push(raw);
    return `${head},"parameters":{"binary_data_size":${raw.byteLength}}}`;
  });
  const id = result.id ? `,"id":${JSON.stringify(result.id)}` : '';
  const json = `{"model_name":${JSON.stringify(result.modelName)},"model_version":"${result.modelVersion}"${id},"outputs":[${outputs.join(',')}]}`;
  return { json: Buffer.from(json, 'utf8'), binary };
}
