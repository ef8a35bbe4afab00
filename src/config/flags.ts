import * as os from 'node:os';

/**
 * tensorflow_model_server's command-line flags: every flag TF Serving has, with its defaults, so
 * existing launch scripts keep working. Flags this server does not act on yet are accepted with a
 * warning; a flag TF Serving does not have is an error (typo protection).
 */

export type FlagType = 'bool' | 'int' | 'float' | 'string';
export type FlagValue = boolean | number | string;

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly def: FlagValue;
  /** False while the server accepts the flag but does not act on it yet. */
  readonly implemented: boolean;
  readonly help: string;
}

const cpus = Math.max(1, os.cpus().length);

const flag = (name: string, type: FlagType, def: FlagValue, implemented: boolean, help: string): FlagSpec => ({
  name,
  type,
  def,
  implemented,
  help,
});

export const FLAGS: readonly FlagSpec[] = [
  flag('port', 'int', 8500, true, 'TCP port to listen on for gRPC/HTTP API. Disabled if port set to zero.'),
  flag('grpc_socket_path', 'string', '', true, 'If non-empty, listen to a UNIX socket for gRPC API on the given path.'),
  flag('rest_api_port', 'int', 0, true, 'Port to listen on for HTTP/REST API. 0 disables it.'),
  flag('rest_api_num_threads', 'int', 4 * cpus, false, 'Number of threads for HTTP/REST API processing.'),
  flag('rest_api_timeout_in_ms', 'int', 30000, true, 'Timeout for HTTP/REST API calls.'),
  flag('rest_api_enable_cors_support', 'bool', false, true, 'Enable CORS headers in REST API responses.'),
  flag('enable_batching', 'bool', false, true, 'enable batching'),
  flag('allow_version_labels_for_unavailable_models', 'bool', false, true, 'Allow new labels to point at versions not yet available.'),
  flag('batching_parameters_file', 'string', '', true, 'BatchingParameters text proto file; requires --enable_batching.'),
  flag('enable_per_model_batching_parameters', 'bool', false, true, 'Read <version>/batching_params.pbtxt per model.'),
  flag('model_config_file', 'string', '', true, 'ModelServerConfig text proto file; overrides --model_name and --model_base_path.'),
  flag('model_config_file_poll_wait_seconds', 'int', 0, true, 'Re-read --model_config_file every N seconds; 0 reads it once.'),
  flag('model_name', 'string', 'default', true, 'name of model (ignored if --model_config_file is set)'),
  flag('model_base_path', 'string', '', true, 'path to export (ignored if --model_config_file is set)'),
  flag('num_load_threads', 'int', 0, true, 'Threads for loading servables after startup; 0 loads serially.'),
  flag('num_unload_threads', 'int', 0, false, 'Threads for unloading servables; 0 unloads serially.'),
  flag('max_num_load_retries', 'int', 5, true, 'Retries after a failed load (0 = a single attempt).'),
  flag('load_retry_interval_micros', 'int', 60 * 1000 * 1000, true, 'Wait between load retries, in microseconds.'),
  flag('file_system_poll_wait_seconds', 'int', 1, true, 'Seconds between polls of the file system for new versions.'),
  flag('flush_filesystem_caches', 'bool', true, false, 'Flush file system caches after loads.'),
  flag('tensorflow_session_parallelism', 'int', 0, true, 'Threads for a TensorFlow session; 0 lets TensorFlow choose.'),
  flag('tensorflow_session_config_file', 'string', '', true, 'ConfigProto text file for TensorFlow sessions.'),
  flag('tensorflow_intra_op_parallelism', 'int', 0, true, 'Intra-op threads; 0 lets TensorFlow choose.'),
  flag('tensorflow_inter_op_parallelism', 'int', 0, true, 'Inter-op threads; 0 lets TensorFlow choose.'),
  flag('use_alts_credentials', 'bool', false, false, 'Use Google ALTS credentials.'),
  flag('ssl_config_file', 'string', '', true, 'SSLConfig text proto file for a secure gRPC listener.'),
  flag('platform_config_file', 'string', '', false, 'PlatformConfigMap text proto file.'),
  flag('per_process_gpu_memory_fraction', 'float', 0, false, 'Fraction of GPU memory per process.'),
  flag('saved_model_tags', 'string', 'serve', true, 'Comma-separated set of tags of the MetaGraphDef to load.'),
  flag('grpc_channel_arguments', 'string', '', true, 'Comma-separated gRPC server arguments, e.g. grpc.max_connection_age_ms=2000.'),
  flag('grpc_max_threads', 'int', 4 * cpus, false, 'Max threads for gRPC request handling.'),
  flag('enable_model_warmup', 'bool', true, true, 'Replay assets.extra/tf_serving_warmup_requests at load.'),
  flag('num_request_iterations_for_warmup', 'int', 0, true, 'Times each warmup record is replayed.'),
  flag('version', 'bool', false, true, 'Display version'),
  flag('monitoring_config_file', 'string', '', true, 'MonitoringConfig text proto file.'),
  flag('remove_unused_fields_from_bundle_metagraph', 'bool', true, true, 'Keep only the signatures of the MetaGraphDef in memory.'),
  flag('prefer_tflite_model', 'bool', false, true, 'EXPERIMENTAL: load model.tflite from a version folder when present, else saved_model.pb.'),
  flag('num_tflite_pools', 'int', cpus, true, 'EXPERIMENTAL: TFLite interpreters per loaded TFLite model.'),
  flag('num_tflite_interpreters_per_pool', 'int', 1, true, 'EXPERIMENTAL: above 1, large TFLite requests are split across interpreters.'),
  flag('enable_signature_method_name_check', 'bool', false, true, 'Enforce SignatureDef method_name for Classify/Regress/Predict.'),
  flag('xla_cpu_compilation_enabled', 'bool', false, true, 'EXPERIMENTAL: XLA CPU JIT.'),
  flag('xla_gpu_compilation_enabled', 'bool', false, false, 'EXPERIMENTAL: XLA GPU JIT.'),
  flag('enable_profiler', 'bool', true, true, 'Register the TensorFlow profiler service.'),
  flag('thread_pool_factory_config_file', 'string', '', false, 'ThreadPoolConfig text proto file.'),
  flag('mixed_precision', 'string', '', false, 'Automatic mixed precision, e.g. bfloat16.'),
  flag('skip_initialize_tpu', 'bool', false, false, 'TPU builds only.'),
  flag('enable_grpc_healthcheck_service', 'bool', false, true, 'Register grpc.health.v1.Health.'),
  flag('enable_serialization_as_tensor_content', 'bool', false, true, 'Write Predict outputs as tensor_content instead of typed *_val fields.'),
  // Flags of this server that TF Serving does not have.
  flag('wait_for_models_at_startup', 'bool', true, true, 'Open the ports only once every model has a version serving (TF Serving\'s behaviour); false opens them at once and answers UNAVAILABLE until then.'),
  flag('grpc_bind_address', 'string', '0.0.0.0', true, 'Address the gRPC port listens on (TF Serving: all interfaces).'),
  flag('rest_api_bind_address', 'string', '', true, 'Address the REST port listens on; empty = all interfaces (:: then 0.0.0.0, as TF Serving).'),
  flag('drain_timeout_seconds', 'int', 30, true, 'On SIGTERM/SIGINT, how long requests in flight may take to finish before they are cut off.'),
  flag('rest_api_ssl_config_file', 'string', '', true, 'SSLConfig text proto file (PEM contents inline) for TLS on the REST port; TF Serving has no REST TLS.'),
  flag('rest_api_max_request_bytes', 'int', 512 * 1024 * 1024, true, 'Largest REST request body (after gzip decompression); larger ones get HTTP 413.'),
  flag('custom_op_libraries', 'string', '', true, 'Comma-separated TensorFlow op libraries (.so) to load at start, after TF-Text\'s; a missing or incompatible one stops start-up.'),
  flag('load_tensorflow_text_ops', 'bool', true, true, 'Load TF-Text\'s op libraries at start (as TF Serving\'s image links them in); false skips them.'),
  flag('version_settle_ms', 'int', 1000, true, 'A new version folder is loaded only after nothing in it changed for this long (never load a half-copied folder).'),
];

const BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export type FlagValues = Record<string, FlagValue>;

export interface ParsedFlags {
  readonly values: FlagValues;
  /** Flags given on the command line. */
  readonly given: ReadonlySet<string>;
  readonly help: boolean;
}

function parseValue(spec: FlagSpec, raw: string): FlagValue {
  switch (spec.type) {
    case 'bool':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      break;
    case 'int':
      if (/^[+-]?\d+$/.test(raw.trim())) return Number(raw.trim());
      break;
    case 'float': {
      const n = Number(raw);
      if (raw.trim() !== '' && Number.isFinite(n)) return n;
      break;
    }
    case 'string':
      return raw;
  }
  throw new FlagError(`Couldn't interpret value ${raw} for flag ${spec.name}.`);
}

/**
 * Parses TF Serving's flag syntax: `--name=value`, `--name value`, and for booleans `--name`,
 * `--name=true|false`. A single leading dash works too, as in TensorFlow's parser.
 */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const values: FlagValues = Object.fromEntries(FLAGS.map((f) => [f.name, f.def]));
  const given = new Set<string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--?([A-Za-z0-9_]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new FlagError(`unknown argument: ${arg}`);
    const [, name, inline] = m;
    if (name === 'help') {
      help = true;
      continue;
    }
    const spec = BY_NAME.get(name);
    if (!spec) throw new FlagError(`unknown flag: --${name}`);
    let raw = inline;
    if (raw === undefined) {
      if (spec.type === 'bool') {
        const next = argv[i + 1];
        raw = next === 'true' || next === 'false' ? (i++, next) : 'true';
      } else {
        if (i + 1 >= argv.length) throw new FlagError(`flag --${name} needs a value`);
        raw = argv[++i];
      }
    }
    values[name] = parseValue(spec, raw);
    given.add(name);
  }
  return { values, given, help };
}

