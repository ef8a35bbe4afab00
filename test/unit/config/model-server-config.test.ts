import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Code } from '../../../src/errors/status-code';
import { TextProtoParseError } from '../../../src/config/text-proto';
import {
  DEFAULT_LATEST_NUM_VERSIONS,
  ModelConfigOptions,
  ModelServerConfigOptions,
  isRelativeBasePath,
  modelServerConfigFromText,
  parseModelServerConfigText,
  readModelServerConfigFile,
  singleModelConfig,
} from '../../../src/config/model-server-config';
import {
  BatchingOptions,
  DEFAULT_BATCH_THREAD_POOL_NAME,
  MODEL_SERVER_BATCH_THREAD_POOL_NAME,
  batchingOptionsFromText,
  defaultBatchingOptions,
  defaultNumBatchThreads,
  readBatchingParametersFile,
} from '../../../src/config/batching-parameters';
import {
  DEFAULT_PROMETHEUS_PATH,
  defaultMonitoringOptions,
  monitoringOptionsFromText,
  readMonitoringConfigFile,
} from '../../../src/config/monitoring-config';
import { SHARED_TESTDATA } from '../../helpers/paths';
import { describeWithSharedTestdata } from '../../helpers/shared-testdata';

const model = (over: Partial<ModelConfigOptions> & { name: string }): ModelConfigOptions => ({
  basePath: `/models/${over.name}`,
  platform: 'tensorflow',
  versionPolicy: { kind: 'latest', numVersions: DEFAULT_LATEST_NUM_VERSIONS },
  versionLabels: new Map(),
  ...over,
});

/** Captures what a call throws (undefined when it does not). */
function thrown(fn: () => unknown): { code?: number; message?: string; error?: unknown } {
  try {
    fn();
  } catch (error) {
    const e = error as { code?: number; message?: string };
    return { code: e.code, message: e.message, error };
  }
  return {};
}

describe('modelServerConfigFromText: accepted configs', () => {
  const cases: Array<[string, string, ModelServerConfigOptions]> = [
    ['empty file (no oneof set)', '', { hasModelConfigList: false, models: [] }],
    ['empty model list (unloads everything on reload)', 'model_config_list {}', { hasModelConfigList: true, models: [] }],
    [
      'two models, default version policy',
      `model_config_list {
         config { name: "a" base_path: "/models/a" model_platform: "tensorflow" }
         config { name: "b" base_path: "/models/b" model_platform: "tensorflow" }
       }`,
      { hasModelConfigList: true, models: [model({ name: 'a' }), model({ name: 'b' })] },
    ],
    [
      'deprecated model_type TENSORFLOW maps to the tensorflow platform',
      'model_config_list { config { name: "a" base_path: "/models/a" model_type: TENSORFLOW } }',
      { hasModelConfigList: true, models: [model({ name: 'a' })] },
    ],
    [
      'URIs are accepted as base paths',
      `model_config_list {
         config { name: "s3" base_path: "s3://bucket/m" model_platform: "tensorflow" }
         config { name: "gs" base_path: "gs://bucket/m" model_platform: "tensorflow" }
         config { name: "hdfs" base_path: "hdfs://host:9000/m" model_platform: "tensorflow" }
       }`,
      {
        hasModelConfigList: true,
        models: [
          model({ name: 's3', basePath: 's3://bucket/m' }),
          model({ name: 'gs', basePath: 'gs://bucket/m' }),
          model({ name: 'hdfs', basePath: 'hdfs://host:9000/m' }),
        ],
      },
    ],
    [
      'version policies and labels',
      `model_config_list {
         config { name: "latest0" base_path: "/m/l0" model_platform: "tensorflow"
                  model_version_policy { latest { num_versions: 0 } } }
         config { name: "latest_empty" base_path: "/m/le" model_platform: "tensorflow"
                  model_version_policy { latest {} } }
         config { name: "latest3" base_path: "/m/l3" model_platform: "tensorflow"
                  model_version_policy { latest { num_versions: 3 } } }
         config { name: "all" base_path: "/m/all" model_platform: "tensorflow"
                  model_version_policy { all {} } }
         config { name: "specific" base_path: "/m/s" model_platform: "tensorflow"
                  model_version_policy { specific { versions: [3, 1] versions: 00000123 } }
                  version_labels { key: "stable" value: 1 }
                  version_labels { key: "canary" value: 3 } }
         config { name: "specific_empty" base_path: "/m/se" model_platform: "tensorflow"
                  model_version_policy { specific {} } }
       }`,
      {
        hasModelConfigList: true,
        models: [
          model({ name: 'latest0', basePath: '/m/l0' }),
          model({ name: 'latest_empty', basePath: '/m/le' }),
          model({ name: 'latest3', basePath: '/m/l3', versionPolicy: { kind: 'latest', numVersions: 3 } }),
          model({ name: 'all', basePath: '/m/all', versionPolicy: { kind: 'all' } }),
          model({
            name: 'specific',
            basePath: '/m/s',
            versionPolicy: { kind: 'specific', versions: [3, 1, 83] },
            versionLabels: new Map([
              ['stable', 1],
              ['canary', 3],
            ]),
          }),
          model({ name: 'specific_empty', basePath: '/m/se', versionPolicy: { kind: 'specific', versions: [] } }),
        ],
      },
    ],
  ];

  test.each(cases)('%s', (_label, text, expected) => {
    expect(modelServerConfigFromText(text)).toEqual(expected);
  });

  test('a platform outside the default list is accepted when the caller supports it', () => {
    const text = 'model_config_list { config { name: "a" base_path: "/m" model_platform: "tflite" } }';
    expect(modelServerConfigFromText(text, { supportedPlatforms: ['tensorflow', 'tflite'] })).toEqual({
      hasModelConfigList: true,
      models: [model({ name: 'a', basePath: '/m', platform: 'tflite' })],
    });
  });
});

