import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestModels, modelDir } from '../helpers/fixtures';
import { waitFor } from '../helpers/model-folders';
import { runPythonJson } from '../helpers/python';
import { freePort, runServer, startServer } from '../helpers/server-process';

/**
 * --ssl_config_file (TLS and mutual TLS on gRPC), our --rest_api_ssl_config_file (TLS on REST), and
 * --grpc_socket_path, each exercised with the official Python client. Certificates are made at test
 * time with openssl.
 */

let tmp: string;
const file = (name: string) => path.join(tmp, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tmp, stdio: 'ignore' });

beforeAll(() => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-tls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca');
  fs.writeFileSync(file('san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const who of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? 'localhost' : 'client'}`);
    openssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', 'san.cnf');
  }
  const pem = (n: string) => JSON.stringify(fs.readFileSync(file(n), 'utf8'));
  fs.writeFileSync(file('tls.conf'), `server_key: ${pem('server.key')}\nserver_cert: ${pem('server.pem')}\n`);
  fs.writeFileSync(file('mtls.conf'), `server_key: ${pem('server.key')}\nserver_cert: ${pem('server.pem')}\ncustom_ca: ${pem('ca.pem')}\nclient_verify: true\n`);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Result {
  name: string;
  ok: boolean;
  mismatches: string[];
  error?: { code: string; details: string };
}

const addSubCase = [
  {
    name: 'add_sub',
    model: 'add_sub',
    saved_model_dir: modelDir('add_sub', 2),
    inputs: { input_x: { dtype: 'float32', value: [1, 2] }, input_y: { dtype: 'float32', value: [3, 4] } },
  },
];

const check = async (target: string, extra: string[] = []) =>
  (await runPythonJson<{ results: Result[] }>('check_predict.py', ['--target', target, '--cases', '-', ...extra], JSON.stringify(addSubCase)))
    .results[0];

const serverArgs = () => [`--model_name=add_sub`, `--model_base_path=${path.join(ensureTestModels(), 'add_sub')}`];

test('gRPC over TLS with the official client; a plaintext client is refused', async () => {
  const server = await startServer([...serverArgs(), `--ssl_config_file=${file('tls.conf')}`]);
  try {
    const target = `localhost:${server.grpcPort}`;
    const r = await check(target, ['--ca', file('ca.pem')]);
    expect({ ok: r.ok, mismatches: r.mismatches, error: r.error }).toEqual({ ok: true, mismatches: [], error: undefined });
    expect((await check(target)).error?.code).toBe('UNAVAILABLE');
  } finally {
    await server.stop();
  }
});

test('mutual TLS: a client certificate signed by custom_ca is required', async () => {
  const server = await startServer([...serverArgs(), `--ssl_config_file=${file('mtls.conf')}`]);
  try {
    const target = `localhost:${server.grpcPort}`;
    const withCert = await check(target, ['--ca', file('ca.pem'), '--client-cert', file('client.pem'), '--client-key', file('client.key')]);
    expect({ ok: withCert.ok, error: withCert.error }).toEqual({ ok: true, error: undefined });
    expect((await check(target, ['--ca', file('ca.pem')])).error?.code).toBe('UNAVAILABLE');
  } finally {
    await server.stop();
  }
});

test('REST over TLS (--rest_api_ssl_config_file)', async () => {
  const restPort = await freePort();
  const server = await startServer([...serverArgs(), `--rest_api_port=${restPort}`, `--rest_api_ssl_config_file=${file('tls.conf')}`]);
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        { host: 'localhost', port: restPort, method: 'POST', path: '/v1/models/add_sub:predict', ca: fs.readFileSync(file('ca.pem')) },
        (res) => {
          let data = '';
          res.on('data', (d: Buffer) => (data += d.toString()));
          res.on('end', () => resolve(data));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ inputs: { input_x: [1, 2], input_y: [3, 4] } }));
    });
    expect(JSON.parse(body)).toEqual({ outputs: { result_add: [7, 10], result_sub: [-5, -6] } });
  } finally {
    await server.stop();
  }
});

test('--grpc_socket_path serves the official client over a Unix socket', async () => {
  const socket = file('tfs.sock');
  const server = await startServer([...serverArgs(), `--grpc_socket_path=${socket}`]);
  try {
    const r = await check(`unix:${socket}`);
    expect({ ok: r.ok, mismatches: r.mismatches, error: r.error }).toEqual({ ok: true, mismatches: [], error: undefined });
  } finally {
    await server.stop();
  }
});

test('a socket file left by a killed server is replaced: SIGKILL, restart on the same path, Predict over it', async () => {
  const socket = file('stale.sock');
  const first = await startServer([...serverArgs(), `--grpc_socket_path=${socket}`]);
  // The TCP port is announced first; the socket is bound just after.
  await waitFor('the socket to be bound', async () => (first.logs().includes(`UNIX socket ${socket}`) ? true : undefined));
  const killed = new Promise((r) => first.process.once('exit', r));
  first.process.kill('SIGKILL');
  await killed;
  expect(fs.lstatSync(socket).isSocket()).toBe(true);
  const second = await startServer([...serverArgs(), `--grpc_socket_path=${socket}`]);
  try {
    const r = await check(`unix:${socket}`);
    expect({ ok: r.ok, mismatches: r.mismatches, error: r.error }).toEqual({ ok: true, mismatches: [], error: undefined });
  } finally {
    await second.stop();
  }
});

test('a path holding something other than a socket is not removed: start-up fails', async () => {
  const notSocket = file('plain-file.sock');
  fs.writeFileSync(notSocket, 'keep me');
  const r = await runServer([...serverArgs(), '--port=0', `--grpc_socket_path=${notSocket}`]);
  expect(r.code).toBe(255);
  expect(fs.readFileSync(notSocket, 'utf8')).toBe('keep me');
});
