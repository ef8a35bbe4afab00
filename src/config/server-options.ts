import * as path from 'node:path';
import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { BatchingOptions, defaultBatchingOptions, readBatchingParametersFile } from './batching-parameters';
import { FlagValues } from './flags';
import { SslOptions, readSslConfigFile } from './ssl-config';
import { MonitoringOptions, defaultMonitoringOptions, readMonitoringConfigFile } from './monitoring-config';
import { TensorFlowRuntimeOptions } from '../runtime/tensorflow/tensorflow-runtime';
import { log } from '../log/logger';
import { PlatformConfigOptions, readPlatformConfigFile } from './platform-config';
import { ModelServerConfigOptions, isRelativeBasePath, isUri, readModelServerConfigFile, singleModelConfig } from './model-server-config';

/** Everything the server needs to start, checked and typed, built from TF Serving's flags. */
export interface ServerOptions {
  readonly grpcPort: number;
  readonly grpcSocketPath: string;
  readonly grpcBindAddress: string;
  /** Empty = all interfaces. */
  readonly restApiBindAddress: string;
  /** 0 = no REST API. */
  readonly restApiPort: number;
  readonly restApiTimeoutMs: number;
  readonly restApiEnableCors: boolean;
  readonly restApiMaxBodyBytes: number;
  readonly monitoring: MonitoringOptions;
  readonly enableGrpcHealthcheckService: boolean;
  readonly drainTimeoutSeconds: number;
  /** --ssl_config_file (gRPC), and ours: --rest_api_ssl_config_file (REST). */
  readonly grpcSsl?: SslOptions;
  readonly restSsl?: SslOptions;
  /** Undefined when --model_config_file is a URI (gs://, s3://): the server reads it as it starts. */
  readonly modelConfig: ModelServerConfigOptions | undefined;
  /** The --model_config_file the config came from, if any. */
  readonly modelConfigFile: string;
  readonly savedModelTags: string[];
  /** --prefer_tflite_model, --num_tflite_pools, --num_tflite_interpreters_per_pool */
  readonly tflite: { readonly prefer: boolean; readonly numPools: number; readonly interpretersPerPool: number };
  readonly fileSystemPollWaitSeconds: number;
  readonly versionSettleMs: number;
  readonly modelConfigFilePollWaitSeconds: number;
  readonly numLoadThreads: number;
  /** Loads at once while the initial models load (then numLoadThreads). */
  readonly numInitialLoadThreads: number;
  readonly waitForModelsAtStartup: boolean;
  readonly enableModelWarmup: boolean;
  /** Set when --enable_batching is on: the parameters file's settings, or TF Serving's defaults. */
  readonly batching?: BatchingOptions;
  /**
   * --enable_per_model_batching_parameters (with --enable_batching): each version batches with its own
   * batching_params.pbtxt, or not at all without one; only the thread pool comes from `batching`.
   */
  readonly perModelBatching: boolean;
  readonly warmupIterations: number;
  readonly maxNumLoadRetries: number;
  readonly loadRetryIntervalMs: number;
  readonly grpcChannelArguments: Record<string, string | number>;
  readonly enableSignatureMethodNameCheck: boolean;
  readonly allowVersionLabelsForUnavailableModels: boolean;
  readonly tensorContentOutputs: boolean;
  /** TensorFlow's session options, op libraries and XLA switch (src/runtime/tensorflow). */
  readonly tensorflow: TensorFlowRuntimeOptions;
  /** --enable_profiler: TensorFlow's ProfilerService on the gRPC port. */
  /** --front_end_threads: 0 = the main thread serves requests. */
  readonly frontEndThreads: number;
  readonly enableProfiler: boolean;
  /** --platform_config_file, when given: what it set (already applied to the options above). */
  readonly platformConfig?: PlatformConfigOptions;
}

const invalid = (message: string): ServingError => new ServingError(Code.INVALID_ARGUMENT, message);

