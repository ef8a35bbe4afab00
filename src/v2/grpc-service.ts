import * as grpc from '@grpc/grpc-js';
import { toGrpcStatus } from '../grpc/grpc-status';
import { metered } from '../grpc/metered';
import { MethodCodec, runContext, serviceDefinition, unary } from '../grpc/service-definition';
import { ModelSpecInput } from '../inference/model-spec';
import { ServableManager } from '../lifecycle/manager';
import { Servable } from '../lifecycle/servable';
import { ServingMetrics } from '../metrics/serving-metrics';
import { RequestMessage, decodeModelInferMessage, encodeModelInferResponse, inferRequestOf } from './grpc-codec';
import { V2InferOptions, V2InferResult, ensureServable, v2Infer } from './infer';
import { modelMetadata, modelReady, serverMetadata } from './metadata';
import { withTimeoutParameter } from './parameters';

/** The gRPC package and service tritonclient and KServe's clients call. */
export const V2_SERVICE = 'inference.GRPCInferenceService';

/** The decoded message, with the model name the metrics are labelled by. */
interface MeteredRequest {
  readonly message: RequestMessage;
  readonly modelSpec: ModelSpecInput;
}

/**
 * inference.GRPCInferenceService on the gRPC port, beside TF Serving's services: one thin adapter per
 * RPC over the protocol-neutral implementations. ModelInfer takes the call's deadline and cancellation
 * and is counted like Predict (API label `ModelInfer`).
 */
export function v2InferenceService(
  manager: ServableManager<Servable>,
  opts: V2InferOptions,
  metrics: ServingMetrics | undefined,
  /** Every configured model has a version serving, and the server is not shutting down. */
  ready: () => boolean,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const inferCodec: MethodCodec<MeteredRequest, V2InferResult> = {
    decodeRequest: (buf) => {
      const message = decodeModelInferMessage(buf);
      return { message, modelSpec: { name: message.model_name, signatureName: '' } };
    },
    encodeResponse: encodeModelInferResponse,
  };
  const definition = serviceDefinition(V2_SERVICE, { ModelInfer: inferCodec as MethodCodec<unknown, unknown> });
  const infer = async (req: MeteredRequest, call: grpc.ServerUnaryCall<MeteredRequest, V2InferResult>) => {
    ensureServable(manager, req.message.model_name, req.message.model_version);
    const { request, timeoutMicros } = inferRequestOf(req.message);
    return v2Infer(manager, request, opts, withTimeoutParameter(runContext(call), timeoutMicros));
  };
  const implementation: grpc.UntypedServiceImplementation = {
    ServerLive: unary(() => ({ live: true }), toGrpcStatus),
    ServerReady: unary(() => ({ ready: ready() }), toGrpcStatus),
    ModelReady: unary((req: { name: string; version: string }) => ({ ready: modelReady(manager, req.name, req.version) }), toGrpcStatus),
    ServerMetadata: unary(() => serverMetadata(), toGrpcStatus),
    ModelMetadata: unary((req: { name: string; version: string }) => modelMetadata(manager, req.name, req.version), toGrpcStatus),
    ModelInfer: unary(metered(metrics, 'ModelInfer', infer), toGrpcStatus),
  };
  return { definition, implementation };
}
