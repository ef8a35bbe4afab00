import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { TfLiteSession, TfLiteSessionOptions } from '../../runtime/tflite/tflite-session';
import { Tensor } from '../../tensor/tensor';
import { LoadedServable } from '../loaded-servable';
import { TfLiteSignatures, tfliteSignatures } from './tflite-signatures';

/** The file TF Serving loads from a version folder when it prefers TFLite. */
export const TFLITE_MODEL_FILE = 'model.tflite';

/** One loaded `model.tflite` version: its interpreters and the signatures derived from the model. */
export class TfLiteServable extends LoadedServable {
  private constructor(
    exportDir: string,
    private readonly session: TfLiteSession,
    meta: TfLiteSignatures,
  ) {
    super(exportDir, meta);
  }

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

  protected runSession(feedNames: string[], feeds: Tensor[], fetchNames: string[]): Promise<Tensor[]> {
    return this.session.run(feedNames, feeds, fetchNames);
  }

  protected closeSession(): void {
    this.session.close();
  }
}