/**
 * Flags whose request cannot be met here without weakening what the user asked for: starting anyway
 * would fail open (ALTS asked, plaintext served), so the server refuses to start, naming the way out.
 */
const REFUSED: Readonly<Record<string, (v: FlagValue) => string | undefined>> = {
  use_alts_credentials: (v) =>
    v === true
      ? '--use_alts_credentials: ALTS (Google Application Layer Transport Security) is not available in this server, ' +
        'and serving in plaintext instead would drop the transport security you asked for. ' +
        'Use --ssl_config_file for TLS (mutual TLS with client_verify), or leave the flag unset.'
      : undefined,
};

/** Why the server must not start with these flags, or undefined. */
export function refusedFlagError(parsed: ParsedFlags): string | undefined {
  for (const [name, check] of Object.entries(REFUSED)) {
    const why = parsed.given.has(name) ? check(parsed.values[name]) : undefined;
    if (why) return why;
  }
  return undefined;
}

/** One warning per flag that was given but is not acted on yet. */
export function unimplementedFlagWarnings(parsed: ParsedFlags): string[] {
  return [...parsed.given]
    .filter((n) => !BY_NAME.get(n)?.implemented && !(n in REFUSED))
    .map((n) => `flag --${n} is accepted for compatibility with TensorFlow Serving but is not implemented yet; it is ignored`);
}

export function usage(): string {
  const lines = ['usage: tensorflow_model_server', 'Flags:'];
  for (const f of FLAGS) lines.push(`\t--${f.name}=${JSON.stringify(f.def)}\t${f.type}\t${f.help}`);
  return lines.join('\n');
}
