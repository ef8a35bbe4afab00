import { notFound } from '../errors/serving-error';
import { classify } from '../inference/classify';
import { getModelMetadata, SIGNATURE_DEF_FIELD } from '../inference/metadata';
import { ModelSpecInput, acquireServable } from '../inference/model-spec';
import { getModelStatus } from '../inference/model-status';
import { PredictOptions, predictOn } from '../inference/predict';
import { regress } from '../inference/regress';
import { ServableHandle, ServableManager } from '../lifecycle/manager';
import { RunContext, Servable } from '../lifecycle/servable';
import { RequestLog } from '../request-logging/request-log';
import {
  parseExamplesRequest,
  writeClassifyResponse,
  writeModelMetadataJson,
  writeModelStatusJson,
  writePredictResponse,
  writeRegressResponse,
} from '../rest-json';
import { JsonParsePool, SignatureInputs } from './json-parse-pool';
import { RestAnswer, RestHandlers } from './rest-server';
import { RestRoute, UrlVersion } from './rest-routes';

/**
 * The REST API over the same protocol-neutral implementations gRPC uses: each route is JSON in, a
 * call into inference/, JSON out. Nothing about predicting, classifying or versions lives here.
 */
export class RestApiHandlers implements RestHandlers {
  constructor(
    private readonly manager: ServableManager<Servable>,
    /** requestLog: request logging (ModelConfig.logging_config); absent, nothing is logged. */
    private readonly opts: PredictOptions & { readonly requestLog?: RequestLog },
    /** Models the server is configured with (for GET /v1/models). */
    private readonly modelNames: () => readonly string[],
    /** Where :predict bodies are parsed: large ones off the event loop. */
    private readonly parser = new JsonParsePool(),
  ) {}

  async handle(route: RestRoute, body: Buffer, ctx: RunContext, out: { int64AsStrings: boolean }): Promise<RestAnswer> {
    switch (route.kind) {
      case 'list':
        return { body: this.list() };
      case 'status': {
        // TF Serving ignores the label here and reports every version.
        const v = route.version;
        if (typeof v === 'object') throw notFound(`Could not find version ${v.unservable} of model ${route.model}`);
        return { body: writeModelStatusJson(getModelStatus(this.manager, { name: route.model, version: v, signatureName: '' })) };
      }
      case 'metadata':
        return {
          body: writeModelMetadataJson(
            getModelMetadata(this.manager, { modelSpec: this.spec(route, ''), metadataFields: [SIGNATURE_DEF_FIELD] }),
          ),
        };
      case 'infer':
        if (route.verb === 'predict') return this.predict(route, body, ctx, out.int64AsStrings);
        return this.classifyOrRegress(route, route.verb, body, ctx);
    }
  }

  private spec(route: { model: string; version?: UrlVersion; label?: string }, signatureName: string): ModelSpecInput {
    const v = route.version;
    if (typeof v === 'object') throw notFound(`Servable not found for request: Specific(${route.model}, ${v.unservable})`);
    return { name: route.model, version: v, versionLabel: route.label, signatureName };
  }

  /** Our addition: every configured model with its versions' states (TF Serving has no such call). */
  private list(): string {
    const models = this.modelNames().map((name) => ({
      name,
      model_version_status: JSON.parse(writeModelStatusJson(this.manager.statuses(name) ?? [])).model_version_status ?? [],
    }));
    return JSON.stringify({ models }, null, 1);
  }

  private async predict(route: RestRoute & { kind: 'infer' }, body: Buffer, ctx: RunContext, int64AsStrings: boolean): Promise<RestAnswer> {
    // One handle for the whole request, as gRPC: the signature's dtypes decide how JSON values become
    // tensors, and those tensors must run on the version they were built for.
    const held: { handle?: ServableHandle<Servable> } = {};
    try {
      const acquire = (): ServableHandle<Servable> => (held.handle ??= acquireServable(this.manager, this.spec(route, '')));
      const req = await this.parser.parse(body, () => signatureInputsOf(acquire().servable));
      const handle = acquire();
      const input = { modelSpec: this.spec(route, req.signatureName), inputs: req.inputs, outputFilter: [] };
      const out = await predictOn(handle, input, this.opts, ctx);
      this.opts.requestLog?.predict(input, out);
      return { body: writePredictResponse(out.outputs, req.format, { int64AsStrings }), runtimeMicros: out.runtimeMicros };
    } finally {
      held.handle?.release();
    }
  }

  private async classifyOrRegress(route: RestRoute & { kind: 'infer' }, verb: 'classify' | 'regress', body: Buffer, ctx: RunContext): Promise<RestAnswer> {
    const req = parseExamplesRequest(body);
    const call = { modelSpec: this.spec(route, req.signatureName), input: { examples: req.examples, context: req.context } };
    if (verb === 'classify') {
      const out = await classify(this.manager, call, this.opts, ctx);
      this.opts.requestLog?.classify(call, out);
      return { body: writeClassifyResponse(out.result), runtimeMicros: out.runtimeMicros };
    }
    const out = await regress(this.manager, call, this.opts, ctx);
    this.opts.requestLog?.regress(call, out);
    return { body: writeRegressResponse(out.result), runtimeMicros: out.runtimeMicros };
  }
}

/** Every signature's input dtypes (what the JSON codec needs), computed once per servable. */
const inputsCache = new WeakMap<Servable, SignatureInputs>();
function signatureInputsOf(servable: Servable): SignatureInputs {
  let inputs = inputsCache.get(servable);
  if (!inputs) {
    inputs = new Map([...servable.signatures].map(([name, sig]) => [name, new Map([...sig.inputs].map(([alias, info]) => [alias, { dtype: info.dtype }]))]));
    inputsCache.set(servable, inputs);
  }
  return inputs;
}
