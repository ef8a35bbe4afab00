import * as os from 'node:os';

/**
 * tensorflow_model_server's command-line flags: every flag TF Serving has, with its defaults, so
 * existing launch scripts keep working. Flags this server does not act on are accepted with a
 * warning saying why (their `note`); a flag TF Serving does not have is an error (typo protection).
 * The README's flag table is generated from this list (src/config/flag-table.ts).
 */

export type FlagType = 'bool' | 'int' | 'float' | 'string';
export type FlagValue = boolean | number | string;

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly def: FlagValue;
  /** False when the server accepts the flag but does not act on it (one warning, naming why). */
  readonly implemented: boolean;
  readonly help: string;
  /** One of TF Serving's 48 flags (model_servers/main.cc); false for this server's own. */
  readonly tfServing: boolean;
  /** For the README's flag table and the ignored-flag warning: why it is ignored, or how it differs. */
  readonly note?: string;
  /** The default as the README shows it, where the value depends on the machine. */
  readonly defaultText?: string;
  /** For a flag that acts: the one value it cannot honour, which is ignored with a warning. */
  readonly ignoredValue?: FlagValue;
}

const cpus = Math.max(1, os.cpus().length);

interface Extra {
  readonly note?: string;
  readonly defaultText?: string;
  readonly ignoredValue?: FlagValue;
}

const make =
  (tfServing: boolean) =>
  (name: string, type: FlagType, def: FlagValue, implemented: boolean, help: string, extra: Extra = {}): FlagSpec => ({
    name,
    type,
    def,
    implemented,
    help,
    tfServing,
    ...extra,
  });
/** One of TF Serving's flags. */
const flag = make(true);
/** A flag of this server that TF Serving does not have. */
const ours = make(false);

