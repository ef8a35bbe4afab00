import { invalidArgument } from '../errors/serving-error';
import { RunContext } from '../lifecycle/servable';

/** A request parameter's value, as either front end decodes it (gRPC's int64_param as a number). */
export type V2Parameter = string | number | boolean;
export type V2Parameters = ReadonlyMap<string, V2Parameter>;

/** Request parameters this server acts on; the protocol lets a server ignore the others. */
export interface InferParameters {
  /** `signature_name` (ours): the SignatureDef to run; empty means `serving_default`. */
  readonly signatureName: string;
  /** `timeout` (tritonclient's, microseconds): a deadline tighter than the transport's. */
  readonly timeoutMicros?: number;
}

export function inferParameters(p: V2Parameters): InferParameters {
  const signatureName = p.get('signature_name') ?? '';
  if (typeof signatureName !== 'string') throw invalidArgument("parameter 'signature_name' must be a string");
  const timeout = p.get('timeout');
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 0)) {
    throw invalidArgument("parameter 'timeout' must be a non-negative integer (microseconds)");
  }
  // Sequence batching (stateful models fed one request at a time) has no TensorFlow Serving counterpart:
  // serving such a request as an ordinary one would silently lose the sequence's state.
  const sequence = p.get('sequence_id');
  if (sequence !== undefined && sequence !== 0 && sequence !== '') {
    throw invalidArgument("parameter 'sequence_id': sequence batching is not supported by this server");
  }
  return { signatureName, timeoutMicros: timeout || undefined };
}

/** The run context with the request's `timeout` applied (the earlier of the two deadlines wins). */
export function withTimeoutParameter(ctx: RunContext, timeoutMicros: number | undefined): RunContext {
  if (timeoutMicros === undefined) return ctx;
  const mine = Date.now() + timeoutMicros / 1000;
  return { ...ctx, deadlineMs: ctx.deadlineMs === undefined ? mine : Math.min(ctx.deadlineMs, mine) };
}
