import { ServingError } from '../errors/serving-error';
import { ServableManager } from '../lifecycle/manager';
import { VersionStatus } from '../lifecycle/servable-state';
import { RunContext, Servable, Signature } from '../lifecycle/servable';
import { runRefusal } from '../loaders/loaded-servable';
import { Tensor, isStringTensor } from '../tensor/tensor';
import { ThreadRpc } from './thread-rpc';
import { ControlCalls, ControlNotes, ModelsNote, PublishedVersion, ThreadCalls, ThreadNotes } from './planes';

export type ThreadSide = ThreadRpc<ThreadCalls, ThreadNotes, ControlCalls, ControlNotes>;

/** Where a remote version's runs are sent: the control plane, or the batching thread. */
export type RunSender = (
  feedNames: string[],
  feeds: Tensor[],
  fetchNames: string[],
  deadlineMs: number | undefined,
  transfer: ArrayBuffer[],
  signal: AbortSignal | undefined,
) => Promise<Tensor[]>;

/** Runs sent to the control plane, which loaded the version (TFLite). */
export const controlPlaneSender =
  (rpc: ThreadSide, name: string, version: number): RunSender =>
  (feedNames, feeds, fetchNames, deadlineMs, transfer, signal) =>
    rpc.call('run', { name, version, feedNames, feeds, fetchNames, deadlineMs }, transfer, signal);

/**
 * A version whose runs happen on another thread (the batching thread's queues, shared by every front-end
 * thread; a TFLite version's interpreters on the control plane): each run is sent there and its outputs
 * come back. Feeds are copied once into buffers of their own, which move across without a second copy.
 */
export class RemoteServable implements Servable {
  constructor(
    private readonly v: PublishedVersion,
    private readonly send: RunSender,
  ) {}

  get signatures(): ReadonlyMap<string, Signature> {
    return this.v.signatures;
  }

  get rawSignatureDefEntries(): readonly Uint8Array[] {
    return this.v.rawSignatureDefEntries;
  }

  run(feedNames: string[], feeds: Tensor[], fetchNames: string[], ctx?: RunContext): Promise<Tensor[]> {
    const refused = runRefusal(this.v.exportDir, false, ctx);
    if (refused) return Promise.reject(refused);
    const transfer: ArrayBuffer[] = [];
    const owned = feeds.map((t): Tensor => {
      if (isStringTensor(t)) return t;
      const bytes = t.bytes.slice();
      transfer.push(bytes.buffer);
      return { dtype: t.dtype, shape: t.shape, bytes };
    });
    // The client leaving reaches the thread that runs the request (a batch drops it, a queued run never starts).
    return this.send(feedNames, owned, fetchNames, ctx?.deadlineMs, transfer, ctx?.signal);
  }

  async unload(): Promise<void> {
    // The control plane owns the version; this thread only stops using it.
  }
}

/** A manager whose status answers are the control plane's (every version, failed and ended ones too). */
class ReplicaManager extends ServableManager<Servable> {
  statusTable = new Map<string, readonly VersionStatus[]>();
  sourceErrorTable = new Map<string, ServingError>();

  statuses(name: string): VersionStatus[] | undefined {
    const s = this.statusTable.get(name);
    return s ? [...s] : undefined;
  }

  sourceError(name: string): ServingError | undefined {
    return this.sourceErrorTable.get(name);
  }
}

/**
 * A front-end thread's copy of the serving table: a ServableManager holding the versions the control
 * plane published, so the protocol-neutral core resolves versions, labels and "not found" exactly as on
 * the main thread. A removed version is let go once this thread's requests on it have finished.
 */
export class ServableReplica {
  private names: readonly string[] = [];
  private readonly manager: ReplicaManager;
  /** Told of every models note after the replica has taken it in. */
  onModels?: (m: ModelsNote) => void;

  constructor(
    opts: { unavailableUntilFirstLoad: boolean },
    private readonly rpc: ThreadSide,
    /** How this thread runs a published version. */
    private readonly open: (v: PublishedVersion) => Servable,
  ) {
    this.manager = new ReplicaManager(opts);
    rpc.onNote('add', (v) => this.add(v));
    rpc.onNote('remove', ({ name, version }) => this.remove(name, version));
    rpc.onNote('models', (m) => this.setModels(m));
  }

  get servables(): ServableManager<Servable> {
    return this.manager;
  }

  /** Models in the config, for GET /v1/models. */
  modelNames(): readonly string[] {
    return this.names;
  }

  private add(v: PublishedVersion): void {
    // load() settles within this turn's microtasks: the version serves before the next message is read.
    // A session closed meanwhile (NOT_FOUND) leaves the version ended here; its removal follows.
    this.manager.load(v.name, v.version, async () => this.open(v)).catch(() => undefined);
  }

  private remove(name: string, version: number): void {
    void this.manager.unload(name, version).finally(() => this.rpc.note('released', { name, version }));
  }

  private setModels(m: ModelsNote): void {
    this.names = m.configured;
    for (const name of m.names) this.manager.addModel(name);
    for (const [name, labels] of m.labels) this.manager.setLabels(name, new Map(labels));
    this.manager.statusTable = new Map(m.statuses);
    this.manager.sourceErrorTable = new Map(m.sourceErrors.map(([name, e]) => [name, new ServingError(e.code, e.message)]));
    this.onModels?.(m);
  }
}
