import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Reader } from 'protobufjs';
import { ServingError, invalidArgument } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { decodeClassificationRequest, decodeMultiInferenceRequest, decodeRegressionRequest } from '../apis/input-codec';
import { decodePredictRequest } from '../apis/predict-codec';
import { classify } from '../inference/classify';
import { ModelSpecInput } from '../inference/model-spec';
import { multiInference } from '../inference/multi-inference';
import { PredictOptions, predict } from '../inference/predict';
import { regress } from '../inference/regress';
import { ServableManager } from '../lifecycle/manager';
import { Servable } from '../lifecycle/servable';
import { log } from '../log/logger';
import { TfRecordError, readTfRecords } from '../tfrecord/tfrecord-reader';

/** Where TF Serving looks for a version's warmup requests, relative to the version folder. */
export const WARMUP_FILE = path.join('assets.extra', 'tf_serving_warmup_requests');
export const MAX_WARMUP_RECORDS = 1000;

/** PredictionLog's log_type fields (prediction_log.proto). */
const LOG_TYPES: Record<number, string> = {
  2: 'classify_log',
  3: 'regress_log',
  4: 'multi_inference_log',
  5: 'session_run_log',
  6: 'predict_log',
  7: 'predict_streamed_log',
};

export interface WarmupOptions extends PredictOptions {
  /** --num_request_iterations_for_warmup (values < 1 mean once). */
  readonly iterations: number;
}

/** The `request` (field 1) of the log message in `data`, and which log it was. */
function splitLog(data: Uint8Array): { logType: string; fieldNo: number; request: Buffer } {
  const r = Reader.create(data);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (LOG_TYPES[field] && (tag & 7) === 2) {
      const inner = Reader.create(r.bytes());
      let request = Buffer.alloc(0);
      while (inner.pos < inner.len) {
        const t = inner.uint32();
        if (t === ((1 << 3) | 2)) request = Buffer.from(inner.bytes());
        else inner.skipType(t & 7);
      }
      return { logType: LOG_TYPES[field], fieldNo: field, request };
    }
    r.skipType(tag & 7);
  }
  throw new Error('no log_type set');
}

/** Warmup runs against the version being loaded, whatever model name or version the log names. */
const WARMUP_NAME = 'warmup';
const retarget = (spec: ModelSpecInput | undefined): ModelSpecInput => ({ name: WARMUP_NAME, signatureName: spec?.signatureName ?? '' });

/** Replays one logged request through the same code paths as live requests. */
async function replay(only: ServableManager<Servable>, logType: string, fieldNo: number, request: Buffer, opts: PredictOptions): Promise<void> {
  switch (logType) {
    case 'predict_log': {
      const req = decodePredictRequest(request);
      await predict(only, { ...req, modelSpec: retarget(req.modelSpec) }, opts);
      return;
    }
    case 'classify_log': {
      const req = decodeClassificationRequest(request);
      await classify(only, { ...req, modelSpec: retarget(req.modelSpec) }, opts);
      return;
    }
    case 'regress_log': {
      const req = decodeRegressionRequest(request);
      await regress(only, { ...req, modelSpec: retarget(req.modelSpec) }, opts);
      return;
    }
    case 'multi_inference_log': {
      const req = decodeMultiInferenceRequest(request);
      const tasks = req.tasks.map((t) => ({ ...t, modelSpec: retarget(t.modelSpec) }));
      await multiInference(only, { ...req, tasks }, opts);
      return;
    }
    default:
      throw new ServingError(Code.UNIMPLEMENTED, `Unsupported log_type for warmup: ${fieldNo}`);
  }
}

/**
 * Replays `assets.extra/tf_serving_warmup_requests` against a freshly loaded version, before it is
 * published AVAILABLE, so the first real request does not pay for TensorFlow's lazy initialisation.
 * Any failure fails the load, as in TF Serving (and goes through the load retries).
 */
export async function warmUp(servable: Servable, exportDir: string, opts: WarmupOptions): Promise<number> {
  const file = path.join(exportDir, WARMUP_FILE);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    log.info(`No warmup data file found at ${file}`);
    return 0;
  }
  let records: Uint8Array[];
  try {
    records = readTfRecords(bytes, MAX_WARMUP_RECORDS + 1);
  } catch (err) {
    if (err instanceof TfRecordError) {
      throw new ServingError(Code.DATA_LOSS, `${err.message}. Please verify your warmup data is in TFRecord format.`);
    }
    throw err;
  }
  if (records.length > MAX_WARMUP_RECORDS) {
    throw invalidArgument(`Number of warmup records exceeds the maximum (${MAX_WARMUP_RECORDS}) at ${file}`);
  }
  const iterations = Math.max(1, opts.iterations);
  const started = Date.now();
  // A manager holding only this version, so warmup runs exactly the code live requests run.
  const only = new ServableManager<Servable>();
  await only.load(WARMUP_NAME, 0, async () => servable);
  for (const record of records) {
    let entry;
    try {
      entry = splitLog(record);
    } catch (err) {
      throw invalidArgument(`Failed to parse warmup record: ${(err as Error).message} from ${file}`);
    }
    for (let i = 0; i < iterations; i++) await replay(only, entry.logType, entry.fieldNo, entry.request, opts);
  }
  log.info(`Finished reading warmup data for model at ${exportDir}. Number of warmup records read: ${records.length}. Elapsed time (microseconds): ${(Date.now() - started) * 1000}.`);
  return records.length;
}
