import * as path from 'node:path';
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
import { PortGroup, closePortGroup, openPortGroup } from './listen-socket';
import { BatcherCalls, BatcherNotes, BatchingThreadData, ControlCalls, ControlNotes, FrontEndThreadData, PublishedVersion, ThreadCalls, ThreadNotes } from './planes';
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
  /** Runs this thread sent here, for cancellation. */
  readonly runs: Map<number, AbortController>;
}

const THREAD_FILE = path.join(__dirname, 'front-end-thread.js');
const BATCHING_FILE = path.join(__dirname, 'batching-thread.js');
type BatcherSide = ThreadRpc<Record<string, never>, Record<string, never>, BatcherCalls, BatcherNotes>;
const key = (name: string, version: number): string => `${version}@${name}`;

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
  /** Process-wide session ids, one per loaded version (shared once, whatever the number of threads). */
  private readonly sessionIds = new WeakMap<Servable, number | null>();
  private lastReady: boolean | undefined;
  private stopping = false;

  private constructor(private readonly control: ControlPlane) {}

  static async start(
    count: number,
    options: Omit<FrontEndOptions, 'thread'>,
    control: ControlPlane,
    unavailableUntilFirstLoad: boolean,
  ): Promise<{ pool: FrontEndPool; grpcPort: number; restPort: number }> {
    const pool = new FrontEndPool(control);
    const grpcGroup = options.grpc.port !== 0 ? await openPortGroup(options.grpc.bindAddress, options.grpc.port, count) : undefined;
    let restGroup: PortGroup | undefined;
    if (options.rest) {
      const { bindAddress, port } = options.rest;
      try {
        restGroup = bindAddress
          ? await openPortGroup(bindAddress, port, count)
          : await openPortGroup('::', port, count).catch(() => openPortGroup('0.0.0.0', port, count));
      } catch (err) {
        log.error(`Failed to start HTTP Server at localhost:${port}: ${(err as Error).message}`);
      }
    }
    const ports = { grpcPort: grpcGroup?.port ?? 0, restPort: restGroup?.port ?? 0 };
    try {
      control.servables.on('state', (e: StateEvent) => pool.onState(e));
      control.servables.on('models', () => pool.broadcastModels());
      control.metrics.peers = () =>
        Promise.all([...pool.links.map((l) => l.rpc.call('metrics', undefined)), ...(pool.batcher ? [pool.batcher.rpc.call('metrics', undefined)] : [])]);
      const channels = control.batching ? Array.from({ length: count }, () => new MessageChannel()) : [];
      if (control.batching) pool.spawnBatcher(control.batching, channels.map((c) => c.port1));
      for (let i = 0; i < count; i++) {
        const data: FrontEndThreadData = {
          index: i,
          batchPort: channels[i]?.port2,
          unavailableUntilFirstLoad,
          requestLog: control.requestLog,
          options: {
            ...options,
            thread: String(i),
            // The Unix socket cannot be shared: the first thread serves it.
            grpc: { ...options.grpc, fd: grpcGroup?.fds[i], socketPath: i === 0 ? options.grpc.socketPath : '' },
            rest: restGroup && options.rest ? { ...options.rest, fd: restGroup.fds[i] } : undefined,
          },
        };
        pool.links.push(pool.spawn(data));
      }
      await Promise.all(pool.links.map((l) => l.rpc.call('listen', undefined)));
    } catch (err) {
      await pool.terminate();
      if (grpcGroup) closePortGroup(grpcGroup);
      if (restGroup) closePortGroup(restGroup);
      throw err;
    }
    return { pool, ...ports };
  }

  get size(): number {
    return this.links.length;
  }

  private spawnBatcher(settings: { numBatchThreads: number; threadPoolName: string }, ports: MessagePort[]): void {
    const data: BatchingThreadData = { ...settings, ports };
    const worker = new Worker(BATCHING_FILE, { workerData: data, transferList: ports, name: 'batching' });
    worker.on('error', (err) => log.error(`batching thread failed: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => {
      if (!this.stopping) log.error(`batching thread exited (code ${code})`);
    });
    this.batcher = { worker, rpc: new ThreadRpc(worker) };
  }

  private spawn(data: FrontEndThreadData): ThreadLink {
    const worker = new Worker(THREAD_FILE, { workerData: data, transferList: data.batchPort ? [data.batchPort] : [], name: `frontend-${data.index}` });
    const rpc: ControlSide = new ThreadRpc(worker);
    const link: ThreadLink = { index: data.index, worker, rpc, held: new Map(), runs: new Map() };
    rpc.handle('reload', async (next) => ({ value: await this.control.reload(next) }));
    rpc.handle('metricValue', async (name) => ({ value: await this.control.metrics.int64Value(name) }));
    rpc.handle('metricsText', async () => ({ value: await this.control.metrics.text() }));
    rpc.handle('run', async (r) => ({ value: await this.run(link, r) }));
    rpc.onNote('cancel', (runId) => link.runs.get(runId)?.abort());
    rpc.onNote('released', ({ name, version }) => this.release(link, key(name, version)));
    rpc.onNote('logRecord', ({ model, record }) => this.control.appendLogRecord(model, record));
    worker.on('error', (err) => log.error(`front-end thread ${data.index} failed: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => this.lost(link, code));
    // The table as it stands, before the thread opens its ports (notes are read in order).
    this.sendModels(link);
    for (const name of this.control.servables.modelNames()) {
      for (const version of this.control.servables.availableVersions(name).reverse()) this.publish(link, name, version);
    }
    rpc.note('ready', this.control.ready());
    return link;
  }

  private run(link: ThreadLink, r: ControlCalls['run'][0]): Promise<ControlCalls['run'][1]> {
    const handle = link.held.get(key(r.name, r.version));
    if (!handle) return Promise.reject(new ServingError(Code.UNAVAILABLE, `Servable ${r.name} version ${r.version} is no longer served`));
    const controller = new AbortController();
    link.runs.set(r.runId, controller);
    return handle.servable
      .run(r.feedNames, r.feeds, r.fetchNames, { deadlineMs: r.deadlineMs, signal: controller.signal })
      .finally(() => link.runs.delete(r.runId));
  }

  private sessionIdOf(servable: Servable): number | undefined {
    let id = this.sessionIds.get(servable);
    if (id === undefined) {
      id = servable.shareSession?.() ?? null;
      this.sessionIds.set(servable, id);
    }
    return id ?? undefined;
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
      sessionId: this.sessionIdOf(s),
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

  /** Sends every thread the models note again (after a config change). */
  broadcastModels(): void {
    for (const link of this.links) this.sendModels(link);
  }

  /** Readiness as the control plane computes it, pushed to every thread when it changes. */
  broadcastReady(): void {
    const ready = this.control.ready();
    if (ready === this.lastReady) return;
    this.lastReady = ready;
    for (const link of this.links) link.rpc.note('ready', ready);
  }

  /** A thread that ended lets go of everything it held, so unloads never wait for it. */
  private lost(link: ThreadLink, code: number): void {
    const i = this.links.indexOf(link);
    if (i >= 0) this.links.splice(i, 1);
    for (const k of [...link.held.keys()]) this.release(link, k);
    link.rpc.failAll(new ServingError(Code.UNAVAILABLE, 'front-end thread exited'));
    if (!this.stopping) log.error(`front-end thread ${link.index} exited (code ${code}); ${this.links.length} left`);
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
