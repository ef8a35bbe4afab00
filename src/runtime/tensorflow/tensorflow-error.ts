import { ServingError } from '../../errors/serving-error';
import { Code } from '../../errors/status-code';
import { NativeError } from './native-addon';

/** Turns a failure from the addon into a ServingError with TensorFlow's own code and message. */
export function tensorflowError(err: unknown): ServingError {
  if (err instanceof ServingError) return err;
  const e = err as NativeError;
  const code = typeof e?.tfCode === 'number' && e.tfCode > 0 && e.tfCode <= 16 ? (e.tfCode as Code) : Code.INTERNAL;
  return new ServingError(code, e instanceof Error ? e.message : String(err));
}
