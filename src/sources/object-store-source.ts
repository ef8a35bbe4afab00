import { EventEmitter } from 'node:events';
import { ServingError, toServingError } from '../errors/serving-error';
import { aspiredVersions } from '../lifecycle/version-policy';
import { log } from '../log/logger';
import { VersionCache } from './object-store-cache';
import { ObjectStoreClient, objectStoreClient } from './object-store-client';
import { ObjectStoreScheme, ObjectStoreUri, folderPrefix, parseObjectStoreUri } from './object-store-uri';
import { AspiredVersion, ModelSource, SourceModel } from '../lifecycle/source';
import { SeenVersion, VersionObjects, groupVersions, isVersionComplete } from './version-objects';

/** How long stop() waits for looks in progress before removing the cache. */
const STOP_WAIT_MS = 2000;

export interface ObjectStoreSourceOptions {
  /** --file_system_poll_wait_seconds: 0 looks once at start, negative never looks on a timer. */
  readonly pollWaitSeconds: number;
  /** --version_settle_ms: how long a version's listing must stay unchanged before it counts as complete. */
  readonly settleMs: number;
  /** The provider's client; the official SDK adapters unless a caller passes its own. */
  readonly clientFor?: (scheme: ObjectStoreScheme) => Promise<ObjectStoreClient>;
}

interface Watched {
  model: SourceModel;
  readonly uri: ObjectStoreUri;
  readonly seen: Map<number, SeenVersion>;
  /** What was last emitted, by version: still served from these local copies. */
  emitted: Map<number, AspiredVersion>;
  lastError?: string;
  /** The last copy error per version, so a copy failing on every poll is logged once. */
  readonly copyErrors: Map<number, string>;
  warnedEmpty: boolean;
  looking?: Promise<void>;
  lookAgain: boolean;
}

/**
 * Versions from gs:// and s3:// base paths. Every look lists the base path, decides which numbered
 * version prefixes are complete (version-objects.ts), downloads the ones the policy wants into the
 * verified local cache (object-store-cache.ts) and emits those local folders. The cache keeps exactly
 * the emitted versions.
 *
 * A version already emitted stays emitted from its local copy while it is still listed, even while
 * its objects are being rewritten or deleted; only a complete listing replaces it. A base path that
 * cannot be listed (store down, wrong credentials, no bucket) emits nothing, so loaded versions keep
 * serving; the error is logged once when it starts and reported through `status`, and its end is
 * logged too.
 */
