import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestClient, floatTensor } from '../helpers/grpc-client';
import { PYTHON, REPO } from '../helpers/paths';
import { freePort } from '../helpers/server-process';
import * as yaml from 'js-yaml';

/**
 * The image without a Docker engine: docker/tf_serving_entrypoint.sh run as the image runs it (MODEL_NAME /
 * MODEL_BASE_PATH, `tensorflow_model_server` found on PATH, `docker run` arguments appended), first against
 * this checkout's install, then inside the file tree the Dockerfile's final stage holds (docker/build-rootfs.sh),
 * plus the Dockerfile's and the Kubernetes manifests' promises (ports, probes, grace period) checked against
 * the running server.
 */


const ENTRYPOINT = path.join(REPO, 'docker/tf_serving_entrypoint.sh');
const DOCKERFILE = fs.readFileSync(path.join(REPO, 'docker/Dockerfile'), 'utf8');
const K8S = path.join(REPO, 'deploy/k8s');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const manifests = (file: string): Obj[] => yaml.loadAll(fs.readFileSync(path.join(K8S, file), 'utf8')) as Obj[];
const deployment = manifests('deployment.yaml')[0];
const container = deployment.spec.template.spec.containers[0];

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-docker-'));
  const models = path.join(tmp, 'models');
  execFileSync(PYTHON, [path.join(REPO, 'examples/half_plus_two/export_model.py'), path.join(models, 'half_plus_two')], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // The image's default MODEL_NAME is "model".
  fs.cpSync(path.join(models, 'half_plus_two'), path.join(models, 'model'), { recursive: true });
  // What `npm link` / the image's /usr/local/bin link provide: tensorflow_model_server on PATH.
  fs.mkdirSync(path.join(tmp, 'shim'));
  fs.symlinkSync(path.join(REPO, 'bin/tensorflow_model_server'), path.join(tmp, 'shim/tensorflow_model_server'));
}, 60000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Running {
  child: ChildProcess;
  logs(): string;
  exited: Promise<number | null>;
}

const started: Running[] = [];
afterAll(() => started.forEach((r) => r.child.exitCode === null && r.child.kill('SIGKILL')));

