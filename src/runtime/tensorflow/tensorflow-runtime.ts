import * as os from 'node:os';
import { loadAddon, MAX_RUN_THREADS, NativeStats, TfRuntimeAddon } from './native-addon';
import { defaultOpLibraries, loadOpLibraries } from './op-libraries';
import { SessionConfigFlags, buildSessionConfig, mixedPrecisionLoadLog } from './session-config';
import { log } from '../../log/logger';
import { TfSession } from './tf-session';
import { tensorflowError } from './tensorflow-error';

export interface TensorFlowRuntimeOptions extends SessionConfigFlags {
  /** --xla_cpu_compilation_enabled or --xla_gpu_compilation_enabled: otherwise XLA JIT is off, as in TF Serving. */
  readonly xlaCompilation: boolean;
  /** Extra op libraries (.so) to load after TF-Text's. */
  readonly opLibraries: readonly string[];
  /** Load TF-Text's op libraries when they are installed. */
  readonly loadTfText: boolean;
}

/**
 * TensorFlow in this process: the addon, its pool of run threads, the session options every model
 * gets, and the op libraries. Configured once at start-up, before the first model loads.
 */
export class TensorFlowRuntime {
  private static instance: TensorFlowRuntime | undefined;

  private constructor(
    private readonly addon: TfRuntimeAddon,
    private readonly sessionConfig: Uint8Array,
    readonly runThreads: number,
    /** Logged at each SavedModel load, as TF Serving logs its --mixed_precision at each. */
    private readonly loadLog: ReturnType<typeof mixedPrecisionLoadLog>,
  ) {}

  /**
   * At most this many runs are in TensorFlow at once; each blocks a native thread while TensorFlow's
   * inter-op threads do the work, so the pool follows the inter-op (or session) parallelism, and the
   * cores when neither is set; at most MAX_RUN_THREADS.
   */
  static runThreadsFor(o: SessionConfigFlags): number {
    const inter = o.interOp > 0 ? o.interOp : o.sessionParallelism > 0 ? o.sessionParallelism : os.availableParallelism();
    return Math.min(MAX_RUN_THREADS, Math.max(2, inter));
  }

  static start(o: TensorFlowRuntimeOptions): TensorFlowRuntime {
    if (TensorFlowRuntime.instance) return TensorFlowRuntime.instance;
    const addon = loadAddon();
    const sessionConfig = buildSessionConfig(addon, o);
    if (!o.xlaCompilation) addon.disableXlaCompilation();
    loadOpLibraries(addon, [...(o.loadTfText ? defaultOpLibraries() : []), ...o.opLibraries]);
    const runThreads = TensorFlowRuntime.runThreadsFor(o);
    addon.configureRuns(runThreads);
    TensorFlowRuntime.instance = new TensorFlowRuntime(addon, sessionConfig, runThreads, mixedPrecisionLoadLog(o.mixedPrecision));
    return TensorFlowRuntime.instance;
  }

  /** The runtime with TensorFlow's defaults, for tools and tests that load models without a server. */
  static default(): TensorFlowRuntime {
    return (
      TensorFlowRuntime.instance ??
      TensorFlowRuntime.start({
        configFile: '',
        intraOp: 0,
        interOp: 0,
        sessionParallelism: 0,
        gpuMemoryFraction: 0,
        mixedPrecision: '',
        xlaCompilation: false,
        opLibraries: [],
        loadTfText: true,
      })
    );
  }

  static version(): string {
    return loadAddon().version();
  }

  /**
   * Loads a SavedModel. With `metaGraphDef`, also returns the serialized MetaGraphDef TensorFlow loaded
   * (it holds the whole graph, constants included: read what is needed and drop it).
   */
  async loadSavedModel(dir: string, tags: readonly string[], opts: { metaGraphDef?: boolean } = {}): Promise<{ session: TfSession; metaGraphDef?: Uint8Array }> {
    if (this.loadLog) log[this.loadLog.level](this.loadLog.message);
    try {
      const { session, metaGraphDef } = await this.addon.loadSavedModel(dir, [...tags], this.sessionConfig, opts.metaGraphDef === true);
      return { session: new TfSession(this.addon, session), metaGraphDef };
    } catch (err) {
      throw tensorflowError(err);
    }
  }

  stats(): NativeStats {
    return this.addon.stats();
  }
}
