import { ModelServerConfigOptions, isUri, modelServerConfigFromFileText, readModelServerConfigFile } from '../config/model-server-config';
import { ServerOptions } from '../config/server-options';
import { toServingError } from '../errors/serving-error';
import { modelService as modelServiceOf } from '../grpc/model-service';
import { grpcAddress, warnUnsupportedChannelArguments } from '../grpc/grpc-server';
import { FrontEndPool } from '../frontend/front-end-pool';
import { FrontEndOptions, FrontEnds } from '../frontend/front-ends';
import { AspiredVersionsManager } from '../lifecycle/aspired-versions-manager';
import { ServableManager } from '../lifecycle/manager';
import { Servable } from '../lifecycle/servable';
import { VersionState, servableIdString } from '../lifecycle/servable-state';
import { readObjectStoreText } from '../sources/object-store-file';
import { SourceRouter } from '../sources/source-router';
import { ModelSource } from '../lifecycle/source';
import { LoaderRegistry } from '../loaders/loader-registry';
import { SavedModelLoader } from '../loaders/saved-model/saved-model-loader';
import { TensorFlowPlatformLoader } from '../loaders/tensorflow-platform-loader';
import { TfLiteLoader } from '../loaders/tflite/tflite-loader';
import { loadServable } from './servable-pipeline';
import { TensorFlowRuntime } from '../runtime/tensorflow/tensorflow-runtime';
import { log } from '../log/logger';
import { BatchScheduler } from '../batching/batch-scheduler';
import { ServingMetrics } from '../metrics/serving-metrics';
import { RestApiHandlers } from '../rest/rest-handlers';
import { observeVersions } from './observe-metrics';
import { observeBatching } from '../batching/batch-metrics';
import { ServerCore } from './server-core';
import { RequestLogging } from '../request-logging/request-logging';

/** After a drain timeout, how long unloading may wait for runs that were cut off. */
const UNLOAD_GRACE_MS = 2000;

/** --model_config_file from the local file system or an object store (gs://, s3://). */
async function readModelConfigFile(file: string): Promise<ModelServerConfigOptions> {
  return isUri(file) ? modelServerConfigFromFileText(await readObjectStoreText(file), file) : readModelServerConfigFile(file);
}

/**
 * The composition root: source → aspired-versions manager → servable manager, the TensorFlow
 * loader, the config poller and the gRPC and REST front ends. As in TF Serving, the ports open only once every
 * configured model has a version serving (or has failed, which stops start-up) — unless
 * --wait_for_models_at_startup=false, which opens them at once.
 */
export class ModelServer {
  private configPoll: NodeJS.Timeout | undefined;
  /** --front_end_threads=0: the front ends run on this thread. */
  private frontEnds: FrontEnds | undefined;
  /** Otherwise: front-end threads on the shared ports. */
  private pool: FrontEndPool | undefined;
  private stopping = false;
  grpcPort = 0;
  restPort = 0;

  private constructor(
    readonly servables: ServableManager<Servable>,
    readonly core: ServerCore,
    private readonly source: ModelSource,
    private readonly opts: ServerOptions,
    readonly metrics: ServingMetrics,
    private readonly requestLogging: RequestLogging,
  ) {
    servables.on('state', () => this.frontEnds?.setReady(this.ready()));
  }

  /** Every configured model has a version serving, and the server is not shutting down. */
  ready(): boolean {
    if (this.stopping) return false;
    return this.core.config().models.every((m) => this.servables.availableVersions(m.name).length > 0);
  }

