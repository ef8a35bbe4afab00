import * as path from 'node:path';
import * as tls from 'node:tls';
import { MessageChannel, MessagePort, Worker } from 'node:worker_threads';
import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { LoggingConfigOptions } from '../config/logging-config';
import { ModelServerConfigOptions } from '../config/model-server-config';
import { RequestLoggersOptions } from '../request-logging/request-loggers';
import { ServableHandle, ServableManager } from '../lifecycle/manager';
import { Servable } from '../lifecycle/servable';
import { StateEvent, VersionState } from '../lifecycle/servable-state';
import { log } from '../log/logger';
import { ServingMetrics } from '../metrics/serving-metrics';
import { FrontEndOptions } from './front-ends';
import { PortGroup, joinPortGroup, openPortGroup } from './listen-socket';
import { BatcherCalls, BatcherNotes, BatchingThreadData, ControlCalls, ControlNotes, FrontEndThreadData, MetricsSnapshot, PublishedVersion, ThreadCalls, ThreadNotes } from './planes';
import { ThreadRpc } from './thread-rpc';

type ControlSide = ThreadRpc<ControlCalls, ControlNotes, ThreadCalls, ThreadNotes>;

/** What the control plane lends the front-end threads. */
export interface ControlPlane {
  readonly servables: ServableManager<Servable>;
  readonly metrics: ServingMetrics;
  ready(): boolean;
  /** Models in the current config. */
  configuredModels(): string[];
  /** Applies a config a client sent (HandleReloadConfigRequest). */
  reload(next: ModelServerConfigOptions): Promise<void>;
  /** Each configured model's logging_config. */
  loggingModels(): ReadonlyArray<{ name: string; logging?: LoggingConfigOptions }>;
  /** Takes a request-log record a thread sampled and encoded. */
  appendLogRecord(model: string, record: Uint8Array): void;
  readonly requestLog: RequestLoggersOptions;
  /** --enable_batching: the batching thread's scheduler settings. */
  readonly batching?: { readonly numBatchThreads: number; readonly threadPoolName: string };
}

interface ThreadLink {
  readonly index: number;
  readonly worker: Worker;
  readonly rpc: ControlSide;
  /** This thread's hold on each version published to it, released when the thread says so. */
  readonly held: Map<string, ServableHandle<Servable>>;
  /** Its last metrics, kept when it dies. */
  metrics: MetricsSnapshot;
}

const THREAD_FILE = path.join(__dirname, 'front-end-thread.js');
const BATCHING_FILE = path.join(__dirname, 'batching-thread.js');
type BatcherSide = ThreadRpc<Record<string, never>, Record<string, never>, BatcherCalls, BatcherNotes>;
const key = (name: string, version: number): string => `${version}@${name}`;
/**
 * TFSERVING_FRONT_END_HEAP_MB (ours): each front-end thread's JavaScript heap limit. A request that needs more
 * ends that thread alone (it is replaced), not the process. Unset: V8's default.
 */
const HEAP_LIMIT_MB = Number(process.env.TFSERVING_FRONT_END_HEAP_MB) > 0 ? Number(process.env.TFSERVING_FRONT_END_HEAP_MB) : undefined;
/** More thread deaths than this within the window stop the server. */
const MAX_RESPAWNS = 5;
const RESPAWN_WINDOW_MS = 60_000;

