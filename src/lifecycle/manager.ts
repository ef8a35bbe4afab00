import { EventEmitter } from 'node:events';
import { ServingError, invalidArgument, notFound, toServingError, unavailable } from '../errors/serving-error';
import { StateEvent, VersionState, VersionStatus } from './servable-state';

/** Anything the manager can hold: it only needs to know how to free it. */
export interface Unloadable {
  unload(): Promise<void>;
}

/** Which version a request wants: the highest available, a number, or a label from the config. */
export interface VersionRequest {
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
}

/**
 * A request's hold on one version. The version is not unloaded until every handle is released, so a
 * request that resolved a version always finishes on it.
 */
export interface ServableHandle<T> {
  readonly servable: T;
  readonly name: string;
  readonly version: number;
  release(): void;
}

/**
 * Ended versions kept per model for GetModelStatus. TF Serving keeps every one forever (its issue
 * #1488); a server that swaps versions for months should not grow without bound.
 */
export const MAX_ENDED_VERSIONS_KEPT = 10;

interface Harness<T> {
  version: number;
  state: VersionState;
  servable?: T;
  error?: ServingError;
  refs: number;
  /** Resolves when refs drops to zero while the version is unloading. */
  onDrained?: () => void;
}

interface ModelEntry<T> {
  versions: Map<number, Harness<T>>;
  labels: Map<string, number>;
}

export interface ServableManagerOptions {
  /**
   * Answer UNAVAILABLE, not NOT_FOUND, for a configured model that has never had a version serving
   * (the server opened its ports before its models loaded, so clients should retry).
   */
  readonly unavailableUntilFirstLoad?: boolean;
}

/**
 * Owns every loaded version of every model, hands out reference-counted handles, and publishes each
 * state change as a `state` event, and label or source-error changes as `models` (model status, metrics
 * and logs listen; the manager knows none of them).
 * Which versions should be loaded is decided elsewhere (the version policy); this class carries it out.
 */
export class ServableManager<T extends Unloadable> extends EventEmitter {
  private readonly models = new Map<string, ModelEntry<T>>();
  /** Models that have had at least one version serving. */
  private readonly everServed = new Set<string>();
  /** Why a model's base path cannot be read right now, as its source reported it. */
  private readonly sourceErrors = new Map<string, ServingError>();

  constructor(private readonly opts: ServableManagerOptions = {}) {
    super();
  }

  private entry(name: string): ModelEntry<T> {
    let e = this.models.get(name);
    if (!e) {
      e = { versions: new Map(), labels: new Map() };
      this.models.set(name, e);
    }
    return e;
  }

