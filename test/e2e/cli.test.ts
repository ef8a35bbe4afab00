import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestModels, modelDir } from '../helpers/fixtures';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { copyByRename } from '../helpers/model-folders';
import { SERVER_MAIN, SHARED_TESTDATA } from '../helpers/paths';
import { describeWithSharedTestdata } from '../helpers/shared-testdata';
import { request } from '../helpers/http-client';
import { freePort, runServer, startServer } from '../helpers/server-process';

/** tensorflow_model_server's command line: TF Serving's flags, messages and exit codes. */

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-cli-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('--version prints our version and the TensorFlow library actually linked', async () => {
  const r = await runServer(['--version']);
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`TensorFlow ModelServer: ${pkg.version}\nTensorFlow Library: 2.21.0\n`);
});

test.each([
  [['--bogus_flag=1'], 'unknown flag: --bogus_flag'],
  [['--port=abc'], "Couldn't interpret value abc for flag port."],
  [['--port=0', '--model_base_path=/x'], 'At least one of server_options.grpc_port or server_options.grpc_socket_path must be set.'],
  [[], 'Both server_options.model_base_path and server_options.model_config_file are empty!'],
  [['--model_base_path=/x', '--batching_parameters_file=/b'], 'server_options.batching_parameters_file is set without setting server_options.enable_batching to true.'],
  // Fail closed: serving plaintext to a user who asked for ALTS would drop the security asked for.
  [['--model_base_path=/x', '--use_alts_credentials'], '--use_alts_credentials: ALTS (Google Application Layer Transport Security) is not available in this server'],
])('%j exits 255 naming the problem', async (args, message) => {
  const r = await runServer(args);
  expect(r.code).toBe(255);
  expect(r.stdout + r.stderr).toContain(message);
});

test('a config file that does not parse stops start-up: the file on stdout, the parser position on stderr', async () => {
  const file = path.join(tmp, 'bad.config');
  fs.writeFileSync(file, 'model_config_list {\n  config { nme: "x" }\n}\n');
  const r = await runServer([`--model_config_file=${file}`]);
  const parseError = 'Error parsing text-format tensorflow.serving.ModelServerConfig: 2:12: Message type "tensorflow.serving.ModelConfig" has no field named "nme".';
  expect(r.code).toBe(255);
  // As TF Serving: the status names the file (ParseProtoTextFile), and protobuf's parse error with its
  // position goes to stderr, where TF Serving's own test (testBadModelConfig) reads it.
  expect(r.stdout).toBe(`Failed to start server. Error: INVALID_ARGUMENT: Invalid protobuf file: '${file}'\n`);
  expect(r.stderr).toContain(parseError);
});

