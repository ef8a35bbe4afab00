import { Writer } from 'protobufjs';
import { ClassificationResult, ClassifyOutput } from '../inference/classify';
import { ResolvedModelSpec } from '../inference/model-spec';
import { MultiInferenceOutput } from '../inference/multi-inference';
import { RegressOutput, RegressionResult } from '../inference/regress';
import { writeModelSpec } from './model-spec-codec';

/**
 * ClassificationResponse, RegressionResponse and MultiInferenceResponse, written by hand: labels go
 * out as the exact bytes of the `classes` tensor, and fields come in TF Serving's (C++) order.
 *
 * ClassificationResponse: result = 1, model_spec = 2.
 *   ClassificationResult: classifications = 1; Classifications: classes = 1; Class: label = 1, score = 2.
 * RegressionResponse: result = 1, model_spec = 2.
 *   RegressionResult: regressions = 1; Regression: value = 1.
 * MultiInferenceResponse: results = 1; InferenceResult: model_spec = 1, classification_result = 2,
 *   regression_result = 3.
 */

const LEN = 2;
const FIXED32 = 5;

/** proto3 leaves a float out only when its bits are zero, so -0.0 is still written. */
const isZeroBits = (v: number): boolean => Object.is(v, 0);

function writeClassificationResult(w: Writer, result: ClassificationResult): void {
  for (const row of result.classifications) {
    w.uint32((1 << 3) | LEN).fork();
    for (const c of row) {
      w.uint32((1 << 3) | LEN).fork();
      if (c.label.byteLength > 0) w.uint32((1 << 3) | LEN).bytes(c.label);
      if (!isZeroBits(c.score)) w.uint32((2 << 3) | FIXED32).float(c.score);
      w.ldelim();
    }
    w.ldelim();
  }
}

function writeRegressionResult(w: Writer, result: RegressionResult): void {
  for (const value of result.regressions) {
    w.uint32((1 << 3) | LEN).fork();
    if (!isZeroBits(value)) w.uint32((1 << 3) | FIXED32).float(value);
    w.ldelim();
  }
}

function writeSpecField(w: Writer, field: number, spec: ResolvedModelSpec): void {
  w.uint32((field << 3) | LEN).fork();
  writeModelSpec(w, spec);
  w.ldelim();
}

export function encodeClassificationResponse(out: ClassifyOutput): Buffer {
  const w = Writer.create();
  w.uint32((1 << 3) | LEN).fork();
  writeClassificationResult(w, out.result);
  w.ldelim();
  writeSpecField(w, 2, out.modelSpec);
  return w.finish() as Buffer;
}

export function encodeRegressionResponse(out: RegressOutput): Buffer {
  const w = Writer.create();
  w.uint32((1 << 3) | LEN).fork();
  writeRegressionResult(w, out.result);
  w.ldelim();
  writeSpecField(w, 2, out.modelSpec);
  return w.finish() as Buffer;
}

export function encodeMultiInferenceResponse(out: MultiInferenceOutput): Buffer {
  const w = Writer.create();
  for (const r of out.results) {
    w.uint32((1 << 3) | LEN).fork();
    writeSpecField(w, 1, r.modelSpec);
    if (r.kind === 'classification') {
      w.uint32((2 << 3) | LEN).fork();
      writeClassificationResult(w, r.result);
    } else {
      w.uint32((3 << 3) | LEN).fork();
      writeRegressionResult(w, r.result);
    }
    w.ldelim();
    w.ldelim();
  }
  return w.finish() as Buffer;
}
