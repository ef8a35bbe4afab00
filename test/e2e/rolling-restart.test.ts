import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestModels } from '../helpers/fixtures';
import { PYTHON, REPO } from '../helpers/paths';
import { H2Relay } from '../helpers/h2-relay';
import { ServerProcess, freePort, startServer } from '../helpers/server-process';

/**
 * Connections closing under load lose no request: servers stopped one after the other behind one
 * round-robin channel (a rolling update without a cluster), and connections ended by
 * grpc.max_connection_age_ms. The client is the official Python one; each request (25,000×3 float32,
 * 300 KB) is larger than gRPC's default retry buffer. An H2Relay in front of each server checks on the
 * wire that the server answered every stream a client sent: streams dropped by the server (nghttp2 ignores
 * those arriving after any GOAWAY it sent) are what failed requests in rolling updates before.
 * The client's retry buffer is raised to hold the request, as a client sending large requests should:
 * gRPC's C core itself fails calls it had just handed to a connection when a GOAWAY arrives, without
 * sending them, and replays them only from that buffer.
 */

interface LoadSummary {
  total: number;
  failed: number;
  errors: Record<string, number>;
}

const REQUEST = ['--model', 'dtypes', '--input', 'x', '--dtype', 'float32', '--shape', '25000,3', '--retry-buffer-bytes', String(4 << 20)];

let models: string;
let tmp: string;
beforeAll(() => {
  models = ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-rolling-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function serve(port: number, extra: string[] = []): Promise<ServerProcess> {
  return startServer([`--port=${port}`, '--model_name=dtypes', `--model_base_path=${path.join(models, 'dtypes')}`, '--load_tensorflow_text_ops=false', ...extra]);
}

async function stopGracefully(server: ServerProcess): Promise<void> {
  const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
  server.process.kill('SIGTERM');
  expect(await exited).toBe(0);
}

/** test/docker/grpc_load.py with 4 threads, each on its own channel; resolves once answers flow. */
async function startLoad(name: string, args: string[]): Promise<{ child: ChildProcess; stop: () => Promise<LoadSummary> }> {
  const stopFile = path.join(tmp, `${name}.stop`);
  const readyFile = path.join(tmp, `${name}.ready`);
  const child = spawn(PYTHON, [path.join(REPO, 'test/docker/grpc_load.py'), ...REQUEST, '--threads', '4', '--seconds', '240', '--stop-file', stopFile, '--ready-file', readyFile, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 600 && !fs.existsSync(readyFile); i++) {
    if (child.exitCode !== null) throw new Error(`grpc_load.py exited early:\n${err}`);
    await sleep(100);
  }
  if (!fs.existsSync(readyFile)) throw new Error(`no answer reached grpc_load.py within 60 s:\n${err}`);
  return {
    child,
    stop: async () => {
      fs.writeFileSync(stopFile, '');
      await exited;
      return JSON.parse(out) as LoadSummary;
    },
  };
}

test('servers stopped one after another behind a round-robin channel: every request answered', async () => {
  const ports = [await freePort(), await freePort()];
  const servers = [await serve(ports[0]), await serve(ports[1])];
  const relays = [new H2Relay(ports[0]), new H2Relay(ports[1])];
  const relayPorts = [await relays[0].listen(), await relays[1].listen()];
  const load = await startLoad('rolling', ['--target', `ipv4:127.0.0.1:${relayPorts[0]},127.0.0.1:${relayPorts[1]}`, '--round-robin']);
  try {
    for (let round = 0; round < 3; round++) {
      for (const i of [0, 1]) {
        await sleep(1500); // both servers take traffic before the next one stops
        await stopGracefully(servers[i]);
        servers[i] = await serve(ports[i]);
      }
    }
    await sleep(1000);
  } finally {
    const summary = await load.stop();
    await Promise.all(servers.map((s) => s.stop()));
    relays.forEach((r) => r.close());
    expect({ failed: summary.failed, errors: summary.errors }).toEqual({ failed: 0, errors: {} });
    expect(summary.total).toBeGreaterThan(100);
    expect(relays.flatMap((r) => r.unanswered)).toEqual([]);
    // Every server stop ended connections that carried calls.
    expect(relays.map((r) => r.connections >= 4)).toEqual([true, true]);
  }
}, 240000);

test('grpc.max_connection_age_ms ends connections under load with every request answered', async () => {
  const server = await serve(await freePort(), ['--grpc_channel_arguments=grpc.max_connection_age_ms=400,grpc.max_connection_age_grace_ms=10000']);
  const relay = new H2Relay(server.grpcPort);
  const load = await startLoad('aging', ['--target', `127.0.0.1:${await relay.listen()}`]);
  try {
    await sleep(6000);
  } finally {
    const summary = await load.stop();
    await server.stop();
    relay.close();
    expect({ failed: summary.failed, errors: summary.errors }).toEqual({ failed: 0, errors: {} });
    expect(summary.total).toBeGreaterThan(100);
    expect(relay.unanswered).toEqual([]);
    // Four clients for 6 s, connections ending after 0.4 s (±10 %) and clients reconnecting after a back-off.
    expect(relay.connections).toBeGreaterThanOrEqual(8);
  }
}, 240000);
