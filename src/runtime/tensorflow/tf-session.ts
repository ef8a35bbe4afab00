import { DataType } from '../../tensor/dtype';
import { Tensor, isStringTensor } from '../../tensor/tensor';
import { NativeFeed, NativeOutput, NativeSession, RunControl, TfRuntimeAddon } from './native-addon';
import { tensorflowError } from './tensorflow-error';

/**
 * One loaded SavedModel session. Runs go straight to the addon's native pool (several at once on
 * one session, as TF Serving's Session::Run) and resolve on the event loop; no worker thread, no
 * message hop.
 *
 * Copies (all made on the run thread, none on the event loop): numeric feeds reach TensorFlow in
 * place (a buffer that is not 64-byte aligned is copied once); numeric fetches come back as views
 * over TensorFlow's own memory when TensorFlow owns it alone, else as a copy (a constant's buffer).
 */
export class TfSession {
  private closed = false;

  constructor(
    private readonly addon: TfRuntimeAddon,
    private readonly session: NativeSession,
    /** False for a handle on a session another thread loaded: closing it is that thread's job. */
    private readonly owner = true,
  ) {}

  /** A process-wide id by which another thread can run this session (see openShared); the same id every time. */
  share(): number {
    return this.addon.shareSession(this.session);
  }

  /** This thread's handle on a session another thread loaded and shared; NOT_FOUND once it is closed. */
  static openShared(addon: TfRuntimeAddon, id: number): TfSession {
    try {
      return new TfSession(addon, addon.openSharedSession(id), false);
    } catch (err) {
      throw tensorflowError(err);
    }
  }

  async run(feedNames: string[], feeds: readonly Tensor[], fetchNames: string[], control?: RunControl): Promise<Tensor[]> {
    let outs: NativeOutput[];
    try {
      outs = await this.addon.run(this.session, feeds.map(toFeed), feedNames, fetchNames, control);
    } catch (err) {
      throw tensorflowError(err);
    }
    return outs.map(fromOutput);
  }

  /** Resolves once TensorFlow freed the session; runs already started finish first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owner) await this.addon.closeSession(this.session);
  }
}

function toFeed(t: Tensor): NativeFeed {
  return isStringTensor(t) ? { dtype: t.dtype, shape: t.shape, strings: t.strings } : { dtype: t.dtype, shape: t.shape, data: t.bytes };
}

function fromOutput(o: NativeOutput): Tensor {
  if (o.offsets) {
    const strings: Uint8Array[] = new Array(o.offsets.length - 1);
    for (let i = 0; i + 1 < o.offsets.length; i++) strings[i] = o.data.subarray(o.offsets[i], o.offsets[i + 1]);
    return { dtype: DataType.DT_STRING, shape: o.shape, strings };
  }
  return { dtype: o.dtype as Exclude<DataType, DataType.DT_STRING>, shape: o.shape, bytes: o.data };
}