describe('modelServerConfigFromText: rejected configs', () => {
  const cfg = (...models: string[]): string => `model_config_list { ${models.map((m) => `config { ${m} }`).join(' ')} }`;
  const cases: Array<[string, string, Code, string]> = [
    [
      'duplicate names',
      cfg('name: "a" base_path: "/a" model_platform: "tensorflow"', 'name: "a" base_path: "/b" model_platform: "tensorflow"'),
      Code.INVALID_ARGUMENT,
      'Illegal to list model a multiple times in config list',
    ],
    [
      'duplicate names are reported before a relative path of an earlier model',
      cfg('name: "a" base_path: "rel" model_platform: "tensorflow"', 'name: "a" base_path: "/b" model_platform: "tensorflow"'),
      Code.INVALID_ARGUMENT,
      'Illegal to list model a multiple times in config list',
    ],
    [
      'relative base path',
      cfg('name: "a" base_path: "models/a" model_platform: "tensorflow"'),
      Code.INVALID_ARGUMENT,
      'Expected model a to have an absolute path or URI; got base_path()=models/a',
    ],
    [
      'missing base path',
      cfg('name: "a" model_platform: "tensorflow"'),
      Code.INVALID_ARGUMENT,
      'Expected model a to have an absolute path or URI; got base_path()=',
    ],
    [
      'paths are checked before platforms',
      cfg('name: "a" base_path: "/a"', 'name: "b" base_path: "b"'),
      Code.INVALID_ARGUMENT,
      'Expected model b to have an absolute path or URI; got base_path()=b',
    ],
    [
      'no platform',
      cfg('name: "a" base_path: "/a"'),
      Code.INVALID_ARGUMENT,
      'Illegal setting neither ModelServerConfig::model_type (deprecated) nor ModelServerConfig::model_platform, model name is a',
    ],
    [
      'both model_type and model_platform',
      cfg('name: "a" base_path: "/a" model_type: TENSORFLOW model_platform: "tensorflow"'),
      Code.INVALID_ARGUMENT,
      'Illegal setting both ModelServerConfig::model_type (deprecated) and ModelServerConfig::model_platform.',
    ],
    [
      'model_type OTHER',
      cfg('name: "a" base_path: "/a" model_type: OTHER'),
      Code.INVALID_ARGUMENT,
      'ModelServerConfig::model_type choice 2 not supported.',
    ],
    [
      'unsupported platform',
      cfg('name: "a" base_path: "/a" model_platform: "pytorch"'),
      Code.INVALID_ARGUMENT,
      'Model a requests unsupported platform pytorch',
    ],
    [
      'custom_model_config',
      'custom_model_config { type_url: "x" }',
      Code.UNIMPLEMENTED,
      'ModelServer does not yet support custom model config.',
    ],
    [
      'a version beyond 2^53-1',
      cfg('name: "a" base_path: "/a" model_platform: "tensorflow" model_version_policy { specific { versions: 9007199254740993 } }'),
      Code.INVALID_ARGUMENT,
      'Version 9007199254740993 of model a is outside the range this server supports (|v| <= 2^53-1)',
    ],
  ];

  test.each(cases)('%s', (_label, text, code, message) => {
    expect(thrown(() => modelServerConfigFromText(text))).toMatchObject({ code, message });
  });

  test('syntax errors use protobuf wording', () => {
    const result = thrown(() => modelServerConfigFromText('model_config_list {\n  config {\n    nme: "x"\n  }\n}'));
    expect(result.error).toBeInstanceOf(TextProtoParseError);
    expect(result).toMatchObject({
      code: Code.INVALID_ARGUMENT,
      message:
        'Error parsing text-format tensorflow.serving.ModelServerConfig: 3:5: Message type "tensorflow.serving.ModelConfig" has no field named "nme".',
    });
  });
});

