import * as grpc from '@grpc/grpc-js';
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CallResult, TestClient, cancellablePredict, floatTensor } from '../helpers/grpc-client';
import { waitFor } from '../helpers/model-folders';
import { PYTHON, REPO, SERVER_MAIN } from '../helpers/paths';
import { freePort } from '../helpers/server-process';
import { noticeUnlessCi } from '../helpers/shared-testdata';

/**
 * Faults against the real server process: a graph that raises at run time for some inputs, a
 * version whose load fails (corrupt variables), model folders deleted while served, a version that
 * cannot be read (permission denied), the process SIGKILLed under load and restarted, clients that
 * cancel mid-request, and a deadline that expires while a request waits for a busy model.
 *
 * Models: `fault` (python/export_fault_models.py: tf.debugging.assert_non_negative, an out-of-range
 * gather, check_numerics) copied under several names, and `counter` (python/export_warmup_model.py:
 * a variable counter plus a ~1 s `slow` signature).
 */

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PY_ENV = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' };

let tmp: string;
let faultSrc: string; // a good export of the fault model (version folder)
let modelsRoot: string;
let config: string;
let serverArgs: string[];
let srv: Server;
let client: TestClient;
let restPort: number;

// ---------------------------------------------------------------------------------------------
// A server process (startServer's logic, plus running as another user and timing the start)
// ---------------------------------------------------------------------------------------------

interface Server {
  proc: ChildProcess;
  grpcPort: number;
  target: string;
  logs(): string;
  /** Milliseconds from spawn to the gRPC port being announced. */
  startMs: number;
}

/** Root reads through chmod 000 by two capabilities; util-linux's setpriv starts a process without them. */
const WITHOUT_DAC = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search'];

async function spawnServer(args: string[], opts: { withoutDac?: boolean; port?: number } = {}): Promise<Server> {
  const port = opts.port ?? (await freePort());
  const started = Date.now();
  const argv = [process.execPath, SERVER_MAIN, `--port=${port}`, ...args];
  const [cmd, ...rest] = opts.withoutDac ? [...WITHOUT_DAC, ...argv] : argv;
  const proc = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise<Server>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start within 90 s:\n${out}`));
    }, 90000);
    let listening = false;
    const onExitEarly = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}`));
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = listening ? null : /Running gRPC ModelServer at \S+:(\d+) /.exec(out);
      if (m) {
        listening = true;
        clearTimeout(timer);
        proc.off('exit', onExitEarly);
        resolve({ proc, grpcPort: Number(m[1]), target: `127.0.0.1:${m[1]}`, logs: () => out, startMs: Date.now() - started });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', onExitEarly);
  });
}

/**
 * SIGTERM, then SIGKILL if the process has not exited within `graceMs`. Resolves with how it ended,
 * so a test can require a clean stop.
 */
function stopServer(s: Server | undefined, graceMs = 15000): Promise<{ exited: 'already' | 'SIGTERM' | 'SIGKILL'; ms: number }> {
  if (!s || s.proc.exitCode !== null || s.proc.signalCode !== null) return Promise.resolve({ exited: 'already', ms: 0 });
  const started = Date.now();
  return new Promise((res) => {
    const timer = setTimeout(() => {
      console.log(`server ${s.target} still running ${graceMs} ms after SIGTERM; its last log lines:\n${s.logs().trim().split('\n').slice(-8).join('\n')}`);
      s.proc.kill('SIGKILL');
    }, graceMs);
    s.proc.once('exit', (_code, signal) => {
      clearTimeout(timer);
      res({ exited: signal === 'SIGKILL' ? 'SIGKILL' : 'SIGTERM', ms: Date.now() - started });
    });
    s.proc.kill('SIGTERM');
  });
}

const isAlive = (s: Server): boolean => s.proc.exitCode === null && s.proc.signalCode === null;

