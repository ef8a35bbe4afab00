import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { RunContext, Servable, Signature } from '../lifecycle/servable';
import { Tensor } from '../tensor/tensor';
import { ServableSignatures } from './signature-defs';

/**
 * Why a run must not start, if it must not: its version was unloaded, or its client left or ran out of
 * time (a run that nobody will read is not started).
 */
export function runRefusal(exportDir: string, unloaded: boolean, ctx?: RunContext): ServingError | undefined {
  if (unloaded) return new ServingError(Code.UNAVAILABLE, `servable at ${exportDir} was unloaded`);
  if (ctx?.signal?.aborted) return new ServingError(Code.CANCELLED, 'Request was cancelled');
  if (ctx?.deadlineMs !== undefined && Date.now() >= ctx.deadlineMs) return new ServingError(Code.DEADLINE_EXCEEDED, 'Deadline Exceeded');
  return undefined;
}

/**
 * What every platform's loaded version shares: its signatures, the admission check before a run, and
 * an unload that frees the session once however often it is called. Requests reach it through a
 * manager handle, so it is never unloaded mid-run. A platform supplies only the run and the close.
 */
export abstract class LoadedServable implements Servable {
  private unloaded = false;

  protected constructor(
    readonly exportDir: string,
    private readonly meta: ServableSignatures,
  ) {}

  get signatures(): ReadonlyMap<string, Signature> {
    return this.meta.signatures;
  }

  get rawSignatureDefEntries(): readonly Uint8Array[] {
    return this.meta.rawSignatureDefEntries;
  }

  /** Feeds graph tensors by name and fetches graph tensors by name. */
  run(feedNames: string[], feeds: Tensor[], fetchNames: string[], ctx?: RunContext): Promise<Tensor[]> {
    const refused = runRefusal(this.exportDir, this.unloaded, ctx);
    if (refused) return Promise.reject(refused);
    return this.runSession(feedNames, feeds, fetchNames, ctx);
  }

  async unload(): Promise<void> {
    if (this.unloaded) return;
    this.unloaded = true;
    await this.closeSession();
  }

  protected abstract runSession(feedNames: string[], feeds: Tensor[], fetchNames: string[], ctx?: RunContext): Promise<Tensor[]>;
  protected abstract closeSession(): Promise<void> | void;
}