function runEntrypoint(script: string, env: Record<string, string | undefined>, args: string[]): Running {
  const clean = { ...process.env };
  delete clean.MODEL_NAME;
  delete clean.MODEL_BASE_PATH;
  const child = spawn(script, args, { env: { ...clean, ...env, TF_CPP_MIN_LOG_LEVEL: '2' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const run = { child, logs: () => out, exited };
  started.push(run);
  return run;
}

function get(port: number, urlPath: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method: body === undefined ? 'GET' : 'POST', timeout: 5000 },
      (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls GET /readyz as a readiness probe would, until 200. */
async function waitReady(run: Running, restPort: number, timeoutMs = 40000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (run.child.exitCode !== null) throw new Error(`server exited with ${run.child.exitCode}:\n${run.logs()}`);
    const r = await get(restPort, '/readyz').catch(() => undefined);
    if (r?.status === 200) return;
    if (Date.now() > end) throw new Error(`not ready within ${timeoutMs} ms:\n${run.logs()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function stop(run: Running): Promise<number | null> {
  if (run.child.exitCode === null) run.child.kill('SIGTERM');
  return run.exited;
}

const cmdline = (pid: number): string[] => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

/** The Dockerfile's HEALTHCHECK command (exec form), run here against `port`. */
function healthcheck(port: number): number {
  const m = /^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(DOCKERFILE);
  if (!m) throw new Error('no HEALTHCHECK CMD in exec form in docker/Dockerfile');
  const [cmd, ...args] = JSON.parse(m[1]) as string[];
  expect(cmd).toBe('node');
  try {
    execFileSync(process.execPath, args, { env: { ...process.env, HEALTHCHECK_PORT: String(port) }, stdio: 'ignore', timeout: 10000 });
    return 0;
  } catch (err) {
    return (err as { status: number }).status;
  }
}

test('the entrypoint runs TF Serving\'s command line from MODEL_NAME / MODEL_BASE_PATH, passes extra arguments through, drains on SIGTERM', async () => {
  const [grpcPort, restPort] = [await freePort(), await freePort()];
  const run = runEntrypoint(
    ENTRYPOINT,
    { PATH: `${path.join(tmp, 'shim')}:${process.env.PATH}`, MODEL_NAME: 'half_plus_two', MODEL_BASE_PATH: path.join(tmp, 'models') },
    [`--port=${grpcPort}`, `--rest_api_port=${restPort}`, '--rest_api_timeout_in_ms=5000'],
  );
  const client = new TestClient(`127.0.0.1:${grpcPort}`);
  try {
    await waitReady(run, restPort);
    // exec: the process started is the server itself, so SIGTERM from `docker stop` reaches it.
    const argv = cmdline(run.child.pid!);
    expect(path.basename(argv[0])).toBe('node');
    expect(argv.slice(2)).toEqual([
      '--port=8500',
      '--rest_api_port=8501',
      '--model_name=half_plus_two',
      `--model_base_path=${path.join(tmp, 'models')}/half_plus_two`,
      `--port=${grpcPort}`,
      `--rest_api_port=${restPort}`,
      '--rest_api_timeout_in_ms=5000',
    ]);

    const rest = await get(restPort, '/v1/models/half_plus_two:predict', '{"instances": [1.0, 2.0, 5.0]}');
    expect(rest.status).toBe(200);
    expect(JSON.parse(rest.body)).toEqual({ predictions: [2.5, 3.0, 4.5] });
    const status = JSON.parse((await get(restPort, '/v1/models/half_plus_two')).body);
    expect(status.model_version_status).toEqual([expect.objectContaining({ version: '1', state: 'AVAILABLE' })]);

    const r = await client.predict({ model_spec: { name: 'half_plus_two' }, inputs: { x: floatTensor([1, 2, 5]) } });
    expect(r.ok && r.response.outputs.y.float_val).toEqual([2.5, 3, 4.5]);
    expect(r.ok && r.response.model_spec.version?.value).toBe('1');

    expect(healthcheck(restPort)).toBe(0);
    client.close();
    expect(await stop(run)).toBe(0);
    expect(run.logs()).toContain('Received SIGTERM, shutting down');
    expect(healthcheck(restPort)).toBe(1); // nothing listens any more
  } finally {
    client.close();
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
}, 60000);

describe('the image\'s file tree (docker/build-rootfs.sh)', () => {
  let rootfs: string;
  beforeAll(() => {
    rootfs = path.join(tmp, 'rootfs');
    execFileSync('bash', [path.join(REPO, 'docker/build-rootfs.sh'), rootfs, '--link'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
  }, 60000);

  const tfjsDir = () => path.join(rootfs, 'app/node_modules/@tensorflow/tfjs-node');

  test('holds the two TensorFlow libraries themselves, and the binding resolves them inside the tree', () => {
    const lib = path.join(tfjsDir(), 'deps/lib');
    for (const so of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
      expect(fs.lstatSync(path.join(lib, so)).isFile()).toBe(true);
    }
    expect(fs.existsSync(path.join(rootfs, 'app/node_modules/typescript'))).toBe(false); // dev packages pruned
    expect(fs.existsSync(path.join(rootfs, 'app/node_modules/jest'))).toBe(false);
    const binding = fs.readdirSync(path.join(tfjsDir(), 'lib')).map((d) => path.join(tfjsDir(), 'lib', d, 'tfjs_binding.node'))[0];
    const ldd = execFileSync('ldd', [binding], { encoding: 'utf8' });
    expect(ldd).not.toContain('not found');
    for (const so of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
      const line = ldd.split('\n').find((l) => l.includes(`${so} =>`)) ?? '';
      expect(fs.realpathSync(line.split('=>')[1].trim().split(' (')[0])).toBe(fs.realpathSync(path.join(lib, so)));
    }
    expect(ldd).not.toContain('.venv');
  });

  test('serves from the tree with the default MODEL_NAME, the Deployment\'s args, probes and HEALTHCHECK; SIGTERM exits 0', async () => {
    const [grpcPort, restPort] = [await freePort(), await freePort()];
    // Only the tree's bin folders and node itself: nothing of this checkout is on the PATH.
    const PATH = [path.join(rootfs, 'usr/local/bin'), path.dirname(process.execPath), '/usr/bin', '/bin'].join(':');
    const deploymentArgs = container.args as string[];
    const run = runEntrypoint(path.join(rootfs, 'usr/bin/tf_serving_entrypoint.sh'), { PATH, MODEL_BASE_PATH: path.join(tmp, 'models') }, [
      ...deploymentArgs,
      `--port=${grpcPort}`,
      `--rest_api_port=${restPort}`,
    ]);
    const client = new TestClient(`127.0.0.1:${grpcPort}`);
    try {
      await waitReady(run, restPort);
      expect(cmdline(run.child.pid!)).toContain('--model_name=model');
      // TensorFlow is mapped from the tree, nothing from the Python environment.
      const maps = fs.readFileSync(`/proc/${run.child.pid}/maps`, 'utf8');
      const mapped = [...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5]).filter((p) => p && /tensorflow|tfjs/.test(p)))];
      expect(mapped).toEqual(
        expect.arrayContaining([path.join(tfjsDir(), 'deps/lib/libtensorflow_cc.so.2'), path.join(tfjsDir(), 'deps/lib/libtensorflow_framework.so.2')]),
      );
      expect(mapped.filter((p) => !p.startsWith(rootfs))).toEqual([]);
      expect(run.logs()).not.toMatch(/not implemented yet|is ignored/); // every Deployment flag is acted on

      // Every probe of the Deployment answers 200 on the port it names (8501 is moved to restPort here).
      const ports: Record<string, number> = Object.fromEntries(
        (container.ports as Obj[]).map((p) => [p.name, p.containerPort === 8501 ? restPort : grpcPort]),
      );
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const { path: probePath, port } = container[probe].httpGet;
        expect((await get(ports[port], probePath)).status).toBe(200);
      }
      expect(healthcheck(restPort)).toBe(0);

      const r = await client.predict({ model_spec: { name: 'model' }, inputs: { x: floatTensor([1, 2, 5]) } });
      expect(r.ok && r.response.outputs.y.float_val).toEqual([2.5, 3, 4.5]);
      client.close();
      expect(await stop(run)).toBe(0);
    } finally {
      client.close();
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  }, 60000);
});

describe('the Dockerfile and the Kubernetes manifests agree with the server', () => {
  test('Dockerfile: TF Serving\'s ports, variables and entrypoint; non-root; HEALTHCHECK on /healthz; SIGTERM', () => {
    expect(DOCKERFILE).toMatch(/^EXPOSE 8500 8501$/m);
    expect(DOCKERFILE).toMatch(/^ENV [^]*?MODEL_NAME=model[^]*?MODEL_BASE_PATH=\/models$/m);
    expect(DOCKERFILE).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(DOCKERFILE).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tf_serving_entrypoint\.sh"\]$/m);
    // The runtime stage is the tree docker/build-rootfs.sh stages (checked above), entrypoint included.
    expect(DOCKERFILE).toMatch(/^COPY --from=build \/rootfs\/ \/$/m);
    expect(DOCKERFILE).toMatch(/bash docker\/build-rootfs\.sh \/rootfs --slim/);
    // A `# syntax=` line makes BuildKit fetch its frontend from Docker Hub: builds without a registry fail.
    expect(DOCKERFILE).not.toMatch(/^# *syntax=/m);
    const user = /^USER (\d+):(\d+)$/m.exec(DOCKERFILE);
    expect(user && Number(user[1])).toBeGreaterThan(0);
    expect(DOCKERFILE).toMatch(/^HEALTHCHECK [^]*\/healthz/m);
    expect(DOCKERFILE).toMatch(/TFSERVING_TF_PACKAGE=tensorflow-cpu/);
    // The final stage copies the runtime pieces, not the wheel or the sources.
    const final = DOCKERFILE.slice(DOCKERFILE.lastIndexOf('\nFROM '));
    expect(final).not.toMatch(/\.venv|site-packages|COPY src/);
    const script = fs.readFileSync(ENTRYPOINT, 'utf8');
    expect(script).toMatch(/exec tensorflow_model_server --port=8500 --rest_api_port=8501/);
    expect(fs.statSync(ENTRYPOINT).mode & 0o111).not.toBe(0);
  });

  test('Kubernetes: kinds, ports, probes, grace period, Services, HPA, PVC', () => {
    expect(deployment).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    const spec = deployment.spec.template.spec;
    expect(container.ports).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'grpc', containerPort: 8500 }),
        expect.objectContaining({ name: 'http', containerPort: 8501 }),
      ]),
    );
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    // The grace period (counted from preStop) outlasts preStop's sleep plus the server's drain.
    const drain = Number(/^--drain_timeout_seconds=(\d+)$/.exec((container.args as string[]).find((a) => a.startsWith('--drain_timeout_seconds='))!)![1]);
    const preStop = Number(container.lifecycle.preStop.exec.command[1]);
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(drain + preStop);
    expect(container.resources.requests.cpu).toBeDefined(); // the HPA's utilization is relative to it
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(spec.securityContext.runAsUser).toBe(Number(/^USER (\d+)/m.exec(DOCKERFILE)![1]));
    const models = (container.volumeMounts as Obj[]).find((m) => m.name === 'models')!;
    expect(models.mountPath).toBe((container.env as Obj[]).find((e) => e.name === 'MODEL_BASE_PATH')!.value);

    const [pvc] = manifests('pvc.yaml');
    expect(pvc).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' });
    expect((spec.volumes as Obj[]).find((v) => v.name === 'models')!.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);

    const services = manifests('service.yaml');
    expect(services.map((s) => [s.apiVersion, s.kind, s.spec.clusterIP ?? 'ClusterIP'])).toEqual([
      ['v1', 'Service', 'ClusterIP'],
      ['v1', 'Service', 'None'],
    ]);
    for (const s of services) {
      expect(s.spec.selector).toEqual(deployment.spec.selector.matchLabels);
      expect(s.spec.ports.map((p: Obj) => [p.port, p.targetPort])).toEqual([[8500, 'grpc'], [8501, 'http']]);
    }

    const [hpa] = manifests('hpa.yaml');
    expect(hpa).toMatchObject({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name } },
    });
    expect(hpa.spec.metrics[0]).toMatchObject({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } });

    const [pdb] = manifests('pdb.yaml');
    expect(pdb).toMatchObject({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', spec: { selector: deployment.spec.selector } });
    const kustomization = yaml.loadAll(fs.readFileSync(path.join(K8S, 'kustomization.yaml'), 'utf8'))[0] as Obj;
    expect([...kustomization.resources].sort()).toEqual(['deployment.yaml', 'hpa.yaml', 'pdb.yaml', 'pvc.yaml', 'service.yaml']);
  });
});