function writeConfig(): void {
  const entry = (name: string, base: string) => `config { name: "${name}" base_path: "${base}" model_platform: "tensorflow" }`;
  fs.writeFileSync(
    config,
    `model_config_list {\n${['fault', 'fault_versions', 'fault_empty', 'fault_gone'].map((n) => entry(n, path.join(modelsRoot, n))).join('\n')}\n${entry('counter', path.join(tmp, 'counter'))}\n}\n`,
  );
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-faults-'));
  faultSrc = path.join(tmp, 'fault-src', '1');
  const exports = await Promise.allSettled([
    run(PYTHON, [path.join(REPO, 'python/export_fault_models.py'), faultSrc], { env: PY_ENV }),
    run(PYTHON, [path.join(REPO, 'python/export_warmup_model.py'), path.join(tmp, 'counter', '1'), '0'], { env: PY_ENV }),
  ]);
  for (const e of exports) if (e.status === 'rejected') throw e.reason;
  modelsRoot = path.join(tmp, 'models');
  for (const name of ['fault', 'fault_versions', 'fault_empty', 'fault_gone']) fs.cpSync(faultSrc, path.join(modelsRoot, name, '1'), { recursive: true });
  config = path.join(tmp, 'models.config');
  writeConfig();
  restPort = await freePort();
  serverArgs = [
    `--model_config_file=${config}`,
    `--rest_api_port=${restPort}`,
    '--file_system_poll_wait_seconds=1',
    '--version_settle_ms=200',
    '--max_num_load_retries=1',
    '--load_retry_interval_micros=100000',
  ];
  srv = await spawnServer(serverArgs);
  client = new TestClient(srv.target);
}, 120000);

afterAll(async () => {
  client?.close();
  await stopServer(srv);
  if (tmp) {
    // Undo any chmod before removing.
    spawnSyncChmod(tmp);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

function spawnSyncChmod(dir: string): void {
  try {
    fs.chmodSync(dir, 0o755);
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) spawnSyncChmod(p);
      else fs.chmodSync(p, 0o644);
    }
  } catch {
    // best effort
  }
}

const predictFault = (values: number[], c: TestClient = client, name = 'fault') =>
  c.predict({ model_spec: { name }, inputs: { x: floatTensor(values) } });
const yOf = (r: CallResult<{ outputs: Record<string, { float_val?: number[] }> }>) => (r.ok ? r.response.outputs.y.float_val : r.error);
const versionOf = (r: CallResult<{ model_spec: { version?: { value: string } } }>) => (r.ok ? Number(r.response.model_spec.version?.value) : undefined);

async function counterValue(c: TestClient = client): Promise<number | undefined> {
  const r = await c.predict<{ outputs: { count: { float_val: number[] } } }>({ model_spec: { name: 'counter', signature_name: 'get' }, inputs: {} });
  return r.ok ? r.response.outputs.count.float_val[0] : undefined;
}

function restPost(p: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: restPort, method: 'POST', path: p, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------

describe('a graph that raises at run time', () => {
  test('fails only the request that trips it, with INVALID_ARGUMENT and TensorFlow\'s message; others succeed meanwhile', async () => {
    const calls = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? predictFault([4, -1]) : predictFault([4, 9])));
    const results = await Promise.all(calls);
    results.forEach((r, i) => {
      if (i % 3 === 0) {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.error.code).toBe('INVALID_ARGUMENT');
          expect(r.error.details).toContain('x must be non-negative');
        }
      } else {
        expect(yOf(r)).toEqual([2.5, 3.5]);
      }
    });
    const gather = await client.predict({ model_spec: { name: 'fault', signature_name: 'gather' }, inputs: { i: { dtype: 'DT_INT32', tensor_shape: { dim: [{ size: '2' }] }, int_val: [1, 7] } } });
    expect(gather.ok).toBe(false);
    if (!gather.ok) expect(gather.error).toEqual({ code: 'INVALID_ARGUMENT', details: expect.stringContaining('indices[1] = 7 is not in [0, 3)') });
    const nan = await client.predict({ model_spec: { name: 'fault', signature_name: 'checked' }, inputs: { x: floatTensor([1, NaN]) } });
    expect(nan.ok).toBe(false);
    if (!nan.ok) expect(nan.error).toEqual({ code: 'INVALID_ARGUMENT', details: expect.stringContaining('x has NaN or Inf') });
    // The same over REST: HTTP 400 with TensorFlow's message in TF Serving's error body.
    const rest = await restPost('/v1/models/fault:predict', '{"instances":[4, -1]}');
    expect(rest.status).toBe(400);
    expect(JSON.parse(rest.text).error).toContain('x must be non-negative');
    // And the model is none the worse.
    expect(yOf(await predictFault([16]))).toEqual([4.5]);
  });
});

