import { RunContext, Servable, Signature } from '../../lifecycle/servable';
import { ServingError } from '../../errors/serving-error';
import { Code } from '../../errors/status-code';
import { Tensor } from '../../tensor/tensor';
import { SavedModelSignatures, readSignatures } from './saved-model-reader';
import { TfWorkerClient } from '../../runtime/tensorflow/tf-worker-client';

/**
 * One loaded SavedModel version: its TensorFlow session, owned by a worker thread of its own, and its
 * signatures. Requests reach it through a manager handle, so it is never unloaded mid-run.
 *
 * A worker per version means a version being loaded (which can take seconds of TensorFlow work) never
 * delays requests to the versions already serving, versions of different models run in parallel, and
 * unloading a version ends its thread, returning its memory.
 */
export class SavedModelServable implements Servable {
  private unloaded = false;

  private constructor(
    readonly exportDir: string,
    private readonly sessionId: number,
    readonly meta: SavedModelSignatures,
    private readonly worker: TfWorkerClient,
  ) {}

  /** Loads through TensorFlow first, so a broken folder fails with TensorFlow's own message. */
  static async load(exportDir: string, tags: string[]): Promise<SavedModelServable> {
    const worker = new TfWorkerClient();
    try {
      const sessionId = await worker.load(exportDir, tags);
      const meta = await readSignatures(exportDir, tags);
      return new SavedModelServable(exportDir, sessionId, meta, worker);
    } catch (err) {
      await worker.close();
      throw err;
    }
  }

  /** Live tensors and sessions in this version's worker (leak checks). */
  stats(): Promise<{ tensors: number; savedModels: number }> {
    return this.worker.stats();
  }

  get signatures(): ReadonlyMap<string, Signature> {
    return this.meta.signatures;
  }

  get rawSignatureDefEntries(): readonly Uint8Array[] {
    return this.meta.rawSignatureDefEntries;
  }

  /** Feeds graph tensors by name and fetches graph tensors by name. */
  run(feedNames: string[], feeds: Tensor[], fetchNames: string[], ctx?: RunContext): Promise<Tensor[]> {
    if (this.unloaded) return Promise.reject(new Error(`servable at ${this.exportDir} was unloaded`));
    // A client that left, or whose deadline passed, gets nothing from a run: do not start one.
    if (ctx?.signal?.aborted) return Promise.reject(new ServingError(Code.CANCELLED, 'Request was cancelled'));
    if (ctx?.deadlineMs !== undefined && Date.now() >= ctx.deadlineMs) {
      return Promise.reject(new ServingError(Code.DEADLINE_EXCEEDED, 'Deadline Exceeded'));
    }
    return this.worker.run(this.sessionId, feeds, feedNames, fetchNames, ctx);
  }

  async unload(): Promise<void> {
    if (this.unloaded) return;
    this.unloaded = true;
    try {
      await this.worker.unload(this.sessionId);
    } finally {
      await this.worker.close();
    }
  }
}
