import { RunContext, Servable } from '../lifecycle/servable';
import { Tensor } from '../tensor/tensor';
import { Code } from '../errors/status-code';
import { ServingError } from '../errors/serving-error';

/** A servable run, its failure in TF Serving's terms, and its duration for runtime_latency. */
export async function timedRun(
  servable: Servable,
  feedNames: string[],
  feeds: Tensor[],
  fetchNames: string[],
  ctx?: RunContext,
): Promise<{ tensors: Tensor[]; micros: number }> {
  const start = process.hrtime.bigint();
  try {
    const tensors = await servable.run(feedNames, feeds, fetchNames, ctx);
    return { tensors, micros: Number(process.hrtime.bigint() - start) / 1000 };
  } catch (err) {
    throw runError(err);
  }
}

/** Turns a TensorFlow run failure into the status TF Serving would return for it. */
export function runError(err: unknown): ServingError {
  // The runtimes report TensorFlow's own code and message as a ServingError; anything else is ours.
  if (err instanceof ServingError) return err;
  return new ServingError(Code.INTERNAL, err instanceof Error ? err.message : String(err));
}
