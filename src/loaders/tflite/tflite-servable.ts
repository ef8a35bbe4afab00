import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { RunContext, Servable, Signature } from '../../lifecycle/servable';
import { TfLiteSession, TfLiteSessionOptions } from '../../runtime/tflite/tflite-session';
import { Tensor } from '../../tensor/tensor';
import { runRefusal } from '../run-admission';
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
    const refused = runRefusal(this.exportDir, this.unloaded, ctx);
    if (refused) return Promise.reject(refused);
    return this.session.run(feedNames, feeds, fetchNames);
  }

  async unload(): Promise<void> {
    if (this.unloaded) return;
    this.unloaded = true;
    this.session.close();
  }
}
