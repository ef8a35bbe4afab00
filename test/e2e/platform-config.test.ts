import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { PYTHON, REPO } from '../helpers/paths';
import { runServer, startServer } from '../helpers/server-process';

/**
 * --platform_config_file on the real server: a text PlatformConfigMap whose "tensorflow" entry holds a
 * SavedModelBundleSourceAdapterConfig; its SessionBundleConfig replaces the flags (TF Serving's server.cc).
 * The counting model of python/export_warmup_model.py (4 warmup records) makes warmup and batching visible.
 */

let tmp: string;
let counter: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-platform-'));
  counter = path.join(tmp, 'counter');
  execFileSync(PYTHON, [path.join(REPO, 'python/export_warmup_model.py'), path.join(counter, '1'), '4'], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A platform config file whose "tensorflow" SessionBundleConfig is `legacy` (text). */
function platformFile(legacy: string, anyType = 'tensorflow.serving.SavedModelBundleSourceAdapterConfig', platform = 'tensorflow'): string {
  const file = path.join(tmp, `platform-${Math.random().toString(36).slice(2)}.pbtxt`);
  const body = anyType === 'tensorflow.serving.SavedModelBundleSourceAdapterConfig' ? `legacy_config {\n${legacy}\n}` : legacy;
  fs.writeFileSync(
    file,
    `platform_configs {\n  key: "${platform}"\n  value {\n    source_adapter_config {\n      [type.googleapis.com/${anyType}] {\n${body}\n      }\n    }\n  }\n}\n`,
  );
  return file;
}

const count = async (c: TestClient): Promise<number[]> => {
  const r = await c.predict({ model_spec: { name: 'counter', signature_name: 'get' }, inputs: {} });
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.details}`);
  return r.response.outputs.count.float_val as number[];
};

async function withServer(args: string[], body: (c: TestClient, logs: () => string) => Promise<void>): Promise<void> {
  const server = await startServer(['--model_name=counter', `--model_base_path=${counter}`, ...args]);
  const client = new TestClient(server.target);
  try {
    await body(client, server.logs);
  } finally {
    client.close();
    await server.stop();
  }
}

test('warmup, batching and tags come from the file; the flags it replaces are ignored, each with one warning', async () => {
  const file = platformFile(`
    enable_model_warmup: true
    model_warmup_options { num_request_iterations { value: 3 } }
    batching_parameters { max_batch_size { value: 2 } num_batch_threads { value: 1 } }
    saved_model_tags: "serve"`);
  // The flags say: no warmup, a missing batching file, all three parallelism flags (an error without
  // the file), a tag the model does not have. TF Serving ignores all of them when the file is given.
  await withServer(
    [
      `--platform_config_file=${file}`,
      '--enable_model_warmup=false',
      `--batching_parameters_file=${path.join(tmp, 'missing-batching.txt')}`,
      '--tensorflow_session_parallelism=1',
      '--tensorflow_intra_op_parallelism=1',
      '--tensorflow_inter_op_parallelism=1',
      '--saved_model_tags=nosuchtag',
    ],
    async (c, logs) => {
      expect(await count(c)).toEqual([12]); // 4 records x 3 iterations
      // max_batch_size 2 from the file: a 3-row request is refused by the batching layer.
      const r = await c.predict({ model_spec: { name: 'counter', signature_name: 'incr_rows' }, inputs: { x: floatTensor([1, 1, 1], [3]) } });
      expect(r).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENT', details: 'Task size 3 is larger than maximum input batch size 2' } });
      const ok = await c.predict({ model_spec: { name: 'counter', signature_name: 'incr_rows' }, inputs: { x: floatTensor([1, 1], [2]) } });
      expect(ok.ok && ok.response.outputs.count.float_val).toEqual([14, 14]);
      for (const flag of ['enable_model_warmup', 'batching_parameters_file', 'tensorflow_session_parallelism', 'saved_model_tags']) {
        const warning = `flag --${flag} is ignored: --platform_config_file is set`;
        expect(logs().split(warning).length - 1).toBe(1);
      }
      expect(logs()).not.toContain('platform_config_file is accepted for compatibility');
    },
  );
});

test('unset fields take the proto defaults, not the flags\': no warmup, no batching', async () => {
  const file = platformFile('');
  await withServer([`--platform_config_file=${file}`], async (c) => {
    expect(await count(c)).toEqual([0]);
    const r = await c.predict({ model_spec: { name: 'counter', signature_name: 'incr_rows' }, inputs: { x: floatTensor([1, 1, 1], [3]) } });
    expect(r.ok && r.response.outputs.count.float_val).toEqual([3, 3, 3]);
  });
});

test('saved_model_tags from the file select the MetaGraph: a tag the model lacks fails the load', async () => {
  const file = platformFile('saved_model_tags: "serve" saved_model_tags: "nosuchtag"');
  const r = await runServer(['--model_name=counter', `--model_base_path=${counter}`, `--platform_config_file=${file}`, '--max_num_load_retries=0', '--port=0', `--grpc_socket_path=${path.join(tmp, 'tags.sock')}`]);
  expect(r.code).toBe(255);
  expect(r.stdout).toMatch(/^Failed to start server\. Error: .*nosuchtag/m);
});

test('session_config threads: TensorFlow\'s thread pools follow the file', async () => {
  const threadCount = (pid: number): number => Number(/Threads:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  const threadsWith = async (file: string): Promise<number> => {
    const server = await startServer(['--model_name=counter', `--model_base_path=${counter}`, `--platform_config_file=${file}`]);
    const client = new TestClient(server.target);
    try {
      await count(client);
      return threadCount(server.process.pid!);
    } finally {
      client.close();
      await server.stop();
    }
  };
  const many = await threadsWith(platformFile('session_config { intra_op_parallelism_threads: 12 inter_op_parallelism_threads: 12 }'));
  const one = await threadsWith(platformFile('session_config < intra_op_parallelism_threads: 1, inter_op_parallelism_threads: 1 >'));
  console.log(`threads: session_config 12/12 -> ${many}; 1/1 -> ${one}`);
  // 12 inter-op + 12 intra-op TensorFlow threads against 1 + 1 (run threads are the same in both).
  expect(many - one).toBeGreaterThanOrEqual(15);
});

test('each field with no effect here is named in one warning', async () => {
  const file = platformFile(`
    enable_session_metadata: true
    model_warmup_options { num_model_warmup_threads { value: 4 } }
    remove_unused_fields_from_bundle_metagraph: false`);
  await withServer([`--platform_config_file=${file}`], async (_c, logs) => {
    for (const field of ['enable_session_metadata', 'model_warmup_options.num_model_warmup_threads', 'remove_unused_fields_from_bundle_metagraph']) {
      expect(logs().split(`SessionBundleConfig field ${field} is ignored`).length - 1).toBe(1);
    }
    expect(logs()).not.toContain('field enable_model_warmup');
  });
});

describe('a bad file stops start-up as in TF Serving (exit 255, the status on stdout)', () => {
  const run = (file: string) => runServer(['--model_name=counter', `--model_base_path=${counter}`, `--platform_config_file=${file}`]);

  test('missing file', async () => {
    const file = path.join(tmp, 'no-such-platform.pbtxt');
    const r = await run(file);
    expect(r.code).toBe(255);
    expect(r.stdout).toBe(`Failed to start server. Error: NOT_FOUND: ${file}; No such file or directory\n`);
  });

  test('text that does not parse: the file on stdout, the parser position on stderr', async () => {
    const file = platformFile('enable_model_warmpu: true');
    const r = await run(file);
    expect(r.code).toBe(255);
    expect(r.stdout).toBe(`Failed to start server. Error: INVALID_ARGUMENT: Invalid protobuf file: '${file}'\n`);
    expect(r.stderr).toContain(
      'Error parsing text-format tensorflow.serving.PlatformConfigMap: 7:1: Message type "tensorflow.serving.SessionBundleConfig" has no field named "enable_model_warmpu".',
    );
  });

  test('an Any of a type protobuf does not know does not parse', async () => {
    const file = platformFile('x: 1', 'foo.Bar');
    const r = await run(file);
    expect(r.stdout).toBe(`Failed to start server. Error: INVALID_ARGUMENT: Invalid protobuf file: '${file}'\n`);
    expect(r.stderr).toContain('Could not find type "type.googleapis.com/foo.Bar" stored in google.protobuf.Any.');
  });

  test('a session_config TensorFlow cannot parse is an error in the file', async () => {
    const file = platformFile('session_config { inter_op_parallelism_thread: 2 }');
    const r = await run(file);
    expect(r.code).toBe(255);
    expect(r.stdout).toBe(`Failed to start server. Error: INVALID_ARGUMENT: Invalid protobuf file: '${file}'\n`);
    expect(r.stderr).toContain('inter_op_parallelism_thread');
  });

  test('an Any of a known type that is no source adapter config', async () => {
    const file = platformFile('enable_model_warmup: true', 'tensorflow.serving.SessionBundleConfig');
    const r = await run(file);
    expect(r.code).toBe(255);
    expect(r.stdout).toBe(
      'Failed to start server. Error: INVALID_ARGUMENT: Couldn\'t find factory for config proto message type tensorflow.serving.SessionBundleConfig\nconfig=enable_model_warmup: true\n\n',
    );
  });

  test('no entry for the models\' platform', async () => {
    const file = platformFile('', 'tensorflow.serving.SavedModelBundleSourceAdapterConfig', 'other');
    const r = await run(file);
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('Failed to start server. Error: INVALID_ARGUMENT: Model counter requests unsupported platform tensorflow\n');
  });
});