  static async start(opts: ServerOptions): Promise<ModelServer> {
    const modelConfig = opts.modelConfig ?? (await readModelConfigFile(opts.modelConfigFile));
    // Recorded always, as TF Serving does (HandleReloadConfigRequest reads them); exported only when enabled.
    const metrics = new ServingMetrics();
    const requestLogging = new RequestLogging({ registry: metrics.registry, savedModelTags: opts.savedModelTags, tensorContentOutputs: opts.tensorContentOutputs });
    const scheduler = opts.batching ? new BatchScheduler(opts.batching.numBatchThreads) : undefined;
    if (scheduler && opts.batching) observeBatching(scheduler, metrics, opts.batching.threadPoolName);
    const servables = new ServableManager<Servable>({ unavailableUntilFirstLoad: !opts.waitForModelsAtStartup });
    servables.on('state', (e) => {
      if (e.state === VersionState.AVAILABLE) log.info(`Successfully loaded servable version ${servableIdString(e)}`);
      if (e.state === VersionState.END && !e.error) log.info(`Unloaded servable version ${servableIdString(e)}`);
    });
    const runtime = TensorFlowRuntime.start(opts.tensorflow);
    log.info(`TensorFlow ${TensorFlowRuntime.version()}: up to ${runtime.runThreads} runs at once`);
    const loaders = new LoaderRegistry().register(
      new TensorFlowPlatformLoader(new SavedModelLoader(opts.savedModelTags, runtime), new TfLiteLoader(opts.tflite), opts.tflite.prefer),
    );
    const pipeline = {
      scheduler,
      batching: opts.batching,
      perModelBatching: opts.perModelBatching,
      metrics,
      warmup: opts.enableModelWarmup
        ? { iterations: opts.warmupIterations, checkMethodName: opts.enableSignatureMethodNameCheck }
        : undefined,
    };
    const platformOf = (name: string): string => core.config().models.find((m) => m.name === name)?.platform ?? 'tensorflow';
    const manager = new AspiredVersionsManager<Servable>(
      servables,
      (id, dir) => loadServable(loaders.get(platformOf(id.name)), { modelName: id.name, version: id.version, dir }, pipeline),
      {
        maxLoadRetries: opts.maxNumLoadRetries,
        loadRetryIntervalMs: opts.loadRetryIntervalMs,
        loadConcurrency: opts.numLoadThreads,
        initialLoadConcurrency: opts.numInitialLoadThreads,
      },
    );
    const source = new SourceRouter({ pollWaitSeconds: opts.fileSystemPollWaitSeconds, settleMs: opts.versionSettleMs });
    source.on('aspired', (name: string, versions) => manager.setAspired(name, versions));
    source.on('status', (name: string, error) => servables.setSourceError(name, error));
    const core: ServerCore = new ServerCore(manager, source, {
      allowVersionLabelsForUnavailableModels: opts.allowVersionLabelsForUnavailableModels,
      onConfig: (config) => {
        requestLogging.update(config);
        // Readiness follows the config too (a model added or removed).
        server?.pool?.broadcastModels();
        server?.frontEnds?.setReady(server.ready());
      },
    });
    observeVersions(servables, metrics);
    // Declared before the core: its config hook reaches the server once it exists.
    let server: ModelServer | undefined;
    server = new ModelServer(servables, core, source, opts, metrics, requestLogging);
    for (const m of modelConfig.models) servables.addModel(m.name);
    const initial = core.apply(modelConfig, true);
    const endInitialLoad = () => manager.endInitialLoad();
    void initial.then(endInitialLoad, endInitialLoad);
    source.start();
    if (opts.waitForModelsAtStartup) {
      try {
        await initial;
      } catch (err) {
        await server.stopModels();
        throw err;
      }
      await server.listen();
    } else {
      await server.listen();
      initial.catch((err: unknown) => log.error(`Initial models did not all load: ${toServingError(err).message}`));
    }
    server.pollConfigFile();
    return server;
  }

  private frontEndOptions(): Omit<FrontEndOptions, 'thread'> {
    const o = this.opts;
    let restPort = o.restApiPort;
    // As TF Serving: REST is skipped with an error when it would share the gRPC port.
    if (restPort !== 0 && restPort === o.grpcPort) {
      log.error('--rest_api_port cannot be same as --port. Please use a different port for HTTP/REST API. Skipped exporting HTTP/REST API.');
      restPort = 0;
    }
    if (o.enableProfiler) log.info('Profiler service is enabled');
    warnUnsupportedChannelArguments(o.grpcChannelArguments);
    return {
      grpc: { port: o.grpcPort, bindAddress: o.grpcBindAddress, socketPath: o.grpcSocketPath, channelArguments: o.grpcChannelArguments, ssl: o.grpcSsl },
      rest:
        restPort === 0
          ? undefined
          : {
              port: restPort,
              bindAddress: o.restApiBindAddress,
              timeoutMs: o.restApiTimeoutMs,
              enableCors: o.restApiEnableCors,
              maxBodyBytes: o.restApiMaxBodyBytes,
              ssl: o.restSsl,
            },
      enableHealthService: o.enableGrpcHealthcheckService,
      enableProfiler: o.enableProfiler,
      checkMethodName: o.enableSignatureMethodNameCheck,
      tensorContentOutputs: o.tensorContentOutputs,
      prometheusPath: o.monitoring.prometheus.enabled ? o.monitoring.prometheus.path : undefined,
    };
  }

