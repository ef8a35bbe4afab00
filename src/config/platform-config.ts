import * as fs from 'node:fs';
import * as protobuf from 'protobufjs';
import { ServingError, invalidArgument, notFound } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { debugString } from '../proto/debug-string';
import { protoRoot, protoType } from '../proto/root';
import { BatchingOptions, BatchingParametersProto, batchingOptionsFromProto } from './batching-parameters';
import {
  OpaqueText,
  TEXT_PROTO_TO_OBJECT_OPTIONS,
  TextProtoObject,
  TextProtoParseError,
  anyPayloadOf,
  invalidProtobufFile,
  opaqueTextOf,
  parseTextProtoToObject,
} from './text-proto';

/**
 * --platform_config_file, as TF Serving 2.21 reads it (model_servers/server.cc): a text
 * tensorflow.serving.PlatformConfigMap whose platform_configs["tensorflow"].source_adapter_config is a
 * google.protobuf.Any holding a tensorflow.serving.SavedModelBundleSourceAdapterConfig. Its legacy_config
 * (SessionBundleConfig) is used INSTEAD of the one TF Serving otherwise builds from the flags, so those
 * flags are ignored (PLATFORM_CONFIG_REPLACED_FLAGS in flags.ts), and unset fields take the proto's defaults (warmup
 * off, no batching, the "serve" tag, ...), not the flags' defaults.
 *
 * session_config (a tensorflow.ConfigProto) is not parsed here: its text goes to TensorFlow's own parser
 * when the runtime starts (src/runtime/tensorflow/session-config.ts).
 */

export const PLATFORM_CONFIG_MAP_TYPE = 'tensorflow.serving.PlatformConfigMap';
export const SAVED_MODEL_BUNDLE_SOURCE_ADAPTER_CONFIG_TYPE = 'tensorflow.serving.SavedModelBundleSourceAdapterConfig';
/** The platform models use unless their config names another (and the only one served here). */
export const TENSORFLOW_PLATFORM = 'tensorflow';
const CONFIG_PROTO_TYPE = 'tensorflow.ConfigProto';
/** SavedModelBundleSourceAdapterConfig.legacy_config and SessionBundleConfig.session_config. */
const LEGACY_CONFIG_FIELD = 1000;
const SESSION_CONFIG_FIELD = 2;


/** The file's session_config: its text for TensorFlow's parser, or (Any not in expanded form) its bytes. */
export interface PlatformSessionConfig {
  /** The platform config file, for error messages. */
  readonly file: string;
  readonly text?: OpaqueText;
  readonly bytes?: Uint8Array;
}

/** What a platform config file sets, mapped to this server's options. */
export interface PlatformConfigOptions {
  readonly file: string;
  /** Undefined when the file has no session_config: TensorFlow's defaults. */
  readonly sessionConfig: PlatformSessionConfig | undefined;
  readonly mixedPrecision: string;
  readonly batching: BatchingOptions | undefined;
  readonly perModelBatching: boolean;
  readonly savedModelTags: string[];
  readonly enableModelWarmup: boolean;
  /** model_warmup_options.num_request_iterations; 0 when unset (once). */
  readonly warmupIterations: number;
  readonly tflite: { readonly prefer: boolean; readonly numPools: number; readonly interpretersPerPool: number };
  /** Platforms that have an entry in the file. */
  readonly platforms: readonly string[];
  /** One per field set in the file that this server cannot act on, naming it. */
  readonly warnings: string[];
}

/** SessionBundleConfig as read from text or decoded (64-bit integers as strings, wrappers as {value}). */
interface SessionBundleConfigProto {
  session_target?: string;
  session_config?: TextProtoObject;
  batching_parameters?: BatchingParametersProto;
  in_graph_batching_parameters?: object;
  session_run_load_threadpool_index?: { value?: number };
  experimental_transient_ram_bytes_during_load?: string;
  saved_model_tags?: string[];
  experimental_fixed_input_tensors?: object[];
  enable_model_warmup?: boolean;
  model_warmup_options?: {
    num_request_iterations?: { value?: number };
    num_model_warmup_threads?: { value?: number };
    model_name?: string;
    model_version?: string;
    enable_all_batch_sizes_warmup?: boolean;
  };
  enable_session_metadata?: boolean;
  remove_unused_fields_from_bundle_metagraph?: boolean;
  prefer_tflite_model?: boolean;
  resource_estimation_uses_validation_result?: boolean;
  num_tflite_interpreters?: number;
  num_tflite_interpreters_per_pool?: number;
  num_tflite_pools?: number;
  wrap_session_with_no_threading_params?: boolean;
  enable_per_model_batching_params?: boolean;
  enable_saved_model_config?: boolean;
  mixed_precision?: string;
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/** The bytes of every occurrence of a length-delimited field, concatenated (protobuf merges them). */
function fieldBytes(bytes: Uint8Array, fieldNumber: number): Uint8Array | undefined {
  const reader = protobuf.Reader.create(bytes);
  const parts: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === fieldNumber && (tag & 7) === 2) parts.push(reader.bytes());
    else reader.skipType(tag & 7);
  }
  return parts.length === 0 ? undefined : Uint8Array.from(Buffer.concat(parts));
}

