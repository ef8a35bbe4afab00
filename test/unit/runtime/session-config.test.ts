/**
 * The serialized ConfigProto every SavedModel session gets (src/runtime/tensorflow/session-config.ts),
 * decoded by TensorFlow's own protos (python/config_proto_text.py, .venv) and compared as messages:
 * --per_process_gpu_memory_fraction, --mixed_precision and the thread flags alone, together, and over a
 * --tensorflow_session_config_file parsed by TensorFlow's parser (the real addon), as TF Serving builds
 * it (model_servers/server.cc, servables/tensorflow/saved_model_bundle_factory.cc).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PYTHON, REPO } from '../../helpers/paths';
import { ServingError } from '../../../src/errors/serving-error';
import { Code } from '../../../src/errors/status-code';
import { loadAddon } from '../../../src/runtime/tensorflow/native-addon';
import { SessionConfigFlags, buildSessionConfig, mixedPrecisionLoadLog } from '../../../src/runtime/tensorflow/session-config';

const NONE: SessionConfigFlags = { configFile: '', intraOp: 0, interOp: 0, sessionParallelism: 0, gpuMemoryFraction: 0, mixedPrecision: '' };
/** Without a file nothing is parsed: an addon that must not be called. */
const NO_PARSER = {
  parseConfigProto: (): Uint8Array => {
    throw new Error('parseConfigProto called without a config file');
  },
};

let tmp: string;
let fileWith: (text: string) => string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'session-config-'));
  let n = 0;
  fileWith = (text) => {
    const p = path.join(tmp, `session-${n++}.pbtxt`);
    fs.writeFileSync(p, text);
    return p;
  };
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Each ConfigProto decoded by TensorFlow's protos, beside the expected text parsed the same way. */
function decodeAll(cases: Array<{ bytes: Uint8Array; expected: string }>): Array<{ decoded: string; expected: string }> {
  const input = JSON.stringify(cases.map((c) => ({ hex: Buffer.from(c.bytes).toString('hex'), expected: c.expected })));
  const out = execFileSync(PYTHON, [path.join(REPO, 'python/config_proto_text.py')], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    timeout: 120000,
  });
  return JSON.parse(out) as Array<{ decoded: string; expected: string }>;
}

const AMP_ON = 'graph_options { rewrite_options { auto_mixed_precision_onednn_bfloat16: ON } }';

// A file setting a bit of everything the flags touch, and fields they must leave alone.
const FILE = `
intra_op_parallelism_threads: 7
inter_op_parallelism_threads: 8
allow_soft_placement: true
gpu_options { allow_growth: true per_process_gpu_memory_fraction: 0.25 }
graph_options {
  enable_bfloat16_sendrecv: true
  rewrite_options { constant_folding: OFF auto_mixed_precision_onednn_bfloat16: OFF }
}
`;
const FILE_REST = 'allow_soft_placement: true';

type Case = [name: string, flags: Partial<SessionConfigFlags> & { file?: string }, expected: string];

