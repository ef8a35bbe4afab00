import { EventEmitter } from 'node:events';
import { FSWatcher, watch } from 'chokidar';
import { log } from '../log/logger';
import { FolderSnapshot, isSettled, snapshotFolder } from './folder-snapshot';
import { scanVersionDirs } from './version-dirs';
import { aspiredVersions } from '../lifecycle/version-policy';
import { AspiredVersion, ModelSource, SourceModel } from '../lifecycle/source';

export interface FileSystemSourceOptions {
  /**
   * --file_system_poll_wait_seconds: positive polls on that period and watches; 0 scans once at start
   * (and when the config changes) and never again, as TF Serving; negative never scans on a timer.
   */
  readonly pollWaitSeconds: number;
  /** How long a version folder must stay unchanged before it counts as complete. */
  readonly settleMs: number;
}

interface Tracked {
  snapshot: FolderSnapshot;
  /**
   * The fingerprint the folder had when it first settled (then each later time it settled again).
   * Set once, it stays set while the folder exists: a served version is never withdrawn because its
   * files' metadata changed (`chmod -R`, `chown -R`, `touch`, a backup tool, Kubernetes' fsGroup walk).
   */
  settled?: string;
}

/**
 * Watches each model's base path and emits `aspired` (model name, versions) after every scan: the
 * versions to serve, per the model's policy, among the folders that are complete. A version left out
 * of an emission is one the manager should unload (once something else can serve).
 *
 * Scans run on a timer (TF Serving's polling, which also covers network file systems where events
 * are missed) and promptly after chokidar reports a change. A base path that cannot be read emits
 * nothing, so whatever is serving keeps serving; a readable base path with no complete version emits
 * an empty list, as TF Serving does.
 */
export class FileSystemSource extends EventEmitter implements ModelSource {
  private models = new Map<string, SourceModel>();
  private readonly tracked = new Map<string, Map<number, Tracked>>();
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private scanning: Promise<void> | undefined;
  private rescanRequested = false;
  private debounce: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Models already warned about having no version folder (warn once, not every poll). */
  private readonly warnedEmpty = new Set<string>();
  /**
   * With --file_system_poll_wait_seconds=0 (look once), the versions each model had at that look: only
   * they may still settle and load; folders added later are ignored, as TF Serving ignores them.
   */
  private readonly lookedOnce = new Map<string, ReadonlySet<number>>();

  constructor(private readonly opts: FileSystemSourceOptions) {
    super();
  }

  /** Replaces the set of watched models (config reload) and scans at once. */
  async setModels(models: readonly SourceModel[]): Promise<void> {
    const next = new Map(models.map((m) => [m.name, m]));
    for (const name of this.models.keys()) {
      if (!next.has(name)) {
        this.tracked.delete(name);
        this.emit('aspired', name, []);
      }
    }
    this.models = next;
    this.lookedOnce.clear(); // a config change is a new look
    this.rewatch();
    await this.scanNow();
  }

  start(): void {
    if (this.opts.pollWaitSeconds > 0) {
      this.timer = setInterval(() => void this.scanNow(), this.opts.pollWaitSeconds * 1000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    await this.watcher?.close();
    await this.scanning;
  }

  private rewatch(): void {
    void this.watcher?.close();
    this.watcher = undefined;
    // As TF Serving, 0 means "look once": no watching either, only the scans that finish settling.
    if (this.opts.pollWaitSeconds <= 0 || this.models.size === 0) return;
    const paths = [...this.models.values()].map((m) => m.basePath);
    this.watcher = watch(paths, { ignoreInitial: true, depth: 3, ignorePermissionErrors: true });
    this.watcher.on('all', () => this.scanSoon());
    this.watcher.on('error', (err) => log.warn(`file watcher: ${String(err)}`));
  }

  /** A change was seen: scan shortly, after the burst of events a copy produces. */
  private scanSoon(): void {
    if (this.debounce || this.stopped) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.scanNow();
    }, 100);
    this.debounce.unref();
  }

  /** Runs one scan of every model; concurrent requests fold into one extra scan. */
  scanNow(): Promise<void> {
    if (this.scanning) {
      this.rescanRequested = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescanRequested = false;
        for (const model of [...this.models.values()]) await this.scanModel(model);
      } while (this.rescanRequested && !this.stopped);
    })().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scanModel(model: SourceModel): Promise<void> {
    let dirs;
    try {
      dirs = await scanVersionDirs(model.basePath);
    } catch (err) {
      log.error(
        `FileSystemStoragePathSource encountered a filesystem access error: Could not find base path ${model.basePath} for servable ${model.name} with error ${(err as Error).message}`,
      );
      return;
    }
    if (this.opts.pollWaitSeconds === 0) {
      const first = this.lookedOnce.get(model.name);
      if (first) dirs = dirs.filter((d) => first.has(d.version));
      else this.lookedOnce.set(model.name, new Set(dirs.map((d) => d.version)));
    }
    const seen = this.tracked.get(model.name) ?? new Map<number, Tracked>();
    const now = Date.now();
    const ready: AspiredVersion[] = [];
    const present = new Set<number>();
    for (const { version, dir } of dirs) {
      present.add(version);
      const prev = seen.get(version);
      let snapshot: FolderSnapshot;
      try {
        snapshot = await snapshotFolder(dir);
      } catch {
        // Unreadable mid-scan (a permission walk in progress): a settled version stays; others wait.
        if (prev?.settled) ready.push({ version, dir, fingerprint: prev.settled });
        else this.scanSoonAfter(this.opts.settleMs / 2);
        continue;
      }
      const settledNow = isSettled(snapshot, prev?.snapshot, now, this.opts.settleMs);
      let settled = prev?.settled;
      if (settledNow && settled !== snapshot.fingerprint) {
        if (settled) {
          log.warn(
            `Version ${version} of servable ${model.name} changed on disk after it was complete (${dir}): if loaded, it keeps serving as loaded and is not reloaded`,
          );
        }
        settled = snapshot.fingerprint;
      }
      seen.set(version, { snapshot, settled });
      // Once settled, a version stays a candidate with the content it settled with; a change to its files
      // is looked at again only when it settles too (then a version whose load failed is retried).
      if (settled) ready.push({ version, dir, fingerprint: settled });
      if (!settledNow) this.scanSoonAfter(prev ? this.opts.settleMs / 2 : this.opts.settleMs);
    }
    for (const v of [...seen.keys()]) if (!present.has(v)) seen.delete(v);
    if (dirs.length > 0) this.warnedEmpty.delete(model.name);
    this.tracked.set(model.name, seen);
    if (dirs.length === 0 && !this.warnedEmpty.has(model.name)) {
      this.warnedEmpty.add(model.name);
      log.warn(
        `No versions of servable ${model.name} found under base path ${model.basePath}. Did you forget to name your leaf directory as a number (eg. '/1/')?`,
      );
    }
    const wanted = new Set(aspiredVersions(model.versionPolicy, ready.map((r) => r.version)));
    if (!this.models.has(model.name) || this.stopped) return;
    this.emit('aspired', model.name, ready.filter((r) => wanted.has(r.version)));
  }

  /** A folder is still settling: look again when it may be complete, even without a poll or event. */
  private scanSoonAfter(ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => void this.scanNow(), Math.max(50, ms));
    t.unref();
  }
}
