import * as path from 'node:path';
import { loggingConfigOf } from '../../../src/config/logging-config';
import { modelServerConfigFromText } from '../../../src/config/model-server-config';
import { ServingError } from '../../../src/errors/serving-error';

/** ModelConfig.logging_config: parsed from the config file's text, checked, with TF Serving's sampling rules. */

const parse = (logging: string) =>
  modelServerConfigFromText(`model_config_list { config { name: "m" base_path: "/m" model_platform: "tensorflow" ${logging} } }`).models[0].logging;

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as ServingError).toString();
  }
  return 'no error';
};

test('a file collector with its prefix and sampling config', () => {
  expect(parse('logging_config { log_collector_config { type: "file" filename_prefix: "/logs/m" } sampling_config { sampling_rate: 0.25 attributes: 3 } }')).toEqual({
    collectorType: 'file',
    filenamePrefix: '/logs/m',
    samplingRate: 0.25,
    samplingConfig: { sampling_rate: 0.25, attributes: 3 },
  });
  expect(parse('')).toBeUndefined();
});

test('per-task rules: only one naming no dc and no task applies here, and its rate is the one logged', () => {
  const logging = loggingConfigOf(
    {
      log_collector_config: { type: 'file', filename_prefix: '/l/m' },
      sampling_config: {
        sampling_rate: 0.1,
        per_task_sampling_configs: [
          { dc: 'aa', sampling_rate: 1 },
          { task_index: 0, sampling_rate: 0.9 },
          { sampling_rate: 0.5 },
        ],
      },
    },
    'm',
  );
  expect(logging.samplingRate).toBe(0.5);
  expect(logging.samplingConfig.sampling_rate).toBe(0.5);
  expect(logging.samplingConfig.per_task_sampling_configs).toHaveLength(3);
});

test('relative prefixes are taken from the working directory; a trailing separator names a folder', () => {
  const of = (prefix: string) => loggingConfigOf({ log_collector_config: { type: 'file', filename_prefix: prefix } }, 'm').filenamePrefix;
  expect(of('logs/m')).toBe(path.resolve('logs/m'));
  expect(of('/logs/')).toBe('/logs/');
  expect(of('/')).toBe('/');
});

test('refused: unregistered collector types (TF Serving\'s wording), no prefix, object-store prefixes, rates outside [0, 1]', () => {
  const check = (logging: string) => errorOf(() => parse(logging));
  expect(check('logging_config { log_collector_config { type: "kafka" filename_prefix: "/l" } }')).toBe(
    'NOT_FOUND: Cannot find LogCollector::Factory for type: kafka (logging_config of model m; registered: file)',
  );
  expect(check('logging_config { sampling_config { sampling_rate: 1 } }')).toBe(
    'NOT_FOUND: Cannot find LogCollector::Factory for type:  (logging_config of model m; registered: file)',
  );
  expect(check('logging_config { log_collector_config { type: "file" } }')).toBe(
    'INVALID_ARGUMENT: logging_config of model m: the "file" log collector needs a filename_prefix',
  );
  expect(check('logging_config { log_collector_config { type: "file" filename_prefix: "gs://b/logs" } }')).toBe(
    'INVALID_ARGUMENT: logging_config of model m: filename_prefix gs://b/logs must be a local path',
  );
  expect(check('logging_config { log_collector_config { type: "file" filename_prefix: "/l" } sampling_config { sampling_rate: 1.5 } }')).toBe(
    'INVALID_ARGUMENT: logging_config of model m: sampling_rate 1.5 is outside [0, 1]',
  );
  expect(
    check('logging_config { log_collector_config { type: "file" filename_prefix: "/l" } sampling_config { per_task_sampling_configs { sampling_rate: -1 } } }'),
  ).toBe('INVALID_ARGUMENT: logging_config of model m: sampling_rate -1 is outside [0, 1]');
});
