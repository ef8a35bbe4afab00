import { invalidArgument, notFound } from '../errors/serving-error';
import { ServableManager } from '../lifecycle/manager';
import { Servable } from '../lifecycle/servable';
import { VersionState, VersionStatus } from '../lifecycle/servable-state';
import { Code } from '../errors/status-code';
import { ModelSpecInput } from './model-spec';

/**
 * GetModelStatus: every version the server has seen for the model, highest first, or just the one
 * asked for. A version label is ignored, as in TF Serving.
 *
 * Beyond TF Serving, a base path that cannot be read right now (an unreachable bucket, wrong
 * credentials) is reported: appended to the NOT_FOUND message when no version is known, and as the
 * message of each serving version's OK status (they keep serving from their loaded copy).
 */
export function getModelStatus(manager: ServableManager<Servable>, spec: ModelSpecInput | undefined): VersionStatus[] {
  if (!spec) throw invalidArgument('Missing ModelSpec');
  const sourceError = manager.sourceError(spec.name);
  const all = (manager.statuses(spec.name) ?? []).map((s) =>
    sourceError && !s.error && s.state === VersionState.AVAILABLE ? { ...s, error: { code: Code.OK, message: sourceError.message } } : s,
  );
  const because = sourceError ? `; ${sourceError.message}` : '';
  if (spec.version !== undefined) {
    const one = all.find((s) => s.version === spec.version);
    if (!one) throw notFound(`Could not find version ${spec.version} of model ${spec.name}${because}`);
    return [one];
  }
  if (all.length === 0) throw notFound(`Could not find any versions of model ${spec.name}${because}`);
  return all;
}
