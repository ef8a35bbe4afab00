import { Writer } from 'protobufjs';
import { writeModelSpec } from '../apis/model-spec-codec';
import { SamplingConfigProto } from '../config/logging-config';
import { ResolvedModelSpec } from '../inference/model-spec';

/**
 * tensorflow.serving.PredictionLog (apis/prediction_log.proto, TF Serving 2.20/2.21), written by hand so
 * a request's tensors are copied once, straight into the record:
 *
 * PredictionLog: log_metadata = 1, oneof log_type { classify_log = 2, regress_log = 3,
 *   multi_inference_log = 4, predict_log = 6 } (each: request = 1, response = 2).
 * LogMetadata: model_spec = 1, sampling_config = 2, saved_model_tags = 3, timestamp_secs = 4 (int64,
 *   seconds since the epoch: TF Serving's field is not a google.protobuf.Timestamp).
 * SamplingConfig: sampling_rate = 1 (double), attributes = 2, per_task_sampling_configs = 3
 *   (PerTaskSamplingConfig: dc = 1, task_index = 2 (optional), sampling_rate = 3).
 */

export const LogType = { classify: 2, regress: 3, multiInference: 4, predict: 6 } as const;
export type LogTypeField = (typeof LogType)[keyof typeof LogType];

export interface LogMetadataFields {
  /** The version and signature that answered. */
  readonly modelSpec: ResolvedModelSpec;
  readonly samplingConfig: SamplingConfigProto;
  readonly savedModelTags: readonly string[];
  readonly timestampSecs: number;
}

const LEN = 2;
const VARINT = 0;
const FIXED64 = 1;
const tag = (field: number, wire: number): number => (field << 3) | wire;

function writeSamplingConfig(w: Writer, s: SamplingConfigProto): void {
  if (s.sampling_rate) w.uint32(tag(1, FIXED64)).double(s.sampling_rate);
  if (s.attributes) w.uint32(tag(2, VARINT)).int32(s.attributes);
  for (const rule of s.per_task_sampling_configs ?? []) {
    w.uint32(tag(3, LEN)).fork();
    if (rule.dc) w.uint32(tag(1, LEN)).string(rule.dc);
    if (rule.task_index !== undefined) w.uint32(tag(2, VARINT)).int32(rule.task_index);
    if (rule.sampling_rate) w.uint32(tag(3, FIXED64)).double(rule.sampling_rate);
    w.ldelim();
  }
}

function writeLogMetadata(w: Writer, m: LogMetadataFields): void {
  w.uint32(tag(1, LEN)).fork();
  writeModelSpec(w, m.modelSpec);
  w.ldelim();
  // Always present, as TF Serving's RequestLogger always sets it.
  w.uint32(tag(2, LEN)).fork();
  writeSamplingConfig(w, m.samplingConfig);
  w.ldelim();
  for (const t of m.savedModelTags) w.uint32(tag(3, LEN)).string(t);
  if (m.timestampSecs !== 0) w.uint32(tag(4, VARINT)).int64(m.timestampSecs);
}

/** One serialized PredictionLog: metadata, then the call's request (written in place) and response. */
export function encodePredictionLog(
  metadata: LogMetadataFields,
  logType: LogTypeField,
  writeRequest: (w: Writer) => void,
  response: Uint8Array,
): Uint8Array {
  const w = Writer.create();
  w.uint32(tag(1, LEN)).fork();
  writeLogMetadata(w, metadata);
  w.ldelim();
  w.uint32(tag(logType, LEN)).fork();
  w.uint32(tag(1, LEN)).fork();
  writeRequest(w);
  w.ldelim();
  w.uint32(tag(2, LEN)).bytes(response);
  w.ldelim();
  return w.finish();
}