/** `k=v,k=v`; a value that parses as an integer is passed as a number, as TF Serving does. */
export function parseChannelArguments(text: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw invalid(`gRPC channel argument "${part}" is not of the form key=value`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    // Only values that fit a C int become integers, as TF Serving does; others stay strings.
    const n = Number(value);
    out[key] = /^[+-]?\d+$/.test(value) && n >= -(2 ** 31) && n < 2 ** 31 ? n : value;
  }
  return out;
}

/** Applies TF Serving's start-up checks (same wording) and reads the model config. */
export function serverOptionsFromFlags(f: FlagValues): ServerOptions {
  const grpcPort = f.port as number;
  const grpcSocketPath = f.grpc_socket_path as string;
  if (grpcPort === 0 && grpcSocketPath === '') {
    throw invalid('At least one of server_options.grpc_port or server_options.grpc_socket_path must be set.');
  }
  if (f.use_alts_credentials && f.ssl_config_file) {
    throw invalid('Either use_alts_credentials must be false or ssl_config_file must be empty.');
  }
  const modelConfigFile = f.model_config_file as string;
  const modelBasePath = f.model_base_path as string;
  if (modelBasePath === '' && modelConfigFile === '') {
    throw invalid('Both server_options.model_base_path and server_options.model_config_file are empty!');
  }
  // As in TF Serving, a platform config file replaces the flags that build the SessionBundleConfig,
  // and so the checks of those flags too.
  const platformConfigFile = f.platform_config_file as string;
  if (!platformConfigFile) {
    if (f.batching_parameters_file && !f.enable_batching) {
      throw invalid('server_options.batching_parameters_file is set without setting server_options.enable_batching to true.');
    }
    const parallel = [f.tensorflow_session_parallelism, f.tensorflow_intra_op_parallelism, f.tensorflow_inter_op_parallelism];
    if (parallel.every((p) => (p as number) > 0)) {
      throw invalid(
        'Either configure server_options.tensorflow_session_parallelism or (server_options.tensorflow_intra_op_parallelism, server_options.tensorflow_inter_op_parallelism) separately. You cannot configure all.',
      );
    }
  }
  // Unlike TF Serving, a relative --model_base_path is taken relative to the working directory.
  const modelConfig = modelConfigFile
    ? isUri(modelConfigFile)
      ? undefined
      : readModelServerConfigFile(modelConfigFile)
    : singleModelConfig(f.model_name as string, isRelativeBasePath(modelBasePath) ? path.resolve(modelBasePath) : modelBasePath);
  // Read after the model config, as TF Serving does; the models' platforms are checked against it.
  const platform = platformConfigFile ? readPlatformConfigFile(platformConfigFile, modelConfig?.models ?? []) : undefined;
  for (const w of platform?.warnings ?? []) log.warn(w);
  const options = flagOptions(f, grpcPort, grpcSocketPath, modelConfig, modelConfigFile);
  return platform ? withPlatformConfig(options, platform) : options;
}

/** The options a platform config file sets in place of the flags (TF Serving's SessionBundleConfig). */
export function withPlatformConfig(o: ServerOptions, p: PlatformConfigOptions): ServerOptions {
  return {
    ...o,
    savedModelTags: p.savedModelTags,
    tflite: p.tflite,
    enableModelWarmup: p.enableModelWarmup,
    warmupIterations: p.warmupIterations,
    batching: p.batching,
    perModelBatching: p.perModelBatching,
    tensorflow: {
      ...o.tensorflow,
      configFile: '',
      intraOp: 0,
      interOp: 0,
      sessionParallelism: 0,
      gpuMemoryFraction: 0,
      mixedPrecision: p.mixedPrecision,
      platformConfig: { file: p.file, sessionConfig: p.sessionConfig },
    },
    platformConfig: p,
  };
}