describe('versions whose load fails', () => {
  async function statusOf(name: string) {
    const r = await client.status({ model_spec: { name } });
    return r.ok ? r.response.model_version_status : [];
  }

  test('corrupt variables: the version is marked failed and the previous version keeps serving; a fixed copy then loads', async () => {
    const base = path.join(modelsRoot, 'fault_versions');
    // Copy aside, corrupt, rename into place (the atomic way), so only the corruption can fail it.
    const staging = path.join(base, '.staging-2');
    fs.cpSync(faultSrc, staging, { recursive: true });
    const index = path.join(staging, 'variables', 'variables.index');
    fs.writeFileSync(index, Buffer.alloc(fs.statSync(index).size, 0x5a));
    fs.renameSync(staging, path.join(base, '2'));
    // Requests keep flowing while the server tries version 2.
    let stop = false;
    const served: number[] = [];
    const failures: string[] = [];
    const load = (async () => {
      while (!stop) {
        const r = await predictFault([9], client, 'fault_versions');
        if (r.ok) served.push(versionOf(r) as number);
        else failures.push(`${r.error.code}: ${r.error.details}`);
      }
    })();
    const failed = await waitFor('version 2 to be reported failed', async () => {
      const s = await statusOf('fault_versions');
      const v2 = s.find((v) => String(v.version) === '2') as { state?: string; status?: { error_code?: string; error_message?: string } } | undefined;
      return v2?.state === 'END' && v2.status?.error_code && v2.status.error_code !== 'OK' ? v2 : undefined;
    }, 20000);
    await sleep(500);
    stop = true;
    await load;
    console.log(`corrupt version 2: ${failed.status?.error_code}: ${String(failed.status?.error_message).slice(0, 200)}; ${served.length} requests served meanwhile`);
    expect(failures).toEqual([]);
    expect(served.length).toBeGreaterThan(0);
    expect(new Set(served)).toEqual(new Set([1]));
    const v1 = (await statusOf('fault_versions')).find((v) => String(v.version) === '1');
    expect(v1?.state).toBe('AVAILABLE');
    // Replacing the bad folder with a good copy makes version 2 load (no restart needed).
    fs.rmSync(path.join(base, '2'), { recursive: true });
    fs.cpSync(faultSrc, staging, { recursive: true });
    fs.renameSync(staging, path.join(base, '2'));
    await waitFor('version 2 to serve', async () => (versionOf(await predictFault([9], client, 'fault_versions')) === 2 ? true : undefined), 20000);
  });
});

describe('permission denied while reading a version', () => {
  test('an unreadable version fails (or is never loaded) while the readable one keeps serving', async () => {
    // root reads through chmod 000: run the server as root without the capabilities that allow it.
    const probe = path.join(tmp, 'perm-probe');
    fs.writeFileSync(probe, 'x');
    fs.chmodSync(probe, 0);
    let withoutDac = true; // needed while this process can read the probe
    try {
      fs.readFileSync(probe);
    } catch {
      withoutDac = false;
    }
    if (withoutDac && spawnSync(WITHOUT_DAC[0], WITHOUT_DAC.slice(1).concat(['cat', probe])).status !== 1) {
      noticeUnlessCi('permission test skipped: chmod 000 does not stop this user from reading, and setpriv cannot drop the capabilities that let it');
      return;
    }
    const base = path.join(tmp, 'perm', 'model');
    fs.cpSync(faultSrc, path.join(base, '1'), { recursive: true });
    const perm = await spawnServer([`--model_name=perm`, `--model_base_path=${base}`, '--file_system_poll_wait_seconds=1', '--version_settle_ms=200', '--max_num_load_retries=0'], { withoutDac });
    const c = new TestClient(perm.target);
    try {
      expect(yOf(await predictFault([4], c, 'perm'))).toEqual([2.5]);
      // Version 2: variables unreadable. Version 3: the whole folder unreadable.
      fs.cpSync(faultSrc, path.join(base, '.s2'), { recursive: true });
      fs.chmodSync(path.join(base, '.s2', 'variables', 'variables.index'), 0);
      fs.chmodSync(path.join(base, '.s2', 'variables', 'variables.data-00000-of-00001'), 0);
      fs.renameSync(path.join(base, '.s2'), path.join(base, '2'));
      await sleep(3000);
      let st = await c.status({ model_spec: { name: 'perm' } });
      const v2 = st.ok ? st.response.model_version_status.find((v) => String(v.version) === '2') : undefined;
      console.log(`unreadable variables (version 2, server ${withoutDac ? 'as root without DAC capabilities' : 'as this user'}): ${JSON.stringify(v2 ?? 'not reported')}`);
      expect(isAlive(perm)).toBe(true);
      const r2 = await predictFault([4], c, 'perm');
      expect([yOf(r2), versionOf(r2)]).toEqual([[2.5], 1]);
      if (v2) expect((v2 as { state?: string }).state).toBe('END');
      fs.cpSync(faultSrc, path.join(base, '.s3'), { recursive: true });
      fs.chmodSync(path.join(base, '.s3'), 0);
      fs.renameSync(path.join(base, '.s3'), path.join(base, '3'));
      await sleep(2500);
      expect(isAlive(perm)).toBe(true);
      const r3 = await predictFault([4], c, 'perm');
      expect([yOf(r3), versionOf(r3)]).toEqual([[2.5], 1]);
      st = await c.status({ model_spec: { name: 'perm' } });
      console.log(`unreadable version folder (version 3): ${JSON.stringify(st.ok ? st.response.model_version_status : st.error)}`);
      // The whole base path unreadable: the poll fails, nothing changes.
      fs.chmodSync(base, 0);
      await sleep(2500);
      expect(isAlive(perm)).toBe(true);
      expect(yOf(await predictFault([4], c, 'perm'))).toEqual([2.5]);
      fs.chmodSync(base, 0o755);
    } finally {
      c.close();
      const stopped = await stopServer(perm);
      expect(stopped.exited).toBe('SIGTERM');
    }
  }, 60000);
});

