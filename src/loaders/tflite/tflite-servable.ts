import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ServingError } from '../../errors/serving-error';
import { Code } from '../../errors/status-code';
import { RunContext, Servable, Signature } from '../../lifecycle/servable';
import { TfLiteSession, TfLiteSessionOptions } from '../../runtime/tflite/tflite-session';
import { Tensor } from '../../tensor/tensor';
import { TfLiteSignatures, tfliteSignatures } from './tflite-signatures';

/** The file TF Serving loads from a version folder when it prefers TFLite. */
export const TFLITE_MODEL_FILE = 'model.tflite';

/**
 * One loaded `model.tflite` version: its interpreters and the signatures derived from the model.
 * Requests reach it through a manager handle, so it is never unloaded mid-run.
 */
export class TfLiteServable implements Servable {
  private unloaded = false;

  private constructor(
    readonly exportDir: string,
    private readonly session: TfLiteSession,
    private readonly meta: TfLiteSignatures,
  ) {}

  static async load(exportDir: string, opts: TfLiteSessionOptions): Promise<TfLiteServable> {
    const bytes = await fs.readFile(path.join(exportDir, TFLITE_MODEL_FILE));
    const session = await TfLiteSession.create(bytes, opts);
    try {
      return new TfLiteServable(exportDir, session, tfliteSignatures(bytes, session));
    } catch (err) {
      session.close();
      throw err;
    }
  }

  get signatures(): ReadonlyMap<string, Signature> {
    return this.meta.signatures;
  }

  get rawSignatureDefEntries(): readonly Uint8Array[] {
    return this.meta.rawSignatureDefEntries;
  }

  run(feedNames: string[], feeds: Tensor[], fetchNames: string[], ctx?: RunContext): Promise<Tensor[]> {
    if (this.unloaded) return Promise.reject(new Error(`servable at ${this.exportDir} was unloaded`));
    // A client that left, or whose deadline passed, gets nothing from a run: do not start one.
    if (ctx?.signal?.aborted) return Promise.reject(new ServingError(Code.CANCELLED, 'Request was cancelled'));
    if (ctx?.deadlineMs !== undefined && Date.now() >= ctx.deadlineMs) {
      return Promise.reject(new ServingError(Code.DEADLINE_EXCEEDED, 'Deadline Exceeded'));
    }
    return this.session.run(feedNames, feeds, fetchNames);
  }

  async unload(): Promise<void> {
    if (this.unloaded) return;
    this.unloaded = true;
    this.session.close();
  }
}