function flagOptions(
  f: FlagValues,
  grpcPort: number,
  grpcSocketPath: string,
  modelConfig: ModelServerConfigOptions | undefined,
  modelConfigFile: string,
): ServerOptions {
  return {
    grpcPort,
    grpcSocketPath,
    grpcBindAddress: f.grpc_bind_address as string,
    frontEndThreads: Math.max(0, f.front_end_threads as number),
    restApiBindAddress: f.rest_api_bind_address as string,
    restApiPort: f.rest_api_port as number,
    restApiTimeoutMs: f.rest_api_timeout_in_ms as number,
    restApiEnableCors: f.rest_api_enable_cors_support as boolean,
    restApiMaxBodyBytes: f.rest_api_max_request_bytes as number,
    monitoring: f.monitoring_config_file ? readMonitoringConfigFile(f.monitoring_config_file as string) : defaultMonitoringOptions(),
    enableGrpcHealthcheckService: f.enable_grpc_healthcheck_service as boolean,
    drainTimeoutSeconds: Math.max(0, f.drain_timeout_seconds as number),
    grpcSsl: f.ssl_config_file ? readSslConfigFile(f.ssl_config_file as string) : undefined,
    restSsl: f.rest_api_ssl_config_file ? readSslConfigFile(f.rest_api_ssl_config_file as string) : undefined,
    modelConfig,
    modelConfigFile,
    savedModelTags: (f.saved_model_tags as string).split(',').map((t) => t.trim()).filter((t) => t !== ''),
    tflite: {
      prefer: f.prefer_tflite_model as boolean,
      numPools: f.num_tflite_pools as number,
      interpretersPerPool: f.num_tflite_interpreters_per_pool as number,
    },
    fileSystemPollWaitSeconds: f.file_system_poll_wait_seconds as number,
    versionSettleMs: Math.max(0, f.version_settle_ms as number),
    modelConfigFilePollWaitSeconds: f.model_config_file_poll_wait_seconds as number,
    numLoadThreads: f.num_load_threads as number,
    numInitialLoadThreads: f.num_initial_load_threads as number,
    waitForModelsAtStartup: f.wait_for_models_at_startup as boolean,
    enableModelWarmup: f.enable_model_warmup as boolean,
    // Not read at all when a platform config file replaces it.
    batching: f.enable_batching && !f.platform_config_file
      ? f.batching_parameters_file
        ? readBatchingParametersFile(f.batching_parameters_file as string)
        : defaultBatchingOptions()
      : undefined,
    perModelBatching: (f.enable_batching as boolean) && (f.enable_per_model_batching_parameters as boolean),
    warmupIterations: f.num_request_iterations_for_warmup as number,
    maxNumLoadRetries: f.max_num_load_retries as number,
    loadRetryIntervalMs: Math.max(0, (f.load_retry_interval_micros as number) / 1000),
    grpcChannelArguments: parseChannelArguments(f.grpc_channel_arguments as string),
    enableSignatureMethodNameCheck: f.enable_signature_method_name_check as boolean,
    allowVersionLabelsForUnavailableModels: f.allow_version_labels_for_unavailable_models as boolean,
    tensorContentOutputs: f.enable_serialization_as_tensor_content as boolean,
    tensorflow: {
      configFile: f.tensorflow_session_config_file as string,
      intraOp: f.tensorflow_intra_op_parallelism as number,
      interOp: f.tensorflow_inter_op_parallelism as number,
      sessionParallelism: f.tensorflow_session_parallelism as number,
      gpuMemoryFraction: f.per_process_gpu_memory_fraction as number,
      mixedPrecision: f.mixed_precision as string,
      // As in TF Serving, the GPU flag turns on XLA JIT for CPU and GPU alike.
      xlaCompilation: (f.xla_cpu_compilation_enabled as boolean) || (f.xla_gpu_compilation_enabled as boolean),
      opLibraries: (f.custom_op_libraries as string).split(',').map((p) => p.trim()).filter((p) => p !== ''),
      loadTfText: f.load_tensorflow_text_ops as boolean,
    },
    enableProfiler: f.enable_profiler as boolean,
  };
}
