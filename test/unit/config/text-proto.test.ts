import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Code } from '../../../src/errors/status-code';
import { ServingError } from '../../../src/errors/serving-error';
import { protoType } from '../../../src/proto/root';
import {
  TextProtoParseError,
  parseTextProto,
  parseTextProtoMessage,
  parseTextProtoToObject,
  readTextProtoFile,
} from '../../../src/config/text-proto';

const MSC = 'tensorflow.serving.ModelServerConfig';
const MCL = 'tensorflow.serving.ModelConfigList';
const MC = 'tensorflow.serving.ModelConfig';
const BATCHING = 'tensorflow.serving.BatchingParameters';
const LOGGING = 'tensorflow.serving.LoggingConfig';
const SSL = 'tensorflow.serving.SSLConfig';
const PLATFORM = 'tensorflow.serving.PlatformConfigMap';
const BUNDLE = 'tensorflow.serving.SessionBundleConfig';

type Plain = Record<string, unknown>;
const parse = (typeName: string, text: string): Plain => parseTextProto<Plain>(protoType(typeName), text);

describe('parseTextProto: accepted syntax', () => {
  const cases: Array<[string, string, string, Plain]> = [
    ['empty input', MSC, '', {}],
    ['whitespace and comments only', MSC, '  # nothing here\n\n# still nothing\n', {}],
    [
      'field { ... }',
      MSC,
      'model_config_list { config { name: "a" } }',
      { model_config_list: { config: [{ name: 'a' }] }, config: 'model_config_list' },
    ],
    [
      'field: { ... } with , and ; separators',
      MSC,
      "model_config_list: { config: { name: 'a', base_path: \"/p\"; model_platform: 'tensorflow' }, }",
      {
        model_config_list: { config: [{ name: 'a', base_path: '/p', model_platform: 'tensorflow' }] },
        config: 'model_config_list',
      },
    ],
    [
      'field < ... >',
      MSC,
      'model_config_list < config < name: "a" > >',
      { model_config_list: { config: [{ name: 'a' }] }, config: 'model_config_list' },
    ],
    [
      '# comments everywhere',
      MCL,
      '# head\nconfig { # open\n  name: "a" # value\n} # close\n',
      { config: [{ name: 'a' }] },
    ],
    [
      'repeated field given several times and as [list]',
      MCL,
      'config: [{ name: "a" }, < name: "b" >] config { name: "c" } config []',
      { config: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    ],
    ['C escapes', MC, String.raw`name: "a\nb\t\\\'\"\101\x41\x7e\?\a\0"`, { name: 'a\nb\t\\\'"AA~?\x07\x00' }],
    ['single quotes with an unescaped double quote', MC, `name: 'say "hi"'`, { name: 'say "hi"' }],
    ['unicode escapes and raw UTF-8', MC, String.raw`name: "\u00e9\U0001F600 é"`, { name: 'é😀 é' }],
    ['octal escape that builds UTF-8 bytes', MC, String.raw`name: "\303\251"`, { name: 'é' }],
    ['adjacent strings concatenate', MC, `name: "ab" 'cd'\n "ef"`, { name: 'abcdef' }],
    ['enum by name', MC, 'model_type: TENSORFLOW', { model_type: 'TENSORFLOW' }],
    ['enum by number', MC, 'model_type: 2', { model_type: 'OTHER' }],
    [
      'int64 keeps precision; hex, octal and negatives',
      MC,
      'model_version_policy { specific { versions: [9223372036854775807, -9223372036854775808, 0x10, 010, 0] } }',
      {
        model_version_policy: {
          specific: { versions: ['9223372036854775807', '-9223372036854775808', '16', '8', '0'] },
          policy_choice: 'specific',
        },
      },
    ],
    [
      'uint32 at its maximum',
      MC,
      'model_version_policy { latest { num_versions: 4294967295 } }',
      { model_version_policy: { latest: { num_versions: 4294967295 }, policy_choice: 'latest' } },
    ],
    [
      'empty message value',
      MC,
      'model_version_policy { all {} }',
      { model_version_policy: { all: {}, policy_choice: 'all' } },
    ],
    [
      'map entries; the last value for a key wins; a missing value is the default',
      MC,
      "version_labels { key: 'stable' value: 42 } version_labels: < key: \"canary\", value: 43 >\n" +
        "version_labels { key: 'stable' value: 44 } version_labels { key: 'zero' }",
      { version_labels: { stable: '44', canary: '43', zero: '0' } },
    ],
    [
      'google.protobuf wrappers',
      BATCHING,
      'max_batch_size { value: 128 } batch_timeout_micros: { value: 0 } thread_pool_name { value: "pool" }\n' +
        'enable_large_batch_splitting { value: True } allowed_batch_sizes: [32, 64] allowed_batch_sizes: 128\n' +
        'pad_variable_length_inputs: true',
      {
        max_batch_size: { value: '128' },
        batch_timeout_micros: { value: '0' },
        thread_pool_name: { value: 'pool' },
        enable_large_batch_splitting: { value: true },
        allowed_batch_sizes: ['32', '64', '128'],
        pad_variable_length_inputs: true,
      },
    ],
    [
      'doubles: decimals, exponents, f suffix, integers',
      LOGGING,
      'sampling_config { sampling_rate: 2.5e-1 per_task_sampling_configs [{ sampling_rate: .5 }, { sampling_rate: 1f }, { sampling_rate: -3 }] }',
      {
        sampling_config: {
          sampling_rate: 0.25,
          per_task_sampling_configs: [{ sampling_rate: 0.5 }, { sampling_rate: 1 }, { sampling_rate: -3 }],
        },
      },
    ],
    [
      'proto3 optional keeps an explicit zero',
      LOGGING,
      'sampling_config { per_task_sampling_configs { dc: "x" task_index: 0 } }',
      { sampling_config: { per_task_sampling_configs: [{ dc: 'x', task_index: 0, _task_index: 'task_index' }] } },
    ],
    [
      'a default-valued scalar may be given again (protobuf only tracks non-default values)',
      MC,
      'name: "" name: "b"',
      { name: 'b' },
    ],
  ];

  test.each(cases)('%s', (_label, typeName, text, expected) => {
    expect(parse(typeName, text)).toEqual(expected);
  });

  const infinities: Array<[string, number]> = [
    ['inf', Infinity],
    ['-inf', -Infinity],
    ['Infinity', Infinity],
    ['-INFINITY', -Infinity],
    ['inff', Infinity],
    ['nan', NaN],
    ['NaN', NaN],
  ];
  test.each(infinities)('double literal %s', (literal, expected) => {
    const parsed = parse(LOGGING, `sampling_config { sampling_rate: ${literal} }`);
    expect(parsed).toEqual({ sampling_config: { sampling_rate: expected } });
  });

  const bools: Array<[string, boolean]> = [
    ['true', true],
    ['True', true],
    ['t', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['f', false],
    ['0', false],
  ];
  test.each(bools)('bool literal %s', (literal, expected) => {
    expect(parse(SSL, `client_verify: ${literal}`)).toEqual({ client_verify: expected });
  });

  test('64-bit integers stay strings in the plain object given to fromObject', () => {
    const plain = parseTextProtoToObject(protoType(MC), 'version_labels { key: "v" value: 9007199254740993 }');
    expect(plain).toEqual({ version_labels: { v: '9007199254740993' } });
  });

  test('the message is verified and decodes with Long values', () => {
    const message = parseTextProtoMessage(protoType(BATCHING), 'max_batch_size { value: 9007199254740993 }');
    const type = protoType(BATCHING);
    expect(type.verify(message)).toBeNull();
    const roundTrip = type.toObject(type.decode(type.encode(message).finish()), { longs: String });
    expect(roundTrip).toEqual({ max_batch_size: { value: '9007199254740993' } });
  });

  test('bytes fields keep raw bytes', () => {
    const parsed = parse(MSC, String.raw`custom_model_config { type_url: "t/x.Y" value: "\001\377a" }`);
    expect(parsed.config).toBe('custom_model_config');
    const packed = parsed.custom_model_config as { type_url: string; value: Uint8Array };
    expect(packed.type_url).toBe('t/x.Y');
    expect(Array.from(packed.value)).toEqual([1, 255, 97]);
  });

  test('Any expansion packs the named message from the same root', () => {
    const parsed = parse(
      PLATFORM,
      `platform_configs {
         key: "tensorflow"
         value {
           source_adapter_config {
             [type.googleapis.com/tensorflow.serving.SessionBundleConfig] {
               batching_parameters { max_batch_size { value: 7 } }
               saved_model_tags: "serve"
             }
           }
         }
       }`,
    );
    const entry = (parsed.platform_configs as Record<string, { source_adapter_config: Plain }>)['tensorflow'];
    const packed = entry?.source_adapter_config as { type_url: string; value: Uint8Array };
    expect(packed.type_url).toBe('type.googleapis.com/tensorflow.serving.SessionBundleConfig');
    const bundle = protoType(BUNDLE);
    expect(bundle.toObject(bundle.decode(packed.value), { longs: String })).toEqual({
      batching_parameters: { max_batch_size: { value: '7' } },
      saved_model_tags: ['serve'],
    });
  });

  test('Any expansion with a colon and angle brackets', () => {
    const parsed = parse(MSC, 'custom_model_config { [x.y/tensorflow.serving.SSLConfig]: < client_verify: true > }');
    const packed = parsed.custom_model_config as { type_url: string; value: Uint8Array };
    expect(packed.type_url).toBe('x.y/tensorflow.serving.SSLConfig');
    expect(protoType(SSL).toObject(protoType(SSL).decode(packed.value))).toEqual({ client_verify: true });
  });
});

describe('parseTextProto: errors', () => {
  // [label, type, text, line, column, detail]
  const cases: Array<[string, string, string, number, number, string]> = [
    [
      'unknown top-level field (bad_model_config.txt)',
      MSC,
      'improperly formatted file',
      1,
      1,
      'Message type "tensorflow.serving.ModelServerConfig" has no field named "improperly".',
    ],
    [
      'unknown nested field',
      MSC,
      'model_config_list {\n  config {\n    nme: "x"\n  }\n}',
      3,
      5,
      'Message type "tensorflow.serving.ModelConfig" has no field named "nme".',
    ],
    ['tabs advance to the next multiple of 8', MC, '\tnme: 1', 1, 9, 'Message type "tensorflow.serving.ModelConfig" has no field named "nme".'],
    ['scalar without a colon', MC, 'name "a"', 1, 6, 'Expected ":", found ""a"".'],
    ['scalar given a message', MC, 'name { }', 1, 6, 'Expected ":", found "{".'],
    ['message given a scalar', MSC, 'model_config_list: 5', 1, 20, 'Expected "{", found "5".'],
    ['mismatched delimiters', MCL, 'config < name: "a" }', 1, 20, 'Expected ">", found "}".'],
    ['unterminated message', MSC, 'model_config_list {\n config { name: "a" }', 2, 22, 'Expected identifier, got: '],
    ['stray closing brace', MSC, '}', 1, 1, 'Expected identifier, got: }'],
    ['non-repeated field twice', MC, 'name: "a"\nname: "b"', 2, 5, 'Non-repeated field "name" is specified multiple times.'],
    ['message field twice', MC, 'model_version_policy {}\nmodel_version_policy {}', 2, 22, 'Non-repeated field "model_version_policy" is specified multiple times.'],
    [
      'two members of a oneof',
      MSC,
      'model_config_list {}\ncustom_model_config {}',
      2,
      21,
      'Field "custom_model_config" is specified along with field "model_config_list", another member of oneof "config".',
    ],
    ['unknown enum name', MC, 'model_type: PYTORCH', 1, 13, 'Unknown enumeration value of "PYTORCH" for field "model_type".'],
    ['enum number without a name', MC, 'model_type: -7', 1, 13, 'Unknown enumeration value of "-7" for field "model_type".'],
    ['enum given a string', MC, 'model_type: "TENSORFLOW"', 1, 13, 'Expected integer or identifier, got: "TENSORFLOW"'],
    ['bad bool word', SSL, 'client_verify: yes', 1, 16, 'Invalid value for boolean field "client_verify". Value: "yes".'],
    ['bool out of range', SSL, 'client_verify: 2', 1, 16, 'Integer out of range (2)'],
    ['uint32 too large', MC, 'model_version_policy { latest { num_versions: 4294967296 } }', 1, 47, 'Integer out of range (4294967296)'],
    ['uint32 negative', MC, 'model_version_policy { latest { num_versions: -1 } }', 1, 47, 'Expected integer, got: -'],
    ['int64 too large', MC, 'version_labels { key: "a" value: 9223372036854775808 }', 1, 34, 'Integer out of range (9223372036854775808)'],
    ['integer given a float', MC, 'model_version_policy { specific { versions: 1.5 } }', 1, 45, 'Expected integer, got: 1.5'],
    ['string given a number', MC, 'name: 5', 1, 7, 'Expected string, got: 5'],
    ['double given a word', LOGGING, 'sampling_config { sampling_rate: high }', 1, 34, 'Expected double, got: high'],
    ['list for a non-repeated field', MC, 'name: ["a"]', 1, 7, 'Expected string, got: ['],
    ['list without commas', MC, 'model_version_policy { specific { versions: [1 2] } }', 1, 48, 'Expected ",", found "2".'],
    ['invalid escape', MC, String.raw`name: "a\qb"`, 1, 9, 'Invalid escape sequence in string literal.'],
    ['string across lines', MC, 'name: "ab\n"', 1, 10, 'String literals cannot cross line boundaries.'],
    ['unterminated string', MC, 'name: "ab', 1, 10, 'Unexpected end of string.'],
    ['number glued to a word', MC, 'model_type: 1x', 1, 14, 'Need space between number and identifier.'],
    ['octal with an 8', MC, 'model_type: 08', 1, 14, 'Numbers starting with leading zero must be in octal.'],
    [
      'Any of an unknown type',
      MSC,
      'custom_model_config { [type.googleapis.com/foo.Bar] {} }',
      1,
      23,
      'Could not find type "type.googleapis.com/foo.Bar" stored in google.protobuf.Any.',
    ],
    [
      'extension syntax outside Any',
      MCL,
      'config { [foo.bar]: 1 }',
      1,
      10,
      'Extension "foo.bar" is not defined or is not an extension of "tensorflow.serving.ModelConfig".',
    ],
    [
      'type URL outside Any',
      MCL,
      '[type.googleapis.com/tensorflow.serving.ModelConfig] {}',
      1,
      1,
      'Extension "type.googleapis.com/tensorflow.serving.ModelConfig" is not defined or is not an extension of "tensorflow.serving.ModelConfigList".',
    ],
    [
      'Any expanded twice',
      MSC,
      'custom_model_config { [a/tensorflow.serving.SSLConfig] {} [a/tensorflow.serving.SSLConfig] {} }',
      1,
      59,
      'Non-repeated Any specified multiple times.',
    ],
    [
      'errors inside an Any payload name the payload type',
      MSC,
      'custom_model_config { [a/tensorflow.serving.SSLConfig] { nope: 1 } }',
      1,
      58,
      'Message type "tensorflow.serving.SSLConfig" has no field named "nope".',
    ],
    ['control character', MC, 'name: "a"\u0001', 1, 10, 'Invalid control characters encountered in text.'],
  ];

  test.each(cases)('%s', (_label, typeName, text, line, column, detail) => {
    let caught: unknown;
    try {
      parse(typeName, text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TextProtoParseError);
    const err = caught as TextProtoParseError;
    expect({ line: err.line, column: err.column, detail: err.detail }).toEqual({ line, column, detail });
    expect(err.message).toBe(`Error parsing text-format ${typeName}: ${line}:${column}: ${detail}`);
    expect(err.typeName).toBe(typeName);
    expect(err.name).toBe('TextProtoParseError');
    expect(err).toBeInstanceOf(ServingError);
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
  });

  test('nesting deeper than 100 levels is refused', () => {
    // None of the config messages is recursive, so nest Any payloads.
    let inner = '';
    for (let i = 0; i < 101; i++) inner = `custom_model_config { [t/tensorflow.serving.ModelServerConfig] { ${inner} } }`;
    expect(() => parse(MSC, inner)).toThrow(/exceeded the configured recursion limit of 100/);
  });
});

describe('readTextProtoFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'text-proto-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('reads and parses a file', () => {
    const file = path.join(dir, 'ok.txt');
    fs.writeFileSync(file, 'server_key: "k"\nclient_verify: true\n');
    expect(readTextProtoFile<Plain>(protoType(SSL), file)).toEqual({ server_key: 'k', client_verify: true });
  });

  test("a parse error is TF Serving's ParseProtoTextFile status, with the parser's error as its cause", () => {
    const file = path.join(dir, 'bad.txt');
    fs.writeFileSync(file, 'client_verify: maybe');
    let caught: unknown;
    try {
      readTextProtoFile<Plain>(protoType(SSL), file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: Code.INVALID_ARGUMENT, message: `Invalid protobuf file: '${file}'` });
    const cause = (caught as Error).cause;
    expect(cause).toBeInstanceOf(TextProtoParseError);
    expect((cause as Error).message).toBe(
      'Error parsing text-format tensorflow.serving.SSLConfig: 1:16: Invalid value for boolean field "client_verify". Value: "maybe".',
    );
  });

  test('a missing file is NOT_FOUND', () => {
    const file = path.join(dir, 'absent.txt');
    expect(() => readTextProtoFile<Plain>(protoType(SSL), file)).toThrow(
      expect.objectContaining({ code: Code.NOT_FOUND, message: `${file}; No such file or directory` }),
    );
  });
});
