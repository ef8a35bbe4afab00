import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ServingError } from '../../errors/serving-error';
import { Code } from '../../errors/status-code';
import { RunContext } from '../../lifecycle/servable';
import { Tensor } from '../../tensor/tensor';
import { WireTensor, fromWire, toWire } from './wire-tensor';
import { WorkerReply, WorkerRequest } from './worker-protocol';

type Pending = { resolve: (r: WorkerReply & { ok: true }) => void; reject: (e: Error) => void };
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/** Prefixes tfjs-node's binding puts before TensorFlow's own status message. */
const BINDING_PREFIXES = /^(Session fail to run with error: |Failed to load SavedModel: )/;

/** A failure reported by TensorFlow itself (load or run), with TensorFlow's message as TF Serving shows it. */
export class TensorFlowError extends Error {
  constructor(message: string) {
    super(message.replace(BINDING_PREFIXES, ''));
    this.name = 'TensorFlowError';
  }
}

/**
 * Main-thread handle on the inference worker. Calls are asynchronous; the worker runs them in order,
 * while TensorFlow's own thread pools parallelise inside each run.
 */
export class TfWorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failed: Error | undefined;

  constructor() {
    this.worker = new Worker(path.join(__dirname, 'inference-worker.js'));
    this.worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) p.resolve(reply);
      else if (reply.deadlineExceeded) p.reject(new ServingError(Code.DEADLINE_EXCEEDED, reply.message));
      else if (reply.cancelled) p.reject(new ServingError(Code.CANCELLED, reply.message));
      else p.reject(new TensorFlowError(reply.message));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`inference worker exited with code ${code}`)));
    // An idle worker must not keep the process alive; one with calls in flight must (see call()).
    this.worker.unref();
  }

  private failAll(err: Error): void {
    this.failed = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call(body: RequestBody, transfer: ArrayBuffer[] = []): Promise<WorkerReply & { ok: true }> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...body, id } as WorkerRequest, [...new Set(transfer)]);
    });
  }

  async load(dir: string, tags: string[]): Promise<number> {
    const r = await this.call({ op: 'load', dir, tags });
    return r.sessionId as number;
  }

  async unload(sessionId: number): Promise<void> {
    await this.call({ op: 'unload', sessionId });
  }

  /**
   * Runs in the worker. Runs queue in the worker (so it never idles between them); a run whose
   * deadline passed or whose client left while it waited there is skipped by the worker, which reads
   * the deadline and a shared cancellation flag just before running it.
   */
  async run(sessionId: number, feeds: Tensor[], feedNames: string[], fetchNames: string[], ctx?: RunContext): Promise<Tensor[]> {
    const transfer: ArrayBuffer[] = [];
    const wire: WireTensor[] = feeds.map((t) => toWire(t, transfer));
    let cancelled: Int32Array | undefined;
    let onAbort: (() => void) | undefined;
    const signal = ctx?.signal;
    if (signal) {
      const flag = new Int32Array(new SharedArrayBuffer(4));
      cancelled = flag;
      onAbort = () => Atomics.store(flag, 0, 1);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    try {
      const r = await this.call({ op: 'run', sessionId, feeds: wire, feedNames, fetchNames, deadlineMs: ctx?.deadlineMs, cancelled }, transfer);
      return (r.outputs ?? []).map(fromWire);
    } finally {
      if (signal && onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  async stats(): Promise<{ tensors: number; savedModels: number }> {
    return (await this.call({ op: 'stats' })).stats ?? { tensors: -1, savedModels: -1 };
  }

  async tensorflowVersion(): Promise<string> {
    return (await this.call({ op: 'version' })).version ?? 'unknown';
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
