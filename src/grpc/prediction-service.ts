import * as grpc from '@grpc/grpc-js';
import { Writer } from 'protobufjs';
import { ClassifyInput, ClassifyOutput, classify } from '../inference/classify';
import { MetadataOutput, getModelMetadata } from '../inference/metadata';
import { MultiInferenceInput, MultiInferenceOutput, multiInference } from '../inference/multi-inference';
import { PredictInput, PredictOptions, PredictOutput, predict } from '../inference/predict';
import { RegressInput, RegressOutput, regress } from '../inference/regress';
import { ServableManager } from '../lifecycle/manager';
import { Servable } from '../lifecycle/servable';
import { ServingMetrics } from '../metrics/serving-metrics';
import { protoType } from '../proto/root';
import { toGrpcStatus } from './grpc-status';
import { metered } from './metered';
import { recordExamples } from '../metrics/request-recorder';
import { encodeClassificationResponse, encodeMultiInferenceResponse, encodeRegressionResponse } from '../apis/inference-codec';
import { decodeClassificationRequest, decodeMultiInferenceRequest, decodeRegressionRequest } from '../apis/input-codec';
import { modelSpecFromMessage, writeModelSpec } from '../apis/model-spec-codec';
import { decodePredictRequest, encodePredictResponse } from '../apis/predict-codec';
import { MethodCodec, runContext, serviceDefinition, unary } from './service-definition';
import { RequestLog, logged } from '../request-logging/request-log';

export interface PredictionServiceOptions extends PredictOptions {
  /** Where request counts and latencies go; none when monitoring is off. */
  readonly metrics?: ServingMetrics;
  /** --enable_serialization_as_tensor_content */
  readonly tensorContentOutputs: boolean;
  /** Request logging (ModelConfig.logging_config); absent: nothing is logged. */
  readonly requestLog?: RequestLog;
}

const SIGNATURE_DEF_MAP_URL = 'type.googleapis.com/tensorflow.serving.SignatureDefMap';

/**
 * GetModelMetadataResponse, written by hand so the SignatureDefs reach the client exactly as they
 * are in saved_model.pb: model_spec = 1, metadata = 2 (map<string, Any>) with key "signature_def".
 */
function encodeMetadataResponse(out: MetadataOutput): Buffer {
  const w = Writer.create();
  w.uint32((1 << 3) | 2).fork();
  writeModelSpec(w, { name: out.name, version: out.version });
  w.ldelim();
  w.uint32((2 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string('signature_def');
  w.uint32((2 << 3) | 2).fork(); // google.protobuf.Any
  w.uint32((1 << 3) | 2).string(SIGNATURE_DEF_MAP_URL);
  w.uint32((2 << 3) | 2).fork(); // SignatureDefMap: signature_def = 1
  for (const entry of out.signatureDefEntries) w.uint32((1 << 3) | 2).bytes(entry);
  w.ldelim();
  w.ldelim();
  w.ldelim();
  return w.finish() as Buffer;
}

interface MetadataRequestMessage {
  model_spec?: unknown;
  metadata_field?: string[];
}

/** PredictionService: one thin adapter per RPC over the protocol-neutral implementations. */
export function predictionService(
  manager: ServableManager<Servable>,
  opts: PredictionServiceOptions,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const predictCodec: MethodCodec<PredictInput, PredictOutput> = {
    decodeRequest: decodePredictRequest,
    encodeResponse: (out) => encodePredictResponse(out, opts.tensorContentOutputs),
  };
  const metadataCodec: MethodCodec<unknown, MetadataOutput> = {
    decodeRequest: (buf) => protoType('tensorflow.serving.GetModelMetadataRequest').decode(buf),
    encodeResponse: encodeMetadataResponse,
  };
  // Classify, Regress and MultiInference keep each tf.Example's wire bytes (input-codec.ts).
  const classifyCodec: MethodCodec<ClassifyInput, ClassifyOutput> = {
    decodeRequest: decodeClassificationRequest,
    encodeResponse: encodeClassificationResponse,
  };
  const regressCodec: MethodCodec<RegressInput, RegressOutput> = {
    decodeRequest: decodeRegressionRequest,
    encodeResponse: encodeRegressionResponse,
  };
  const multiInferenceCodec: MethodCodec<MultiInferenceInput, MultiInferenceOutput> = {
    decodeRequest: decodeMultiInferenceRequest,
    encodeResponse: encodeMultiInferenceResponse,
  };
  const definition = serviceDefinition('tensorflow.serving.PredictionService', {
    Predict: predictCodec as MethodCodec<unknown, unknown>,
    GetModelMetadata: metadataCodec as MethodCodec<unknown, unknown>,
    Classify: classifyCodec as MethodCodec<unknown, unknown>,
    Regress: regressCodec as MethodCodec<unknown, unknown>,
    MultiInference: multiInferenceCodec as MethodCodec<unknown, unknown>,
  });
  const implementation: grpc.UntypedServiceImplementation = {
    Predict: unary(logged(opts.requestLog?.predict, metered(opts.metrics, 'Predict', (req: PredictInput, call) => predict(manager, req, opts, runContext(call)))), toGrpcStatus),
    GetModelMetadata: unary((req: MetadataRequestMessage) => {
      return getModelMetadata(manager, {
        modelSpec: modelSpecFromMessage(req.model_spec),
        metadataFields: req.metadata_field ?? [],
      });
    }, toGrpcStatus),
    Classify: unary(
      logged(opts.requestLog?.classify, metered(opts.metrics, 'Classify', (req: ClassifyInput, call) => classify(manager, req, opts, runContext(call)))),
      toGrpcStatus,
    ),
    Regress: unary(
      logged(opts.requestLog?.regress, metered(opts.metrics, 'Regress', (req: RegressInput, call) => regress(manager, req, opts, runContext(call)))),
      toGrpcStatus,
    ),
    // TF Serving counts MultiInference only in the example-count metrics.
    MultiInference: unary(async (req: MultiInferenceInput, call) => {
      const out = await multiInference(manager, req, opts, runContext(call));
      if (opts.metrics) recordExamples(opts.metrics, req.tasks[0]?.modelSpec?.name ?? '', req.input.examples.length);
      opts.requestLog?.multiInference(req, out);
      return out;
    }, toGrpcStatus),
  };
  return { definition, implementation };
}
