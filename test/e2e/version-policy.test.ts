import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestModels, modelDir } from '../helpers/fixtures';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { copyByRename, waitFor } from '../helpers/model-folders';
import { ServerProcess, startServer } from '../helpers/server-process';

/** Version policies, labels and config reload (by RPC and by polling the config file). */

let tmp: string;
let models: string;

const modelConfig = (entries: string[]) => `model_config_list {\n${entries.join('\n')}\n}\n`;
const entry = (name: string, extra = '') =>
  `config { name: "${name}" base_path: "${path.join(models, name)}" model_platform: "tensorflow" ${extra} }`;

beforeAll(() => {
  const fixtures = ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-policy-'));
  models = path.join(tmp, 'models');
  // Three versions of add_sub (1 and 3 compute x+y, 2 computes x+2y) and a second model.
  for (const [v, src] of [[1, 1], [2, 2], [3, 1]] as const) copyByRename(modelDir('add_sub', src), path.join(models, 'add_sub', String(v)));
  fs.cpSync(path.join(fixtures, 'dtypes'), path.join(models, 'dtypes'), { recursive: true });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function withServer(config: string, args: string[], body: (c: TestClient, s: ServerProcess, file: string) => Promise<void>) {
  const file = path.join(tmp, `models-${Math.random().toString(36).slice(2)}.config`);
  fs.writeFileSync(file, config);
  const server = await startServer([`--model_config_file=${file}`, ...args]);
  const client = new TestClient(server.target);
  try {
    await body(client, server, file);
  } finally {
    client.close();
    await server.stop();
  }
}

const versionsOf = async (c: TestClient, name: string) => {
  const r = await c.status({ model_spec: { name } });
  if (!r.ok) return r.error;
  return r.response.model_version_status.map((s) => `${s.version}:${s.state}`);
};
const predictVersion = async (c: TestClient, spec: object) => {
  const r = await c.predict({ model_spec: { name: 'add_sub', ...spec }, inputs: { input_x: floatTensor([1]), input_y: floatTensor([1]) } });
  return r.ok ? Number(r.response.model_spec.version?.value) : r.error;
};

test.each([
  ['latest{2}', 'model_version_policy { latest { num_versions: 2 } }', ['3:AVAILABLE', '2:AVAILABLE']],
  ['all', 'model_version_policy { all {} }', ['3:AVAILABLE', '2:AVAILABLE', '1:AVAILABLE']],
  ['specific {1,3}', 'model_version_policy { specific { versions: 1 versions: 3 } }', ['3:AVAILABLE', '1:AVAILABLE']],
  ['default (latest 1)', '', ['3:AVAILABLE']],
])('policy %s serves the right versions', async (_name, policy, expected) => {
  await withServer(modelConfig([entry('add_sub', policy)]), [], async (c) => {
    expect(await versionsOf(c, 'add_sub')).toEqual(expected);
    expect(await predictVersion(c, {})).toBe(3);
    const notServed = [1, 2, 3].find((v) => !expected.includes(`${v}:AVAILABLE`));
    if (notServed !== undefined) {
      expect(await predictVersion(c, { version: { value: String(notServed) } })).toEqual({
        code: 'NOT_FOUND',
        details: `Servable not found for request: Specific(add_sub, ${notServed})`,
      });
    }
  });
});

test('labels route requests; reload by RPC adds, changes and removes models, and rejects bad configs', async () => {
  const specific = 'model_version_policy { specific { versions: 1 versions: 2 } }';
  await withServer(
    modelConfig([entry('add_sub', `${specific} version_labels { key: "stable" value: 1 } version_labels { key: "canary" value: 2 }`)]),
    [],
    async (c) => {
      expect(await predictVersion(c, { version_label: 'stable' })).toBe(1);
      expect(await predictVersion(c, { version_label: 'canary' })).toBe(2);

      const cfg = (models_: object[]) => ({ model_config_list: { config: models_ } });
      const addSub = (extra: object) => ({ name: 'add_sub', base_path: path.join(models, 'add_sub'), model_platform: 'tensorflow', ...extra });
      const dtypes = { name: 'dtypes', base_path: path.join(models, 'dtypes'), model_platform: 'tensorflow' };

      // A label may not move onto a version that is not serving.
      const bad = await c.reload(cfg([addSub({ model_version_policy: { specific: { versions: ['1', '2'] } }, version_labels: { stable: '3' } })]));
      expect(bad).toEqual({
        ok: false,
        error: { code: 'FAILED_PRECONDITION', details: 'Request to assign label to version 3 of model add_sub, which is not currently available for inference' },
      });
      expect(await predictVersion(c, { version_label: 'stable' })).toBe(1);

      // Add a model and move the stable label: the call returns once the new model serves.
      const ok = await c.reload(cfg([addSub({ model_version_policy: { specific: { versions: ['1', '2'] } }, version_labels: { stable: '2' } }), dtypes]));
      expect(ok).toEqual({ ok: true, response: { status: {} } });
      expect(await versionsOf(c, 'dtypes')).toEqual(['1:AVAILABLE']);
      expect(await predictVersion(c, { version_label: 'stable' })).toBe(2);

      // Change the policy and drop a model.
      expect((await c.reload(cfg([addSub({ model_version_policy: { latest: { num_versions: 1 } } })]))).ok).toBe(true);
      await waitFor('add_sub latest only', async () => ((await versionsOf(c, 'add_sub')) as string[]).join() === '3:AVAILABLE,2:END,1:END' ? true : undefined);
      await waitFor('dtypes unloaded', async () => ((await versionsOf(c, 'dtypes')) as string[]).join() === '1:END' ? true : undefined);
      expect(await predictVersion(c, { version_label: 'stable' })).toEqual({ code: 'INVALID_ARGUMENT', details: 'Unrecognized servable version label: stable' });

      // A relative base path is refused and the running config stays.
      const rel = await c.reload(cfg([{ name: 'x', base_path: 'relative/path', model_platform: 'tensorflow' }]));
      expect(rel).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENT', details: 'Expected model x to have an absolute path or URI; got base_path()=relative/path' } });
      expect(await predictVersion(c, {})).toBe(3);

      // custom_model_config is not supported by the RPC.
      const custom = await c.reload({ custom_model_config: { type_url: 'x', value: Buffer.alloc(0) } });
      expect(custom).toEqual({
        ok: false,
        error: {
          code: 'INVALID_ARGUMENT',
          details: 'ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is currently supported',
        },
      });
    },
  );
});

test('reload by RPC reports the increase of each requested metric (metric_names), as TF Serving', async () => {
  await withServer(modelConfig([entry('add_sub'), entry('dtypes')]), [], async (c) => {
    const cfg = (names: string[]) => ({
      model_config_list: { config: names.map((name) => ({ name, base_path: path.join(models, name), model_platform: 'tensorflow' })) },
    });
    // Drop add_sub, then bring it back: its version 3 is loaded a second time.
    expect((await c.reload(cfg(['dtypes']))).ok).toBe(true);
    await waitFor('add_sub unloaded', async () => ((await versionsOf(c, 'add_sub')) as string[]).join() === '3:END' ? true : undefined);
    const r = await c.reload(cfg(['add_sub', 'dtypes']), [
      '/tensorflow/cc/saved_model/load_attempt_count',
      '/tensorflow/serving/request_count',
      '/tensorflow/serving/request_latency',
      '/no/such/metric',
    ]);
    // TF Serving reads a metric's first point (points ordered by label values): here load_attempt_count
    // {model_path: .../add_sub/3, status: success}, which went from 1 to 2. No request ran during the
    // reload, a distribution has no int64 value, and an unknown name reads 0.
    expect(r).toEqual({
      ok: true,
      response: {
        status: {},
        metric: [
          { name: '/tensorflow/cc/saved_model/load_attempt_count', int64_value_increase: '1', value_increase: 'int64_value_increase' },
          { name: '/tensorflow/serving/request_count', int64_value_increase: '0', value_increase: 'int64_value_increase' },
          { name: '/tensorflow/serving/request_latency', int64_value_increase: '0', value_increase: 'int64_value_increase' },
          { name: '/no/such/metric', int64_value_increase: '0', value_increase: 'int64_value_increase' },
        ],
      },
    });
  });
});

test('--model_config_file_poll_wait_seconds applies file edits; a broken file keeps the running config', async () => {
  await withServer(modelConfig([entry('add_sub')]), ['--model_config_file_poll_wait_seconds=1'], async (c, server, file) => {
    fs.writeFileSync(file, modelConfig([entry('add_sub'), entry('dtypes')]));
    await waitFor('dtypes to load from the edited file', async () => {
      const v = await versionsOf(c, 'dtypes');
      return Array.isArray(v) && v.join() === '1:AVAILABLE' ? true : undefined;
    });
    fs.writeFileSync(file, 'model_config_list { config { nme: "oops" } }');
    await waitFor('the parse error to be logged', async () => (server.logs().includes('has no field named "nme"') ? true : undefined));
    expect(await versionsOf(c, 'dtypes')).toEqual(['1:AVAILABLE']);
    expect(await predictVersion(c, {})).toBe(3);
  });
});

test('--wait_for_models_at_startup=false opens the port at once and answers UNAVAILABLE until a version loads', async () => {
  const empty = path.join(tmp, 'later');
  fs.mkdirSync(empty);
  await withServer(
    modelConfig([`config { name: "add_sub" base_path: "${empty}" model_platform: "tensorflow" }`]),
    ['--wait_for_models_at_startup=false'],
    async (c) => {
      expect(await predictVersion(c, {})).toEqual({ code: 'UNAVAILABLE', details: 'Servable not found for request: Latest(add_sub)' });
      copyByRename(modelDir('add_sub', 1), path.join(empty, '1'));
      await waitFor('the first version', async () => ((await predictVersion(c, {})) === 1 ? true : undefined));
    },
  );
});