describe('isRelativeBasePath (tensorflow::io::ParseURI)', () => {
  const cases: Array<[string, boolean]> = [
    ['/abs/path', false],
    ['s3://bucket/key', false],
    ['a.b://x', false],
    ['file:///abs', false],
    ['relative/path', true],
    ['', true],
    ['./x', true],
    ['C:\\models', true],
    ['1s3://x', true],
    ['s3:/x', true],
  ];
  test.each(cases)('%j → %s', (basePath, relative) => {
    expect(isRelativeBasePath(basePath)).toBe(relative);
  });
});

describe('singleModelConfig (--model_name/--model_base_path)', () => {
  test('builds one TensorFlow model with the default policy', () => {
    expect(singleModelConfig('default', '/models/default')).toEqual({
      hasModelConfigList: true,
      models: [model({ name: 'default' })],
    });
  });
  test('applies the same path rule', () => {
    expect(thrown(() => singleModelConfig('m', 'rel'))).toMatchObject({
      code: Code.INVALID_ARGUMENT,
      message: 'Expected model m to have an absolute path or URI; got base_path()=rel',
    });
  });
});

describe('config files on disk', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-server-config-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('readModelServerConfigFile reads, parses and checks', () => {
    const file = path.join(dir, 'models.config');
    fs.writeFileSync(file, "model_config_list { config { name: 'm' base_path: '/models/m' model_platform: 'tensorflow' } }");
    expect(readModelServerConfigFile(file)).toEqual({ hasModelConfigList: true, models: [model({ name: 'm' })] });
  });

  test('a missing model config file is NOT_FOUND', () => {
    const file = path.join(dir, 'absent.config');
    expect(thrown(() => readModelServerConfigFile(file))).toMatchObject({
      code: Code.NOT_FOUND,
      message: `${file}; No such file or directory`,
    });
  });
});

const batching = (over: Partial<BatchingOptions>): BatchingOptions => ({
  maxBatchSize: 1000,
  batchTimeoutMicros: 0,
  batchTimeoutSet: false,
  maxEnqueuedBatches: 10,
  numBatchThreads: 4,
  threadPoolName: DEFAULT_BATCH_THREAD_POOL_NAME,
  allowedBatchSizes: [],
  padVariableLengthInputs: false,
  enableLargeBatchSplitting: false,
  maxExecutionBatchSize: 1000,
  ...over,
});

