/**
 * tensorflow_model_server's flags (src/config/flags.ts): syntax, defaults equal to TF Serving's
 * (model_servers/main.cc, server.h), errors, and warnings for accepted-but-unimplemented flags.
 */
import * as os from 'node:os';
import { FLAGS, FlagError, FlagValue, parseFlags, refusedFlagError, unimplementedFlagWarnings, usage } from '../../../src/config/flags';

function flagError(argv: string[]): FlagError {
  try {
    parseFlags(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(FlagError);
    return err as FlagError;
  }
  throw new Error(`expected a FlagError for ${JSON.stringify(argv)}`);
}

const cpus = Math.max(1, os.cpus().length);

describe('every TF Serving flag, with its type and default', () => {
  // model_servers/main.cc flag list; int32 and int64 are both 'int'.
  const table: Array<[string, 'int' | 'float' | 'bool' | 'string', FlagValue]> = [
    ['port', 'int', 8500],
    ['grpc_socket_path', 'string', ''],
    ['rest_api_port', 'int', 0],
    ['rest_api_num_threads', 'int', 4 * cpus],
    ['rest_api_timeout_in_ms', 'int', 30000],
    ['rest_api_enable_cors_support', 'bool', false],
    ['enable_batching', 'bool', false],
    ['allow_version_labels_for_unavailable_models', 'bool', false],
    ['batching_parameters_file', 'string', ''],
    ['enable_per_model_batching_parameters', 'bool', false],
    ['model_config_file', 'string', ''],
    ['model_config_file_poll_wait_seconds', 'int', 0],
    ['model_name', 'string', 'default'],
    ['model_base_path', 'string', ''],
    ['num_load_threads', 'int', 0],
    ['num_unload_threads', 'int', 0],
    ['max_num_load_retries', 'int', 5],
    ['load_retry_interval_micros', 'int', 60000000],
    ['file_system_poll_wait_seconds', 'int', 1],
    ['flush_filesystem_caches', 'bool', true],
    ['tensorflow_session_parallelism', 'int', 0],
    ['tensorflow_session_config_file', 'string', ''],
    ['tensorflow_intra_op_parallelism', 'int', 0],
    ['tensorflow_inter_op_parallelism', 'int', 0],
    ['use_alts_credentials', 'bool', false],
    ['ssl_config_file', 'string', ''],
    ['platform_config_file', 'string', ''],
    ['per_process_gpu_memory_fraction', 'float', 0],
    ['saved_model_tags', 'string', 'serve'],
    ['grpc_channel_arguments', 'string', ''],
    ['grpc_max_threads', 'int', 4 * cpus],
    ['enable_model_warmup', 'bool', true],
    ['num_request_iterations_for_warmup', 'int', 0],
    ['version', 'bool', false],
    ['monitoring_config_file', 'string', ''],
    ['remove_unused_fields_from_bundle_metagraph', 'bool', true],
    ['prefer_tflite_model', 'bool', false],
    ['num_tflite_pools', 'int', cpus],
    ['num_tflite_interpreters_per_pool', 'int', 1],
    ['enable_signature_method_name_check', 'bool', false],
    ['xla_cpu_compilation_enabled', 'bool', false],
    ['xla_gpu_compilation_enabled', 'bool', false],
    ['enable_profiler', 'bool', true],
    ['thread_pool_factory_config_file', 'string', ''],
    ['mixed_precision', 'string', ''],
    ['skip_initialize_tpu', 'bool', false],
    ['enable_grpc_healthcheck_service', 'bool', false],
    ['enable_serialization_as_tensor_content', 'bool', false],
  ];

  // Flags of ours that TF Serving lacks; every other flag is one of TF Serving's 48.
  const OURS = ['custom_op_libraries', 'front_end_threads', 'load_tensorflow_text_ops', 'drain_timeout_seconds', 'grpc_bind_address', 'rest_api_bind_address', 'rest_api_max_request_bytes', 'rest_api_ssl_config_file', 'num_initial_load_threads', 'version_settle_ms', 'wait_for_models_at_startup'];

  it("FLAGS lists exactly TF Serving's 48 flags plus ours", () => {
    expect(FLAGS.map((f) => f.name).sort()).toEqual([...table.map(([n]) => n), ...OURS].sort());
  });

  it.each(table)('--%s: %s, default %p', (name, type, def) => {
    const spec = FLAGS.find((f) => f.name === name);
    expect(spec?.type).toBe(type);
    expect(spec?.def).toBe(def);
    expect(parseFlags([]).values[name]).toBe(def);
  });

  it('no flags: defaults, nothing given, no help', () => {
    const p = parseFlags([]);
    expect(p.given.size).toBe(0);
    expect(p.help).toBe(false);
    expect(p.values).toMatchObject({
      port: 8500,
      model_name: 'default',
      saved_model_tags: 'serve',
      file_system_poll_wait_seconds: 1,
      max_num_load_retries: 5,
      load_retry_interval_micros: 60000000,
      rest_api_port: 0,
    });
  });
});

describe('parseFlags: accepted syntax', () => {
  const cases: Array<[string, string[], Record<string, FlagValue>]> = [
    ['--name=value', ['--port=9000'], { port: 9000 }],
    ['--name value', ['--port', '9000'], { port: 9000 }],
    ['string --name=value', ['--model_name=half'], { model_name: 'half' }],
    ['string --name value', ['--model_name', 'half'], { model_name: 'half' }],
    ['a value containing "="', ['--grpc_channel_arguments=a=1,b=2'], { grpc_channel_arguments: 'a=1,b=2' }],
    ['an empty value', ['--model_base_path='], { model_base_path: '' }],
    ['a value with spaces', ['--model_base_path=/a b/c'], { model_base_path: '/a b/c' }],
    ['negative int', ['--load_retry_interval_micros=-1'], { load_retry_interval_micros: -1 }],
    ['int64-sized int', ['--load_retry_interval_micros=120000000000'], { load_retry_interval_micros: 120000000000 }],
    ['float', ['--per_process_gpu_memory_fraction=0.5'], { per_process_gpu_memory_fraction: 0.5 }],
    ['bool --x', ['--enable_batching'], { enable_batching: true }],
    ['bool --x=true', ['--enable_batching=true'], { enable_batching: true }],
    ['bool --x=false', ['--enable_model_warmup=false'], { enable_model_warmup: false }],
    ['bool --x false (next token consumed)', ['--enable_model_warmup', 'false'], { enable_model_warmup: false }],
    ['bool --x true (next token consumed)', ['--enable_batching', 'true'], { enable_batching: true }],
    ['bool --x followed by another flag', ['--enable_batching', '--port=1'], { enable_batching: true, port: 1 }],
    ['single dash -name=value', ['-port=9001'], { port: 9001 }],
    ['single dash bool', ['-enable_batching'], { enable_batching: true }],
    ['the last occurrence wins', ['--port=1', '--port=2'], { port: 2 }],
    [
      'several flags',
      ['--port=8600', '--rest_api_port', '8601', '--model_name=m', '--model_base_path=/models/m', '--enable_batching'],
      { port: 8600, rest_api_port: 8601, model_name: 'm', model_base_path: '/models/m', enable_batching: true },
    ],
  ];

  it.each(cases)('%s', (_name, argv, expected) => {
    const p = parseFlags(argv);
    expect(p.values).toMatchObject(expected);
    expect([...p.given].sort()).toEqual(Object.keys(expected).sort());
    expect(p.help).toBe(false);
  });

  it('a bool followed by a non-boolean word does not consume it', () => {
    expect(flagError(['--enable_batching', 'yes']).message).toBe('unknown argument: yes');
  });

  it.each([['--help'], ['-help']])('%s sets help', (arg) => {
    const p = parseFlags(['--port=1', arg]);
    expect(p.help).toBe(true);
    expect(p.values.port).toBe(1);
    expect(p.given.has('help')).toBe(false);
  });

  it('usage() lists every flag', () => {
    const text = usage();
    for (const f of FLAGS) expect(text).toContain(`--${f.name}=`);
  });
});

describe('parseFlags: errors', () => {
  const cases: Array<[string, string[], string]> = [
    ['unknown flag', ['--no_such_flag=1'], 'unknown flag: --no_such_flag'],
    ['unknown bool-style flag', ['--enable_batchin'], 'unknown flag: --enable_batchin'],
    ['unknown single-dash flag', ['-bogus'], 'unknown flag: --bogus'],
    ['a bare word', ['serve'], 'unknown argument: serve'],
    ['a bare dash pair', ['--'], 'unknown argument: --'],
    ['bad int', ['--port=abc'], "Couldn't interpret value abc for flag port."],
    ['float for an int', ['--port=1.5'], "Couldn't interpret value 1.5 for flag port."],
    ['empty int', ['--port='], "Couldn't interpret value  for flag port."],
    ['bad int as the next token', ['--port', 'x'], "Couldn't interpret value x for flag port."],
    ['bad bool', ['--enable_batching=yes'], "Couldn't interpret value yes for flag enable_batching."],
    ['bad float', ['--per_process_gpu_memory_fraction=abc'], "Couldn't interpret value abc for flag per_process_gpu_memory_fraction."],
    ['missing value at the end (int)', ['--port'], 'flag --port needs a value'],
    ['missing value at the end (string)', ['--port=1', '--model_name'], 'flag --model_name needs a value'],
  ];

  it.each(cases)('%s', (_name, argv, message) => {
    expect(flagError(argv).message).toBe(message);
  });

  it('the error names the unknown flag', () => {
    const err = flagError(['--port=1', '--modle_name=x']);
    expect(err.name).toBe('FlagError');
    expect(err.message).toContain('modle_name');
  });
});

describe('unimplementedFlagWarnings', () => {
  const note = (n: string): string => FLAGS.find((f) => f.name === n)!.note!;
  const warning = (n: string): string => `flag --${n} is accepted for compatibility with TensorFlow Serving but is ignored: ${note(n)}`;

  it.each<[string, string[], string[]]>([
    ['no flags', [], []],
    ['implemented flags only', ['--port=1', '--model_name=m', '--model_base_path=/m', '--saved_model_tags=serve'], []],
    ['one ignored flag', ['--grpc_max_threads=8'], [warning('grpc_max_threads')]],
    ['the TFLite flags act', ['--prefer_tflite_model', '--num_tflite_pools=3', '--num_tflite_interpreters_per_pool=2'], []],
    // TF Serving's semantics: session ConfigProto fields, and XLA JIT on for CPU and GPU alike.
    ['--per_process_gpu_memory_fraction, --mixed_precision and --xla_gpu_compilation_enabled act', ['--per_process_gpu_memory_fraction=0.5', '--mixed_precision=bfloat16', '--xla_gpu_compilation_enabled'], []],
    // TF Serving warns about it at each load instead (tested in session-config.test.ts).
    ['--mixed_precision with a value TF Serving does not support is not a flag warning', ['--mixed_precision=float16'], []],
    [
      'only the ignored ones, in command-line order',
      ['--port=9', '--skip_initialize_tpu', '--model_name=m', '--num_unload_threads=2'],
      [warning('skip_initialize_tpu'), warning('num_unload_threads')],
    ],
    ['a repeated flag warns once', ['--rest_api_num_threads=1', '--rest_api_num_threads=2'], [warning('rest_api_num_threads')]],
    ['a flag given with its default value still warns', ['--grpc_max_threads=16'], [warning('grpc_max_threads')]],
    ['--platform_config_file acts', ['--platform_config_file=/p.pbtxt'], []],
    [
      'with --platform_config_file, each flag it replaces warns once, in command-line order; others do not',
      ['--platform_config_file=/p.pbtxt', '--enable_batching', '--port=9', '--saved_model_tags=a', '--enable_batching=true', '--remove_unused_fields_from_bundle_metagraph=false'],
      ['enable_batching', 'saved_model_tags', 'remove_unused_fields_from_bundle_metagraph'].map(
        (n) => `flag --${n} is ignored: --platform_config_file is set, and as in TensorFlow Serving its SessionBundleConfig replaces the flags that would build one`,
      ),
    ],
    ['the replaced flags act when --platform_config_file is empty', ['--platform_config_file=', '--enable_batching'], []],
    ['--remove_unused_fields_from_bundle_metagraph (true) acts', ['--remove_unused_fields_from_bundle_metagraph'], []],
    [
      '--remove_unused_fields_from_bundle_metagraph=false is ignored',
      ['--remove_unused_fields_from_bundle_metagraph=false'],
      [`flag --remove_unused_fields_from_bundle_metagraph=false is accepted for compatibility with TensorFlow Serving but is ignored: ${note('remove_unused_fields_from_bundle_metagraph')}`],
    ],
    ['--help is not a flag', ['--help'], []],
  ])('%s', (_name, argv, expected) => {
    expect(unimplementedFlagWarnings(parseFlags(argv))).toEqual(expected);
  });

  it('every flag that is ignored, or ignores a value, says why', () => {
    for (const f of FLAGS) if (!f.implemented || f.ignoredValue !== undefined) expect([f.name, f.note ?? '']).toEqual([f.name, expect.stringMatching(/\w/)]);
  });
});

describe('refusedFlagError: flags that would fail open are refused, not ignored', () => {
  it.each<[string, string[], boolean]>([
    ['ALTS asked for', ['--use_alts_credentials'], true],
    ['ALTS =true', ['--use_alts_credentials=true'], true],
    ['ALTS =false is what every server does', ['--use_alts_credentials=false'], false],
    ['not given', ['--port=1'], false],
  ])('%s', (_name, argv, refused) => {
    const why = refusedFlagError(parseFlags(argv));
    expect(why !== undefined).toBe(refused);
    if (refused) expect(why).toContain('Use --ssl_config_file');
    expect(unimplementedFlagWarnings(parseFlags(argv))).toEqual([]);
  });
});