  private pruneEnded(e: ModelEntry<T>): void {
    const ended = [...e.versions.values()].filter((h) => h.state === VersionState.END).sort((a, b) => a.version - b.version);
    for (const h of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_VERSIONS_KEPT))) e.versions.delete(h.version);
  }

  private publish(name: string, h: Harness<T>): void {
    if (h.state === VersionState.END) {
      const e = this.models.get(name);
      if (e) this.pruneEnded(e);
    }
    const event: StateEvent = {
      name,
      version: h.version,
      state: h.state,
      error: h.error ? { code: h.error.code, message: h.error.message } : undefined,
    };
    this.emit('state', event);
  }

  /** Registers a model name so status calls know it even before any version loads. */
  addModel(name: string): void {
    this.entry(name);
  }

  modelNames(): string[] {
    return [...this.models.keys()];
  }

  /**
   * Loads one version. The version becomes AVAILABLE only after `load` resolves; a failure leaves it
   * in END with the error, and never touches other versions.
   */
  async load(name: string, version: number, load: () => Promise<T>): Promise<void> {
    const e = this.entry(name);
    const h: Harness<T> = { version, state: VersionState.START, refs: 0 };
    e.versions.set(version, h);
    this.publish(name, h);
    h.state = VersionState.LOADING;
    this.publish(name, h);
    try {
      h.servable = await load();
      h.state = VersionState.AVAILABLE;
      this.everServed.add(name);
    } catch (err) {
      h.error = toServingError(err);
      h.state = VersionState.END;
    }
    this.publish(name, h);
    if (h.error) throw h.error;
  }

  /**
   * Stops new requests from reaching a version, waits for the requests already on it, then frees it.
   */
  async unload(name: string, version: number): Promise<void> {
    const h = this.models.get(name)?.versions.get(version);
    if (!h || h.state !== VersionState.AVAILABLE) return;
    h.state = VersionState.UNLOADING;
    this.publish(name, h);
    if (h.refs > 0) await new Promise<void>((resolve) => (h.onDrained = resolve));
    try {
      await h.servable?.unload();
    } finally {
      h.servable = undefined;
      h.state = VersionState.END;
      this.publish(name, h);
    }
  }

  /** Unloads every version of every model (shutdown). */
  async unloadAll(): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const [name, e] of this.models) for (const v of e.versions.keys()) jobs.push(this.unload(name, v));
    await Promise.all(jobs);
  }

  /** The source's word on a model's base path: an error while it cannot be read, undefined once it can. */
  setSourceError(name: string, error: ServingError | undefined): void {
    if (error) this.sourceErrors.set(name, error);
    else this.sourceErrors.delete(name);
    this.emit('models', name);
  }

  sourceError(name: string): ServingError | undefined {
    return this.sourceErrors.get(name);
  }

  setLabels(name: string, labels: ReadonlyMap<string, number>): void {
    this.entry(name).labels = new Map(labels);
    this.emit('models', name);
  }

  labels(name: string): ReadonlyMap<string, number> {
    return this.models.get(name)?.labels ?? new Map();
  }

  /** Versions currently serving, highest first. */
  availableVersions(name: string): number[] {
    const e = this.models.get(name);
    if (!e) return [];
    return [...e.versions.values()]
      .filter((h) => h.state === VersionState.AVAILABLE)
      .map((h) => h.version)
      .sort((a, b) => b - a);
  }

  /**
   * Resolves a request to a serving version and takes a handle on it, with TF Serving's errors:
   * NOT_FOUND `Servable not found for request: Latest(m)` / `Specific(m, v)`, and INVALID_ARGUMENT for an
   * unknown label.
   */
  acquire(req: VersionRequest): ServableHandle<T> {
    const e = this.models.get(req.name);
    let version = req.version;
    if (req.label !== undefined) {
      version = e?.labels.get(req.label);
      if (version === undefined) throw invalidArgument(`Unrecognized servable version label: ${req.label}`);
    }
    let h: Harness<T> | undefined;
    if (version === undefined) {
      const latest = this.availableVersions(req.name)[0];
      h = latest === undefined ? undefined : e?.versions.get(latest);
      if (!h) {
        const message = `Servable not found for request: Latest(${req.name})`;
        if (this.opts.unavailableUntilFirstLoad && e && !this.everServed.has(req.name)) throw unavailable(message);
        throw notFound(message);
      }
    } else {
      h = e?.versions.get(version);
      if (!h || h.state !== VersionState.AVAILABLE) throw notFound(`Servable not found for request: Specific(${req.name}, ${version})`);
    }
    const harness = h;
    harness.refs++;
    let released = false;
    return {
      servable: harness.servable as T,
      name: req.name,
      version: harness.version,
      release: () => {
        if (released) return;
        released = true;
        harness.refs--;
        if (harness.refs === 0 && harness.onDrained) {
          const done = harness.onDrained;
          harness.onDrained = undefined;
          done();
        }
      },
    };
  }

  /** Every version the manager has seen for a model, highest first (TF Serving's GetModelStatus order). */
  statuses(name: string): VersionStatus[] | undefined {
    const e = this.models.get(name);
    if (!e) return undefined;
    return [...e.versions.values()]
      .sort((a, b) => b.version - a.version)
      .map((h) => ({
        version: h.version,
        state: h.state,
        error: h.error ? { code: h.error.code, message: h.error.message } : undefined,
      }));
  }
}