/** The REST port's sockets, as TF Serving binds it: all interfaces (:: then 0.0.0.0) unless an address is given. */
async function openRestGroup(rest: NonNullable<FrontEndOptions['rest']>, count: number): Promise<PortGroup | undefined> {
  const { bindAddress, port } = rest;
  try {
    // TLS that cannot be set up fails here, as one error, rather than on every thread with the port left bound.
    if (rest.ssl) tls.createSecureContext({ key: rest.ssl.serverKey, cert: rest.ssl.serverCert, ca: rest.ssl.customCa || undefined });
    if (bindAddress) return await openPortGroup(bindAddress, port, count);
    return await openPortGroup('::', port, count).catch(() => openPortGroup('0.0.0.0', port, count));
  } catch (err) {
    log.error(`Failed to start HTTP Server at localhost:${port}: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * The front-end threads, seen from the control plane: starts them on shared ports, keeps each one's
 * serving table in step with the manager, answers what they forward, and stops them gracefully.
 */
export class FrontEndPool {
  private readonly links: ThreadLink[] = [];
  /** The batching thread, when batching is on. */
  private batcher: { worker: Worker; rpc: BatcherSide } | undefined;
  /** Batched versions published with a session, by key: the batching thread forgets them once they end. */
  private readonly batchedSessions = new Map<string, number>();
  private lastReady: boolean | undefined;
  private stopping = false;

  /** The shared ports, for a thread started to replace one that died. */
  private groups: { grpc?: PortGroup; rest?: PortGroup } = {};
  /** Metrics of threads that died, still counted so that totals never go down. */
  private readonly retiredMetrics: MetricsSnapshot[] = [];
  /** When threads died recently: a thread that keeps dying is not restarted for ever. */
  private deaths: number[] = [];

  private constructor(
    private readonly control: ControlPlane,
    private readonly options: Omit<FrontEndOptions, 'thread'>,
    private readonly unavailableUntilFirstLoad: boolean,
  ) {}

  static async start(
    count: number,
    options: Omit<FrontEndOptions, 'thread'>,
    control: ControlPlane,
    unavailableUntilFirstLoad: boolean,
  ): Promise<{ pool: FrontEndPool; grpcPort: number; restPort: number }> {
    const pool = new FrontEndPool(control, options, unavailableUntilFirstLoad);
    const grpcGroup = options.grpc.port !== 0 ? await openPortGroup(options.grpc.bindAddress, options.grpc.port, count) : undefined;
    const restGroup = options.rest ? await openRestGroup(options.rest, count) : undefined;
    pool.groups = { grpc: grpcGroup, rest: restGroup };
    try {
      control.servables.on('state', (e: StateEvent) => pool.onState(e));
      control.servables.on('models', () => pool.broadcastModels());
      control.metrics.peers = () => pool.metricSnapshots();
      const channels = control.batching ? Array.from({ length: count }, () => new MessageChannel()) : [];
      if (control.batching) pool.spawnBatcher(control.batching, channels.map((c) => c.port1));
      for (let i = 0; i < count; i++) {
        pool.links.push(pool.spawn(i, { grpc: grpcGroup?.fds[i], rest: restGroup?.fds[i] }, channels[i]?.port2));
      }
      await Promise.all(pool.links.map((l) => l.rpc.call('listen', undefined)));
    } catch (err) {
      // Start-up fails (and the process exits): threads that listened own their descriptors, so none is
      // closed here twice.
      await pool.terminate();
      throw err;
    }
    return { pool, grpcPort: grpcGroup?.port ?? 0, restPort: restGroup?.port ?? 0 };
  }

  get size(): number {
    return this.links.length;
  }

  private spawnBatcher(settings: { numBatchThreads: number; threadPoolName: string }, ports: MessagePort[]): void {
    const data: BatchingThreadData = { ...settings, ports };
    const worker = new Worker(BATCHING_FILE, { workerData: data, transferList: ports, name: 'batching' });
    worker.on('error', (err) => log.error(`batching thread failed: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => {
      if (this.stopping) return;
      // Batched requests cannot be answered without it, and every front-end thread holds a port to it.
      log.error(`fatal: the batching thread exited (code ${code}); exiting`);
      process.exit(255);
    });
    this.batcher = { worker, rpc: new ThreadRpc(worker) };
  }

  /** Starts front-end thread `index` on its listening sockets (and its port to the batching thread). */
  private spawn(index: number, fds: { grpc?: number; rest?: number }, batchPort: MessagePort | undefined): ThreadLink {
    const o = this.options;
    const data: FrontEndThreadData = {
      index,
      batchPort,
      unavailableUntilFirstLoad: this.unavailableUntilFirstLoad,
      requestLog: this.control.requestLog,
      options: {
        ...o,
        thread: String(index),
        // The Unix socket cannot be shared: the first thread serves it.
        grpc: { ...o.grpc, fd: fds.grpc, socketPath: index === 0 ? o.grpc.socketPath : '' },
        rest: fds.rest !== undefined && o.rest ? { ...o.rest, fd: fds.rest } : undefined,
      },
    };
    const worker = new Worker(THREAD_FILE, {
      workerData: data,
      transferList: batchPort ? [batchPort] : [],
      name: `frontend-${index}`,
      resourceLimits: HEAP_LIMIT_MB ? { maxOldGenerationSizeMb: HEAP_LIMIT_MB } : undefined,
    });
    const rpc: ControlSide = new ThreadRpc(worker);
    const link: ThreadLink = { index, worker, rpc, held: new Map(), metrics: [] };
    rpc.handle('reload', async (next) => ({ value: await this.control.reload(next) }));
    rpc.handle('metricValue', async (name) => ({ value: await this.control.metrics.int64Value(name) }));
    rpc.handle('metricsText', async () => ({ value: await this.control.metrics.text() }));
    rpc.handle('run', async (r, signal) => ({ value: await this.run(link, r, signal) }));
    rpc.onNote('released', ({ name, version }) => this.release(link, key(name, version)));
    rpc.onNote('logRecord', ({ model, record }) => this.control.appendLogRecord(model, record));
    worker.on('error', (err) => log.error(`front-end thread ${index} failed: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => this.lost(link, code));
    // The table as it stands, before the thread opens its ports (notes are read in order).
    this.sendModels(link);
    for (const name of this.control.servables.modelNames()) {
      for (const version of this.control.servables.availableVersions(name).reverse()) this.publish(link, name, version);
    }
    rpc.note('ready', this.control.ready());
    return link;
  }

  /** A run a thread sent here (a TFLite version): on a handle of its own, so the version outlives the run. */
  private async run(link: ThreadLink, r: ControlCalls['run'][0], signal: AbortSignal): Promise<ControlCalls['run'][1]> {
    if (!link.held.has(key(r.name, r.version))) throw new ServingError(Code.UNAVAILABLE, `Servable ${r.name} version ${r.version} is no longer served`);
    const handle = this.control.servables.acquire({ name: r.name, version: r.version });
    try {
      return await handle.servable.run(r.feedNames, r.feeds, r.fetchNames, { deadlineMs: r.deadlineMs, signal });
    } finally {
      handle.release();
    }
  }

  /** Every thread's metrics for the control plane's totals; a thread that does not answer counts as its last. */
  private async metricSnapshots(): Promise<MetricsSnapshot[]> {
    const live = await Promise.all(
      this.links.map(async (l) => {
        try {
          l.metrics = await l.rpc.call('metrics', undefined);
        } catch {
          // Gone meanwhile: its last snapshot stands.
        }
        return l.metrics;
      }),
    );
    const batching = this.batcher ? [await this.batcher.rpc.call('metrics', undefined).catch(() => [])] : [];
    return [...live, ...this.retiredMetrics, ...batching];
  }

  /** Takes this thread's hold on a serving version and tells the thread about it. */
  private publish(link: ThreadLink, name: string, version: number): void {
    const k = key(name, version);
    if (link.held.has(k)) return;
    const handle = this.control.servables.acquire({ name, version });
    link.held.set(k, handle);
    const s = handle.servable;
    const exportDir = (s as { exportDir?: string }).exportDir ?? `${name}/${version}`;
    const v: PublishedVersion = {
      name,
      version,
      exportDir,
      signatures: s.signatures,
      rawSignatureDefEntries: s.rawSignatureDefEntries,
      // The same id for every thread: sharing a session is idempotent.
      sessionId: s.shareSession?.(),
      batching: s.batching,
    };
    if (v.batching && v.sessionId !== undefined) this.batchedSessions.set(k, v.sessionId);
    link.rpc.note('add', v);
  }

  private release(link: ThreadLink, k: string): void {
    link.held.get(k)?.release();
    link.held.delete(k);
  }

  private onState(e: StateEvent): void {
    for (const link of this.links) {
      if (e.state === VersionState.AVAILABLE) this.publish(link, e.name, e.version);
      else if (e.state === VersionState.UNLOADING && link.held.has(key(e.name, e.version))) {
        link.rpc.note('remove', { name: e.name, version: e.version });
      }
      this.sendModels(link);
    }
    // Unloaded only once every front-end thread let go, so no run for it can still reach the batching thread.
    const k = key(e.name, e.version);
    const sessionId = this.batchedSessions.get(k);
    if (e.state === VersionState.END && sessionId !== undefined) {
      this.batchedSessions.delete(k);
      this.batcher?.rpc.note('forget', sessionId);
    }
    this.broadcastReady();
  }

  private sendModels(link: ThreadLink): void {
    const s = this.control.servables;
    const names = s.modelNames();
    link.rpc.note('models', {
      names,
      configured: this.control.configuredModels(),
      labels: names.map((n) => [n, [...s.labels(n)]] as const),
      statuses: names.map((n) => [n, s.statuses(n) ?? []] as const),
      sourceErrors: names.flatMap((n) => {
        const e = s.sourceError(n);
        return e ? [[n, { code: e.code, message: e.message }] as const] : [];
      }),
      logging: this.control.loggingModels(),
    });
  }

  /** Sends every thread the models note again, and readiness (a config change may change both). */
  broadcastModels(): void {
    for (const link of this.links) this.sendModels(link);
    this.broadcastReady();
  }

  /** Readiness as the control plane computes it, pushed to every thread when it changes. */
  broadcastReady(): void {
    const ready = this.control.ready();
    if (ready === this.lastReady) return;
    this.lastReady = ready;
    for (const link of this.links) link.rpc.note('ready', ready);
  }

  /**
   * A thread that ended lets go of everything it held, so unloads never wait for it, and is replaced on
   * fresh sockets of the same ports (a thread that keeps dying stops the server, saying so).
   */
  private lost(link: ThreadLink, code: number): void {
    const i = this.links.indexOf(link);
    if (i < 0) return;
    this.links.splice(i, 1);
    for (const k of [...link.held.keys()]) this.release(link, k);
    this.retiredMetrics.push(link.metrics);
    if (this.stopping) return;
    const now = Date.now();
    this.deaths = [...this.deaths.filter((t) => now - t < RESPAWN_WINDOW_MS), now];
    if (this.deaths.length > MAX_RESPAWNS) {
      log.error(`fatal: front-end threads died ${this.deaths.length} times within ${RESPAWN_WINDOW_MS / 1000} s; exiting`);
      process.exit(255);
    }
    log.error(`front-end thread ${link.index} exited (code ${code}); starting another`);
    void this.replace(link.index).catch((err: unknown) => log.error(`could not replace front-end thread ${link.index}: ${String(err)}`));
  }

  private async replace(index: number): Promise<void> {
    const { grpc, rest } = this.groups;
    const fds = { grpc: grpc && joinPortGroup(grpc), rest: rest && joinPortGroup(rest) };
    let batchPort: MessagePort | undefined;
    if (this.batcher) {
      const channel = new MessageChannel();
      this.batcher.rpc.note('port', channel.port1, [channel.port1]);
      batchPort = channel.port2;
    }
    const link = this.spawn(index, fds, batchPort);
    this.links.push(link);
    await link.rpc.call('listen', undefined);
  }

  /**
   * Graceful shutdown of every thread's listeners (see FrontEnds.stop); resolves true when every
   * thread answered everything it had in flight.
   */
  async stop(deadline: number): Promise<boolean> {
    this.lastReady = false;
    const results = await Promise.all(this.links.map((l) => l.rpc.call('stop', { deadline }).catch(() => false)));
    return results.every(Boolean);
  }

  /** Ends the threads (after the models are unloaded, or on a failed start). */
  async terminate(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.links.map((l) => l.worker), ...(this.batcher ? [this.batcher.worker] : [])].map((w) => w.terminate()));
  }
}