describe('clients that give up', () => {
  const slow = (x: number[]) => ({ model_spec: { name: 'counter', signature_name: 'slow' }, inputs: { x: floatTensor(x) } });
  const incr = (x: number) => ({ model_spec: { name: 'counter', signature_name: 'incr' }, inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: {}, float_val: [x] } } });

  /** How long one `slow` call takes on this machine, and how many queued back to back keep the model busy >= ~1.2 s. */
  let slowMs = 0;
  let blockers = 1;
  beforeAll(async () => {
    await client.predict(slow([0])); // warm
    const t = Date.now();
    await client.predict(slow([0]));
    slowMs = Date.now() - t;
    blockers = Math.max(1, Math.ceil(1200 / slowMs));
    console.log(`counter/slow takes ${slowMs} ms here; ${blockers} queued back to back keep the model busy`);
  });

  test('a request whose deadline expires while it waits for a busy model never runs (no batching)', async () => {
    const before = await counterValue();
    const busy = Array.from({ length: blockers }, () => client.predict(slow([1])));
    await sleep(100);
    const expiring = await client.predictWithDeadline(incr(5), 100);
    expect(expiring.ok === false && expiring.error.code).toBe('DEADLINE_EXCEEDED');
    expect((await Promise.all(busy)).every((r) => r.ok)).toBe(true);
    await sleep(100);
    expect(await counterValue()).toBe(before);
    // A request with time to spare does run, once.
    const ok = await client.predict(incr(2));
    expect(ok.ok).toBe(true);
    expect(await counterValue()).toBe((before as number) + 2);
  });

  test('cancelled calls do not leak work: queued ones never run, and the server answers soon afterwards', async () => {
    const before = (await counterValue()) as number;
    // Keep the model busy (not cancelled), queue an increment and ten more slow calls behind, cancel those.
    const busy = Array.from({ length: blockers }, () => client.predict(slow([1])));
    await sleep(100);
    const queuedIncr = cancellablePredict(srv.target, incr(100));
    const queuedSlow = Array.from({ length: 10 }, () => cancellablePredict(srv.target, slow([2])));
    await sleep(100);
    const cancelledAt = Date.now();
    const cancelled = [queuedIncr, ...queuedSlow];
    for (const q of cancelled) q.call.cancel();
    const outcomes = await Promise.all(cancelled.map((q) => q.done));
    for (const q of cancelled) q.close();
    expect(outcomes.map((o) => grpc.status[o.code])).toEqual(new Array(11).fill('CANCELLED'));
    // A new request is answered once the calls still wanted are done, not after the ten cancelled
    // slow calls the server should have dropped (10 x slowMs more).
    const value = await counterValue();
    const answeredAfter = Date.now() - cancelledAt;
    expect((await Promise.all(busy)).every((r) => r.ok)).toBe(true);
    console.log(`after cancelling 11 queued calls: next request answered in ${answeredAfter} ms (busy work ahead: ~${blockers * slowMs} ms, leaked work would add ~${10 * slowMs} ms); counter ${before} -> ${value}`);
    expect(isAlive(srv)).toBe(true);
    expect(value).toBe(before); // the cancelled increment never ran
    expect(answeredAfter).toBeLessThan((blockers + 4) * slowMs);
    // And a normal Predict works.
    expect(yOf(await predictFault([4]))).toEqual([2.5]);
  }, 40000);
});

