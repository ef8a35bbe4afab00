import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { toServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { ServableManager } from '../lifecycle/manager';
import { Servable } from '../lifecycle/servable';
import { recordRequest } from '../metrics/request-recorder';
import { ServingMetrics } from '../metrics/serving-metrics';
import { httpStatusOf } from '../rest/http-status';
import { withTimeout } from '../rest/rest-server';
import { HEADER_LENGTH_HEADER, InferResponseBody, responseHeaders, splitBody } from './binary-codec';
import { V2InferOptions, ensureServable, v2Infer } from './infer';
import { parseInferRequest } from './json-request';
import { writeInferResponse } from './json-response';
import { modelMetadata, modelReady, serverMetadata } from './metadata';
import { withTimeoutParameter } from './parameters';
import { BodyTooLarge, readBody } from './rest-body';
import { V2Route, WrongMethod, isV2Path, routeV2 } from './rest-routes';

export interface V2RestOptions extends V2InferOptions {
  /** --rest_api_timeout_in_ms: the deadline of an infer call (0 = none), answered 504 past it. */
  readonly timeoutMs: number;
  /** --rest_api_max_request_bytes, after decompression (413 beyond). */
  readonly maxBodyBytes: number;
  /** --rest_api_enable_cors_support */
  readonly enableCors: boolean;
}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, GET',
  'Access-Control-Allow-Headers': 'Content-Type, Content-Encoding, Inference-Header-Content-Length',
  'Access-Control-Expose-Headers': 'Inference-Header-Content-Length',
};

/** Response compression a client asked for (tritonclient's response_compression_algorithm). */
function acceptedEncoding(req: http.IncomingMessage): 'gzip' | 'deflate' | undefined {
  const accept = String(req.headers['accept-encoding'] ?? '').toLowerCase();
  if (/\bgzip\b/.test(accept)) return 'gzip';
  if (/\bdeflate\b/.test(accept)) return 'deflate';
  return undefined;
}

/**
 * The Open Inference Protocol's REST API (/v2 on the REST port): health, metadata, readiness and
 * inference over the same servables, options and metrics as TF Serving's /v1 API. Errors are
 * `{"error": "..."}` with the HTTP status of their canonical code (400, 404, 503, 504, ...); health
 * and readiness answer 200 (true) or 400 (false) with an empty body, as the protocol says.
 */
export class V2RestApi {
  constructor(
    private readonly manager: ServableManager<Servable>,
    private readonly opts: V2RestOptions,
    private readonly metrics: ServingMetrics | undefined,
    /** Every configured model has a version serving, and the server is not shutting down. */
    private readonly ready: () => boolean,
  ) {}

  handles(path: string): boolean {
    return isV2Path(path);
  }

  async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    if (method === 'OPTIONS' && this.opts.enableCors) {
      this.send(res, 200, {}, '');
      return;
    }
    try {
      const route = routeV2(method, path);
      if (route.kind === 'infer') await this.infer(route, req, res);
      else this.answer(route, res);
    } catch (err) {
      this.sendError(res, err);
    }
  }

  private answer(route: Exclude<V2Route, { kind: 'infer' }>, res: http.ServerResponse): void {
    switch (route.kind) {
      case 'live':
        return this.send(res, 200, {}, '');
      case 'ready':
        return this.send(res, this.ready() ? 200 : 400, {}, '');
      case 'model-ready':
        return this.send(res, modelReady(this.manager, route.model, route.version) ? 200 : 400, {}, '');
      case 'server-metadata':
        return this.sendJson(res, serverMetadata());
      case 'model-metadata':
        return this.sendJson(res, modelMetadata(this.manager, route.model, route.version));
    }
  }

  private async infer(route: V2Route & { kind: 'infer' }, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const start = process.hrtime.bigint();
    let code = Code.OK;
    let runtimeMicros: number | undefined;
    try {
      const body = await readBody(req, this.opts.maxBodyBytes);
      ensureServable(this.manager, route.model, route.version);
      const header = req.headers[HEADER_LENGTH_HEADER];
      const { json, binary } = splitBody(body, Array.isArray(header) ? header[0] : header);
      const parsed = parseInferRequest(json, binary, route.model, route.version);
      // The deadline reaches TensorFlow as RunOptions.timeout_in_ms, as for /v1; 0 means none.
      const timeoutMs = this.opts.timeoutMs;
      const controller = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      const ctx = withTimeoutParameter({ deadlineMs: timeoutMs > 0 ? Date.now() + timeoutMs : undefined, signal: controller.signal }, parsed.timeoutMicros);
      const result = await withTimeout(v2Infer(this.manager, parsed.request, this.opts, ctx), timeoutMs);
      runtimeMicros = result.runtimeMicros;
      this.sendBody(req, res, writeInferResponse(result, parsed.outputs));
    } catch (err) {
      code = toServingError(err).code;
      if (err instanceof BodyTooLarge) res.setHeader('Connection', 'close');
      this.sendError(res, err);
    } finally {
      if (this.metrics) {
        recordRequest(this.metrics, {
          model: route.model,
          api: 'infer',
          entrypoint: 'REST',
          code,
          latencyMicros: Number(process.hrtime.bigint() - start) / 1000,
          runtimeMicros,
          runtimeApi: 'ModelInfer',
        });
      }
    }
  }

  private send(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders, body: string | Buffer): void {
    const all: http.OutgoingHttpHeaders = { ...headers, 'Content-Length': Buffer.byteLength(body) };
    if (this.opts.enableCors) Object.assign(all, CORS_HEADERS);
    res.writeHead(status, all);
    res.end(body);
  }

  private sendJson(res: http.ServerResponse, value: object): void {
    this.send(res, 200, { 'Content-Type': 'application/json' }, JSON.stringify(value));
  }

  private sendError(res: http.ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const e = toServingError(err);
    let status = httpStatusOf(e.code);
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json' };
    if (err instanceof WrongMethod) {
      status = 405;
      headers.Allow = err.allowed;
    } else if (err instanceof BodyTooLarge) status = 413;
    this.send(res, status, headers, JSON.stringify({ error: e.message }));
  }

  /** An inference response: JSON, binary data after it if any, compressed when the client asked. */
  private sendBody(req: http.IncomingMessage, res: http.ServerResponse, body: InferResponseBody): void {
    const headers: http.OutgoingHttpHeaders = responseHeaders(body);
    const encoding = acceptedEncoding(req);
    if (encoding) {
      const whole = Buffer.concat([body.json, ...body.binary]);
      headers['Content-Encoding'] = encoding;
      this.send(res, 200, headers, encoding === 'gzip' ? zlib.gzipSync(whole) : zlib.deflateSync(whole));
      return;
    }
    let length = body.json.byteLength;
    for (const b of body.binary) length += b.byteLength;
    if (this.opts.enableCors) Object.assign(headers, CORS_HEADERS);
    res.writeHead(200, { ...headers, 'Content-Length': length });
    res.write(body.json);
    for (const b of body.binary) res.write(b);
    res.end();
  }
}