export class ObjectStoreSource extends EventEmitter implements ModelSource {
  private readonly watched = new Map<string, Watched>();
  private cache: Promise<VersionCache> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly settleTimers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly opts: ObjectStoreSourceOptions) {
    super();
  }

  async setModels(models: readonly SourceModel[]): Promise<void> {
    const next = new Map(models.map((m) => [m.name, m]));
    for (const [name, w] of this.watched) {
      const m = next.get(name);
      if (m && m.basePath === w.model.basePath) continue;
      this.watched.delete(name);
      if (!m) {
        this.emit('aspired', name, []);
        this.emit('status', name, undefined);
        if (this.cache) await (await this.cache).retain(name, new Set());
      }
    }
    for (const m of models) {
      const uri = parseObjectStoreUri(m.basePath);
      if (!uri) throw new Error(`not an object-store base path: ${m.basePath}`);
      const w = this.watched.get(m.name);
      if (w) w.model = m; // a new policy; the same base path
      else this.watched.set(m.name, { model: m, uri, seen: new Map(), emitted: new Map(), copyErrors: new Map(), warnedEmpty: false, lookAgain: false });
    }
    await Promise.all(models.map((m) => this.look(m.name)));
  }

  start(): void {
    if (this.opts.pollWaitSeconds > 0) {
      this.timer = setInterval(() => {
        for (const name of this.watched.keys()) void this.look(name);
      }, this.opts.pollWaitSeconds * 1000);
      // Not unref'd: like the file-system source's watcher, polling keeps the process alive while
      // models load, before any port is open (stop() clears it).
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.settleTimers) clearTimeout(t);
    // A look stuck on an unreachable store must not hold up shutdown for long.
    const looks = Promise.all([...this.watched.values()].map((w) => w.looking));
    await Promise.race([looks, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
    if (this.cache) await (await this.cache).destroy();
  }

  /** One look at a model; a look requested while one runs folds into one more afterwards. */
  private look(name: string): Promise<void> {
    const w = this.watched.get(name);
    if (!w || this.stopped) return Promise.resolve();
    if (w.looking) {
      w.lookAgain = true;
      return w.looking;
    }
    const run = (async () => {
      do {
        w.lookAgain = false;
        await this.lookOnce(w).catch((err: unknown) => log.error(`Object-store source: ${toServingError(err).toString()}`));
      } while (w.lookAgain && !this.stopped && this.watched.get(name) === w);
    })().finally(() => (w.looking = undefined));
    w.looking = run;
    return run;
  }

  private async lookOnce(w: Watched): Promise<void> {
    const { model, uri } = w;
    const client = await (this.opts.clientFor ?? objectStoreClient)(uri.scheme);
    let groups: VersionObjects[];
    try {
      groups = groupVersions(folderPrefix(uri), await client.list(uri.bucket, folderPrefix(uri)));
    } catch (err) {
      this.reportError(w, toServingError(err));
      return;
    }
    if (w.lastError !== undefined) {
      log.info(`Base path ${model.basePath} for servable ${model.name} is readable again`);
      w.lastError = undefined;
      this.emit('status', model.name, undefined);
    }
    const now = Date.now();
    const complete = new Map<number, VersionObjects>();
    for (const g of groups) {
      const before = w.seen.get(g.version);
      const seen: SeenVersion =
        before?.fingerprint === g.snapshot.fingerprint
          ? { ...before, firstLook: false }
          : { fingerprint: g.snapshot.fingerprint, sinceMs: now, firstLook: before === undefined };
      w.seen.set(g.version, seen);
      if (isVersionComplete(g.snapshot, seen, now, this.opts.settleMs)) complete.set(g.version, g);
      else if (g.snapshot.hasSavedModel) this.lookAfter(model.name, seen.sinceMs + this.opts.settleMs - now);
    }
    const listed = new Set(groups.map((g) => g.version));
    for (const v of [...w.seen.keys()]) if (!listed.has(v)) w.seen.delete(v);
    if (groups.length > 0) w.warnedEmpty = false;
    else if (!w.warnedEmpty) {
      w.warnedEmpty = true;
      log.warn(`No versions of servable ${model.name} found under base path ${model.basePath}. Did you forget to name your leaf directory as a number (eg. '/1/')?`);
    }

    // Candidates: complete versions, and versions still listed that are served from their local copy.
    const candidates = new Set([...complete.keys(), ...[...w.emitted.keys()].filter((v) => listed.has(v))]);
    const wanted = aspiredVersions(model.versionPolicy, [...candidates]);
    const cache = await (this.cache ??= VersionCache.create());
    const next: AspiredVersion[] = [];
    let copyFailed = false;
    for (const version of wanted.sort((a, b) => a - b)) {
      const g = complete.get(version);
      const old = w.emitted.get(version);
      if (g && g.snapshot.fingerprint !== old?.fingerprint) {
        try {
          const dir = await cache.fetch(model.name, version, g.snapshot.fingerprint, g.objects, (key, etag) =>
            client.read(uri.bucket, key, etag),
          );
          next.push({ version, dir, fingerprint: g.snapshot.fingerprint });
          continue;
        } catch (err) {
          const message = `Could not copy version ${version} of servable ${model.name} from ${model.basePath}: ${toServingError(err).toString()}`;
          if (w.copyErrors.get(version) !== message) log.error(message);
          w.copyErrors.set(version, message);
          copyFailed = true;
        }
      }
      if (old) next.push(old);
    }
    // A version that could not be copied must not push out what serves now (the policy chose it over
    // them): emit nothing, and try again on the next look.
    if (copyFailed || this.stopped || this.watched.get(model.name) !== w) return;
    w.copyErrors.clear();
    w.emitted = new Map(next.map((v) => [v.version, v]));
    this.emit('aspired', model.name, next);
    await cache.retain(model.name, new Set(next.map((v) => v.dir)));
  }

  private reportError(w: Watched, err: ServingError): void {
    const message = `FileSystemStoragePathSource encountered a filesystem access error: Could not find base path ${w.model.basePath} for servable ${w.model.name} with error ${err.toString()}`;
    if (message !== w.lastError) log.error(message);
    w.lastError = message;
    this.emit('status', w.model.name, new ServingError(err.code, message));
  }

  /** A version is settling: look again when it may be complete, without waiting for the poll. */
  private lookAfter(name: string, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.settleTimers.delete(t);
      void this.look(name);
    }, Math.max(50, ms + 10));
    t.unref();
    this.settleTimers.add(t);
  }
}