describe('the process killed under load', () => {
  test('SIGKILL mid-traffic, then a restart with the same flags serves the same models (time to ready printed)', async () => {
    let stop = false;
    const outcomes = new Map<string, number>();
    const loaders = Array.from({ length: 4 }, async (_, i) => {
      const c = new TestClient(srv.target);
      while (!stop) {
        const r = await c.predictWithDeadline({ model_spec: { name: 'fault' }, inputs: { x: floatTensor([i + 1]) } }, 3000);
        const k = r.ok ? 'OK' : r.error.code;
        outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
        if (!r.ok) await sleep(20);
      }
      c.close();
    });
    await sleep(700);
    const port = srv.grpcPort;
    const killedAt = Date.now();
    srv.proc.kill('SIGKILL');
    await new Promise((r) => srv.proc.once('exit', r));
    await sleep(300);
    stop = true;
    await Promise.all(loaders);
    client.close();
    const restarted = await spawnServer(serverArgs, { port });
    srv = restarted;
    client = new TestClient(srv.target);
    const first = await predictFault([16]);
    const readyMs = Date.now() - killedAt;
    console.log(`SIGKILL under load: calls ${JSON.stringify(Object.fromEntries(outcomes))}; restarted process announced its port ${restarted.startMs} ms after spawn, first Predict answered ${readyMs} ms after the kill`);
    expect(outcomes.get('OK') ?? 0).toBeGreaterThan(0);
    // Calls in flight at the kill fail with UNAVAILABLE (or time out); none hang.
    for (const k of outcomes.keys()) expect(['OK', 'UNAVAILABLE', 'DEADLINE_EXCEEDED', 'CANCELLED']).toContain(k);
    expect(yOf(first)).toEqual([4.5]);
    expect(versionOf(await predictFault([1], client, 'fault_versions'))).toBe(2);
    expect(await counterValue()).toBe(0); // variables come back from disk, as after any restart
    const rest = await restPost('/v1/models/fault:predict', '{"instances":[9]}');
    expect(JSON.parse(rest.text)).toEqual({ predictions: [3.5] });
  }, 60000);
});

describe('model folders deleted while served', () => {
  test('every version folder removed (base path left, empty): the versions unload, as in TF Serving', async () => {
    expect(yOf(await predictFault([4], client, 'fault_empty'))).toEqual([2.5]);
    fs.rmSync(path.join(modelsRoot, 'fault_empty', '1'), { recursive: true });
    const gone = await waitFor('fault_empty to stop serving', async () => {
      const r = await predictFault([4], client, 'fault_empty');
      return r.ok ? undefined : r.error;
    }, 15000);
    // The version stops serving as it starts unloading; END follows once every thread has let it go.
    const st = await waitFor('fault_empty to end', async () => {
      const r = await client.status({ model_spec: { name: 'fault_empty' } });
      return r.ok && r.response.model_version_status.every((v) => v.state === 'END') ? r : undefined;
    }, 15000);
    console.log(`empty base path: Predict -> ${gone.code}: ${gone.details}; status ${JSON.stringify(st.response.model_version_status)}`);
    expect(['NOT_FOUND', 'UNAVAILABLE']).toContain(gone.code);
    expect(st.ok && st.response.model_version_status.map((v) => v.state)).toEqual(['END']);
    expect(isAlive(srv)).toBe(true);
    // Putting a version back serves again.
    fs.cpSync(faultSrc, path.join(modelsRoot, 'fault_empty', '.s'), { recursive: true });
    fs.renameSync(path.join(modelsRoot, 'fault_empty', '.s'), path.join(modelsRoot, 'fault_empty', '3'));
    await waitFor('fault_empty version 3', async () => (versionOf(await predictFault([4], client, 'fault_empty')) === 3 ? true : undefined), 15000);
  });

  test('the base path itself removed: the poll fails, nothing changes, the loaded version keeps serving', async () => {
    const base = path.join(modelsRoot, 'fault_gone');
    fs.rmSync(base, { recursive: true });
    const logStart = srv.logs().length;
    await sleep(2500);
    expect(isAlive(srv)).toBe(true);
    const r = await predictFault([4], client, 'fault_gone');
    expect([yOf(r), versionOf(r)]).toEqual([[2.5], 1]);
    const log = srv.logs().slice(logStart);
    expect(log).toContain(`Could not find base path ${base}`);
    // The base path coming back with the same version changes nothing either.
    fs.cpSync(faultSrc, path.join(base, '1'), { recursive: true });
    await sleep(1500);
    expect(yOf(await predictFault([4], client, 'fault_gone'))).toEqual([2.5]);
    // A model deleted while a request runs: the request completes (the handle keeps the version).
    expect(isAlive(srv)).toBe(true);
  });
});