const CASES: Case[] = [
  ['no flags: an empty ConfigProto (TensorFlow chooses)', {}, ''],
  ['--per_process_gpu_memory_fraction=0.5', { gpuMemoryFraction: 0.5 }, 'gpu_options { per_process_gpu_memory_fraction: 0.5 }'],
  // TF Serving's flag is a C++ float stored into the double field: 0.3f, not 0.3.
  ['--per_process_gpu_memory_fraction=0.3 is widened from a float, as TF Serving does', { gpuMemoryFraction: 0.3 }, 'gpu_options { per_process_gpu_memory_fraction: 0.30000001192092896 }'],
  ['--per_process_gpu_memory_fraction=1', { gpuMemoryFraction: 1 }, 'gpu_options { per_process_gpu_memory_fraction: 1 }'],
  ['--mixed_precision=bfloat16', { mixedPrecision: 'bfloat16' }, AMP_ON],
  ['--mixed_precision=float16: not supported, nothing set', { mixedPrecision: 'float16' }, ''],
  ['--mixed_precision=BFLOAT16: the match is exact, as in TF Serving', { mixedPrecision: 'BFLOAT16' }, ''],
  ['--mixed_precision=bf16', { mixedPrecision: 'bf16' }, ''],
  [
    'both flags with intra and inter',
    { gpuMemoryFraction: 0.5, mixedPrecision: 'bfloat16', intraOp: 2, interOp: 3 },
    `intra_op_parallelism_threads: 2 inter_op_parallelism_threads: 3 gpu_options { per_process_gpu_memory_fraction: 0.5 } ${AMP_ON}`,
  ],
  [
    'both flags with session parallelism',
    { gpuMemoryFraction: 0.75, mixedPrecision: 'bfloat16', sessionParallelism: 4 },
    `intra_op_parallelism_threads: 4 inter_op_parallelism_threads: 4 gpu_options { per_process_gpu_memory_fraction: 0.75 } ${AMP_ON}`,
  ],
  ['intra alone: inter is 0, as TF Serving writes it', { intraOp: 2 }, 'intra_op_parallelism_threads: 2'],
  // Over a config file: the file's other fields stand; a message field from a flag merges into the file's.
  [
    'file alone: exactly the file',
    { file: FILE },
    `intra_op_parallelism_threads: 7 inter_op_parallelism_threads: 8 ${FILE_REST} gpu_options { allow_growth: true per_process_gpu_memory_fraction: 0.25 } graph_options { enable_bfloat16_sendrecv: true rewrite_options { constant_folding: OFF auto_mixed_precision_onednn_bfloat16: OFF } }`,
  ],
  [
    "file + both flags: the flags win over the file's fraction and rewrite toggle, the rest of the file stands",
    { file: FILE, gpuMemoryFraction: 0.5, mixedPrecision: 'bfloat16' },
    `intra_op_parallelism_threads: 7 inter_op_parallelism_threads: 8 ${FILE_REST} gpu_options { allow_growth: true per_process_gpu_memory_fraction: 0.5 } graph_options { enable_bfloat16_sendrecv: true rewrite_options { constant_folding: OFF auto_mixed_precision_onednn_bfloat16: ON } }`,
  ],
  [
    "file + both flags + intra/inter: the thread flags replace the file's counts",
    { file: FILE, gpuMemoryFraction: 0.5, mixedPrecision: 'bfloat16', intraOp: 2, interOp: 3 },
    `intra_op_parallelism_threads: 2 inter_op_parallelism_threads: 3 ${FILE_REST} gpu_options { allow_growth: true per_process_gpu_memory_fraction: 0.5 } graph_options { enable_bfloat16_sendrecv: true rewrite_options { constant_folding: OFF auto_mixed_precision_onednn_bfloat16: ON } }`,
  ],
  [
    "file + session parallelism + --mixed_precision=float16: the file's rewrite toggle and fraction stand",
    { file: FILE, sessionParallelism: 4, mixedPrecision: 'float16' },
    `intra_op_parallelism_threads: 4 inter_op_parallelism_threads: 4 ${FILE_REST} gpu_options { allow_growth: true per_process_gpu_memory_fraction: 0.25 } graph_options { enable_bfloat16_sendrecv: true rewrite_options { constant_folding: OFF auto_mixed_precision_onednn_bfloat16: OFF } }`,
  ],
  [
    'a file turning the rewrite on keeps it on without the flag',
    { file: `graph_options { rewrite_options { auto_mixed_precision_onednn_bfloat16: ON } }\n` },
    AMP_ON,
  ],
  [
    'an empty file + both flags',
    { file: '', gpuMemoryFraction: 0.5, mixedPrecision: 'bfloat16' },
    `gpu_options { per_process_gpu_memory_fraction: 0.5 } ${AMP_ON}`,
  ],
];

describe('buildSessionConfig: the ConfigProto each session gets, decoded by TensorFlow', () => {
  let results: Array<{ decoded: string; expected: string }>;
  beforeAll(() => {
    const addon = loadAddon();
    const built = CASES.map(([, { file, ...flags }, expected]) => {
      const f = { ...NONE, ...flags, configFile: file === undefined ? '' : fileWith(file) };
      return { bytes: buildSessionConfig(file === undefined ? NO_PARSER : addon, f), expected };
    });
    results = decodeAll(built);
  }, 120000);

  it.each(CASES.map((c, i) => [c[0], i] as const))('%s', (_name, i) => {
    expect(results[i].decoded).toBe(results[i].expected);
  });

  it('nothing set: no bytes at all', () => {
    expect(buildSessionConfig(NO_PARSER, NONE)).toHaveLength(0);
  });
});

describe('buildSessionConfig: a config file that cannot be used stops start-up', () => {
  function thrown(f: () => unknown): ServingError {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(ServingError);
      return err as ServingError;
    }
    throw new Error('expected a ServingError');
  }

  it('a missing file is NOT_FOUND', () => {
    const missing = path.join(tmp, 'no-such-session-config.pbtxt');
    const err = thrown(() => buildSessionConfig(NO_PARSER, { ...NONE, configFile: missing }));
    expect(err.code).toBe(Code.NOT_FOUND);
    expect(err.message).toBe(`${missing}; No such file or directory`);
  });

  it("a bad file is INVALID_ARGUMENT with TensorFlow's parser message", () => {
    const bad = fileWith('gpu_options { per_process_gpu_memory_fractio: 0.5 }\n');
    const err = thrown(() => buildSessionConfig(loadAddon(), { ...NONE, configFile: bad, gpuMemoryFraction: 0.5 }));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.message).toContain(`Invalid ConfigProto in ${bad}`);
    expect(err.message).toContain('per_process_gpu_memory_fractio');
  });
});

describe("mixedPrecisionLoadLog: TF Serving's log line at each SavedModel load", () => {
  it.each<[string, ReturnType<typeof mixedPrecisionLoadLog>]>([
    ['', undefined],
    ['bfloat16', { level: 'info', message: 'Running inference with bfloat16 auto mixed precision' }],
    ['float16', { level: 'warn', message: 'float16 auto mixed precision is not supported. Valid option: bfloat16' }],
    ['BFLOAT16', { level: 'warn', message: 'BFLOAT16 auto mixed precision is not supported. Valid option: bfloat16' }],
  ])('%p', (mode, expected) => {
    expect(mixedPrecisionLoadLog(mode)).toEqual(expected);
  });
});