describe('batching parameters', () => {
  const accepted: Array<[string, string, BatchingOptions]> = [
    ['empty file: scheduler defaults', '', batching({})],
    [
      'every field',
      `max_batch_size { value: 8 } batch_timeout_micros { value: 500 } max_enqueued_batches { value: 3 }
       num_batch_threads { value: 2 } thread_pool_name { value: "pool" } allowed_batch_sizes: [2, 4, 8]
       pad_variable_length_inputs: true enable_large_batch_splitting { value: true } max_execution_batch_size { value: 4 }`,
      batching({
        maxBatchSize: 8,
        batchTimeoutMicros: 500,
        batchTimeoutSet: true,
        maxEnqueuedBatches: 3,
        numBatchThreads: 2,
        threadPoolName: 'pool',
        allowedBatchSizes: [2, 4, 8],
        padVariableLengthInputs: true,
        enableLargeBatchSplitting: true,
        maxExecutionBatchSize: 4,
      }),
    ],
    [
      'splitting without max_execution_batch_size executes max_batch_size rows',
      'max_batch_size { value: 16 } enable_large_batch_splitting { value: true }',
      batching({ maxBatchSize: 16, maxExecutionBatchSize: 16, enableLargeBatchSplitting: true }),
    ],
    [
      'max_execution_batch_size is ignored without splitting',
      'max_batch_size { value: 16 } max_execution_batch_size { value: 4 }',
      batching({ maxBatchSize: 16, maxExecutionBatchSize: 16 }),
    ],
    [
      'allowed sizes ending at the default max_batch_size',
      'allowed_batch_sizes: [10, 1000]',
      batching({ allowedBatchSizes: [10, 1000] }),
    ],
  ];
  test.each(accepted)('%s', (_label, text, expected) => {
    expect(batchingOptionsFromText(text, { numBatchThreads: 4 })).toEqual(expected);
  });

  const rejected: Array<[string, string, string]> = [
    [
      'last allowed size differs from max_batch_size',
      'max_batch_size { value: 8 } allowed_batch_sizes: [2, 4]',
      'Last entry in allowed_batch_sizes must match max_batch_size; last entry was 4; expected 8',
    ],
    [
      'last allowed size differs from the default max_batch_size',
      'allowed_batch_sizes: [2, 4]',
      'Last entry in allowed_batch_sizes must match max_batch_size; last entry was 4; expected 1000',
    ],
    ['zero batch threads', 'num_batch_threads { value: 0 }', 'num_batch_threads must be positive; was 0'],
    ['zero max_batch_size', 'max_batch_size { value: 0 }', 'max_batch_size must be positive; was 0'],
    ['negative timeout', 'batch_timeout_micros { value: -1 }', 'batch_timeout_micros must be non-negative; was -1'],
    ['zero queue bound', 'max_enqueued_batches { value: 0 }', 'max_enqueued_batches must be positive; was 0'],
  ];
  test.each(rejected)('%s', (_label, text, message) => {
    expect(thrown(() => batchingOptionsFromText(text, { numBatchThreads: 4 }))).toMatchObject({
      code: Code.INVALID_ARGUMENT,
      message,
    });
  });

  test('a field from another message is a parse error', () => {
    expect(thrown(() => batchingOptionsFromText('max_batch_sizes { value: 1 }')).message).toBe(
      'Error parsing text-format tensorflow.serving.BatchingParameters: 1:1: Message type "tensorflow.serving.BatchingParameters" has no field named "max_batch_sizes".',
    );
  });

  test('--enable_batching without a file', () => {
    expect(defaultBatchingOptions({ numBatchThreads: 4 })).toEqual(batching({ threadPoolName: MODEL_SERVER_BATCH_THREAD_POOL_NAME }));
  });

  test('num_batch_threads defaults to the usable CPU count', () => {
    expect(defaultNumBatchThreads()).toBe(os.availableParallelism());
    expect(batchingOptionsFromText('').numBatchThreads).toBe(os.availableParallelism());
  });
});