export const FLAGS: readonly FlagSpec[] = [
  flag('port', 'int', 8500, true, 'TCP port to listen on for gRPC/HTTP API. Disabled if port set to zero.'),
  flag('grpc_socket_path', 'string', '', true, 'If non-empty, listen to a UNIX socket for gRPC API on the given path.'),
  flag('rest_api_port', 'int', 0, true, 'Port to listen on for HTTP/REST API. 0 disables it.'),
  flag('rest_api_num_threads', 'int', 4 * cpus, false, 'Number of threads for HTTP/REST API processing.', {
    defaultText: '4 × CPUs',
    note: 'REST and gRPC are both served by the front-end threads (--front_end_threads); there is no per-protocol pool to size',
  }),
  flag('rest_api_timeout_in_ms', 'int', 30000, true, 'Timeout for HTTP/REST API calls.'),
  flag('rest_api_enable_cors_support', 'bool', false, true, 'Enable CORS headers in REST API responses.'),
  flag('enable_batching', 'bool', false, true, 'enable batching'),
  flag('allow_version_labels_for_unavailable_models', 'bool', false, true, 'Allow new labels to point at versions not yet available.'),
  flag('batching_parameters_file', 'string', '', true, 'BatchingParameters text proto file; requires --enable_batching.'),
  flag('enable_per_model_batching_parameters', 'bool', false, true, 'Read <version>/batching_params.pbtxt per model.'),
  flag('model_config_file', 'string', '', true, 'ModelServerConfig text proto file; overrides --model_name and --model_base_path.'),
  flag('model_config_file_poll_wait_seconds', 'int', 0, true, 'Re-read --model_config_file every N seconds; 0 reads it once.'),
  flag('model_name', 'string', 'default', true, 'name of model (ignored if --model_config_file is set)'),
  flag('model_base_path', 'string', '', true, 'path to export (ignored if --model_config_file is set)', {
    note: 'a relative path is taken relative to the working directory',
  }),
  flag('num_load_threads', 'int', 0, true, 'Threads for loading servables after startup; 0 loads serially.'),
  flag('num_unload_threads', 'int', 0, false, 'Threads for unloading servables; 0 unloads serially.', {
    note: 'unloads never queue behind one another: each version unloads on its own as soon as its requests have drained',
  }),
  flag('max_num_load_retries', 'int', 5, true, 'Retries after a failed load (0 = a single attempt).'),
  flag('load_retry_interval_micros', 'int', 60 * 1000 * 1000, true, 'Wait between load retries, in microseconds.'),
  flag('file_system_poll_wait_seconds', 'int', 1, true, 'Seconds between polls of the file system for new versions.'),
  flag('flush_filesystem_caches', 'bool', true, false, 'Flush file system caches after loads.', {
    note: "no file-system cache to flush (in TF Serving only GCS's has one): object-store versions are local copies, deleted when their version goes",
  }),
  flag('tensorflow_session_parallelism', 'int', 0, true, 'Threads for a TensorFlow session; 0 lets TensorFlow choose.'),
  flag('tensorflow_session_config_file', 'string', '', true, 'ConfigProto text file for TensorFlow sessions.', {
    note: "parsed by TensorFlow's parser; the thread, GPU-memory and mixed-precision flags apply over it, but unlike TF Serving a thread or GPU-memory flag left at 0 does not overwrite the file's value",
  }),
  flag('tensorflow_intra_op_parallelism', 'int', 0, true, 'Intra-op threads; 0 lets TensorFlow choose.'),
  flag('tensorflow_inter_op_parallelism', 'int', 0, true, 'Inter-op threads; 0 lets TensorFlow choose.'),
  flag('use_alts_credentials', 'bool', false, false, 'Use Google ALTS credentials.', {
    note: 'no ALTS here, and serving plaintext to a user who asked for transport security would fail open: use --ssl_config_file',
  }),
  flag('ssl_config_file', 'string', '', true, 'SSLConfig text proto file for a secure gRPC listener.'),
  flag('platform_config_file', 'string', '', true, 'PlatformConfigMap text proto file; replaces the batching, session, tag, warmup, TFLite and mixed-precision flags.', {
    note: 'only platform "tensorflow" (a SavedModelBundleSourceAdapterConfig) is used; session_config is parsed by TensorFlow\'s parser; fields with no effect here (e.g. enable_session_metadata) are each named in a warning',
  }),
  flag('per_process_gpu_memory_fraction', 'float', 0, true, 'Fraction of GPU memory per process.', {
    note: "every session's ConfigProto gets gpu_options.per_process_gpu_memory_fraction (as a float, like TF Serving); TensorFlow uses it only with a GPU",
  }),
  flag('saved_model_tags', 'string', 'serve', true, 'Comma-separated set of tags of the MetaGraphDef to load.'),
  flag('grpc_channel_arguments', 'string', '', true, 'Comma-separated gRPC server arguments, e.g. grpc.max_connection_age_ms=2000.', {
    note: 'arguments grpc-js does not have are logged and ignored',
  }),
  flag('grpc_max_threads', 'int', 4 * cpus, false, 'Max threads for gRPC request handling.', {
    defaultText: '4 × CPUs',
    note: 'gRPC and REST are both served by the front-end threads (--front_end_threads); there is no per-protocol pool to size',
  }),
  flag('enable_model_warmup', 'bool', true, true, 'Replay assets.extra/tf_serving_warmup_requests at load.'),
  flag('num_request_iterations_for_warmup', 'int', 0, true, 'Times each warmup record is replayed.'),
  flag('version', 'bool', false, true, 'Display version', { note: 'prints our version and the TensorFlow library actually linked' }),
  flag('monitoring_config_file', 'string', '', true, 'MonitoringConfig text proto file.'),
  flag('remove_unused_fields_from_bundle_metagraph', 'bool', true, true, 'Keep only the signatures of the MetaGraphDef in memory.', {
    ignoredValue: false,
    note: 'only the signatures are ever kept; false, which in TF Serving only keeps the whole graph in memory (no client can tell), is not honoured',
  }),
  flag('prefer_tflite_model', 'bool', false, true, 'EXPERIMENTAL: load model.tflite from a version folder when present, else saved_model.pb.'),
  flag('num_tflite_pools', 'int', cpus, true, 'EXPERIMENTAL: TFLite interpreters per loaded TFLite model.', { defaultText: 'CPUs' }),
  flag('num_tflite_interpreters_per_pool', 'int', 1, true, 'EXPERIMENTAL: above 1, large TFLite requests are split across interpreters.'),
  flag('enable_signature_method_name_check', 'bool', false, true, 'Enforce SignatureDef method_name for Classify/Regress/Predict.'),
  flag('xla_cpu_compilation_enabled', 'bool', false, true, 'EXPERIMENTAL: XLA CPU JIT.', {
    note: 'without it (or the GPU flag) XLA JIT is off for the process, as in TF Serving',
  }),
  flag('xla_gpu_compilation_enabled', 'bool', false, true, 'EXPERIMENTAL: XLA CPU and GPU JIT.', {
    note: 'as in TF Serving, turns on XLA JIT for CPU and GPU alike, so on a CPU-only machine it does what --xla_cpu_compilation_enabled does',
  }),
  flag('enable_profiler', 'bool', true, true, 'Register the TensorFlow profiler service.'),
  flag('thread_pool_factory_config_file', 'string', '', false, 'ThreadPoolConfig text proto file.', {
    note: "names a C++ thread-pool factory registered in the binary; TF Serving's open-source build registers none, nor does this server",
  }),
  flag('mixed_precision', 'string', '', true, 'Automatic mixed precision: bfloat16.', {
    note: "bfloat16 turns on TensorFlow's oneDNN bfloat16 rewrite (rewrite_options.auto_mixed_precision_onednn_bfloat16: ON) for every SavedModel; another value logs TF Serving's warning at each load and changes nothing",
  }),
  flag('skip_initialize_tpu', 'bool', false, false, 'TPU builds only.', { note: "TPU builds only; TF Serving's CPU and GPU builds ignore it too" }),
  flag('enable_grpc_healthcheck_service', 'bool', false, true, 'Register grpc.health.v1.Health.'),
  flag('enable_serialization_as_tensor_content', 'bool', false, true, 'Write Predict outputs as tensor_content instead of typed *_val fields.'),
  ours('wait_for_models_at_startup', 'bool', true, true, 'Open the ports only once every model has a version serving (TF Serving\'s behaviour); false opens them at once and answers UNAVAILABLE until then.'),
  ours('grpc_bind_address', 'string', '0.0.0.0', true, 'Address the gRPC port listens on (TF Serving: all interfaces).'),
  ours('rest_api_bind_address', 'string', '', true, 'Address the REST port listens on; empty = all interfaces (:: then 0.0.0.0, as TF Serving).'),
  ours('front_end_threads', 'int', cpus, true, 'Threads that accept, decode, run and encode requests (gRPC and REST, sharing the ports); the main thread keeps config, loading and metrics. 0 serves on the main thread.', {
    defaultText: 'CPUs',
  }),
  ours('drain_timeout_seconds', 'int', 30, true, 'On SIGTERM/SIGINT, how long requests in flight may take to finish before they are cut off.'),
  ours('rest_api_ssl_config_file', 'string', '', true, 'SSLConfig text proto file (PEM contents inline) for TLS on the REST port; TF Serving has no REST TLS.'),
  ours('rest_api_max_request_bytes', 'int', 512 * 1024 * 1024, true, 'Largest REST request body (after gzip decompression); larger ones get HTTP 413.'),
  ours('custom_op_libraries', 'string', '', true, 'Comma-separated TensorFlow op libraries (.so) to load at start, after TF-Text\'s; a missing or incompatible one stops start-up.'),
  ours('load_tensorflow_text_ops', 'bool', true, true, 'Load TF-Text\'s op libraries at start (as TF Serving\'s image links them in); false skips them.'),
  ours('num_initial_load_threads', 'int', 4 * cpus, true, 'Loads at once for the models the server starts with (TF Serving\'s ServerCore num_initial_load_threads, not a flag there); afterwards --num_load_threads applies.', {
    defaultText: '4 × CPUs',
  }),
  ours('version_settle_ms', 'int', 1000, true, 'A new version folder is loaded only after nothing in it changed for this long (never load a half-copied folder).'),
];

