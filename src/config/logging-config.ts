import * as path from 'node:path';
import { ServingError, invalidArgument } from '../errors/serving-error';
import { Code } from '../errors/status-code';

/**
 * ModelConfig.logging_config (tensorflow.serving.LoggingConfig), checked and typed. TF Serving's
 * open-source build registers no log collector and so refuses any logging_config; this server
 * registers one, "file" (src/request-logging/), and refuses the rest with TF Serving's wording.
 */

/** Log collector types this server registers (LogCollector::RegisterFactory in TF Serving). */
export const LOG_COLLECTOR_TYPES: readonly string[] = ['file'];

/** As parseTextProto returns it (and HandleReloadConfigRequest's toObject). */
export interface SamplingConfigProto {
  sampling_rate?: number;
  attributes?: number;
  per_task_sampling_configs?: { dc?: string; task_index?: number; sampling_rate?: number }[];
}

export interface LoggingConfigProto {
  log_collector_config?: { type?: string; filename_prefix?: string };
  sampling_config?: SamplingConfigProto;
  custom_logging_config?: unknown;
}

export interface LoggingConfigOptions {
  /** log_collector_config.type, always one of LOG_COLLECTOR_TYPES. */
  readonly collectorType: string;
  /** log_collector_config.filename_prefix as an absolute path (a relative one is taken from the working directory). */
  readonly filenamePrefix: string;
  /** Probability that a request is logged, in [0, 1]. */
  readonly samplingRate: number;
  /** The sampling_config each record's LogMetadata carries: as configured, with the rate that applies. */
  readonly samplingConfig: SamplingConfigProto;
}

const isRate = (r: number): boolean => r >= 0 && r <= 1;

/**
 * TF Serving's RequestLogger takes the first per-task rule matching its data center and task index.
 * This server has neither, so only a rule naming no dc and no task_index applies.
 */
function samplingRateOf(sampling: SamplingConfigProto): number {
  const rule = (sampling.per_task_sampling_configs ?? []).find((c) => !c.dc && c.task_index === undefined);
  return rule ? (rule.sampling_rate ?? 0) : (sampling.sampling_rate ?? 0);
}

export function loggingConfigOf(proto: LoggingConfigProto, model: string): LoggingConfigOptions {
  const type = proto.log_collector_config?.type ?? '';
  if (!LOG_COLLECTOR_TYPES.includes(type)) {
    throw new ServingError(
      Code.NOT_FOUND,
      `Cannot find LogCollector::Factory for type: ${type} (logging_config of model ${model}; registered: ${LOG_COLLECTOR_TYPES.join(', ')})`,
    );
  }
  const prefix = proto.log_collector_config?.filename_prefix ?? '';
  if (prefix === '') throw invalidArgument(`logging_config of model ${model}: the "file" log collector needs a filename_prefix`);
  if (/^[a-zA-Z][0-9a-zA-Z.]*:\/\//.test(prefix)) {
    throw invalidArgument(`logging_config of model ${model}: filename_prefix ${prefix} must be a local path`);
  }
  const sampling = proto.sampling_config ?? {};
  const rates = [sampling.sampling_rate ?? 0, ...(sampling.per_task_sampling_configs ?? []).map((c) => c.sampling_rate ?? 0)];
  const bad = rates.find((r) => !isRate(r));
  if (bad !== undefined) throw invalidArgument(`logging_config of model ${model}: sampling_rate ${bad} is outside [0, 1]`);
  const samplingRate = samplingRateOf(sampling);
  // A trailing separator keeps its meaning ("files in this folder"): resolve() would drop it.
  const resolved = path.resolve(prefix);
  const absolute = prefix.endsWith(path.sep) && !resolved.endsWith(path.sep) ? resolved + path.sep : resolved;
  return {
    collectorType: type,
    filenamePrefix: absolute,
    samplingRate,
    samplingConfig: { ...sampling, sampling_rate: samplingRate },
  };
}
