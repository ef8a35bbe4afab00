import * as grpc from '@grpc/grpc-js';
import { ModelServerConfigOptions, isUri, modelServerConfigFromFileText, readModelServerConfigFile } from '../config/model-server-config';
import { ServerOptions } from '../config/server-options';
import { toServingError } from '../errors/serving-error';
import { startGrpcServer } from '../grpc/grpc-server';
import { modelService } from '../grpc/model-service';
import { predictionService } from '../grpc/prediction-service';
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
import { profilerService } from '../grpc/profiler-service';
import { log } from '../log/logger';
import { BatchScheduler } from '../batching/batch-scheduler';
import { HealthService } from '../grpc/health-service';
import { CLIENT_LEAVE_MS, GrpcConnections, NOTICE_TIMEOUT_MS } from '../grpc/grpc-connections';
import { ServingMetrics } from '../metrics/serving-metrics';
import { RestApiHandlers } from '../rest/rest-handlers';
import { RestServer } from '../rest/rest-server';
import { observeBatching, observeVersions } from './observe-metrics';
import { InFlight } from './in-flight';
import { ServerCore } from './server-core';

/** After the last answer, how long connections get to deliver it before they are closed. */
const FLUSH_GRACE_MS = 1000;
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
  private grpcServer: grpc.Server | undefined;
  private grpcConnections: GrpcConnections | undefined;
  private restServer: RestServer | undefined;
  private readonly health = new HealthService();
  private readonly inFlight = new InFlight();
  private stopping = false;
  grpcPort = 0;
  restPort = 0;

  private constructor(
    readonly servables: ServableManager<Servable>,
    readonly core: ServerCore,
    private readonly source: ModelSource,
    private readonly opts: ServerOptions,
    readonly metrics: ServingMetrics,
  ) {
    servables.on('state', () => this.health.set(this.ready()));
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
    });
    observeVersions(servables, metrics);
    const server = new ModelServer(servables, core, source, opts, metrics);
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

  private async listen(): Promise<void> {
    const predictOptions = { checkMethodName: this.opts.enableSignatureMethodNameCheck };
    const services = [
      predictionService(this.servables, { ...predictOptions, tensorContentOutputs: this.opts.tensorContentOutputs, metrics: this.metrics }),
      modelService(this.servables, this.core, this.metrics),
      ...(this.opts.enableProfiler ? [profilerService()] : []),
    ];
    if (this.opts.enableProfiler) log.info('Profiler service is enabled');
    const { server, port, connections } = await startGrpcServer(
      services,
      {
        port: this.opts.grpcPort,
        bindAddress: this.opts.grpcBindAddress,
        socketPath: this.opts.grpcSocketPath,
        channelArguments: this.opts.grpcChannelArguments,
        ssl: this.opts.grpcSsl,
      },
      (s) => {
        if (this.opts.enableGrpcHealthcheckService) this.health.addTo(s);
      },
      this.inFlight,
    );
    this.grpcServer = server;
    this.grpcConnections = connections;
    this.grpcPort = port;
    this.health.set(this.ready());
    await this.listenRest(predictOptions);
  }

  /** REST on --rest_api_port (0 = off), as TF Serving: skipped with an error if it equals --port. */
  private async listenRest(predictOptions: { checkMethodName: boolean }): Promise<void> {
    const port = this.opts.restApiPort;
    if (port === 0) return;
    if (port === this.opts.grpcPort) {
      log.error('--rest_api_port cannot be same as --port. Please use a different port for HTTP/REST API. Skipped exporting HTTP/REST API.');
      return;
    }
    const metrics = this.metrics;
    const prometheus = this.opts.monitoring.prometheus;
    this.restServer = new RestServer(
      new RestApiHandlers(this.servables, predictOptions, () => this.core.config().models.map((m) => m.name)),
      {
        ready: () => this.ready(),
        metrics: prometheus.enabled ? { path: prometheus.path, text: () => metrics.text() } : undefined,
      },
      {
        port,
        bindAddress: this.opts.restApiBindAddress,
        timeoutMs: this.opts.restApiTimeoutMs,
        enableCors: this.opts.restApiEnableCors,
        maxBodyBytes: this.opts.restApiMaxBodyBytes,
        metrics,
        tracker: this.inFlight,
        ssl: this.opts.restSsl,
      },
    );
    try {
      this.restPort = await this.restServer.listen();
    } catch (err) {
      log.error(`Failed to start HTTP Server at localhost:${port}: ${(err as Error).message}`);
      this.restServer = undefined;
    }
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
    this.health.set(false);
    const server = this.grpcServer;
    // The drain timeout counts from the signal; the GOAWAY notice is part of it.
    const deadline = Date.now() + this.opts.drainTimeoutSeconds * 1000;
    const left = () => Math.max(0, deadline - Date.now());
    this.restServer?.stopAccepting();
    // The gRPC listeners close and clients learn to open no new calls here; what they sent meanwhile is served.
    await this.grpcConnections?.announceShutdown(Math.min(NOTICE_TIMEOUT_MS, left()));
    const drained = await this.inFlight.drained(left());
    if (!drained) log.warn(`Drain timeout: ${this.inFlight.size} request(s) still in flight are cut off`);
    // Answered gRPC clients close their connections themselves, which spares them the final GOAWAY.
    if (drained) await this.grpcConnections?.clientsGone(Math.min(CLIENT_LEAVE_MS, left()));
    const closed = new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
    // Answers just handed to gRPC still need to reach the wire: let the connections close by themselves,
    // unless something long-lived (a health Watch stream) holds one open.
    if (drained) await Promise.race([closed, new Promise((r) => setTimeout(r, FLUSH_GRACE_MS))]);
    server?.forceShutdown();
    this.restServer?.close();
    if (drained) {
      await this.stopModels();
      return;
    }
    // A request cut off at the drain timeout may still be inside TensorFlow (a run cannot be
    // interrupted), holding its version: give unloading a moment, then exit anyway.
    const unloaded = await Promise.race([this.stopModels().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), UNLOAD_GRACE_MS).unref())]);
    if (!unloaded) log.warn('Exiting with runs still inside TensorFlow');
  }
}