/**
 * The file's SessionBundleConfig for platform `tensorflow`, checked as ServerCore checks each platform's
 * source adapter config when it creates the adapters (StoragePathSourceAdapterRegistry::CreateFromAny).
 */
function adapterConfig(
  anyObject: TextProtoObject,
): { config: SessionBundleConfigProto; sessionConfigBytes?: Uint8Array } {
  const typeUrl = (anyObject['type_url'] as string | undefined) ?? '';
  const splits = typeUrl.split('/');
  const typeName = splits[splits.length - 1] ?? '';
  if (splits.length < 2 || typeName === '') {
    throw invalidArgument(`Supplied config's type_url could not be parsed: ${typeUrl}`);
  }
  const found = protoRoot().lookup(`.${typeName}`);
  if (!(found instanceof protobuf.Type)) {
    throw new ServingError(Code.INTERNAL, `Unable to find compiled-in proto descriptor of type ${typeName}`);
  }
  const value = (anyObject['value'] as Uint8Array | undefined) ?? new Uint8Array(0);
  let message: protobuf.Message;
  try {
    message = found.decode(value);
  } catch {
    const anyType = protoType('google.protobuf.Any');
    throw invalidArgument(`Malformed content of Any: ${debugString(anyType, anyType.fromObject({ type_url: typeUrl, value }))}`);
  }
  if (typeName !== SAVED_MODEL_BUNDLE_SOURCE_ADAPTER_CONFIG_TYPE) {
    throw invalidArgument(`Couldn't find factory for config proto message type ${typeName}\nconfig=${debugString(found, message)}`);
  }
  const payload = anyPayloadOf(anyObject);
  if (payload) return { config: (payload.object['legacy_config'] ?? {}) as SessionBundleConfigProto };
  // Any given as type_url and value: decoded here, session_config kept as bytes for TensorFlow.
  const config = found.toObject(message, TEXT_PROTO_TO_OBJECT_OPTIONS)['legacy_config'] as SessionBundleConfigProto | undefined;
  const legacy = fieldBytes(value, LEGACY_CONFIG_FIELD);
  return { config: config ?? {}, sessionConfigBytes: legacy && fieldBytes(legacy, SESSION_CONFIG_FIELD) };
}

/** One warning per field the file sets that has no effect here, naming the field and why. */
function unsupportedFieldWarnings(c: SessionBundleConfigProto): string[] {
  const out: string[] = [];
  const warn = (field: string, why: string): void => {
    out.push(`--platform_config_file: SessionBundleConfig field ${field} is ignored: ${why}`);
  };
  if (c.session_target) warn('session_target', 'sessions always run in this process');
  if (c.in_graph_batching_parameters !== undefined) {
    warn('in_graph_batching_parameters', "BatchFunction ops inside a graph keep the graph's own batching parameters");
  }
  if (c.session_run_load_threadpool_index !== undefined) {
    warn('session_run_load_threadpool_index', 'restore and init ops run on the default thread pools');
  }
  if (c.experimental_transient_ram_bytes_during_load !== undefined && c.experimental_transient_ram_bytes_during_load !== '0') {
    warn('experimental_transient_ram_bytes_during_load', 'there is no resource estimation: loads are not held back for memory');
  }
  if ((c.experimental_fixed_input_tensors ?? []).length > 0) {
    warn('experimental_fixed_input_tensors', 'no tensors are appended to the inputs of a run');
  }
  const w = c.model_warmup_options;
  if ((w?.num_model_warmup_threads?.value ?? 0) > 1) {
    warn('model_warmup_options.num_model_warmup_threads', 'warmup records are replayed one at a time');
  }
  if (w?.model_name) warn('model_warmup_options.model_name', 'warmup always runs for the version being loaded');
  if (w?.model_version !== undefined && w.model_version !== '0') {
    warn('model_warmup_options.model_version', 'warmup always runs for the version being loaded');
  }
  if (w?.enable_all_batch_sizes_warmup) {
    warn('model_warmup_options.enable_all_batch_sizes_warmup', 'only the recorded warmup requests are replayed');
  }
  if (c.enable_session_metadata) {
    warn('enable_session_metadata', "sessions are not given the model's name and version (SessionMetadata)");
  }
  if (c.remove_unused_fields_from_bundle_metagraph === false) {
    warn(
      'remove_unused_fields_from_bundle_metagraph',
      'only the signatures of the MetaGraphDef are ever kept; false (keep the whole graph in memory, which no client can tell) is not honoured',
    );
  }
  if (c.resource_estimation_uses_validation_result) {
    warn('resource_estimation_uses_validation_result', 'there is no resource estimation');
  }
  if (c.wrap_session_with_no_threading_params) {
    warn('wrap_session_with_no_threading_params', 'runs never pass thread-pool options to TensorFlow');
  }
  if (c.enable_saved_model_config) {
    warn('enable_saved_model_config', 'assets.extra/saved_model_config.pb is not read');
  }
  return out;
}

