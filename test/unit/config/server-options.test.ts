/**
 * Start-up checks and option building (src/config/server-options.ts), with TF Serving's wording
 * (model_servers/server.cc) and its gRPC channel argument syntax.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseFlags } from '../../../src/config/flags';
import { ServerOptions, parseChannelArguments, serverOptionsFromFlags } from '../../../src/config/server-options';
import { servingError } from '../../helpers/serving-error';
import { Code } from '../../../src/errors/status-code';

// A real parameters file: with --enable_batching the file is read at start-up.
const BATCHING_TXT = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'batching-')), 'b.txt');
fs.writeFileSync(BATCHING_TXT, 'max_batch_size { value: 8 }');

const options = (argv: string[]): ServerOptions => serverOptionsFromFlags(parseFlags(argv).values);


const NO_PORT = 'At least one of server_options.grpc_port or server_options.grpc_socket_path must be set.';
const NO_MODEL = 'Both server_options.model_base_path and server_options.model_config_file are empty!';
const BATCHING_FILE = 'server_options.batching_parameters_file is set without setting server_options.enable_batching to true.';
const PARALLELISM =
  'Either configure server_options.tensorflow_session_parallelism or (server_options.tensorflow_intra_op_parallelism, ' +
  'server_options.tensorflow_inter_op_parallelism) separately. You cannot configure all.';
const ALTS = 'Either use_alts_credentials must be false or ssl_config_file must be empty.';

describe('serverOptionsFromFlags: TF Serving start-up errors (INVALID_ARGUMENT)', () => {
  it.each<[string, string[], string]>([
    ['--port=0 and no socket', ['--port=0', '--model_base_path=/m'], NO_PORT],
    ['--port=0 checked before the model path', ['--port=0'], NO_PORT],
    ['neither base path nor config file', [], NO_MODEL],
    ['empty base path and empty config file', ['--model_base_path=', '--model_config_file='], NO_MODEL],
    ['batching file without --enable_batching', ['--model_base_path=/m', '--batching_parameters_file=/b.txt'], BATCHING_FILE],
    ['batching file with --enable_batching=false', ['--model_base_path=/m', '--batching_parameters_file=/b', '--enable_batching=false'], BATCHING_FILE],
    [
      'all three parallelism flags',
      ['--model_base_path=/m', '--tensorflow_session_parallelism=2', '--tensorflow_intra_op_parallelism=2', '--tensorflow_inter_op_parallelism=2'],
      PARALLELISM,
    ],
    ['ALTS with an SSL config file', ['--model_base_path=/m', '--use_alts_credentials', '--ssl_config_file=/ssl.txt'], ALTS],
  ])('%s', (_name, argv, message) => {
    const err = servingError(() => options(argv));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.code).toBe(3);
    expect(err.message).toBe(message);
  });

  it.each<[string, string[]]>([
    ['socket only', ['--port=0', '--grpc_socket_path=/tmp/tfs.sock', '--model_base_path=/m']],
    ['batching file with --enable_batching', ['--model_base_path=/m', '--enable_batching', `--batching_parameters_file=${BATCHING_TXT}`]],
    ['session parallelism alone', ['--model_base_path=/m', '--tensorflow_session_parallelism=4']],
    ['intra and inter without session', ['--model_base_path=/m', '--tensorflow_intra_op_parallelism=2', '--tensorflow_inter_op_parallelism=3']],
    ['session and intra only', ['--model_base_path=/m', '--tensorflow_session_parallelism=2', '--tensorflow_intra_op_parallelism=2']],
    ['ALTS alone', ['--model_base_path=/m', '--use_alts_credentials']],
  ])('accepted: %s', (_name, argv) => {
    expect(() => options(argv)).not.toThrow();
  });
});

describe('serverOptionsFromFlags: built options', () => {
  it('defaults with --model_base_path', () => {
    const o = options(['--model_base_path=/models/half']);
    expect(o).toMatchObject({
      grpcPort: 8500,
      grpcSocketPath: '',
      modelConfig: {
        hasModelConfigList: true,
        models: [
          {
            name: 'default',
            basePath: '/models/half',
            platform: 'tensorflow',
            versionPolicy: { kind: 'latest', numVersions: 1 },
            versionLabels: new Map(),
          },
        ],
      },
      modelConfigFile: '',
      savedModelTags: ['serve'],
      fileSystemPollWaitSeconds: 1,
      maxNumLoadRetries: 5,
      loadRetryIntervalMs: 60000,
      grpcChannelArguments: {},
      enableSignatureMethodNameCheck: false,
      allowVersionLabelsForUnavailableModels: false,
      tensorContentOutputs: false,
    });
  });

  it('flags map onto their options', () => {
    const o = options([
      '--port=9000',
      '--grpc_socket_path=/tmp/s',
      '--model_name=half',
      '--model_base_path=/m',
      '--saved_model_tags=serve, gpu,,tpu',
      '--file_system_poll_wait_seconds=0',
      '--max_num_load_retries=0',
      '--load_retry_interval_micros=1500',
      '--grpc_channel_arguments=grpc.max_connection_age_ms=2000',
      '--enable_signature_method_name_check',
      '--enable_serialization_as_tensor_content=true',
      '--allow_version_labels_for_unavailable_models',
      '--prefer_tflite_model',
      '--num_tflite_pools=3',
      '--num_tflite_interpreters_per_pool=2',
    ]);
    expect(o.grpcPort).toBe(9000);
    expect(o.tflite).toEqual({ prefer: true, numPools: 3, interpretersPerPool: 2 });
    expect(o.grpcSocketPath).toBe('/tmp/s');
    expect(o.modelConfig?.models.map((m) => m.name)).toEqual(['half']);
    expect(o.savedModelTags).toEqual(['serve', 'gpu', 'tpu']);
    expect(o.fileSystemPollWaitSeconds).toBe(0);
    expect(o.maxNumLoadRetries).toBe(0);
    expect(o.loadRetryIntervalMs).toBe(1.5);
    expect(o.grpcChannelArguments).toEqual({ 'grpc.max_connection_age_ms': 2000 });
    expect(o.enableSignatureMethodNameCheck).toBe(true);
    expect(o.tensorContentOutputs).toBe(true);
    expect(o.allowVersionLabelsForUnavailableModels).toBe(true);
  });

  it.each<[string, string[], Record<string, unknown>]>([
    ['defaults', [], { configFile: '', intraOp: 0, interOp: 0, sessionParallelism: 0, gpuMemoryFraction: 0, mixedPrecision: '', xlaCompilation: false }],
    [
      'session flags',
      ['--tensorflow_session_config_file=/s.pbtxt', '--tensorflow_session_parallelism=3', '--per_process_gpu_memory_fraction=0.4', '--mixed_precision=bfloat16'],
      { configFile: '/s.pbtxt', sessionParallelism: 3, gpuMemoryFraction: 0.4, mixedPrecision: 'bfloat16', xlaCompilation: false },
    ],
    ['an unsupported --mixed_precision is passed on (TF Serving warns at each load)', ['--mixed_precision=float16'], { mixedPrecision: 'float16' }],
    ['--xla_cpu_compilation_enabled turns XLA JIT on', ['--xla_cpu_compilation_enabled'], { xlaCompilation: true }],
    // main.cc: DisableXlaCompilation() only when neither flag is set.
    ['--xla_gpu_compilation_enabled turns XLA JIT on too, as in TF Serving', ['--xla_gpu_compilation_enabled'], { xlaCompilation: true }],
  ])('TensorFlow runtime options: %s', (_name, argv, expected) => {
    expect(options(['--model_base_path=/m', ...argv]).tensorflow).toMatchObject(expected);
  });

  it('a negative retry interval means no wait', () => {
    expect(options(['--model_base_path=/m', '--load_retry_interval_micros=-5']).loadRetryIntervalMs).toBe(0);
  });

  it.each<[string, string]>([
    ['models/half', path.resolve(process.cwd(), 'models/half')],
    ['./half', path.join(process.cwd(), 'half')],
    ['a/../b', path.join(process.cwd(), 'b')],
    ['/abs/half', '/abs/half'],
  ])('--model_base_path=%s is resolved against the working directory', (given, expected) => {
    expect(options([`--model_base_path=${given}`]).modelConfig?.models[0].basePath).toBe(expected);
  });

  it.each(['gs://bucket/models/half', 's3://bucket/half', 'hdfs://namenode:8020/half'])(
    '--model_base_path=%s is a URI and is kept as it is (TF Serving accepts URIs)',
    (uri) => {
      expect(options([`--model_base_path=${uri}`]).modelConfig?.models[0].basePath).toBe(uri);
    },
  );

  describe('--model_config_file', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'server-options-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('is read, and overrides --model_name / --model_base_path', () => {
      const file = path.join(dir, 'models.config');
      fs.writeFileSync(
        file,
        'model_config_list { config { name: "a" base_path: "/models/a" model_platform: "tensorflow" } ' +
          'config { name: "b" base_path: "/models/b" model_platform: "tensorflow" model_version_policy { all {} } } }',
      );
      const o = options([`--model_config_file=${file}`, '--model_name=ignored', '--model_base_path=/ignored']);
      expect(o.modelConfigFile).toBe(file);
      expect(o.modelConfig?.models.map((m) => [m.name, m.basePath, m.versionPolicy])).toEqual([
        ['a', '/models/a', { kind: 'latest', numVersions: 1 }],
        ['b', '/models/b', { kind: 'all' }],
      ]);
    });
  });
});

describe('parseChannelArguments', () => {
  it.each<[string, string, Record<string, string | number>]>([
    ['empty', '', {}],
    ['int and string', 'a=1,b=x', { a: 1, b: 'x' }],
    ['spaces around keys and values', ' a = 1 , b= x ', { a: 1, b: 'x' }],
    ['empty parts are skipped', 'a=1,,b=2,', { a: 1, b: 2 }],
    ['only commas', ',,', {}],
    ['negative int', 'grpc.keepalive_time_ms=-1', { 'grpc.keepalive_time_ms': -1 }],
    ['int32 max', 'a=2147483647', { a: 2147483647 }],
    ['a float stays a string', 'a=1.5', { a: '1.5' }],
    ['an empty value is the empty string', 'a=', { a: '' }],
    ['real gRPC names', 'grpc.max_connection_age_ms=2000,grpc.lb_policy_name=round_robin', {
      'grpc.max_connection_age_ms': 2000,
      'grpc.lb_policy_name': 'round_robin',
    }],
  ])('%s: %p', (_name, text, expected) => {
    expect(parseChannelArguments(text)).toEqual(expected);
  });

  it('an integer outside int32 is passed as a string (safe_strto32 fails)', () => {
    expect(parseChannelArguments('a=2147483648,b=-2147483649')).toEqual({ a: '2147483648', b: '-2147483649' });
  });

  it.each([
    ['a', 'gRPC channel argument "a" is not of the form key=value'],
    ['a=1,b', 'gRPC channel argument "b" is not of the form key=value'],
  ])('%p without "=" is INVALID_ARGUMENT', (text, message) => {
    const err = servingError(() => parseChannelArguments(text));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.message).toBe(message);
  });

  it('a bad --grpc_channel_arguments fails serverOptionsFromFlags', () => {
    const err = servingError(() => options(['--model_base_path=/m', '--grpc_channel_arguments=oops']));
    expect(err.message).toBe('gRPC channel argument "oops" is not of the form key=value');
  });
});

describe('serverOptionsFromFlags: an object-store --model_config_file', () => {
  it.each(['gs://bucket/models.config', 's3://bucket/conf/models.config'])('%s is left for the server to read as it starts', (uri) => {
    const o = options([`--model_config_file=${uri}`]);
    expect(o.modelConfigFile).toBe(uri);
    expect(o.modelConfig).toBeUndefined();
  });
});
