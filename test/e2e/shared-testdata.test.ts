import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { SHARED_TESTDATA } from '../helpers/paths';
import { runPythonJson } from '../helpers/python';
import { ServerProcess, startServer } from '../helpers/server-process';
import { describeWithSharedTestdata } from '../helpers/shared-testdata';

/**
 * TF Serving's own test SavedModels (TF1 and TF2 half_plus_two, two versions, half_plus_three, the
 * stateful counter, matrix_half_plus_two) and its golden GetModelMetadata JSON.
 */

const MODELS: Record<string, { dir: string; policy?: string }> = {
  default: { dir: 'saved_model_half_plus_two_cpu' },
  half_plus_two_tf2: { dir: 'saved_model_half_plus_two_tf2_cpu' },
  half_plus_three: { dir: 'saved_model_half_plus_three' },
  saved_model_half_plus_two_2_versions: { dir: 'saved_model_half_plus_two_2_versions', policy: 'model_version_policy { all {} }' },
  counter: { dir: 'saved_model_counter' },
  matrix_half_plus_two: { dir: 'matrix_half_plus_two' },
};

interface MetadataResult {
  metadata?: Record<string, unknown>;
  type_url?: string;
  model_spec?: { name: string; version?: string };
  status?: { model_version_status: Array<{ version: string; state: string; status: Record<string, unknown> }> };
  error?: { code: string; details: string };
}

const golden = (file: string) =>
  JSON.parse(fs.readFileSync(path.join(SHARED_TESTDATA, file), 'utf8')) as {
    model_spec: { name: string; version: string };
    metadata: { signature_def: Record<string, unknown> };
  };

describeWithSharedTestdata('TF Serving shared test data', () => {
  let server: ServerProcess;
  let client: TestClient;
  let tmp: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-shared-'));
    const entries = Object.entries(MODELS).map(
      ([name, m]) =>
        `config { name: "${name}" base_path: "${path.join(SHARED_TESTDATA, m.dir)}" model_platform: "tensorflow" ${m.policy ?? ''} }`,
    );
    fs.writeFileSync(path.join(tmp, 'models.config'), `model_config_list {\n${entries.join('\n')}\n}\n`);
    server = await startServer([`--model_config_file=${path.join(tmp, 'models.config')}`]);
    client = new TestClient(server.target);
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const predictY = async (name: string, x: number[], shape: number[], extra: object = {}) => {
    const r = await client.predict({ model_spec: { name, ...extra }, inputs: { x: floatTensor(x, shape) } });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.details}`);
    return r.response;
  };

  test.each([
    ['default', [1, 2, 5], [3, 1], [2.5, 3, 4.5], '123'],
    ['half_plus_two_tf2', [1], [1], [2.5], '123'],
    ['half_plus_three', [1, 2, 5], [3], [3.5, 4, 5.5], '123'],
    ['saved_model_half_plus_two_2_versions', [4, -2], [2, 1], [4, 1], '124'],
    ['matrix_half_plus_two', [0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 3, 3], [2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6], '1'],
  ])('Predict %s(%j) = %j', async (name, x, shape, y, version) => {
    const res = await predictY(name, x, shape);
    expect(res.outputs.y.float_val).toEqual(y);
    expect(res.outputs.y.dtype).toBe('DT_FLOAT');
    expect(res.outputs.y.tensor_shape).toEqual({ dim: shape.map((s) => ({ size: String(s) })) });
    expect(res.model_spec).toEqual({ name, version: { value: version }, version_choice: 'version', signature_name: 'serving_default' });
  });

  test('a specific version of a model serving two versions', async () => {
    const res = await predictY('saved_model_half_plus_two_2_versions', [4], [1, 1], { version: { value: '123' } });
    expect(res.model_spec.version).toEqual({ value: '123' });
    expect(res.outputs.y.float_val).toEqual([4]);
  });

  test('stateful counter: signatures without inputs, DT_FLOAT_REF outputs served as DT_FLOAT', async () => {
    const call = async (sig: string) => {
      const r = await client.predict({ model_spec: { name: 'counter', signature_name: sig }, inputs: {} });
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.details}`);
      expect(r.response.outputs.output.dtype).toBe('DT_FLOAT');
      expect(r.response.outputs.output.tensor_shape).toEqual({});
      return r.response.outputs.output.float_val;
    };
    expect(await call('reset_counter')).toEqual([0]);
    expect(await call('incr_counter')).toEqual([1]);
    expect(await call('incr_counter')).toEqual([2]);
    expect(await call('get_counter')).toEqual([2]);
    const r = await client.predict({
      model_spec: { name: 'counter', signature_name: 'incr_counter_by' },
      inputs: { delta: floatTensor([3], []) },
    });
    expect(r.ok && r.response.outputs.output.float_val).toEqual([5]);
  });

  const metadataOf = async (name: string, version?: string) => {
    const args = ['--target', server.target, '--model', name, ...(version ? ['--version', version] : [])];
    const out = await runPythonJson<MetadataResult>('check_metadata.py', args);
    expect(out.error).toBeUndefined();
    expect(out.type_url).toBe('type.googleapis.com/tensorflow.serving.SignatureDefMap');
    expect(out.model_spec?.name).toBe(name);
    return out;
  };

  test.each([
    ['default', 'half_plus_two_model_metadata.json', undefined],
    ['saved_model_half_plus_two_2_versions', 'saved_model_half_plus_two_2_versions_metadata.json', '123'],
  ])('GetModelMetadata of %s equals TF Serving golden %s (official client)', async (name, file, version) => {
    const out = await metadataOf(name, version);
    const want = golden(file);
    expect(out.metadata).toEqual(want.metadata.signature_def);
    expect(out.model_spec?.version).toBe(want.model_spec.version);
  });

  test('GetModelMetadata of the TF2 model equals saved_model.pb, and the golden but for `defaults`', async () => {
    // The shared TF2 export records a default value for serving_default's x; TF Serving's golden file
    // was written from an export without it. The server returns what the SavedModel holds.
    const out = await metadataOf('half_plus_two_tf2');
    const fromPb = await runPythonJson<Record<string, unknown>>('dump_signatures.py', [
      path.join(SHARED_TESTDATA, 'saved_model_half_plus_two_tf2_cpu/00000123'),
    ]);
    expect(out.metadata).toEqual(fromPb);
    const withoutDefaults = (m: unknown) =>
      JSON.parse(JSON.stringify(m), (k, v) => (k === 'defaults' ? undefined : v)) as unknown;
    expect(withoutDefaults(out.metadata)).toEqual(
      withoutDefaults(golden('saved_model_half_plus_two_tf2_2_versions_metadata.json').metadata.signature_def),
    );
  });

  test('GetModelStatus lists both versions, highest first, AVAILABLE with OK status', async () => {
    const out = await runPythonJson<MetadataResult>('check_metadata.py', [
      '--target',
      server.target,
      '--model',
      'saved_model_half_plus_two_2_versions',
    ]);
    expect(out.status).toEqual({
      model_version_status: [
        { version: '124', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
        { version: '123', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
      ],
    });
  });
});
