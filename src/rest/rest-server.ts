import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { ServingError, toServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { RunContext } from '../lifecycle/servable';
import { SslOptions } from '../config/ssl-config';
import { log } from '../log/logger';
import { recordRequest } from '../metrics/request-recorder';
import { ServingMetrics } from '../metrics/serving-metrics';
import { errorBody, httpStatusOf } from './http-status';
import { RestRoute, routeRequest } from './rest-routes';

/** A JSON body, and the time TensorFlow took when it ran (runtime_latency). */
export interface RestAnswer {
  readonly body: string | Buffer;
  readonly runtimeMicros?: number;
}

/** What the REST front end asks of the rest of the server. */
export interface RestHandlers {
  handle(route: RestRoute, body: Buffer, ctx: RunContext, opts: { int64AsStrings: boolean }): Promise<RestAnswer>;
}

/** Plain-text endpoints outside /v1: health probes and Prometheus. */
export interface RestExtras {
  /** Liveness: the process answers. Readiness: every configured model has a version serving. */
  ready(): boolean;
  /** Prometheus exposition, when monitoring is on, at `path`. */
  metrics?: { path: string; text(): Promise<string> };
  /** The Open Inference Protocol's /v2 paths (src/v2/rest-api.ts), answered entirely by it. */
  v2?: { handles(path: string): boolean; serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> };
}

export interface RestServerOptions {
  readonly port: number;
  /** Empty = all interfaces (:: and, failing that, 0.0.0.0, as TF Serving). */
  readonly bindAddress: string;
  readonly timeoutMs: number;
  readonly enableCors: boolean;
  /** Largest request body accepted, after gzip decompression. */
  readonly maxBodyBytes: number;
  readonly metrics?: ServingMetrics;
  /** TLS for REST (ours; TF Serving's REST port is plaintext only). */
  readonly ssl?: SslOptions;
  /** Told of every request as it starts and ends (graceful shutdown waits for them). */
  readonly tracker?: { enter(): void; leave(): void };
  /** A listening socket to accept on instead of binding the port (a front-end thread's share of it). */
  readonly fd?: number;
}

/** Header that opts a client into int64/uint64 outputs as JSON strings (exact beyond 2^53). */
export const INT64_AS_STRINGS_HEADER = 'x-tfserving-int64-as-string';

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, GET',
  'Access-Control-Allow-Headers': 'Content-Type',
};

class BodyTooLarge extends Error {}

/** How long the rest of a too-large body is read (and dropped) before the 413 goes out. */
const BODY_DRAIN_MS = 1000;

/** Reads the body, inflating gzip, refusing more than `limit` bytes as soon as that is known. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit && req.headers['content-encoding'] !== 'gzip') return reject(new BodyTooLarge());
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let stream: NodeJS.ReadableStream = req;
    if (encoding === 'gzip') stream = req.pipe(zlib.createGunzip());
    else if (encoding !== 'identity') {
      return reject(new ServingError(Code.INVALID_ARGUMENT, `Unsupported Content-Encoding: ${encoding}`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        // Stop keeping (and inflating) data, but read the rest of the raw body so the client can
        // finish sending and read the 413; closing a socket with unread data would reset it.
        stream.removeListener('data', onData);
        if (stream !== req) {
          req.unpipe();
          (stream as zlib.Gunzip).destroy();
        }
        req.resume();
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    };
    stream.on('data', onData);
    stream.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    stream.on('error', (err: Error) => reject(new ServingError(Code.INVALID_ARGUMENT, `Failed to read request body: ${err.message}`)));
  });
}

/** The model a /v1 request names, for request_count (TF Serving records "" when there is none). */
function modelOf(route: RestRoute | undefined): string {
  return route && route.kind !== 'list' ? route.model : '';
}

/**
 * TF Serving's REST API on node:http: /v1 routes, JSON errors with its wording and status table,
 * gzip bodies, CORS on request, a body limit (413) and a run timeout (504); plus health probes and the
 * Prometheus endpoint on the same port.
 */
export class RestServer {
  private server: http.Server | undefined;

  constructor(
    private readonly handlers: RestHandlers,
    private readonly extras: RestExtras,
    private readonly opts: RestServerOptions,
  ) {}

