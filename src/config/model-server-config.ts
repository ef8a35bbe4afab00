import { invalidArgument, unimplemented } from '../errors/serving-error';
import { protoType } from '../proto/root';
import { LoggingConfigOptions, LoggingConfigProto, loggingConfigOf } from './logging-config';
import { TextProtoParseError, invalidProtobufFile, parseTextProto, readTextProtoFile } from './text-proto';

/**
 * --model_config_file: read → parse (tensorflow.serving.ModelServerConfig
 * text proto) → check with TF Serving's rules (server_core.cc) → typed
 * options. Single-model mode (--model_name/--model_base_path) builds the same
 * options through singleModelConfig.
 */

export const MODEL_SERVER_CONFIG_TYPE = 'tensorflow.serving.ModelServerConfig';
/** The only platform the stock server registers. */
export const TENSORFLOW_MODEL_PLATFORM = 'tensorflow';
/** Platforms accepted unless the caller passes its own list. */
export const DEFAULT_SUPPORTED_PLATFORMS: readonly string[] = [TENSORFLOW_MODEL_PLATFORM];
/** Version policy when a model sets none: serve the newest version only. */
export const DEFAULT_LATEST_NUM_VERSIONS = 1;

// ---------------------------------------------------------------------------
// The parsed proto, as parseTextProto returns it (64-bit ints as strings, enums as names)
// ---------------------------------------------------------------------------

export interface ServableVersionPolicyProto {
  latest?: { num_versions?: number };
  all?: Record<string, never>;
  specific?: { versions?: string[] };
  policy_choice?: 'latest' | 'all' | 'specific';
}

export interface ModelConfigProto {
  name?: string;
  base_path?: string;
  /** Deprecated spelling of the platform. */
  model_type?: 'MODEL_TYPE_UNSPECIFIED' | 'TENSORFLOW' | 'OTHER';
  model_platform?: string;
  model_version_policy?: ServableVersionPolicyProto;
  version_labels?: Record<string, string>;
  logging_config?: LoggingConfigProto;
}

export interface ModelServerConfigProto {
  model_config_list?: { config?: ModelConfigProto[] };
  custom_model_config?: { type_url?: string; value?: Uint8Array };
  config?: 'model_config_list' | 'custom_model_config';
}

// ---------------------------------------------------------------------------
// Checked, typed options
// ---------------------------------------------------------------------------

/** Which versions found under a model's base path are aspired (served). */
export type VersionPolicy =
  | { kind: 'latest'; numVersions: number }
  | { kind: 'all' }
  | { kind: 'specific'; versions: number[] };

export interface ModelConfigOptions {
  name: string;
  /** Absolute path or URI of the folder holding numeric version folders. */
  basePath: string;
  /** Always a supported platform (e.g. "tensorflow"), also when the file used the deprecated model_type. */
  platform: string;
  versionPolicy: VersionPolicy;
  /** Label → version, exactly as configured (checked against loaded versions later, §4.7). */
  versionLabels: Map<string, number>;
  /** Request logging (src/request-logging/), when logging_config is set. */
  logging?: LoggingConfigOptions;
}

export interface ModelServerConfigOptions {
  /**
   * False when the file sets neither model_config_list nor custom_model_config.
   * TF Serving takes no action for such a config ("Taking no action for empty
   * config"), whereas an empty model_config_list unloads every model.
   */
  hasModelConfigList: boolean;
  models: ModelConfigOptions[];
}

export interface ValidateModelServerConfigOptions {
  /** Platforms with a registered loader; DEFAULT_SUPPORTED_PLATFORMS if omitted. */
  supportedPlatforms?: readonly string[];
}

const MODEL_TYPE_NUMBERS: Readonly<Record<NonNullable<ModelConfigProto['model_type']>, number>> = {
  MODEL_TYPE_UNSPECIFIED: 0,
  TENSORFLOW: 1,
  OTHER: 2,
};

/** tensorflow::io::ParseURI's scheme: `[a-zA-Z][0-9a-zA-Z.]*` followed by `://`. */
const URI_SCHEME = /^[a-zA-Z][0-9a-zA-Z.]*:\/\//;

/** server_core.cc UriIsRelativePath: no scheme and not starting with '/'. */
export function isRelativeBasePath(basePath: string): boolean {
  return !URI_SCHEME.test(basePath) && !basePath.startsWith('/');
}

/** `gs://…`, `s3://…`: a path the local file system cannot open. */
export function isUri(path: string): boolean {
  return URI_SCHEME.test(path);
}

/** server_core.cc GetPlatform: model_platform, or the deprecated model_type. */
function platformOf(model: ModelConfigProto, name: string): string {
  const modelType = model.model_type;
  if (modelType !== undefined && modelType !== 'MODEL_TYPE_UNSPECIFIED') {
    if (model.model_platform) {
      throw invalidArgument(
        'Illegal setting both ModelServerConfig::model_type (deprecated) and ModelServerConfig::model_platform.',
      );
    }
    if (modelType === 'TENSORFLOW') return TENSORFLOW_MODEL_PLATFORM;
    // protobuf prints the enum's number here.
    throw invalidArgument(`ModelServerConfig::model_type choice ${MODEL_TYPE_NUMBERS[modelType]} not supported.`);
  }
  const platform = model.model_platform ?? '';
  if (platform === '') {
    throw invalidArgument(
      'Illegal setting neither ModelServerConfig::model_type (deprecated) nor ' +
        `ModelServerConfig::model_platform, model name is ${name}`,
    );
  }
  return platform;
}

