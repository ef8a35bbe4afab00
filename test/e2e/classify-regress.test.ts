import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestModels, modelDir } from '../helpers/fixtures';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { SHARED_TESTDATA, hasSharedTestdata } from '../helpers/paths';
import { runPythonJson } from '../helpers/python';
import { ServerProcess, startServer } from '../helpers/server-process';
import { describeWithSharedTestdata } from '../helpers/shared-testdata';

/**
 * Classify, Regress and MultiInference through the official Python client (python/check_classify_regress.py):
 * tf.Examples in, ClassificationResult / RegressionResult out, TF Serving's errors word for word.
 * Results of our own classifier are compared bit for bit with TensorFlow running the same signature
 * in-process; TF Serving's half_plus_two models are checked against y = 0.5x + 2, y2 = 0.5x + 3.
 */

const CLASSIFY = 'tensorflow/serving/classify';
const REGRESS = 'tensorflow/serving/regress';

type Feature = { float: number[] } | { int64: number[] } | { bytes: string[] };
type Example = Record<string, Feature>;

interface Case {
  name: string;
  rpc: 'classify' | 'regress' | 'multi';
  model?: string;
  version?: number;
  signature?: string;
  omit_model_spec?: boolean;
  tasks?: Array<{ model: string; signature?: string; method: string; version?: number }>;
  examples?: Example[];
  context?: Example;
  input_kind?: 'none';
  saved_model_dir?: string;
  debug_signatures?: string[];
}

interface Spec {
  name: string;
  version: number | null;
  signature_name: string;
}
type Classifications = Array<Array<{ label: string; score: number }>>;

interface Result {
  name: string;
  ok: boolean;
  error?: { code: string; details: string };
  mismatches: string[];
  model_spec?: Spec;
  classifications?: Classifications;
  regressions?: number[];
  results?: Array<{ model_spec: Spec; kind: string; classifications?: Classifications; regressions?: number[] }>;
  debug?: Record<string, string>;
}

async function runCases(target: string, cases: Case[]): Promise<Map<string, Result>> {
  const out = await runPythonJson<{ results: Result[] }>(
    'check_classify_regress.py',
    ['--target', target, '--cases', '-'],
    JSON.stringify(cases),
  );
  return new Map(out.results.map((r) => [r.name, r]));
}

function get(results: Map<string, Result>, name: string): Result {
  const r = results.get(name);
  if (!r) throw new Error(`no result for case ${name}`);
  return r;
}

const x = (...values: number[]): Example[] => values.map((v) => ({ x: { float: [v] } }));
/** Half-plus-two as a float32 computes it (every value used here is exact). */
const half = (v: number, plus: number): number => Math.fround(0.5 * v + plus);
const scoresOnly = (values: number[]): Classifications => values.map((score) => [{ label: '', score }]);

let models: string;
let server: ServerProcess;
let tmp: string;