  async listen(): Promise<number> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.serve(req, res);
    const ssl = this.opts.ssl;
    // Check slow clients against headersTimeout every second (Node's default is every 30 s).
    const common = { connectionsCheckingInterval: 1000 };
    const server = ssl
      ? https.createServer(
          {
            ...common,
            key: ssl.serverKey,
            cert: ssl.serverCert,
            ca: ssl.customCa || undefined,
            requestCert: ssl.clientVerify,
            rejectUnauthorized: ssl.clientVerify,
          },
          handler,
        )
      : http.createServer(common, handler);
    // Bounded waits for slow clients: headers within 10 s, the whole request within the REST timeout + 30 s.
    server.headersTimeout = 10_000;
    server.requestTimeout = this.opts.timeoutMs + 30_000;
    server.keepAliveTimeout = 65_000;
    this.server = server;
    const listen = (where: net.ListenOptions & { fd?: number }) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(where, () => resolve());
      });
    const fd = this.opts.fd;
    if (fd !== undefined) {
      await listen({ fd });
      return (server.address() as AddressInfo).port;
    }
    const port = this.opts.port;
    if (this.opts.bindAddress) await listen({ port, host: this.opts.bindAddress });
    else await listen({ port, host: '::' }).catch(() => listen({ port, host: '0.0.0.0' }));
    const bound = (server.address() as AddressInfo).port;
    log.info(`Exporting HTTP/REST API at:localhost:${bound} ...`);
    return bound;
  }

  /** Stops accepting connections; requests already being answered go on. */
  stopAccepting(): void {
    this.server?.close();
    this.server?.closeIdleConnections();
  }

  /** Drops every connection that is left. */
  close(): void {
    this.server?.closeAllConnections();
  }

  private send(res: http.ServerResponse, status: number, body: string | Buffer, contentType = 'application/json'): void {
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) };
    if (this.opts.enableCors) Object.assign(headers, CORS_HEADERS);
    res.writeHead(status, headers);
    res.end(body);
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.opts.tracker?.enter();
    try {
      await this.serveOne(req, res);
    } finally {
      this.opts.tracker?.leave();
    }
  }

  private async serveOne(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (await this.serveExtras(method, path, res)) return;
      if (this.extras.v2?.handles(path)) return await this.extras.v2.serve(req, res);
      if (!/^\/v1\//i.test(path)) {
        this.send(res, 404, 'Not Found\n', 'text/plain');
        return;
      }
      if (method === 'OPTIONS') {
        const origin = req.headers.origin;
        if (origin && /^https?:\/\//.test(origin)) this.send(res, 200, '', 'text/plain');
        else this.send(res, 400, 'Origin header is missing in CORS preflight', 'text/plain');
        return;
      }
      await this.serveV1(method, path, req, res);
    } catch (err) {
      // An error while answering an error still ends the exchange.
      log.error(`REST ${method} ${path}: ${toServingError(err).message}`);
      if (!res.headersSent) this.send(res, 500, errorBody(toServingError(err)));
      else res.destroy();
    }
  }

  private async serveExtras(method: string, path: string, res: http.ServerResponse): Promise<boolean> {
    if (method !== 'GET') return false;
    const m = this.extras.metrics;
    if (m && path === m.path) {
      this.send(res, 200, await m.text(), 'text/plain; version=0.0.4');
      return true;
    }
    if (path === '/healthz') {
      this.send(res, 200, 'ok\n', 'text/plain');
      return true;
    }
    if (path === '/readyz') {
      const ready = this.extras.ready();
      this.send(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready: models are loading\n', 'text/plain');
      return true;
    }
    return false;
  }

  private async serveV1(method: string, path: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const start = process.hrtime.bigint();
    let route: RestRoute | undefined;
    let code = Code.OK;
    let runtimeMicros: number | undefined;
    try {
      route = routeRequest(method, path);
      const body = method === 'POST' ? await readBody(req, this.opts.maxBodyBytes) : Buffer.alloc(0);
      // The deadline reaches TensorFlow as RunOptions.timeout_in_ms; 0 means none, as in TF Serving.
      const deadlineMs = this.opts.timeoutMs > 0 ? Date.now() + this.opts.timeoutMs : undefined;
      const controller = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      const int64AsStrings = String(req.headers[INT64_AS_STRINGS_HEADER] ?? '').toLowerCase() === 'true';
      const answer = await withTimeout(
        this.handlers.handle(route, body, { deadlineMs, signal: controller.signal }, { int64AsStrings }),
        this.opts.timeoutMs,
      );
      runtimeMicros = answer.runtimeMicros;
      this.send(res, 200, answer.body);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        code = Code.RESOURCE_EXHAUSTED;
        // Read and drop the rest of the body first (for at most a second), then answer and close: a
        // client still uploading when the connection closes gets a reset instead of the 413.
        req.resume();
        if (!req.readableEnded) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, BODY_DRAIN_MS);
            req.once('end', () => {
              clearTimeout(t);
              resolve();
            });
          });
        }
        res.setHeader('Connection', 'close');
        this.send(res, 413, errorBody(new ServingError(code, `Request body exceeds the limit of ${this.opts.maxBodyBytes} bytes`)));
      } else {
        const e = toServingError(err);
        code = e.code;
        this.send(res, httpStatusOf(e.code), errorBody(e));
      }
    } finally {
      if (this.opts.metrics) {
        recordRequest(this.opts.metrics, {
          model: modelOf(route),
          api: route?.kind === 'infer' ? route.verb : '',
          entrypoint: 'REST',
          code,
          latencyMicros: Number(process.hrtime.bigint() - start) / 1000,
          runtimeMicros,
          // TensorFlow's runtime is labelled by the API whichever front end called it.
          runtimeApi: route?.kind === 'infer' ? route.verb[0].toUpperCase() + route.verb.slice(1) : undefined,
        });
      }
    }
  }
}

/** --rest_api_timeout_in_ms: a call still running after it answers DEADLINE_EXCEEDED (HTTP 504). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  if (!(ms > 0)) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServingError(Code.DEADLINE_EXCEEDED, 'Deadline Exceeded')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
