import * as grpc from '@grpc/grpc-js';
import { SslOptions } from '../config/ssl-config';
import { GrpcServiceSet, startGrpcServer } from '../grpc/grpc-server';
import { CLIENT_LEAVE_MS, GrpcConnections, NOTICE_TIMEOUT_MS } from '../grpc/grpc-connections';
import { HealthService } from '../grpc/health-service';
import { predictionService } from '../grpc/prediction-service';
import { RequestLog } from '../request-logging/request-log';
import { profilerService } from '../grpc/profiler-service';
import { ServableManager } from '../lifecycle/manager';
import { Servable } from '../lifecycle/servable';
import { log } from '../log/logger';
import { ServingMetrics } from '../metrics/serving-metrics';
import { RestHandlers, RestServer } from '../rest/rest-server';
import { InFlight } from './in-flight';
import { v2InferenceService } from '../v2/grpc-service';
import { V2RestApi } from '../v2/rest-api';

/** After the last answer, how long connections get to deliver it before they are closed. */
const FLUSH_GRACE_MS = 1000;

export interface FrontEndOptions {
  readonly grpc: {
    readonly port: number;
    readonly bindAddress: string;
    readonly socketPath: string;
    readonly channelArguments: Record<string, string | number>;
    readonly ssl?: SslOptions;
    /** A listening socket to accept on instead of binding the port (a front-end thread's share of it). */
    readonly fd?: number;
  };
  /** Absent: no REST port. */
  readonly rest?: {
    readonly port: number;
    readonly bindAddress: string;
    readonly timeoutMs: number;
    readonly enableCors: boolean;
    readonly maxBodyBytes: number;
    readonly ssl?: SslOptions;
    readonly fd?: number;
  };
  readonly enableHealthService: boolean;
  readonly enableProfiler: boolean;
  readonly checkMethodName: boolean;
  readonly tensorContentOutputs: boolean;
  /** Prometheus exposition path, when monitoring is on. */
  readonly prometheusPath?: string;
  /** This set's label in front_end_request_count: the thread's number, or `main`. */
  readonly thread: string;
}

/** What the front ends answer from: the versions serving, and what only the control plane knows. */
export interface FrontEndServices {
  readonly servables: ServableManager<Servable>;
  /** ModelService (status, config reload): the control plane's, or a forwarder to it. */
  readonly modelService: GrpcServiceSet;
  readonly restHandlers: RestHandlers;
  readonly metrics: ServingMetrics;
  /** Request logging (ModelConfig.logging_config); absent: nothing is logged. */
  readonly requestLog?: RequestLog;
  /** Prometheus text over the whole process. */
  metricsText(): Promise<string>;
}

/**
 * One set of protocol front ends (gRPC and REST) over the protocol-neutral core: the main thread runs
 * one with --front_end_threads=0, otherwise each front-end thread runs its own on the shared ports.
 */
export class FrontEnds {
  private grpcServer: grpc.Server | undefined;
  private grpcConnections: GrpcConnections | undefined;
  private restServer: RestServer | undefined;
  private readonly health = new HealthService();
  private readonly inFlight = new InFlight();
  /** Told of every request as it starts and ends: counts it and lets shutdown wait for it. */
  private readonly tracker: { enter(): void; leave(): void };
  private ready = false;

  constructor(
    private readonly services: FrontEndServices,
    private readonly opts: FrontEndOptions,
  ) {
    const counted = services.metrics.frontEndRequests.labels({ thread: opts.thread });
    this.tracker = {
      enter: () => {
        counted.inc();
        this.inFlight.enter();
      },
      leave: () => this.inFlight.leave(),
    };
  }

  /** Readiness as the control plane sees it (health service and /v1 readiness probe). */
  setReady(ready: boolean): void {
    this.ready = ready;
    this.health.set(ready);
  }

  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** Opens the gRPC listeners, then REST; resolves with the ports bound (REST 0 = none). */
  async listen(): Promise<{ grpcPort: number; restPort: number }> {
    const { services: s, opts } = this;
    const services = [
      predictionService(s.servables, { checkMethodName: opts.checkMethodName, tensorContentOutputs: opts.tensorContentOutputs, metrics: s.metrics, requestLog: s.requestLog }),
      s.modelService,
      ...(opts.enableProfiler ? [profilerService()] : []),
      v2InferenceService(s.servables, { checkMethodName: opts.checkMethodName, requestLog: s.requestLog }, s.metrics, () => this.ready),
    ];
    const { server, port, connections } = await startGrpcServer(
      services,
      opts.grpc,
      (srv) => {
        if (opts.enableHealthService) this.health.addTo(srv);
      },
      this.tracker,
    );
    this.grpcServer = server;
    this.grpcConnections = connections;
    this.health.set(this.ready);
    return { grpcPort: port, restPort: await this.listenRest() };
  }

  private async listenRest(): Promise<number> {
    const rest = this.opts.rest;
    if (!rest) return 0;
    const path = this.opts.prometheusPath;
    this.restServer = new RestServer(
      this.services.restHandlers,
      {
        ready: () => this.ready,
        metrics: path ? { path, text: () => this.services.metricsText() } : undefined,
        v2: new V2RestApi(this.services.servables, { checkMethodName: this.opts.checkMethodName, requestLog: this.services.requestLog, ...rest }, this.services.metrics, () => this.ready),
      },
      { ...rest, metrics: this.services.metrics, tracker: this.tracker },
    );
    try {
      return await this.restServer.listen();
    } catch (err) {
      log.error(`Failed to start HTTP Server at localhost:${rest.port}: ${(err as Error).message}`);
      this.restServer = undefined;
      return 0;
    }
  }

  /**
   * The graceful part of shutdown: the listeners stop accepting, gRPC clients get the GOAWAY notice,
   * requests already in flight or queued finish until `deadline` (epoch ms), then connections close.
   * Resolves true when everything in flight was answered.
   */
  async stop(deadline: number): Promise<boolean> {
    this.setReady(false);
    const left = () => Math.max(0, deadline - Date.now());
    const server = this.grpcServer;
    this.restServer?.stopAccepting();
    // The gRPC listeners close and clients learn to open no new calls here; what they sent meanwhile is served.
    await this.grpcConnections?.announceShutdown(Math.min(NOTICE_TIMEOUT_MS, left()));
    const drained = await this.inFlight.drained(left());
    if (!drained) log.warn(`Drain timeout: ${this.inFlight.size} request(s) still in flight are cut off`);
    // Answered gRPC clients close their connections themselves, which spares them the final GOAWAY.
    if (drained) await this.grpcConnections?.clientsGone(Math.min(CLIENT_LEAVE_MS, left()));
    server?.tryShutdown(() => undefined);
    // Answers just handed to gRPC still need to reach the wire: let the connections close by themselves
    // (grpc-js reports a closing connection as closed at once), unless something long-lived (a health
    // Watch stream) holds one open.
    if (drained) await this.grpcConnections?.allClosed(FLUSH_GRACE_MS);
    server?.forceShutdown();
    this.restServer?.close();
    return drained;
  }
}
