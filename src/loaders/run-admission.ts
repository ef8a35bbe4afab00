import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { RunContext } from '../lifecycle/servable';

/**
 * Why a run must not start, if it must not: its version was unloaded, or its client left or ran out of
 * time (a run that nobody will read is not started). Shared by every platform's servable.
 */
export function runRefusal(exportDir: string, unloaded: boolean, ctx?: RunContext): ServingError | undefined {
  if (unloaded) return new ServingError(Code.UNAVAILABLE, `servable at ${exportDir} was unloaded`);
  if (ctx?.signal?.aborted) return new ServingError(Code.CANCELLED, 'Request was cancelled');
  if (ctx?.deadlineMs !== undefined && Date.now() >= ctx.deadlineMs) return new ServingError(Code.DEADLINE_EXCEEDED, 'Deadline Exceeded');
  return undefined;
}