describe('monitoring config', () => {
  const cases: Array<[string, string, { enabled: boolean; path: string }]> = [
    ['empty file', '', { enabled: false, path: DEFAULT_PROMETHEUS_PATH }],
    ['enabled without a path', 'prometheus_config { enable: true }', { enabled: true, path: DEFAULT_PROMETHEUS_PATH }],
    ['empty path', 'prometheus_config { enable: true path: "" }', { enabled: true, path: DEFAULT_PROMETHEUS_PATH }],
    ['custom path', 'prometheus_config: { enable: true, path: "/metrics" }', { enabled: true, path: '/metrics' }],
  ];
  test.each(cases)('%s', (_label, text, prometheus) => {
    expect(monitoringOptionsFromText(text)).toEqual({ prometheus });
  });
  test('no --monitoring_config_file', () => {
    expect(defaultMonitoringOptions()).toEqual({ prometheus: { enabled: false, path: '/monitoring/prometheus/metrics' } });
  });
});

describeWithSharedTestdata('TF Serving config fixtures', () => {
  const fixture = (name: string): string => path.join(SHARED_TESTDATA, name);

  test('good_model_config.txt parses as written', () => {
    expect(parseModelServerConfigText(fs.readFileSync(fixture('good_model_config.txt'), 'utf8'))).toEqual({
      model_config_list: {
        config: [
          { name: 'half_plus_two', base_path: '${TEST_HALF_PLUS_TWO_DIR}', model_platform: 'tensorflow' },
          { name: 'half_plus_three', base_path: '${TEST_HALF_PLUS_THREE_DIR}', model_platform: 'tensorflow' },
        ],
      },
      config: 'model_config_list',
    });
  });

  test('good_model_config.txt fails the path check until its placeholders are filled in', () => {
    expect(thrown(() => readModelServerConfigFile(fixture('good_model_config.txt')))).toMatchObject({
      code: Code.INVALID_ARGUMENT,
      message: 'Expected model half_plus_two to have an absolute path or URI; got base_path()=${TEST_HALF_PLUS_TWO_DIR}',
    });
    // TF Serving's own test substitutes the placeholders before starting the server.
    const text = fs
      .readFileSync(fixture('good_model_config.txt'), 'utf8')
      .replace('${TEST_HALF_PLUS_TWO_DIR}', fixture('saved_model_half_plus_two_cpu'))
      .replace('${TEST_HALF_PLUS_THREE_DIR}', fixture('saved_model_half_plus_three'));
    expect(modelServerConfigFromText(text)).toEqual({
      hasModelConfigList: true,
      models: [
        model({ name: 'half_plus_two', basePath: fixture('saved_model_half_plus_two_cpu') }),
        model({ name: 'half_plus_three', basePath: fixture('saved_model_half_plus_three') }),
      ],
    });
  });

  test('bad_model_config.txt fails as ParseProtoTextFile does: the file in the status, the position as its cause', () => {
    const file = fixture('bad_model_config.txt');
    const result = thrown(() => readModelServerConfigFile(file));
    expect(result).toMatchObject({ code: Code.INVALID_ARGUMENT, message: `Invalid protobuf file: '${file}'` });
    const cause = (result.error as Error).cause;
    expect(cause).toBeInstanceOf(TextProtoParseError);
    expect((cause as TextProtoParseError).message).toBe(
      'Error parsing text-format tensorflow.serving.ModelServerConfig: 1:1: Message type "tensorflow.serving.ModelServerConfig" has no field named "improperly".',
    );
  });

  test('batching_config.txt', () => {
    expect(readBatchingParametersFile(fixture('batching_config.txt'))).toEqual(
      batching({ maxBatchSize: 128, batchTimeoutSet: true, maxEnqueuedBatches: 1000000, numBatchThreads: 8, maxExecutionBatchSize: 128 }),
    );
  });

  test('monitoring_config.txt', () => {
    expect(readMonitoringConfigFile(fixture('monitoring_config.txt'))).toEqual({
      prometheus: { enabled: true, path: '/monitoring/prometheus/metrics' },
    });
  });
});
