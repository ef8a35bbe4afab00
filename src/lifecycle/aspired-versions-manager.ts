import { EventEmitter } from 'node:events';
import { toServingError } from '../errors/serving-error';
import { log } from '../log/logger';
import { VersionView, availabilityPreservingActions } from './availability-policy';
import { ServableManager, Unloadable } from './manager';
import { withRetries } from './retry';
import { ServableId, VersionState, servableIdString } from './servable-state';
import { AspiredVersion } from './source';

/** Loads one version from its folder; throws with TensorFlow's message when the folder is broken. */
export type VersionLoader<T> = (id: ServableId, dir: string) => Promise<T>;

export interface AspiredVersionsManagerOptions {
  readonly maxLoadRetries: number;
  readonly loadRetryIntervalMs: number;
  /** --num_load_threads (0 = one load at a time, as TF Serving's manager thread). */
  readonly loadConcurrency: number;
  /**
   * Loads at once until endInitialLoad(): TF Serving loads the models it starts with on
   * 4 x cores threads (ServerCore's num_initial_load_threads), then uses --num_load_threads.
   */
  readonly initialLoadConcurrency?: number;
}

interface Wanted {
  readonly dir: string;
  readonly fingerprint: string;
}

/** A small counting semaphore whose size can change: bounds concurrent loads. */
class Slots {
  private size: number;
  private taken = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) {
    this.size = Math.max(1, n);
  }
  async acquire(): Promise<void> {
    if (this.taken < this.size) {
      this.taken++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  release(): void {
    this.taken--;
    this.wake();
  }
  /** New size; loads already running finish, later ones wait until fewer than `n` run. */
  resize(n: number): void {
    this.size = Math.max(1, n);
    this.wake();
  }
  private wake(): void {
    while (this.taken < this.size && this.waiting.length > 0) {
      this.taken++;
      this.waiting.shift()!();
    }
  }
}

/**
 * Turns the source's aspired versions into loads and unloads on the ServableManager, one policy
 * decision at a time per model, with TF Serving's retries. Beyond TF Serving, a version whose load
 * failed is tried again once its folder's content changes (someone fixed the copy).
 */
export class AspiredVersionsManager<T extends Unloadable> {
  private readonly wanted = new Map<string, Map<number, Wanted>>();
  private readonly pending = new Set<string>();
  /** Fingerprint of each version's last failed load. */
  private readonly failedAt = new Map<string, string>();
  private readonly slots: Slots;
  /** Fires after every reconciliation, i.e. whenever what is wanted, loading or serving may have moved. */
  private readonly changed = new EventEmitter();

  constructor(
    readonly servables: ServableManager<T>,
    private readonly loader: VersionLoader<T>,
    private readonly opts: AspiredVersionsManagerOptions,
  ) {
    this.slots = new Slots(opts.initialLoadConcurrency ?? opts.loadConcurrency);
  }

  /** Start-up is over: from now on at most --num_load_threads loads at once. */
  endInitialLoad(): void {
    this.slots.resize(this.opts.loadConcurrency);
  }

  /** The source's latest word on a model: exactly these versions should serve. */
  setAspired(name: string, versions: readonly AspiredVersion[]): void {
    this.servables.addModel(name);
    this.wanted.set(name, new Map(versions.map((v) => [v.version, { dir: v.dir, fingerprint: v.fingerprint }])));
    this.reconcile(name);
  }

  /** Forgets a model entirely: its versions unload (after draining). */
  removeModel(name: string): void {
    this.setAspired(name, []);
  }

  private key = (name: string, version: number): string => `${name}\0${version}`;

  private views(name: string): VersionView[] {
    const wanted = this.wanted.get(name) ?? new Map<number, Wanted>();
    const byVersion = new Map<number, VersionView>();
    for (const s of this.servables.statuses(name) ?? []) {
      const w = wanted.get(s.version);
      let state = s.state;
      // An ended version that is wanted again loads afresh; a failed one only if its folder changed.
      if (state === VersionState.END && w && (!s.error || this.failedAt.get(this.key(name, s.version)) !== w.fingerprint)) {
        state = VersionState.START;
      }
      byVersion.set(s.version, { version: s.version, state, aspired: !!w, pendingLoad: this.pending.has(this.key(name, s.version)) });
    }
    for (const version of wanted.keys()) {
      if (!byVersion.has(version)) {
        byVersion.set(version, { version, state: VersionState.START, aspired: true, pendingLoad: this.pending.has(this.key(name, version)) });
      }
    }
    return [...byVersion.values()];
  }

  private reconcile(name: string): void {
    const actions = availabilityPreservingActions(this.views(name));
    for (const version of actions.unload) void this.unload(name, version);
    for (const version of actions.load) void this.load(name, version);
    this.changed.emit('changed');
  }

  private isWanted(name: string, version: number): boolean {
    return this.wanted.get(name)?.has(version) ?? false;
  }

  private async load(name: string, version: number): Promise<void> {
    const w = this.wanted.get(name)?.get(version);
    if (!w) return;
    const key = this.key(name, version);
    this.pending.add(key);
    const id = { name, version };
    try {
      await this.slots.acquire();
      try {
        if (!this.isWanted(name, version)) return;
        log.info(`Loading servable version ${servableIdString(id)} from ${w.dir}`);
        await this.servables.load(name, version, () =>
          withRetries(() => this.loader(id, w.dir), {
            retries: this.opts.maxLoadRetries,
            intervalMs: this.opts.loadRetryIntervalMs,
            shouldStop: () => !this.isWanted(name, version),
            onRetry: (err, n) =>
              log.warn(`Loading servable: ${servableIdString(id)} failed: ${toServingError(err).message}; retry ${n} of ${this.opts.maxLoadRetries}`),
          }),
        );
        this.failedAt.delete(key);
      } finally {
        this.slots.release();
      }
    } catch (err) {
      this.failedAt.set(key, w.fingerprint);
      log.error(`Loading servable: ${servableIdString(id)} failed: ${toServingError(err).message}`);
    } finally {
      this.pending.delete(key);
      this.reconcile(name);
    }
  }

  private async unload(name: string, version: number): Promise<void> {
    log.info(`Unloading servable version ${servableIdString({ name, version })}`);
    try {
      await this.servables.unload(name, version);
    } catch (err) {
      log.error(`Unloading servable ${servableIdString({ name, version })} failed: ${toServingError(err).message}`);
    }
    this.reconcile(name);
  }

  /**
   * Resolves once every version each model wants has either loaded or failed for good. The result
   * lists, in TF Serving's words, the failures of models left with no version serving. A model with no
   * version folder yet keeps it waiting, as in TF Serving. (TF Serving waits only for each model's
   * latest version, so with an `all` or `specific` policy its ports open while older versions load.)
   */
  waitUntilSettled(names: readonly string[]): Promise<string[]> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const failures: string[] = [];
        for (const name of names) {
          const wanted = [...(this.wanted.get(name)?.keys() ?? [])];
          if (wanted.length === 0) return false;
          const statuses = this.servables.statuses(name) ?? [];
          const modelFailures: string[] = [];
          for (const version of wanted) {
            const s = statuses.find((x) => x.version === version);
            if (this.pending.has(this.key(name, version)) || !s) return false;
            if (s.state === VersionState.AVAILABLE) continue;
            if (s.state !== VersionState.END || !s.error) return false;
            modelFailures.push(`${servableIdString({ name, version })} due to error: ${s.error.message}`);
          }
          if (this.servables.availableVersions(name).length === 0) failures.push(...modelFailures);
        }
        this.changed.off('changed', onChange);
        resolve(failures);
        return true;
      };
      const onChange = () => void check();
      this.changed.on('changed', onChange);
      check();
    });
  }
}