beforeAll(async () => {
  models = ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-classify-'));
  const entries = [`config { name: "classifier" base_path: "${path.join(models, 'classifier')}" model_platform: "tensorflow" }`];
  if (hasSharedTestdata()) {
    entries.push(
      `config { name: "half_plus_two" base_path: "${path.join(SHARED_TESTDATA, 'saved_model_half_plus_two_cpu')}" model_platform: "tensorflow" }`,
      `config { name: "half_plus_two_tf2" base_path: "${path.join(SHARED_TESTDATA, 'saved_model_half_plus_two_tf2_cpu')}" model_platform: "tensorflow" }`,
      `config { name: "two_versions" base_path: "${path.join(SHARED_TESTDATA, 'saved_model_half_plus_two_2_versions')}" ` +
        'model_platform: "tensorflow" model_version_policy { all {} } }',
    );
  }
  fs.writeFileSync(path.join(tmp, 'models.config'), `model_config_list {\n${entries.join('\n')}\n}\n`);
  server = await startServer([`--model_config_file=${path.join(tmp, 'models.config')}`]);
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('our classifier (TF1 export with real classify and regress heads)', () => {
  let r: Map<string, Result>;
  const dir = () => modelDir('classifier');
  const ab: Example[] = [
    { a: { float: [1] }, b: { float: [2] } },
    { a: { float: [-0.5] }, b: { float: [4] } },
    { a: { float: [2] } }, // b defaults to 0
  ];

  beforeAll(async () => {
    const cl = (name: string, signature: string | undefined, extra: Partial<Case> = {}): Case => ({
      name, rpc: 'classify', model: 'classifier', signature, examples: ab, ...extra,
    });
    const rg = (name: string, signature: string | undefined, extra: Partial<Case> = {}): Case => ({
      name, rpc: 'regress', model: 'classifier', signature, examples: ab, ...extra,
    });
    const two = ab.slice(0, 2);
    r = await runCases(server.target, [
      cl('classify', 'classify', { saved_model_dir: dir() }),
      cl('classify with context', 'classify', {
        // The context's `a` is overridden by each example's own `a`.
        context: { b: { float: [4] }, a: { float: [99] } },
        examples: [{ a: { float: [1] } }, { a: { float: [-0.5] } }],
        saved_model_dir: dir(),
      }),
      cl('classify without context, same features', 'classify', {
        examples: [{ a: { float: [1] }, b: { float: [4] } }, { a: { float: [-0.5] }, b: { float: [4] } }],
      }),
      cl('scores only', 'scores_only', { saved_model_dir: dir() }),
      cl('classes only', 'classes_only', { saved_model_dir: dir() }),
      rg('regress', 'regress', { saved_model_dir: dir() }),
      rg('regress with context', 'regress', { context: { b: { float: [2] } }, examples: [{ a: { float: [1] } }] }),
      cl('classify on serving_default', undefined),
      rg('regress on serving_default', undefined),
      rg('regress on a classify signature', 'classify'),
      cl('classify on a regress signature', 'regress', { saved_model_dir: dir(), debug_signatures: ['regress'] }),
      cl('input not named inputs', 'wrong_input_name', { saved_model_dir: dir(), debug_signatures: ['wrong_input_name'] }),
      cl('neither classes nor scores', 'no_class_outputs', { saved_model_dir: dir(), debug_signatures: ['no_class_outputs'] }),
      cl('scores of rank 1', 'scores_1d', { examples: two }),
      cl('int64 classes', 'int_classes', { examples: two }),
      cl('classes and scores of different K', 'mismatched_k', { examples: two }),
      rg('regress output [N,3]', 'regress_matrix', { examples: two }),
      rg('regress output int64', 'regress_int', { examples: two }),
      cl('missing signature', 'nope'),
      cl('empty example_list', 'classify', { examples: [] }),
      rg('input unset', 'regress', { input_kind: 'none' }),
      cl('context without examples', 'classify', { examples: [], context: { b: { float: [1] } } }),
      cl('no model_spec', 'classify', { omit_model_spec: true }),
      rg('unknown model', 'regress', { model: 'nope' }),
      rg('unknown version', 'regress', { version: 9 }),
    ]);
  });

  test('Classify returns K=3 string labels with softmax scores, bit-exact with TensorFlow', () => {
    const res = get(r, 'classify');
    expect(res.error).toBeUndefined();
    expect(res.mismatches).toEqual([]);
    expect(res.model_spec).toEqual({ name: 'classifier', version: 1, signature_name: 'classify' });
    expect(res.classifications).toHaveLength(3);
    for (const row of res.classifications ?? []) {
      expect(row.map((c) => c.label)).toEqual(['alpha', 'beta', 'café']);
      expect(row.reduce((s, c) => s + c.score, 0)).toBeCloseTo(1, 5);
    }
  });

  test('a context is merged into every example, the example winning on a shared feature', () => {
    const withContext = get(r, 'classify with context');
    expect(withContext.mismatches).toEqual([]);
    expect(withContext.classifications).toEqual(get(r, 'classify without context, same features').classifications);
  });

  test('a signature with only scores gives empty labels; only classes gives zero scores', () => {
    const s = get(r, 'scores only');
    expect(s.mismatches).toEqual([]);
    expect(s.classifications?.[0].map((c) => c.label)).toEqual(['', '', '']);
    const c = get(r, 'classes only');
    expect(c.mismatches).toEqual([]);
    expect(c.classifications?.[0]).toEqual([
      { label: 'alpha', score: 0 },
      { label: 'beta', score: 0 },
      { label: 'café', score: 0 },
    ]);
  });

  test('Regress returns one value per example (outputs of shape [N])', () => {
    const res = get(r, 'regress');
    expect(res.mismatches).toEqual([]);
    // value = 1.5a - 0.25b + 0.75, exact in float32 for these inputs
    expect(res.regressions).toEqual([1.75, -1, 3.75]);
    expect(res.model_spec).toEqual({ name: 'classifier', version: 1, signature_name: 'regress' });
    expect(get(r, 'regress with context').regressions).toEqual([1.75]);
  });

  const invalid = (details: string) => ({ code: 'INVALID_ARGUMENT', details });

  test.each<[string, string]>([
    ['classify on serving_default', 'Expected one or two output Tensors, found 3'],
    ['regress on serving_default', 'Expected one output Tensor.'],
    ['regress on a classify signature', 'Expected one output Tensor.'],
    ['scores of rank 1', 'Expected Tensor shape: [batch_size num_classes] but got [2]'],
    ['int64 classes', 'Expected classes Tensor of DT_STRING. Got: DT_INT64'],
    ['classes and scores of different K', 'Tensors class and score should match in dim_size(1). Got 3 vs. 2'],
    ['regress output [N,3]', 'Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got [2,3]'],
    ['regress output int64', 'Expected output Tensor of DT_FLOAT.  Got: DT_INT64'],
    ['missing signature', 'No signature was found with the name: nope'],
    ['empty example_list', 'Input is empty.'],
    ['input unset', 'Input is empty.'],
    ['context without examples', 'Input is empty.'],
    ['no model_spec', 'Missing ModelSpec'],
  ])('%s: INVALID_ARGUMENT %j', (name, details) => {
    expect(get(r, name).error).toEqual(invalid(details));
  });

  test('errors quoting the SignatureDef print it as protobuf text, as C++ DebugString does', () => {
    const quoted = (name: string, key: string) => get(r, name).debug?.[key] ?? 'missing debug text';
    expect(get(r, 'input not named inputs').error).toEqual(
      invalid(`No classification inputs found in SignatureDef: ${quoted('input not named inputs', 'wrong_input_name')}`),
    );
    expect(get(r, 'neither classes nor scores').error).toEqual(
      invalid(
        'Expected classification signature outputs to contain at least one of "classes" or "scores". Signature was: ' +
          quoted('neither classes nor scores', 'no_class_outputs'),
      ),
    );
    expect(get(r, 'classify on a regress signature').error).toEqual(
      invalid(
        'Expected classification signature outputs to contain at least one of "classes" or "scores". Signature was: ' +
          quoted('classify on a regress signature', 'regress'),
      ),
    );
  });

  test('unknown model and version: NOT_FOUND', () => {
    expect(get(r, 'unknown model').error).toEqual({ code: 'NOT_FOUND', details: 'Servable not found for request: Latest(nope)' });
    expect(get(r, 'unknown version').error).toEqual({
      code: 'NOT_FOUND',
      details: 'Servable not found for request: Specific(classifier, 9)',
    });
  });
});

describe('MultiInference on our classifier', () => {
  let r: Map<string, Result>;
  const task = (signature: string | undefined, method: string, model = 'classifier') => ({ model, signature, method });
  const examples: Example[] = [{ a: { float: [1] }, b: { float: [2] } }, { a: { float: [3] } }];

  beforeAll(async () => {
    const multi = (name: string, tasks: Case['tasks'], extra: Partial<Case> = {}): Case => ({
      name, rpc: 'multi', tasks, examples, ...extra,
    });
    r = await runCases(server.target, [
      multi('classify + regress', [task('classify', CLASSIFY), task('regress', REGRESS)], { saved_model_dir: modelDir('classifier') }),
      multi('regress + classify', [task('regress', REGRESS), task('classify', CLASSIFY)], { saved_model_dir: modelDir('classifier') }),
      multi('three tasks with context', [task('scores_only', CLASSIFY), task('regress', REGRESS), task('classes_only', CLASSIFY)], {
        context: { b: { float: [4] } },
        saved_model_dir: modelDir('classifier'),
      }),
      multi('different model names', [task('classify', CLASSIFY), task('regress', REGRESS, 'other')]),
      multi('empty model name in a later task', [task('classify', CLASSIFY), task('regress', REGRESS, '')]),
      multi('duplicate signature', [task('classify', CLASSIFY), task('classify', CLASSIFY)]),
      multi('missing signature', [task('classify', CLASSIFY), task('nope', REGRESS)]),
      multi('unsupported method', [task('classify', CLASSIFY), task('serving_default', 'tensorflow/serving/predict')]),
      multi('structure error of one task', [task('scores_only', CLASSIFY), task('classify', REGRESS)]),
      multi('empty input', [task('classify', CLASSIFY), task('regress', REGRESS)], { examples: [] }),
      multi('no tasks', []),
      multi('unknown model', [task('classify', CLASSIFY, 'nope')]),
    ]);
  });

  test('one classify and one regress task in one call, results in task order', () => {
    const res = get(r, 'classify + regress');
    expect(res.error).toBeUndefined();
    expect(res.mismatches).toEqual([]);
    expect(res.results?.map((x) => [x.kind, x.model_spec])).toEqual([
      ['classification_result', { name: 'classifier', version: 1, signature_name: 'classify' }],
      ['regression_result', { name: 'classifier', version: 1, signature_name: 'regress' }],
    ]);
    expect(res.results?.[1].regressions).toEqual([1.75, 5.25]);
    const reversed = get(r, 'regress + classify');
    expect(reversed.mismatches).toEqual([]);
    expect(reversed.results?.map((x) => x.kind)).toEqual(['regression_result', 'classification_result']);
    expect(reversed.results?.[0].regressions).toEqual(res.results?.[1].regressions);
    expect(reversed.results?.[1].classifications).toEqual(res.results?.[0].classifications);
  });

  test('three tasks sharing one input with a context', () => {
    const res = get(r, 'three tasks with context');
    expect(res.error).toBeUndefined();
    expect(res.mismatches).toEqual([]);
    expect(res.results?.map((x) => x.model_spec.signature_name)).toEqual(['scores_only', 'regress', 'classes_only']);
  });

  test.each<[string, string, string]>([
    ['different model names', 'INVALID_ARGUMENT', 'All ModelSpecs in a MultiInferenceRequest must access the same model name.'],
    ['empty model name in a later task', 'INVALID_ARGUMENT', 'Found ModelSpec with an empty model name.'],
    ['duplicate signature', 'INVALID_ARGUMENT', 'Duplicate evaluation of signature: classify'],
    ['missing signature', 'INVALID_ARGUMENT', 'Requested signature not found in model graph: nope'],
    ['unsupported method', 'UNIMPLEMENTED', 'Unsupported signature method_name: tensorflow/serving/predict'],
    ['structure error of one task', 'INVALID_ARGUMENT', 'Expected one output Tensor.'],
    ['empty input', 'INVALID_ARGUMENT', 'Input is empty.'],
    ['no tasks', 'INVALID_ARGUMENT', 'ModelSpec has no name specified.'],
    ['unknown model', 'NOT_FOUND', 'Servable not found for request: Latest(nope)'],
  ])('%s: %s %j', (name, code, details) => {
    expect(get(r, name).error).toEqual({ code, details });
  });
});

describeWithSharedTestdata('TF Serving half_plus_two models', () => {
  let r: Map<string, Result>;
  const typeError = { code: 'INVALID_ARGUMENT', details: 'Expects arg[0] to be float but string is provided' };

  beforeAll(async () => {
    const c = (name: string, model: string, signature: string, extra: Partial<Case> = {}): Case => ({
      name, rpc: 'classify', model, signature, examples: x(2, 10, -4), ...extra,
    });
    const g = (name: string, model: string, signature: string, extra: Partial<Case> = {}): Case => ({
      name, rpc: 'regress', model, signature, examples: x(80, 1, -3), ...extra,
    });
    const multi = (name: string, model: string, signatures: Array<[string, string]>, extra: Partial<Case> = {}): Case => ({
      name,
      rpc: 'multi',
      tasks: signatures.map(([signature, method]) => ({ model, signature, method })),
      examples: x(2),
      ...extra,
    });
    r = await runCases(server.target, [
      c('tf1 classify_x_to_y', 'half_plus_two', 'classify_x_to_y'),
      g('tf1 regress_x_to_y', 'half_plus_two', 'regress_x_to_y'),
      g('tf1 regress_x_to_y2', 'half_plus_two', 'regress_x_to_y2'),
      g('tf1 regress_x_to_y2 with context', 'half_plus_two', 'regress_x_to_y2', { context: { x: { float: [100] } }, examples: x(2) }),
      g('tf1 x from the context', 'half_plus_two', 'regress_x_to_y', { context: { x: { float: [6] } }, examples: [{ x2: { float: [1] } }] }),
      g('tf1 regress_x2_to_y3', 'half_plus_two', 'regress_x2_to_y3', { examples: [{ x2: { float: [4] } }] }),
      c('tf1 classify_x2_to_y3', 'half_plus_two', 'classify_x2_to_y3'),
      c('tf2 classify_x_to_y', 'half_plus_two_tf2', 'classify_x_to_y'),
      g('tf2 regress_x_to_y', 'half_plus_two_tf2', 'regress_x_to_y'),
      g('tf2 regress_x_to_y2', 'half_plus_two_tf2', 'regress_x_to_y2', { context: { x: { float: [4] } }, examples: [{}, { x: { float: [8] } }] }),
      g('tf2 regress_x2_to_y3', 'half_plus_two_tf2', 'regress_x2_to_y3', { examples: [{ x2: { float: [4] } }] }),
      c('tf2 classify_x2_to_y3', 'half_plus_two_tf2', 'classify_x2_to_y3', { examples: [{ x2: { float: [4] } }] }),
      c('2 versions latest', 'two_versions', 'classify_x_to_y'),
      g('2 versions 123', 'two_versions', 'regress_x_to_y', { version: 123 }),
      c('2 versions classify_x2_to_y3', 'two_versions', 'classify_x2_to_y3'),
      multi('tf1 multi', 'half_plus_two', [['regress_x_to_y', REGRESS], ['classify_x_to_y', CLASSIFY]]),
      multi('tf2 multi, a distinct input tensor per signature', 'half_plus_two_tf2', [
        ['classify_x_to_y', CLASSIFY], ['regress_x_to_y2', REGRESS], ['regress_x_to_y', REGRESS],
      ]),
      {
        name: 'multi uses the version of task 0',
        rpc: 'multi',
        tasks: [
          { model: 'two_versions', signature: 'regress_x_to_y', method: REGRESS, version: 123 },
          { model: 'two_versions', signature: 'classify_x_to_y', method: CLASSIFY, version: 124 },
        ],
        examples: x(2),
      },
    ]);
  });

  test('TF1 classify_x_to_y: scores y = 0.5x + 2, no labels', () => {
    const res = get(r, 'tf1 classify_x_to_y');
    expect(res.classifications).toEqual(scoresOnly([3, 7, 0]));
    expect(res.model_spec).toEqual({ name: 'half_plus_two', version: 123, signature_name: 'classify_x_to_y' });
  });

  test('TF1 regress_x_to_y and regress_x_to_y2', () => {
    expect(get(r, 'tf1 regress_x_to_y').regressions).toEqual([42, 2.5, 0.5]);
    expect(get(r, 'tf1 regress_x_to_y2').regressions).toEqual([80, 1, -3].map((v) => half(v, 3)));
    expect(get(r, 'tf1 regress_x_to_y2').model_spec).toEqual({ name: 'half_plus_two', version: 123, signature_name: 'regress_x_to_y2' });
  });

  test('context features: overridden by the example, or used when the example lacks them', () => {
    expect(get(r, 'tf1 regress_x_to_y2 with context').regressions).toEqual([half(2, 3)]);
    expect(get(r, 'tf1 x from the context').regressions).toEqual([half(6, 2)]);
    expect(get(r, 'tf2 regress_x_to_y2').regressions).toEqual([half(4, 3), half(8, 3)]);
  });

  test('TF2 signatures (method_name predict) classify and regress with the method check off', () => {
    expect(get(r, 'tf2 classify_x_to_y').classifications).toEqual(scoresOnly([3, 7, 0]));
    expect(get(r, 'tf2 classify_x_to_y').model_spec).toEqual({ name: 'half_plus_two_tf2', version: 123, signature_name: 'classify_x_to_y' });
    expect(get(r, 'tf2 regress_x_to_y').regressions).toEqual([42, 2.5, 0.5]);
  });

  test('x2 signatures take a float tensor, not serialized Examples: TensorFlow refuses the string feed', () => {
    // TF Serving feeds the serialized-Example string tensor to whatever tensor `inputs` names; for
    // x2:0 (float) TensorFlow's session rejects it, and that status is what the client gets.
    expect(get(r, 'tf1 regress_x2_to_y3').error).toEqual(typeError);
    expect(get(r, 'tf2 regress_x2_to_y3').error).toEqual(typeError);
    expect(get(r, 'tf2 classify_x2_to_y3').error).toEqual(typeError);
    expect(get(r, '2 versions classify_x2_to_y3').error).toEqual(typeError);
    expect(get(r, 'tf1 classify_x2_to_y3').error).toEqual({
      code: 'INVALID_ARGUMENT',
      details: 'No signature was found with the name: classify_x2_to_y3',
    });
  });

  test('the same x2 signatures compute y3 = 0.5 * x2 + 3 when fed floats through Predict', async () => {
    const client = new TestClient(server.target);
    try {
      for (const [model, signature, shape] of [
        ['half_plus_two', 'regress_x2_to_y3', [2, 1]],
        ['two_versions', 'classify_x2_to_y3', [2, 1]],
      ] as const) {
        const res = await client.predict({ model_spec: { name: model, signature_name: signature }, inputs: { inputs: floatTensor([4, -2], [...shape]) } });
        if (!res.ok) throw new Error(`${res.error.code}: ${res.error.details}`);
        const out = res.response.outputs[signature.startsWith('classify') ? 'scores' : 'outputs'];
        expect(out.float_val).toEqual([half(4, 3), half(-2, 3)]);
      }
    } finally {
      client.close();
    }
  });

  test('2 versions: the latest by default, a pinned version on request', () => {
    expect(get(r, '2 versions latest').model_spec).toEqual({ name: 'two_versions', version: 124, signature_name: 'classify_x_to_y' });
    expect(get(r, '2 versions latest').classifications).toEqual(scoresOnly([3, 7, 0]));
    expect(get(r, '2 versions 123').model_spec).toEqual({ name: 'two_versions', version: 123, signature_name: 'regress_x_to_y' });
    expect(get(r, '2 versions 123').regressions).toEqual([42, 2.5, 0.5]);
  });

  test("MultiInference as in TF Serving's own server test: regress and classify of x=2 are 3", () => {
    const res = get(r, 'tf1 multi');
    expect(res.results).toEqual([
      { kind: 'regression_result', model_spec: { name: 'half_plus_two', version: 123, signature_name: 'regress_x_to_y' }, regressions: [3] },
      { kind: 'classification_result', model_spec: { name: 'half_plus_two', version: 123, signature_name: 'classify_x_to_y' }, classifications: scoresOnly([3]) },
    ]);
  });

  test('MultiInference on TF2 feeds the Examples to the input tensor of each signature in one run', () => {
    const res = get(r, 'tf2 multi, a distinct input tensor per signature');
    expect(res.error).toBeUndefined();
    expect(res.results?.[0].classifications).toEqual(scoresOnly([3]));
    expect(res.results?.[1].regressions).toEqual([4]);
    expect(res.results?.[2].regressions).toEqual([3]);
  });

  test('MultiInference serves the version task 0 asks for, for every task', () => {
    const res = get(r, 'multi uses the version of task 0');
    expect(res.results?.map((x) => x.model_spec.version)).toEqual([123, 123]);
  });
});

describe('--enable_signature_method_name_check', () => {
  let checked: ServerProcess;
  let r: Map<string, Result>;

  beforeAll(async () => {
    const entries = [`config { name: "classifier" base_path: "${path.join(models, 'classifier')}" model_platform: "tensorflow" }`];
    if (hasSharedTestdata()) {
      entries.push(
        `config { name: "half_plus_two" base_path: "${path.join(SHARED_TESTDATA, 'saved_model_half_plus_two_cpu')}" model_platform: "tensorflow" }`,
        `config { name: "half_plus_two_tf2" base_path: "${path.join(SHARED_TESTDATA, 'saved_model_half_plus_two_tf2_cpu')}" model_platform: "tensorflow" }`,
      );
    }
    const file = path.join(tmp, 'checked.config');
    fs.writeFileSync(file, `model_config_list {\n${entries.join('\n')}\n}\n`);
    checked = await startServer([`--model_config_file=${file}`, '--enable_signature_method_name_check']);
    const ex = [{ a: { float: [1] } }];
    const cases: Case[] = [
      { name: 'classify ok', rpc: 'classify', model: 'classifier', signature: 'classify', examples: ex },
      { name: 'regress ok', rpc: 'regress', model: 'classifier', signature: 'regress', examples: ex },
      { name: 'classify on regress', rpc: 'classify', model: 'classifier', signature: 'regress', examples: ex },
      { name: 'regress on classify', rpc: 'regress', model: 'classifier', signature: 'classify', examples: ex },
      { name: 'classify on predict', rpc: 'classify', model: 'classifier', signature: 'wrong_input_name', examples: ex },
      {
        name: 'multi with a mismatched method',
        rpc: 'multi',
        tasks: [{ model: 'classifier', signature: 'classify', method: CLASSIFY }, { model: 'classifier', signature: 'classes_only', method: REGRESS }],
        examples: ex,
      },
    ];
    if (hasSharedTestdata()) {
      cases.push(
        { name: 'tf1 classify', rpc: 'classify', model: 'half_plus_two', signature: 'classify_x_to_y', examples: x(2) },
        { name: 'tf2 classify', rpc: 'classify', model: 'half_plus_two_tf2', signature: 'classify_x_to_y', examples: x(2) },
        { name: 'tf2 regress', rpc: 'regress', model: 'half_plus_two_tf2', signature: 'regress_x_to_y', examples: x(2) },
      );
    }
    r = await runCases(checked.target, cases);
  });

  afterAll(async () => {
    await checked?.stop();
  });

  test('signatures whose method matches still serve', () => {
    expect(get(r, 'classify ok').error).toBeUndefined();
    expect(get(r, 'classify ok').classifications?.[0]).toHaveLength(3);
    expect(get(r, 'regress ok').regressions).toEqual([2.25]);
  });

  test('a method mismatch is INVALID_ARGUMENT in the words of TF Serving', () => {
    const wrong = (kind: string, method: string, was: string) => ({
      code: 'INVALID_ARGUMENT',
      details: `Expected ${kind} signature method_name to be ${method}. Was: ${was}`,
    });
    expect(get(r, 'classify on regress').error).toEqual(wrong('classification', CLASSIFY, REGRESS));
    expect(get(r, 'regress on classify').error).toEqual(wrong('regression', REGRESS, CLASSIFY));
    expect(get(r, 'classify on predict').error).toEqual(wrong('classification', CLASSIFY, 'tensorflow/serving/predict'));
    expect(get(r, 'multi with a mismatched method').error).toEqual(wrong('regression', REGRESS, CLASSIFY));
    if (hasSharedTestdata()) {
      expect(get(r, 'tf1 classify').classifications).toEqual(scoresOnly([3]));
      expect(get(r, 'tf2 classify').error).toEqual(wrong('classification', CLASSIFY, 'tensorflow/serving/predict'));
      expect(get(r, 'tf2 regress').error).toEqual(wrong('regression', REGRESS, 'tensorflow/serving/predict'));
    }
  });
});
