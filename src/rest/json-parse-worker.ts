import { parentPort } from 'node:worker_threads';
import { ServingError, toServingError } from '../errors/serving-error';
import { InputSpecLookup, parsePredictRequest } from '../rest-json/predict-request';
import { isStringTensor, Tensor } from '../tensor/tensor';
import { ParseJob, ParseReply, SignatureSpecs, WireTensor, inputSpecLookup } from './json-parse-pool';

/**
 * A JSON-parse thread of the REST front end: turns a large :predict body into input tensors off the
 * event loop (json-parse-pool.ts). The same codec as the inline path, so results and error texts are
 * identical; the signature lookup answers from the specs the main thread sent, or throws the error the
 * main thread met while acquiring the servable, at the point the inline parse would have.
 */
function lookup(specs: SignatureSpecs): InputSpecLookup {
  if ('error' in specs) {
    return () => {
      throw new ServingError(specs.error.code, specs.error.message);
    };
  }
  return inputSpecLookup(() => specs.signatures);
}

/**
 * Tensors as they cross back: numeric bytes move (their buffer is the parser's own); strings travel
 * packed in one buffer with offsets, since thousands of small arrays cost more to clone than to parse.
 */
function toWire(inputs: Map<string, Tensor>): { wire: Map<string, WireTensor>; transfer: ArrayBuffer[] } {
  const wire = new Map<string, WireTensor>();
  const transfer: ArrayBuffer[] = [];
  for (const [alias, t] of inputs) {
    if (isStringTensor(t)) {
      const offsets = new Uint32Array(t.strings.length + 1);
      for (let i = 0; i < t.strings.length; i++) offsets[i + 1] = offsets[i] + t.strings[i].byteLength;
      const data = new Uint8Array(offsets[t.strings.length]);
      t.strings.forEach((s, i) => data.set(s, offsets[i]));
      wire.set(alias, { dtype: t.dtype, shape: t.shape, packed: { data, offsets } });
      transfer.push(data.buffer, offsets.buffer);
    } else {
      wire.set(alias, t);
      const b = t.bytes;
      if (b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) transfer.push(b.buffer);
    }
  }
  return { wire, transfer };
}

parentPort?.on('message', (job: ParseJob) => {
  let reply: ParseReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const req = parsePredictRequest(job.body, lookup(job.specs));
    const { wire, transfer: moved } = toWire(req.inputs);
    reply = { id: job.id, ok: { signatureName: req.signatureName, format: req.format, inputs: wire } };
    transfer = moved;
  } catch (err) {
    const e = toServingError(err);
    reply = { id: job.id, error: { code: e.code, message: e.message } };
  }
  parentPort!.postMessage(reply, transfer);
});
