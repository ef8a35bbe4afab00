import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import { REPO } from './paths';

/**
 * A TypeScript client built with @grpc/proto-loader: a codec independent of the server's own
 * hand-written one, so tests catch encoding mistakes the server could not see in itself.
 */
type Unary = (req: object, opts: { deadline: Date }, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;
type ClientCtor = new (target: string, creds: grpc.ChannelCredentials, options?: object) => grpc.Client & Record<string, Unary>;

const definition = protoLoader.loadSync(
  ['tensorflow_serving/apis/prediction_service.proto', 'tensorflow_serving/apis/model_service.proto'],
  { includeDirs: [path.join(REPO, 'proto')], keepCase: true, longs: String, enums: String, defaults: false, oneofs: true },
);
const pkg = grpc.loadPackageDefinition(definition) as unknown as {
  tensorflow: { serving: { PredictionService: ClientCtor; ModelService: ClientCtor } };
};

/** Starts a Predict on a connection of its own that can be cancelled; resolves with the outcome either way. */
export function cancellablePredict(target: string, req: object): { call: grpc.ClientUnaryCall; done: Promise<{ code: number; details: string }>; close(): void } {
  const c = new pkg.tensorflow.serving.PredictionService(target, grpc.credentials.createInsecure());
  const predict = c.Predict as unknown as (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void) => grpc.ClientUnaryCall;
  let call!: grpc.ClientUnaryCall;
  const done = new Promise<{ code: number; details: string }>((resolve) => {
    call = predict.call(c, req, { deadline: Date.now() + 30000 }, (err) => resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' }));
  });
  return { call, done, close: () => c.close() };
}

export interface CallError {
  code: string;
  details: string;
}

export type CallResult<T> = { ok: true; response: T } | { ok: false; error: CallError };

export class TestClient {
  private readonly prediction: grpc.Client & Record<string, Unary>;
  private readonly model: grpc.Client & Record<string, Unary>;

  /** `ownConnection`: a connection of its own (grpc-js otherwise shares one per target between clients). */
  constructor(target: string, ownConnection = false) {
    const opts = {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      ...(ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
    };
    this.prediction = new pkg.tensorflow.serving.PredictionService(target, grpc.credentials.createInsecure(), opts);
    this.model = new pkg.tensorflow.serving.ModelService(target, grpc.credentials.createInsecure(), opts);
  }

  private call<T>(client: Record<string, Unary>, method: string, req: object, timeoutMs = 30000): Promise<CallResult<T>> {
    return new Promise((resolve) => {
      client[method].call(client, req, { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => {
        if (err) resolve({ ok: false, error: { code: grpc.status[err.code], details: err.details } });
        else resolve({ ok: true, response: res as T });
      });
    });
  }

  /** Any PredictionService method by name. */
  rpc<T = unknown>(method: string, req: object, timeoutMs?: number): Promise<CallResult<T>> {
    return this.call(this.prediction, method, req, timeoutMs);
  }

  predictWithDeadline(req: object, timeoutMs: number): Promise<CallResult<PredictResponseObject>> {
    return this.call(this.prediction, 'Predict', req, timeoutMs);
  }

  predict<T = PredictResponseObject>(req: object): Promise<CallResult<T>> {
    return this.call(this.prediction, 'Predict', req);
  }

  metadata(req: object): Promise<CallResult<Record<string, unknown>>> {
    return this.call(this.prediction, 'GetModelMetadata', req);
  }

  status(req: object): Promise<CallResult<{ model_version_status: Array<Record<string, unknown>> }>> {
    return this.call(this.model, 'GetModelStatus', req);
  }

  /** HandleReloadConfigRequest with a ModelServerConfig object (and metrics to report the increase of). */
  reload(config: object, metricNames?: string[]): Promise<CallResult<Record<string, unknown>>> {
    return this.call(this.model, 'HandleReloadConfigRequest', { config, metric_names: metricNames });
  }

  /** Resolves once the client's connections are open (they otherwise open at the first call). */
  connect(timeoutMs = 10000): Promise<void> {
    const deadline = new Date(Date.now() + timeoutMs);
    const ready = (c: grpc.Client) => new Promise<void>((resolve, reject) => c.waitForReady(deadline, (err) => (err ? reject(err) : resolve())));
    return Promise.all([ready(this.prediction), ready(this.model)]).then(() => undefined);
  }

  close(): void {
    this.prediction.close();
    this.model.close();
  }
}

export interface TensorObject {
  dtype: string;
  tensor_shape?: { dim?: Array<{ size: string }> };
  float_val?: number[];
  tensor_content?: Buffer;
  [k: string]: unknown;
}

export interface PredictResponseObject {
  outputs: Record<string, TensorObject>;
  model_spec: { name: string; version?: { value: string }; signature_name: string };
}

/** A float32 TensorProto with typed values. */
export const floatTensor = (values: number[], shape: number[] = [values.length]): TensorObject => ({
  dtype: 'DT_FLOAT',
  tensor_shape: { dim: shape.map((s) => ({ size: String(s) })) },
  float_val: values,
});