/**
 * The flags TF Serving only reads to build the SessionBundleConfig, which a platform config file replaces
 * (model_servers/server.cc): with the file they are ignored, and so are their checks.
 */
export const PLATFORM_CONFIG_REPLACED_FLAGS: readonly string[] = [
  'enable_batching',
  'batching_parameters_file',
  'enable_per_model_batching_parameters',
  'tensorflow_session_config_file',
  'per_process_gpu_memory_fraction',
  'tensorflow_session_parallelism',
  'tensorflow_intra_op_parallelism',
  'tensorflow_inter_op_parallelism',
  'saved_model_tags',
  'enable_model_warmup',
  'num_request_iterations_for_warmup',
  'remove_unused_fields_from_bundle_metagraph',
  'prefer_tflite_model',
  'num_tflite_interpreters_per_pool',
  'num_tflite_pools',
  'mixed_precision',
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
 * `when` says which values are refused (for the README's flag table).
 */
export const REFUSED: Readonly<Record<string, { readonly when: string; readonly check: (v: FlagValue) => string | undefined }>> = {
  use_alts_credentials: {
    when: 'true',
    check: (v) =>
      v === true
        ? '--use_alts_credentials: ALTS (Google Application Layer Transport Security) is not available in this server, ' +
          'and serving in plaintext instead would drop the transport security you asked for. ' +
          'Use --ssl_config_file for TLS (mutual TLS with client_verify), or leave the flag unset.'
        : undefined,
  },
};

/** Why the server must not start with these flags, or undefined. */
export function refusedFlagError(parsed: ParsedFlags): string | undefined {
  for (const [name, { check }] of Object.entries(REFUSED)) {
    const why = parsed.given.has(name) ? check(parsed.values[name]) : undefined;
    if (why) return why;
  }
  return undefined;
}

/** What the server does with a flag: acts on it, accepts and ignores it, or refuses some value of it. */
export type FlagStatus = 'acts' | 'ignored' | 'refused';

export function flagStatus(spec: FlagSpec): FlagStatus {
  if (spec.name in REFUSED) return 'refused';
  return spec.implemented ? 'acts' : 'ignored';
}

/** One warning per flag that was given but is ignored (or given the one value it ignores), saying why. */
export function unimplementedFlagWarnings(parsed: ParsedFlags): string[] {
  const ignored = (spec: FlagSpec): boolean =>
    flagStatus(spec) === 'ignored' || (spec.ignoredValue !== undefined && parsed.values[spec.name] === spec.ignoredValue);
  const platformFile = parsed.values['platform_config_file'] !== '';
  const replaced = (spec: FlagSpec): boolean => platformFile && PLATFORM_CONFIG_REPLACED_FLAGS.includes(spec.name);
  return [...parsed.given]
    .map((n) => BY_NAME.get(n))
    .filter((spec): spec is FlagSpec => spec !== undefined && (replaced(spec) || ignored(spec)))
    .map((spec) =>
      replaced(spec)
        ? `flag --${spec.name} is ignored: --platform_config_file is set, and as in TensorFlow Serving its SessionBundleConfig replaces the flags that would build one`
        : spec.ignoredValue === undefined
          ? `flag --${spec.name} is accepted for compatibility with TensorFlow Serving but is ignored: ${spec.note}`
          : `flag --${spec.name}=${String(spec.ignoredValue)} is accepted for compatibility with TensorFlow Serving but is ignored: ${spec.note}`,
    );
}

export function usage(): string {
  const lines = ['usage: tensorflow_model_server', 'Flags:'];
  for (const f of FLAGS) lines.push(`\t--${f.name}=${JSON.stringify(f.def)}\t${f.type}\t${f.help}`);
  return lines.join('\n');
}
