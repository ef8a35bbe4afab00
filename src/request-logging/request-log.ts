import { ClassifyInput, ClassifyOutput } from '../inference/classify';
import { MultiInferenceInput, MultiInferenceOutput } from '../inference/multi-inference';
import { PredictInput, PredictOutput } from '../inference/predict';
import { RegressInput, RegressOutput } from '../inference/regress';

/**
 * What the front ends call after each successful Predict, Classify, Regress or MultiInference, with
 * the protocol-neutral request and result. Each returns at once (a model without logging, or a request
 * the sampler skips, costs a map lookup and a random number; a sampled one is encoded after the answer
 * has gone out). The members are bound functions, so they can be handed on alone.
 */
export interface RequestLog {
  readonly predict: (input: PredictInput, output: PredictOutput) => void;
  readonly classify: (input: ClassifyInput, output: ClassifyOutput) => void;
  readonly regress: (input: RegressInput, output: RegressOutput) => void;
  readonly multiInference: (input: MultiInferenceInput, output: MultiInferenceOutput) => void;
}

/** `handler`, reporting each call it answers to `report`; without a report, `handler` itself. */
export function logged<In, Ctx, Out>(
  report: ((input: In, output: Out) => void) | undefined,
  handler: (input: In, ctx: Ctx) => Promise<Out>,
): (input: In, ctx: Ctx) => Promise<Out> {
  if (!report) return handler;
  return async (input, ctx) => {
    const output = await handler(input, ctx);
    report(input, output);
    return output;
  };
}