test('SIGTERM while start-up still waits for a model stops the server promptly with exit code 0', async () => {
  const empty = path.join(tmp, 'no-versions-yet');
  fs.mkdirSync(empty, { recursive: true });
  const child = spawn(process.execPath, [SERVER_MAIN, '--model_name=later', `--model_base_path=${empty}`, `--port=${await freePort()}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) =>
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('No versions of servable later found')) resolve();
    }),
  );
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 10 s after SIGTERM'), 10000).unref())]);
  if (code !== 0) child.kill('SIGKILL');
  expect(code).toBe(0);
});

test('--file_system_poll_wait_seconds=0 on a folder written a moment ago: it serves once settled; a version added later is ignored', async () => {
  // Before: the only pending timer (the settle re-scan) was unref'd, and the process exited 0, silently.
  ensureTestModels();
  const base = path.join(tmp, 'poll-once');
  fs.cpSync(modelDir('add_sub', 1), path.join(base, '1'), { recursive: true });
  const server = await startServer([`--model_name=add_sub`, `--model_base_path=${base}`, '--file_system_poll_wait_seconds=0']);
  const client = new TestClient(server.target);
  try {
    copyByRename(modelDir('add_sub', 2), path.join(base, '2'));
    await new Promise((r) => setTimeout(r, 3000));
    const r = await client.predict({ model_spec: { name: 'add_sub' }, inputs: { input_x: floatTensor([1, 2]), input_y: floatTensor([10, 20]) } });
    expect(r.ok && r.response.model_spec.version?.value).toBe('1');
    const s = await client.status({ model_spec: { name: 'add_sub' } });
    expect(s.ok && s.response.model_version_status.map((v) => [v.version, v.state])).toEqual([['1', 'AVAILABLE']]);
  } finally {
    client.close();
    expect(await server.stop()).toBe(0);
  }
});

describeWithSharedTestdata("TF Serving's bad_model_config.txt", () => {
  test('is rejected as TF Serving rejects it', async () => {
    const r = await runServer([`--model_config_file=${path.join(SHARED_TESTDATA, 'bad_model_config.txt')}`]);
    expect(r.code).toBe(255);
    expect(r.stdout).toContain('Failed to start server. Error: INVALID_ARGUMENT: Invalid protobuf file:');
    expect(r.stderr).toContain('Error parsing text-format tensorflow.serving.ModelServerConfig');
  });
});

test('a version that cannot load is retried, then start-up fails with TF Serving\'s summary', async () => {
  const base = path.join(tmp, 'broken');
  fs.mkdirSync(path.join(base, '3'), { recursive: true });
  fs.writeFileSync(path.join(base, '3', 'saved_model.pb'), 'not a protobuf');
  const r = await runServer([`--model_name=broken`, `--model_base_path=${base}`, '--port=0', '--grpc_socket_path=' + path.join(tmp, 's.sock'), '--max_num_load_retries=2', '--load_retry_interval_micros=1000']);
  expect(r.code).toBe(255);
  expect(r.stderr.match(/retry \d of 2/g)).toEqual(['retry 1 of 2', 'retry 2 of 2']);
  expect(r.stdout).toMatch(
    /^Failed to start server\. Error: UNKNOWN: 1 servable\(s\) did not become available: \{\{name: broken version: 3\} due to error: .+\}, \}\n$/,
  );
});

test('TF Serving flag syntax: --flag value, bare booleans, and one warning, saying why, per flag ignored', async () => {
  const models = ensureTestModels();
  const server = await startServer([
    '--model_name', 'dtypes',
    '--model_base_path', path.join(models, 'dtypes'),
    '--enable_model_warmup',
    '--rest_api_num_threads=8',
    '--grpc_channel_arguments=grpc.max_connection_age_ms=60000,grpc.bogus_arg=1',
  ]);
  try {
    const logs = server.logs();
    expect(logs).toContain('flag --rest_api_num_threads is accepted for compatibility with TensorFlow Serving but is ignored: REST and gRPC are both served by the front-end threads (--front_end_threads)');
    expect(logs).toContain('gRPC channel argument grpc.bogus_arg is not supported by this server and is ignored');
    expect(logs).toContain('Successfully loaded servable version {name: dtypes version: 1}');
  } finally {
    expect(await server.stop()).toBe(0);
  }
});

test('--grpc_bind_address and --rest_api_bind_address choose the listening interfaces', async () => {
  const models = ensureTestModels();
  const restPort = await freePort();
  const server = await startServer([
    `--model_name=dtypes`,
    `--model_base_path=${path.join(models, 'dtypes')}`,
    '--grpc_bind_address=127.0.0.1',
    `--rest_api_port=${restPort}`,
    '--rest_api_bind_address=127.0.0.1',
  ]);
  try {
    expect(server.logs()).toContain(`Running gRPC ModelServer at 127.0.0.1:${server.grpcPort} ...`);
    const r = await request(restPort, 'GET', '/v1/models/dtypes');
    expect(r.status).toBe(200);
  } finally {
    expect(await server.stop()).toBe(0);
  }
});
