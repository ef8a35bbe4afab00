import { ServingError, invalidArgument, notFound } from '../errors/serving-error';
import { Code } from '../errors/status-code';

/**
 * The protocol's REST URLs (case-sensitive, as the protocol says), under /v2 on the REST port:
 *
 *   GET  /v2/health/live | /v2/health/ready | /v2
 *   GET  /v2/models/{m}[/versions/{v}]            model metadata
 *   GET  /v2/models/{m}[/versions/{v}]/ready      model readiness
 *   POST /v2/models/{m}[/versions/{v}]/infer      inference
 */
export type V2Route =
  | { kind: 'live' }
  | { kind: 'ready' }
  | { kind: 'server-metadata' }
  | { kind: 'model-metadata'; model: string; version: string }
  | { kind: 'model-ready'; model: string; version: string }
  | { kind: 'infer'; model: string; version: string };

/** Whether a path belongs to this API (the rest of the REST port is TF Serving's). */
export const isV2Path = (path: string): boolean => path === '/v2' || path.startsWith('/v2/');

const MODEL = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|infer))?$/;

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidArgument(`malformed percent-encoding in URL segment '${segment}'`);
  }
}

/** A known path asked for with the wrong method: HTTP 405 with an Allow header. */
export class WrongMethod extends ServingError {
  constructor(
    method: string,
    path: string,
    readonly allowed: string,
  ) {
    super(Code.UNIMPLEMENTED, `${method} ${path}: only ${allowed} is served here`);
  }
}

export function routeV2(method: string, path: string): V2Route {
  const fixed: Record<string, V2Route> = {
    '/v2': { kind: 'server-metadata' },
    '/v2/health/live': { kind: 'live' },
    '/v2/health/ready': { kind: 'ready' },
  };
  let route: V2Route | undefined = fixed[path];
  if (!route) {
    const m = MODEL.exec(path);
    if (!m) throw notFound(`no Open Inference Protocol endpoint at ${path}`);
    const [, model, version, verb] = m;
    const base = { model: decode(model), version: version === undefined ? '' : decode(version) };
    route = verb === 'infer' ? { kind: 'infer', ...base } : verb === 'ready' ? { kind: 'model-ready', ...base } : { kind: 'model-metadata', ...base };
  }
  const want = route.kind === 'infer' ? 'POST' : 'GET';
  if (method !== want) throw new WrongMethod(method, path, want);
  return route;
}