  /** Opens the gRPC and REST ports: on front-end threads, or on this thread with --front_end_threads=0. */
  private async listen(): Promise<void> {
    const options = this.frontEndOptions();
    const threads = this.opts.frontEndThreads;
    if (threads === 0) {
      const modelService = modelServiceOf(this.servables, this.core, this.metrics);
      const restHandlers = new RestApiHandlers(this.servables, { checkMethodName: this.opts.enableSignatureMethodNameCheck, requestLog: this.requestLogging.log }, () =>
        this.core.config().models.map((m) => m.name),
      );
      this.frontEnds = new FrontEnds(
        { servables: this.servables, modelService, restHandlers, metrics: this.metrics, metricsText: () => this.metrics.text(), requestLog: this.requestLogging.log },
        { ...options, thread: 'main' },
      );
      this.frontEnds.setReady(this.ready());
      ({ grpcPort: this.grpcPort, restPort: this.restPort } = await this.frontEnds.listen());
      return;
    }
    const started = await FrontEndPool.start(
      threads,
      options,
      {
        servables: this.servables,
        metrics: this.metrics,
        ready: () => this.ready(),
        configuredModels: () => this.core.config().models.map((m) => m.name),
        reload: (next) => this.core.apply(next),
        loggingModels: () => this.core.config().models.map(({ name, logging }) => ({ name, logging })),
        appendLogRecord: (model, record) => this.requestLogging.collectors.append(model, record),
        requestLog: { savedModelTags: this.opts.savedModelTags, tensorContentOutputs: this.opts.tensorContentOutputs },
        batching: this.opts.batching && { numBatchThreads: this.opts.batching.numBatchThreads, threadPoolName: this.opts.batching.threadPoolName },
      },
      !this.opts.waitForModelsAtStartup,
    );
    this.pool = started.pool;
    this.grpcPort = started.grpcPort;
    this.restPort = started.restPort;
    if (this.grpcPort) log.info(`Running gRPC ModelServer at ${grpcAddress(options.grpc.bindAddress, this.grpcPort)} ...`);
    if (this.restPort) log.info(`Exporting HTTP/REST API at:localhost:${this.restPort} ...`);
    log.info(`Serving requests on ${threads} front-end thread(s)`);
  }

  /** --model_config_file_poll_wait_seconds: re-read the file and apply it; a bad file keeps the old config. */
  private pollConfigFile(): void {
    const seconds = this.opts.modelConfigFilePollWaitSeconds;
    if (!this.opts.modelConfigFile || seconds <= 0) return;
    const tick = async () => {
      try {
        await this.core.apply(await readModelConfigFile(this.opts.modelConfigFile));
      } catch (err) {
        log.error(`Failed to apply ModelServerConfig file ${this.opts.modelConfigFile}: ${toServingError(err).toString()}`);
      }
      this.configPoll = setTimeout(() => void tick(), seconds * 1000);
      this.configPoll.unref();
    };
    this.configPoll = setTimeout(() => void tick(), seconds * 1000);
    this.configPoll.unref();
  }

  private async stopModels(): Promise<void> {
    if (this.configPoll) clearTimeout(this.configPoll);
    await this.source.stop();
    await this.servables.unloadAll();
  }

  /**
   * Graceful shutdown (TF Serving has none, its issue #1853): health turns NOT_SERVING, the listeners
   * stop accepting, requests already in flight or queued finish (up to --drain_timeout_seconds), then
   * the remaining connections are dropped and the models unload.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    // The drain timeout counts from the signal; the GOAWAY notice is part of it.
    const deadline = Date.now() + this.opts.drainTimeoutSeconds * 1000;
    const drained = this.pool ? await this.pool.stop(deadline) : await (this.frontEnds?.stop(deadline) ?? true);
    if (drained) {
      await this.stopModels();
    } else {
      // A request cut off at the drain timeout may still be inside TensorFlow (a run cannot be
      // interrupted), holding its version: give unloading a moment, then exit anyway.
      const unloaded = await Promise.race([this.stopModels().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), UNLOAD_GRACE_MS).unref())]);
      if (!unloaded) log.warn('Exiting with runs still inside TensorFlow');
    }
    // Whatever the unload did: queued request-log records are written (it bounds its own wait).
    await this.requestLogging.close();
    await this.pool?.terminate();
  }
}