/** An int64 from the proto as a JS number; versions beyond 2^53-1 cannot be served exactly. */
function versionNumber(text: string, what: string, model: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw invalidArgument(`${what} ${text} of model ${model} is outside the range this server supports (|v| <= 2^53-1)`);
  }
  return value;
}

function versionPolicyOf(policy: ServableVersionPolicyProto | undefined, model: string): VersionPolicy {
  if (policy?.all) return { kind: 'all' };
  if (policy?.specific) {
    return { kind: 'specific', versions: (policy.specific.versions ?? []).map((v) => versionNumber(v, 'Version', model)) };
  }
  // latest {} and no policy both mean the newest version; 0 is read as 1.
  const requested = policy?.latest?.num_versions ?? 0;
  return { kind: 'latest', numVersions: requested === 0 ? DEFAULT_LATEST_NUM_VERSIONS : requested };
}

/**
 * Checks a parsed ModelServerConfig in TF Serving's order: unique names over
 * the whole list, then absolute base paths, then each model's platform.
 * Errors are INVALID_ARGUMENT with TF Serving's wording; custom_model_config
 * is UNIMPLEMENTED (the stock server aborts on it).
 */
export function validateModelServerConfig(
  config: ModelServerConfigProto,
  options: ValidateModelServerConfigOptions = {},
): ModelServerConfigOptions {
  if (config.custom_model_config) throw unimplemented('ModelServer does not yet support custom model config.');
  if (!config.model_config_list) return { hasModelConfigList: false, models: [] };

  const list = config.model_config_list.config ?? [];
  const seen = new Set<string>();
  for (const model of list) {
    const name = model.name ?? '';
    if (seen.has(name)) throw invalidArgument(`Illegal to list model ${name} multiple times in config list`);
    seen.add(name);
  }
  for (const model of list) {
    const basePath = model.base_path ?? '';
    if (isRelativeBasePath(basePath)) {
      throw invalidArgument(`Expected model ${model.name ?? ''} to have an absolute path or URI; got base_path()=${basePath}`);
    }
  }
  const supported = options.supportedPlatforms ?? DEFAULT_SUPPORTED_PLATFORMS;
  const models = list.map((model): ModelConfigOptions => {
    const name = model.name ?? '';
    const platform = platformOf(model, name);
    if (!supported.includes(platform)) throw invalidArgument(`Model ${name} requests unsupported platform ${platform}`);
    const versionLabels = new Map<string, number>();
    for (const [label, version] of Object.entries(model.version_labels ?? {})) {
      versionLabels.set(label, versionNumber(version, `Version label ${label} =`, name));
    }
    return {
      name,
      basePath: model.base_path ?? '',
      platform,
      versionPolicy: versionPolicyOf(model.model_version_policy, name),
      versionLabels,
      logging: model.logging_config ? loggingConfigOf(model.logging_config, name) : undefined,
    };
  });
  return { hasModelConfigList: true, models };
}

/** Parses ModelServerConfig text (TextProtoParseError on bad syntax) without checking it. */
export function parseModelServerConfigText(text: string): ModelServerConfigProto {
  return parseTextProto<ModelServerConfigProto>(protoType(MODEL_SERVER_CONFIG_TYPE), text);
}

/** Parses and checks ModelServerConfig text. */
export function modelServerConfigFromText(
  text: string,
  options?: ValidateModelServerConfigOptions,
): ModelServerConfigOptions {
  return validateModelServerConfig(parseModelServerConfigText(text), options);
}

/** Reads, parses and checks a --model_config_file. */
export function readModelServerConfigFile(
  file: string,
  options?: ValidateModelServerConfigOptions,
): ModelServerConfigOptions {
  const parsed = readTextProtoFile<ModelServerConfigProto>(protoType(MODEL_SERVER_CONFIG_TYPE), file);
  return validateModelServerConfig(parsed, options);
}

/** Parses and checks --model_config_file text fetched from an object store; parse errors name the file. */
export function modelServerConfigFromFileText(text: string, file: string): ModelServerConfigOptions {
  let parsed: ModelServerConfigProto;
  try {
    parsed = parseModelServerConfigText(text);
  } catch (err) {
    if (err instanceof TextProtoParseError) throw invalidProtobufFile(file, err);
    throw err;
  }
  return validateModelServerConfig(parsed);
}

/**
 * Single-model mode (--model_name, --model_base_path): one TensorFlow model
 * with the default version policy, checked by the same rules.
 */
export function singleModelConfig(name: string, basePath: string): ModelServerConfigOptions {
  return validateModelServerConfig({
    model_config_list: { config: [{ name, base_path: basePath, model_platform: TENSORFLOW_MODEL_PLATFORM }] },
  });
}
