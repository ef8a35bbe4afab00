import { Writer } from 'protobufjs';
import { encodeClassificationResponse, encodeMultiInferenceResponse, encodeRegressionResponse } from '../apis/inference-codec';
import { encodePredictResponse } from '../apis/predict-codec';
import { SamplingConfigProto } from '../config/logging-config';
import { ModelConfigOptions } from '../config/model-server-config';
import { ClassifyInput, ClassifyOutput } from '../inference/classify';
import { ResolvedModelSpec } from '../inference/model-spec';
import { MultiInferenceInput, MultiInferenceOutput } from '../inference/multi-inference';
import { PredictInput, PredictOutput } from '../inference/predict';
import { RegressInput, RegressOutput } from '../inference/regress';
import { log } from '../log/logger';
import { LogType, LogTypeField, encodePredictionLog } from './prediction-log';
import { RequestLog } from './request-log';
import { RequestLogSink } from './request-log-sink';
import { writeMultiInferenceRequest, writePredictRequest, writeSingleTaskRequest } from './request-encode';

export interface RequestLoggersOptions {
  /** --saved_model_tags, carried in each record's LogMetadata as TF Serving's RequestLogger adds them. */
  readonly savedModelTags: readonly string[];
  /** --enable_serialization_as_tensor_content: a logged PredictResponse is the one gRPC answers. */
  readonly tensorContentOutputs: boolean;
}

interface ModelLogger {
  readonly rate: number;
  readonly samplingConfig: SamplingConfigProto;
  /** An encoding failure is logged once per model, not once per request. */
  warned: boolean;
}

/**
 * The request path's side of request logging: per model, TF Serving's uniform sampling (decided before
 * anything is encoded), then one serialized PredictionLog handed to a sink. It touches no file, so a
 * front-end thread can run it with a sink that posts the bytes to the thread owning the files.
 */
export class RequestLoggers implements RequestLog {
  private byModel = new Map<string, ModelLogger>();

  constructor(
    private readonly sink: RequestLogSink,
    private readonly opts: RequestLoggersOptions,
  ) {}

  /** The models that log, from the config now in force (a reload may add, change or remove logging). */
  update(models: ReadonlyArray<Pick<ModelConfigOptions, 'name' | 'logging'>>): void {
    const next = new Map<string, ModelLogger>();
    for (const m of models) {
      if (m.logging && m.logging.samplingRate > 0) {
        next.set(m.name, { rate: m.logging.samplingRate, samplingConfig: m.logging.samplingConfig, warned: false });
      }
    }
    this.byModel = next;
  }

  readonly predict = (input: PredictInput, output: PredictOutput): void => {
    const logger = this.sampled(output.modelSpec.name);
    if (!logger) return;
    const response = () => encodePredictResponse(output, this.opts.tensorContentOutputs);
    this.later(logger, output.modelSpec, LogType.predict, (w) => writePredictRequest(w, input), response);
  };

  readonly classify = (input: ClassifyInput, output: ClassifyOutput): void => {
    const logger = this.sampled(output.modelSpec.name);
    if (!logger) return;
    const response = () => encodeClassificationResponse(output);
    this.later(logger, output.modelSpec, LogType.classify, (w) => writeSingleTaskRequest(w, input), response);
  };

  readonly regress = (input: RegressInput, output: RegressOutput): void => {
    const logger = this.sampled(output.modelSpec.name);
    if (!logger) return;
    const response = () => encodeRegressionResponse(output);
    this.later(logger, output.modelSpec, LogType.regress, (w) => writeSingleTaskRequest(w, input), response);
  };

  readonly multiInference = (input: MultiInferenceInput, output: MultiInferenceOutput): void => {
    // Every task of a MultiInference names the same model; the first one's spec heads the record.
    const spec = output.results[0]?.modelSpec;
    const logger = spec && this.sampled(spec.name);
    if (!logger) return;
    const response = () => encodeMultiInferenceResponse(output);
    this.later(logger, spec, LogType.multiInference, (w) => writeMultiInferenceRequest(w, input), response);
  };

  /** The model's logger when this request is to be logged: TF Serving's UniformSampler (u < rate). */
  private sampled(model: string): ModelLogger | undefined {
    const logger = this.byModel.get(model);
    return logger && Math.random() < logger.rate ? logger : undefined;
  }

  /**
   * Encodes the record and hands it over on a later turn of the event loop, once the answer has been
   * written out: logging neither fails nor delays the request it logs. (Requests and results are never
   * reused after the call, so reading them a moment later is safe.)
   */
  private later(
    logger: ModelLogger,
    spec: ResolvedModelSpec,
    logType: LogTypeField,
    writeRequest: (w: Writer) => void,
    response: () => Uint8Array,
  ): void {
    const timestampSecs = Math.floor(Date.now() / 1000);
    setImmediate(() => {
      try {
        const metadata = { modelSpec: spec, samplingConfig: logger.samplingConfig, savedModelTags: this.opts.savedModelTags, timestampSecs };
        this.sink.append(spec.name, encodePredictionLog(metadata, logType, writeRequest, response()));
      } catch (err) {
        if (!logger.warned) log.warn(`Request log of model ${spec.name}: a record could not be encoded: ${String(err)}`);
        logger.warned = true;
      }
    });
  }
}
