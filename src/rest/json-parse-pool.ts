import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ServingError, invalidArgument, toServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { log } from '../log/logger';
import { DEFAULT_SIGNATURE } from '../inference/model-spec';
import { InputSpec, InputSpecLookup, JsonPredictFormat, JsonPredictRequest, parsePredictRequest } from '../rest-json/predict-request';
import { DataType } from '../tensor/dtype';
import { NumericTensor, Tensor } from '../tensor/tensor';

/**
 * Parses :predict bodies, the large ones on a small pool of threads. A JSON image (850 KB for one
 * 224x224x3 picture) takes about 11 ms to parse; on the event loop that held up every other request,
 * gRPC included. Small bodies parse inline: the hop would cost more than the parse.
 *
 * The main thread acquires the servable first and sends the input specs of all its signatures (the
 * body names the signature), or the error it met, which the worker raises where the inline parse would
 * have: results and error texts are those of the inline path.
 */

/** Bodies from this size on go to a parse thread. */
export const OFF_THREAD_BYTES = 64 * 1024;

/** Every signature's inputs, by signature name then input alias. */
export type SignatureInputs = ReadonlyMap<string, ReadonlyMap<string, InputSpec>>;

/** What a parse thread is sent for the lookup: the servable's signatures, or the error acquiring it met. */
export type SignatureSpecs =
  | { readonly signatures: SignatureInputs }
  | { readonly error: { readonly code: Code; readonly message: string } };

/** The codec's signature lookup over `signatures` ('' = the default signature), as TF Serving words its miss. */
export function inputSpecLookup(signatures: () => SignatureInputs): InputSpecLookup {
  return (signatureName) => {
    const key = signatureName || DEFAULT_SIGNATURE;
    const inputs = signatures().get(key);
    if (!inputs) throw invalidArgument(`Serving signature name: "${key}" not found in signature def`);
    return inputs;
  };
}

export interface ParseJob {
  readonly id: number;
  readonly body: Uint8Array;
  readonly specs: SignatureSpecs;
}

/** A parsed input on its way back: a numeric tensor as is, a string tensor packed (one buffer, offsets). */
export type WireTensor =
  | NumericTensor
  | { readonly dtype: DataType.DT_STRING; readonly shape: readonly number[]; readonly packed: { data: Uint8Array; offsets: Uint32Array } };

export type ParseReply =
  | { readonly id: number; readonly ok: { signatureName: string; format: JsonPredictFormat; inputs: Map<string, WireTensor> } }
  | { readonly id: number; readonly error: { readonly code: Code; readonly message: string } };

interface Pending {
  resolve(r: JsonPredictRequest): void;
  reject(e: ServingError): void;
}

const WORKER_FILE = path.join(__dirname, 'json-parse-worker.js');

export class JsonParsePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  /** Jobs each parse thread holds: its load, and what fails if it dies. */
  private readonly jobs = new Map<Worker, Set<number>>();
  private nextId = 1;
  /** Set when parse threads cannot run here (no compiled worker, under ts-jest): all parses inline. */
  private disabled = false;

  /** Idle parse threads are unref'd: they never keep the process alive, and die with it. */
  constructor(private readonly size = Math.max(1, Math.min(4, os.availableParallelism()))) {}

  /**
   * `signatures()` acquires the version the body is for and returns its signatures' inputs; it may throw
   * (no such model or version). Inline it is called where the codec looks the signature up; for a parse
   * thread it is called first, and an error it throws is raised there at the same point.
   */
  async parse(body: Buffer, signatures: () => SignatureInputs): Promise<JsonPredictRequest> {
    const worker = body.byteLength >= OFF_THREAD_BYTES ? this.pick() : undefined;
    if (!worker) return parsePredictRequest(body, inputSpecLookup(signatures));
    const id = this.nextId++;
    // The body is ours alone when it fills its buffer (Buffer.concat of a large body): move it.
    const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    let specs: SignatureSpecs;
    try {
      specs = { signatures: signatures() };
    } catch (err) {
      const e = toServingError(err);
      specs = { error: { code: e.code, message: e.message } };
    }
    const job: ParseJob = { id, body, specs };
    return new Promise<JsonPredictRequest>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const held = this.jobs.get(worker)!;
      if (held.size === 0) worker.ref(); // a parse in flight keeps the process alive, an idle thread never
      held.add(id);
      worker.postMessage(job, owned ? [body.buffer as ArrayBuffer] : []);
    });
  }

  /** The least busy parse thread, starting one while none is idle and the pool is not full. */
  private pick(): Worker | undefined {
    if (this.disabled) return undefined;
    const load = (w: Worker) => this.jobs.get(w)?.size ?? 0;
    let best: Worker | undefined;
    for (const w of this.workers) if (!best || load(w) < load(best)) best = w;
    if ((!best || load(best) > 0) && this.workers.length < this.size) return this.spawn() ?? best;
    return best;
  }

  private spawn(): Worker | undefined {
    // Under ts-jest the compiled worker does not exist: parse inline there.
    if (!fs.existsSync(WORKER_FILE)) {
      this.disabled = true;
      return undefined;
    }
    const w = new Worker(WORKER_FILE, { name: 'frontend-json' });
    w.on('message', (reply: ParseReply) => {
      const held = this.jobs.get(w);
      held?.delete(reply.id);
      if (held?.size === 0) w.unref();
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if ('error' in reply) p.reject(new ServingError(reply.error.code, reply.error.message));
      else p.resolve({ signatureName: reply.ok.signatureName, format: reply.ok.format, inputs: fromWire(reply.ok.inputs) });
    });
    w.on('error', (err) => {
      // A parse thread that dies fails only what it held; the next large body starts another.
      log.error(`REST JSON parse thread failed: ${err.message}`);
      this.forget(w, err.message);
    });
    w.on('exit', () => this.forget(w, 'REST JSON parse thread exited'));
    // After the listeners, which ref it: an idle parse thread never keeps the process alive.
    w.unref();
    this.workers.push(w);
    this.jobs.set(w, new Set());
    return w;
  }

  private forget(w: Worker, why: string): void {
    const held = this.jobs.get(w);
    if (!held) return;
    this.jobs.delete(w);
    this.workers.splice(this.workers.indexOf(w), 1);
    for (const id of held) {
      const p = this.pending.get(id);
      this.pending.delete(id);
      p?.reject(new ServingError(Code.UNAVAILABLE, why));
    }
  }
}

/** String tensors unpacked as views into their one buffer (no copy). */
function fromWire(wire: Map<string, WireTensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [alias, t] of wire) {
    if ('packed' in t) {
      const { data, offsets } = t.packed;
      const strings = Array.from({ length: offsets.length - 1 }, (_, i) => data.subarray(offsets[i], offsets[i + 1]));
      out.set(alias, { dtype: DataType.DT_STRING, shape: t.shape, strings });
    } else {
      out.set(alias, t);
    }
  }
  return out;
}