/** Maps a SessionBundleConfig onto this server's options (unset fields: the proto's defaults, as TF Serving). */
export function platformOptionsFromSessionBundleConfig(
  file: string,
  c: SessionBundleConfigProto,
  sessionConfig: PlatformSessionConfig | undefined,
  platforms: readonly string[],
): PlatformConfigOptions {
  const batching = c.batching_parameters ? batchingOptionsFromProto(c.batching_parameters) : undefined;
  const tags = c.saved_model_tags ?? [];
  // saved_model_bundle_factory.cc: no tags means "serve"; the deprecated interpreter count stands in for
  // num_tflite_pools when that is 0.
  const pools = c.num_tflite_pools ?? 0;
  const oldInterpreters = c.num_tflite_interpreters ?? 0;
  return {
    file,
    sessionConfig,
    mixedPrecision: c.mixed_precision ?? '',
    batching,
    perModelBatching: batching !== undefined && (c.enable_per_model_batching_params ?? false),
    savedModelTags: tags.length > 0 ? [...new Set(tags)] : ['serve'],
    enableModelWarmup: c.enable_model_warmup ?? false,
    warmupIterations: c.model_warmup_options?.num_request_iterations?.value ?? 0,
    tflite: {
      prefer: c.prefer_tflite_model ?? false,
      numPools: pools === 0 && oldInterpreters > 0 ? oldInterpreters : pools,
      interpretersPerPool: c.num_tflite_interpreters_per_pool ?? 0,
    },
    platforms,
    warnings: unsupportedFieldWarnings(c),
  };
}

/** A model and its platform, for the routing check (ServerCore::CreateStoragePathRoutes). */
export interface ModelPlatform {
  readonly name: string;
  readonly platform: string;
}

/**
 * Parses PlatformConfigMap text (TextProtoParseError on bad syntax), then checks it in ServerCore's order:
 * each model's platform must have an entry, then every entry's source adapter config must be one this
 * server has; then maps platform "tensorflow"'s SessionBundleConfig.
 */
export function platformConfigFromText(text: string, file = '', models: readonly ModelPlatform[] = []): PlatformConfigOptions {
  const map = parseTextProtoToObject(protoType(PLATFORM_CONFIG_MAP_TYPE), text, { opaqueTypes: new Set([CONFIG_PROTO_TYPE]) });
  const entries = (map['platform_configs'] ?? {}) as Record<string, TextProtoObject>;
  const platforms = Object.keys(entries);
  for (const m of models) {
    if (!platforms.includes(m.platform)) throw invalidArgument(`Model ${m.name} requests unsupported platform ${m.platform}`);
  }
  let mapped: { config: SessionBundleConfigProto; sessionConfigBytes?: Uint8Array } | undefined;
  const warnings: string[] = [];
  // ServerCore creates a source adapter for every platform in the map, so each entry is checked.
  for (const platform of platforms) {
    const adapter = adapterConfig(((entries[platform] ?? {})['source_adapter_config'] ?? {}) as TextProtoObject);
    if (platform === TENSORFLOW_PLATFORM) mapped = adapter;
    else warnings.push(`--platform_config_file: platform "${platform}" is ignored: models can only use platform "${TENSORFLOW_PLATFORM}" here`);
  }
  const config = mapped?.config ?? {};
  const opaque = opaqueTextOf(config.session_config);
  let sessionConfig: PlatformSessionConfig | undefined;
  if (opaque) sessionConfig = { file, text: opaque };
  else if (mapped?.sessionConfigBytes !== undefined) sessionConfig = { file, bytes: mapped.sessionConfigBytes };
  const options = platformOptionsFromSessionBundleConfig(file, config, sessionConfig, platforms);
  return { ...options, warnings: [...warnings, ...options.warnings] };
}

/**
 * Reads a platform config file as TF Serving's ParseProtoTextFile does (NOT_FOUND for a missing file,
 * INVALID_ARGUMENT `Invalid protobuf file: '<file>'` for bad text), then checks and maps it.
 */
export function readPlatformConfigFile(file: string, models: readonly ModelPlatform[] = []): PlatformConfigOptions {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`${file}; No such file or directory`);
    throw new ServingError(Code.INVALID_ARGUMENT, `Could not read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return platformConfigFromText(text, file, models);
  } catch (err) {
    if (err instanceof TextProtoParseError) throw invalidProtobufFile(file, err);
    throw err;
  }
}
