import { RunContext } from '../../lifecycle/servable';
import { Tensor } from '../../tensor/tensor';
import { LoadedServable } from '../loaded-servable';
import { TensorFlowRuntime } from '../../runtime/tensorflow/tensorflow-runtime';
import { TfSession } from '../../runtime/tensorflow/tf-session';
import { loadAddon } from '../../runtime/tensorflow/native-addon';
import { SavedModelSignatures, hasBinarySavedModel, readSignatures, signaturesOfMetaGraph } from './saved-model-reader';

/** One loaded SavedModel version: its TensorFlow session and its signatures; runs on it proceed concurrently. */
export class SavedModelServable extends LoadedServable {
  private constructor(
    exportDir: string,
    private readonly session: TfSession,
    meta: SavedModelSignatures,
  ) {
    super(exportDir, meta);
  }

  /** Loads through TensorFlow first, so a broken folder fails with TensorFlow's own code and message. */
  static async load(exportDir: string, tags: string[], runtime = TensorFlowRuntime.default()): Promise<SavedModelServable> {
    // saved_model.pb is read for its signature entries byte for byte as stored; a text SavedModel
    // (saved_model.pbtxt) has no such bytes, so TensorFlow's parsed MetaGraphDef stands in, and is
    // dropped once read (it holds the whole graph, constants included).
    const binary = await hasBinarySavedModel(exportDir);
    const { session, metaGraphDef } = await runtime.loadSavedModel(exportDir, tags, { metaGraphDef: !binary });
    try {
      const meta = metaGraphDef ? signaturesOfMetaGraph(metaGraphDef) : await readSignatures(exportDir, tags);
      return new SavedModelServable(exportDir, session, meta);
    } catch (err) {
      await session.close();
      throw err;
    }
  }

  /** A process-wide id by which a front-end thread runs this version's session (sessions load once). */
  shareSession(): number {
    return this.session.share();
  }

  /**
   * A front-end thread's view of a version the control plane loaded: same signatures, runs on the shared
   * session; unloading it only lets go of this thread's handle.
   */
  static openShared(exportDir: string, id: number, meta: SavedModelSignatures): SavedModelServable {
    return new SavedModelServable(exportDir, TfSession.openShared(loadAddon(), id), meta);
  }

  protected runSession(feedNames: string[], feeds: Tensor[], fetchNames: string[], ctx?: RunContext): Promise<Tensor[]> {
    return this.session.run(feedNames, feeds, fetchNames, runControl(ctx));
  }

  protected closeSession(): Promise<void> {
    return this.session.close();
  }
}

/** The same checks again on the native side, for a run that waits for a thread. */
function runControl(ctx?: RunContext): { cancel?: Int32Array; deadlineMs?: number } | undefined {
  if (!ctx) return undefined;
  let cancel: Int32Array | undefined;
  const signal = ctx.signal;
  if (signal) {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    signal.addEventListener('abort', () => Atomics.store(flag, 0, 1), { once: true });
    cancel = flag;
  }
  return { cancel, deadlineMs: ctx.deadlineMs };
}
