/**
 * --platform_config_file (src/config/platform-config.ts): parsing a text PlatformConfigMap with its Any in
 * expanded form, TF Serving's checks and wording (server_core.cc, class_registration.h), and the mapping
 * of SessionBundleConfig onto the server's options (server-options.ts withPlatformConfig).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writer } from 'protobufjs';
import { parseFlags } from '../../../src/config/flags';
import { platformConfigFromText, readPlatformConfigFile } from '../../../src/config/platform-config';
import { serverOptionsFromFlags } from '../../../src/config/server-options';
import { TextProtoParseError, opaqueTextOf, parseTextProtoToObject } from '../../../src/config/text-proto';
import { protoType } from '../../../src/proto/root';
import { buildSessionConfig } from '../../../src/runtime/tensorflow/session-config';
import { Code } from '../../../src/errors/status-code';
import { servingError } from '../../helpers/serving-error';

const ADAPTER = 'tensorflow.serving.SavedModelBundleSourceAdapterConfig';
/** `fn` throws a ServingError with this code and message. */
const fails = (fn: () => unknown, code: Code, message: string): void => {
  const err = servingError(fn);
  expect([err.code, err.message]).toEqual([code, message]);
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-config-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const text = (legacy: string, anyType = ADAPTER, platform = 'tensorflow'): string =>
  `platform_configs {
     key: "${platform}"
     value { source_adapter_config { [type.googleapis.com/${anyType}] { ${anyType === ADAPTER ? `legacy_config { ${legacy} }` : legacy} } } }
   }`;

describe('text-proto: opaque types and Any payloads', () => {
  test('an opaque message keeps its text as written, nested brackets, strings and comments included', () => {
    const o = parseTextProtoToObject(
      protoType('tensorflow.serving.SessionBundleConfig'),
      'session_config { a: 1 b < c: "}>" > # } \n d { } }\nenable_model_warmup: true',
      { opaqueTypes: new Set(['tensorflow.ConfigProto']) },
    );
    expect(opaqueTextOf(o['session_config'])).toEqual({ typeName: 'tensorflow.ConfigProto', text: ' a: 1 b < c: "}>" > # } \n d { } ', line: 1, column: 16 });
    expect(o['enable_model_warmup']).toBe(true);
  });

  test('unbalanced brackets in an opaque message are a parse error', () => {
    const parse = (t: string) => () =>
      parseTextProtoToObject(protoType('tensorflow.serving.SessionBundleConfig'), t, { opaqueTypes: new Set(['tensorflow.ConfigProto']) });
    expect(parse('session_config { a { }')).toThrow(new TextProtoParseError('tensorflow.serving.SessionBundleConfig', 1, 23, 'Expected "}", found "".'));
    expect(parse('session_config { a < } }')).toThrow(new TextProtoParseError('tensorflow.serving.SessionBundleConfig', 1, 22, 'Expected ">", found "}".'));
  });

  test('without the option, ConfigProto (declared without fields) names the unknown field', () => {
    expect(() => parseTextProtoToObject(protoType('tensorflow.serving.SessionBundleConfig'), 'session_config { a: 1 }')).toThrow(
      'Message type "tensorflow.ConfigProto" has no field named "a".',
    );
  });
});

describe('platformConfigFromText: mapping SessionBundleConfig', () => {
  test('every field with a meaning here', () => {
    const p = platformConfigFromText(
      text(`
        session_config { intra_op_parallelism_threads: 2 }
        batching_parameters { max_batch_size { value: 8 } num_batch_threads { value: 3 } allowed_batch_sizes: [4, 8] }
        enable_per_model_batching_params: true
        saved_model_tags: "serve" saved_model_tags: "gpu"
        enable_model_warmup: true
        model_warmup_options { num_request_iterations { value: 5 } num_model_warmup_threads { value: 1 } }
        prefer_tflite_model: true num_tflite_pools: 3 num_tflite_interpreters_per_pool: 2
        mixed_precision: "bfloat16"
        remove_unused_fields_from_bundle_metagraph: true`),
      '/f',
    );
    expect(p.sessionConfig?.text?.text).toBe(' intra_op_parallelism_threads: 2 ');
    expect(p.batching).toMatchObject({ maxBatchSize: 8, numBatchThreads: 3, allowedBatchSizes: [4, 8], threadPoolName: 'batch_threads' });
    expect(p.perModelBatching).toBe(true);
    expect(p.savedModelTags).toEqual(['serve', 'gpu']);
    expect(p.enableModelWarmup).toBe(true);
    expect(p.warmupIterations).toBe(5);
    expect(p.tflite).toEqual({ prefer: true, numPools: 3, interpretersPerPool: 2 });
    expect(p.mixedPrecision).toBe('bfloat16');
    expect(p.warnings).toEqual([]);
  });

  test("unset fields take the proto's defaults (as TF Serving), not the flags'", () => {
    const p = platformConfigFromText(text(''));
    expect(p).toMatchObject({
      sessionConfig: undefined,
      batching: undefined,
      perModelBatching: false,
      savedModelTags: ['serve'],
      enableModelWarmup: false,
      warmupIterations: 0,
      tflite: { prefer: false, numPools: 0, interpretersPerPool: 0 },
      mixedPrecision: '',
      warnings: [],
    });
    // The deprecated interpreter count stands in for num_tflite_pools when that is 0.
    expect(platformConfigFromText(text('num_tflite_interpreters: 4')).tflite.numPools).toBe(4);
    // Per-model batching needs batching_parameters.
    expect(platformConfigFromText(text('enable_per_model_batching_params: true')).perModelBatching).toBe(false);
  });

  test('one warning per field with no effect here, naming it', () => {
    const p = platformConfigFromText(
      text(`
        session_target: "grpc://x"
        in_graph_batching_parameters { max_batch_size: 4 }
        session_run_load_threadpool_index { value: 1 }
        experimental_transient_ram_bytes_during_load: 100
        experimental_fixed_input_tensors { name: "t" }
        model_warmup_options { num_model_warmup_threads { value: 4 } model_name: "m" model_version: 2 enable_all_batch_sizes_warmup: true }
        enable_session_metadata: true
        remove_unused_fields_from_bundle_metagraph: false
        resource_estimation_uses_validation_result: true
        wrap_session_with_no_threading_params: true
        enable_saved_model_config: true`),
    );
    const fields = p.warnings.map((w) => /field (\S+) is ignored/.exec(w)?.[1]);
    expect(fields).toEqual([
      'session_target',
      'in_graph_batching_parameters',
      'session_run_load_threadpool_index',
      'experimental_transient_ram_bytes_during_load',
      'experimental_fixed_input_tensors',
      'model_warmup_options.num_model_warmup_threads',
      'model_warmup_options.model_name',
      'model_warmup_options.model_version',
      'model_warmup_options.enable_all_batch_sizes_warmup',
      'enable_session_metadata',
      'remove_unused_fields_from_bundle_metagraph',
      'resource_estimation_uses_validation_result',
      'wrap_session_with_no_threading_params',
      'enable_saved_model_config',
    ]);
  });

  test('another platform with a valid adapter config is accepted and named in a warning', () => {
    const p = platformConfigFromText(`${text('enable_model_warmup: true')}\n${text('', ADAPTER, 'other')}`);
    expect(p.platforms).toEqual(['tensorflow', 'other']);
    expect(p.enableModelWarmup).toBe(true);
    expect(p.warnings).toEqual(['--platform_config_file: platform "other" is ignored: models can only use platform "tensorflow" here']);
  });

  test('an Any given as type_url and value bytes: session_config kept as bytes', () => {
    // SavedModelBundleSourceAdapterConfig { legacy_config { session_config { inter_op_parallelism_threads: 3 } enable_model_warmup: true } }
    const configProto = Writer.create().uint32((5 << 3) | 0).int32(3).finish();
    const legacy = Writer.create().uint32((2 << 3) | 2).bytes(configProto).uint32((779 << 3) | 0).bool(true).finish();
    const adapter = Writer.create().uint32((1000 << 3) | 2).bytes(legacy).finish();
    const escaped = Array.from(adapter, (b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
    const p = platformConfigFromText(
      `platform_configs { key: "tensorflow" value { source_adapter_config { type_url: "type.googleapis.com/${ADAPTER}" value: "${escaped}" } } }`,
    );
    expect(p.enableModelWarmup).toBe(true);
    expect(Array.from(p.sessionConfig?.bytes ?? [])).toEqual(Array.from(configProto));
  });
});

describe('platformConfigFromText: TF Serving errors', () => {
  test.each<[string, string, number, string]>([
    ['no entry for a model\'s platform', text('', ADAPTER, 'other'), Code.INVALID_ARGUMENT, 'Model m requests unsupported platform tensorflow'],
    [
      'an Any of a known type that is no adapter config',
      text('enable_model_warmup: true saved_model_tags: "a\\"b"', 'tensorflow.serving.SessionBundleConfig'),
      Code.INVALID_ARGUMENT,
      "Couldn't find factory for config proto message type tensorflow.serving.SessionBundleConfig\nconfig=saved_model_tags: \"a\\\"b\"\nenable_model_warmup: true\n",
    ],
    ['an entry without an adapter config', 'platform_configs { key: "tensorflow" value { } }', Code.INVALID_ARGUMENT, "Supplied config's type_url could not be parsed: "],
    [
      'a type_url naming a type the server does not have',
      'platform_configs { key: "tensorflow" value { source_adapter_config { type_url: "type.googleapis.com/foo.Bar" } } }',
      Code.INTERNAL,
      'Unable to find compiled-in proto descriptor of type foo.Bar',
    ],
    [
      'batching parameters TF Serving refuses',
      text('batching_parameters { max_batch_size { value: 4 } allowed_batch_sizes: 2 }'),
      Code.INVALID_ARGUMENT,
      'Last entry in allowed_batch_sizes must match max_batch_size; last entry was 2; expected 4',
    ],
  ])('%s', (_label, t, code, message) => {
    fails(() => platformConfigFromText(t, '/f', [{ name: 'm', platform: 'tensorflow' }]), code, message);
  });

  test('a file that is missing or does not parse: ParseProtoTextFile\'s statuses', () => {
    const missing = path.join(tmp, 'missing.pbtxt');
    fails(() => readPlatformConfigFile(missing), Code.NOT_FOUND, `${missing}; No such file or directory`);
    const bad = path.join(tmp, 'bad.pbtxt');
    fs.writeFileSync(bad, text('', 'foo.Bar'));
    fails(() => readPlatformConfigFile(bad), Code.INVALID_ARGUMENT, `Invalid protobuf file: '${bad}'`);
  });
});

describe('serverOptionsFromFlags with --platform_config_file', () => {
  const file = path.join(tmp, 'p.pbtxt');
  fs.writeFileSync(file, text('enable_model_warmup: true saved_model_tags: "t" mixed_precision: "bfloat16" batching_parameters { }'));

  test('the file replaces the flags, and their checks (as TF Serving)', () => {
    const o = serverOptionsFromFlags(
      parseFlags([
        '--model_base_path=/m',
        `--platform_config_file=${file}`,
        '--batching_parameters_file=/missing', // without --enable_batching: an error without the file
        '--tensorflow_session_parallelism=2',
        '--tensorflow_intra_op_parallelism=2',
        '--tensorflow_inter_op_parallelism=2',
        '--tensorflow_session_config_file=/missing',
        '--enable_model_warmup=false',
        '--mixed_precision=float16',
      ]).values,
    );
    expect(o.enableModelWarmup).toBe(true);
    expect(o.savedModelTags).toEqual(['t']);
    expect(o.batching?.threadPoolName).toBe('batch_threads');
    expect(o.tensorflow).toMatchObject({
      configFile: '',
      intraOp: 0,
      interOp: 0,
      sessionParallelism: 0,
      gpuMemoryFraction: 0,
      mixedPrecision: 'bfloat16',
      platformConfig: { file, sessionConfig: undefined },
    });
  });

  test('the ConfigProto is the file\'s session_config alone, parsed by TensorFlow (plus the bfloat16 rewrite)', () => {
    const addon = { parseConfigProto: (t: string) => Uint8Array.from(Buffer.from(`<${t}>`)) };
    const base = { configFile: '/ignored', intraOp: 4, interOp: 4, sessionParallelism: 0, gpuMemoryFraction: 0.5 };
    const fromText = buildSessionConfig(addon, {
      ...base,
      mixedPrecision: '',
      platformConfig: { file: '/f', sessionConfig: { text: { text: 'x: 1', line: 1, column: 1 } } },
    });
    expect(Buffer.from(fromText).toString()).toBe('<x: 1>');
    expect(buildSessionConfig(addon, { ...base, mixedPrecision: '', platformConfig: { file: '/f' } })).toHaveLength(0);
    // graph_options (10) { rewrite_options (10) { auto_mixed_precision_onednn_bfloat16 (31): ON } }
    expect(Array.from(buildSessionConfig(addon, { ...base, mixedPrecision: 'bfloat16', platformConfig: { file: '/f', sessionConfig: { bytes: Uint8Array.of(40, 3) } } }))).toEqual([
      40, 3, 82, 5, 82, 3, 248, 1, 1,
    ]);
    const failing = { parseConfigProto: () => { throw new Error('no field x'); } };
    fails(
      () => buildSessionConfig(failing, { ...base, mixedPrecision: '', platformConfig: { file: '/f', sessionConfig: { text: { text: 'x: 1', line: 1, column: 1 } } } }),
      Code.INVALID_ARGUMENT,
      "Invalid protobuf file: '/f'",
    );
  });
});
