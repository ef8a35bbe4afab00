import { execFile, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createClient, decodeTensor, floatTensor, main as tsPredictMain, predict } from '../../examples/typescript_client/predict';
import { request, waitForRest } from '../helpers/http-client';
import { PYTHON, REPO } from '../helpers/paths';
import { ServerProcess, freePort, startServer } from '../helpers/server-process';

/**
 * The examples as a user runs them: examples/add_sub/run.sh and examples/commodity/run.sh end to end
 * (TensorFlow export, server, official Python client, hot update, SIGTERM), and the Python and
 * TypeScript client templates against a running server.
 */

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-examples-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 50000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** The JSON list after `name=` on the first line matching `prefix`, from the lines after `after`. */
function listAfter(out: string, after: string, prefix: RegExp, name: string): number[] {
  const rest = out.slice(out.indexOf(after));
  const line = rest.split('\n').find((l) => prefix.test(l));
  if (!line) throw new Error(`no line matching ${prefix} after "${after}" in:\n${out}`);
  const m = new RegExp(`${name}=(\\[[^\\]]*\\])`).exec(line);
  if (!m) throw new Error(`no ${name}= in "${line}"`);
  return JSON.parse(m[1]) as number[];
}

describe('examples/add_sub/run.sh', () => {
  let result: { code: number; stdout: string; stderr: string };
  const workdir = () => path.join(tmp, 'add_sub');

  beforeAll(async () => {
    result = await run('bash', [path.join(REPO, 'examples/add_sub/run.sh')], {
      WORKDIR: workdir(),
      GRPC_PORT: String(await freePort()),
      REST_PORT: String(await freePort()),
    });
  }, 60000);

  test('exports with TensorFlow, serves, answers over REST and gRPC, hot-updates to version 2, stops with exit 0', () => {
    const out = result.stdout;
    if (result.code !== 0) throw new Error(`run.sh exited ${result.code}:\n${out}\n${result.stderr}`);
    const v1 = '3. calling version 1';
    const v2 = '4. copying version 2';
    expect(listAfter(out, v1, /gRPC Predict/, 'result_add')).toEqual([5, 7, 9]);
    expect(listAfter(out, v1, /gRPC Predict/, 'result_sub')).toEqual([-3, -3, -3]);
    expect(out.slice(out.indexOf(v1), out.indexOf(v2))).toContain('(model_spec.version=1)');
    expect(listAfter(out, v1, /REST :predict/, 'result_add')).toEqual([5, 7, 9]);
    expect(listAfter(out, v1, /REST :predict/, 'result_sub')).toEqual([-3, -3, -3]);
    expect(listAfter(out, v2, /gRPC Predict/, 'result_add')).toEqual([50, 70, 90]);
    expect(listAfter(out, v2, /gRPC Predict/, 'result_sub')).toEqual([-30, -30, -30]);
    expect(out.slice(out.indexOf(v2))).toContain('(model_spec.version=2)');
    expect(listAfter(out, v2, /REST :predict/, 'result_add')).toEqual([50, 70, 90]);
    expect(listAfter(out, v2, /REST :predict/, 'result_sub')).toEqual([-30, -30, -30]);
    expect(out).toMatch(/Successfully loaded servable version \{name: add_sub version: 2\}/);
    expect(out).toMatch(/Unloaded servable version \{name: add_sub version: 1\}/);
    expect(out).toContain('[add_sub] server exited with code 0');
    for (const v of ['1', '2']) expect(fs.existsSync(path.join(workdir(), 'models/add_sub', v, 'saved_model.pb'))).toBe(true);
  });

  describe('client templates, against the add_sub models run.sh left behind (versions 1 and 2)', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      // Both versions serving (policy all), so a request can name either.
      const config = path.join(tmp, 'add_sub.config');
      fs.writeFileSync(
        config,
        `model_config_list { config { name: "add_sub" base_path: "${path.join(workdir(), 'models/add_sub')}" model_platform: "tensorflow" model_version_policy { all {} } } }\n`,
      );
      server = await startServer([`--model_config_file=${config}`]);
    }, 60000);
    afterAll(async () => {
      await server?.stop();
    });

    test('examples/typescript_client/predict.ts: main() prints the outputs; predict() + decodeTensor() by version', async () => {
      const lines: string[] = [];
      const code = await tsPredictMain(
        ['--server', server.target, '--model', 'add_sub', '--input', 'input_x=[1, 2, 3]', '--input', 'input_y=[4, 5, 6]'],
        (l) => lines.push(l),
      );
      expect(code).toBe(0);
      expect(lines).toEqual([
        'model add_sub version 2, signature serving_default',
        'result_add: dtype=DT_FLOAT shape=[3] values=[50,70,90]',
        'result_sub: dtype=DT_FLOAT shape=[3] values=[-30,-30,-30]',
      ]);

      const client = createClient(server.target);
      try {
        const res = await predict(client, {
          model_spec: { name: 'add_sub', version: { value: 2 } },
          inputs: { input_x: floatTensor([[1.5], [2]]), input_y: floatTensor([[0.5], [1]]) },
        });
        expect(decodeTensor(res.outputs.result_add)).toEqual({ dtype: 'DT_FLOAT', shape: [2, 1], values: [20, 30] });
        await expect(predict(client, { model_spec: { name: 'nope' }, inputs: {} })).rejects.toMatchObject({ code: 5 });
      } finally {
        client.close();
      }
      const failed: string[] = [];
      expect(await tsPredictMain(['--server', server.target, '--model', 'nope', '--input', 'x=[1]'], (l) => failed.push(l))).toBe(1);
      expect(failed[0]).toMatch(/^Predict failed: NOT_FOUND: Servable not found for request: Latest\(nope\)/);
    });

    test('examples/typescript_client compiles on its own (npx tsc -p examples/typescript_client)', () => {
      execFileSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', path.join(REPO, 'examples/typescript_client'), '--noEmit'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    });

    test('examples/python_client/predict.py (official client)', async () => {
      const r = await run(PYTHON, [
        path.join(REPO, 'examples/python_client/predict.py'),
        '--server', server.target, '--model', 'add_sub', '--input', 'input_x=[1, 2]', '--input', 'input_y=[3, 4]', '--version', '1',
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual([
        'model add_sub version 1, signature serving_default',
        'result_add: dtype=float32 shape=[2] value=[4.0, 6.0]',
        'result_sub: dtype=float32 shape=[2] value=[-2.0, -2.0]',
      ]);
    }, 30000);
  });
});

describe('examples/commodity/run.sh', () => {
  test('exports the SSD-style detector, serves it, reads the detections by name with float_val and make_ndarray', async () => {
    const workdir = path.join(tmp, 'commodity');
    const result = await run('bash', [path.join(REPO, 'examples/commodity/run.sh')], {
      WORKDIR: workdir,
      GRPC_PORT: String(await freePort()),
      REST_PORT: String(await freePort()),
    });
    const out = result.stdout;
    if (result.code !== 0) throw new Error(`run.sh exited ${result.code}:\n${out}\n${result.stderr}`);
    expect(out).toContain('model_spec: name=commodity version=1 signature_name=serving_default');
    const outputs = Object.fromEntries(
      [...out.matchAll(/output (\w+)\s+dtype=(\w+) shape=(\[[^\]]*\])/g)].map((m) => [m[1], [m[2], JSON.parse(m[3])]]),
    );
    expect(outputs).toEqual({
      detection_boxes: ['DT_FLOAT', [1, 20, 4]],
      detection_classes: ['DT_FLOAT', [1, 20]],
      detection_scores: ['DT_FLOAT', [1, 20]],
      num_detections: ['DT_FLOAT', [1]],
    });
    const num = Number(/num_detections = (\d+)/.exec(out)![1]);
    expect(num).toBeGreaterThan(0);
    expect(num).toBeLessThanOrEqual(20);
    expect(out).toMatch(/ 1\. \w+ +score 0\.\d{3} {2}box \[\d\.\d{3}, \d\.\d{3}, \d\.\d{3}, \d\.\d{3}\]/);
    expect(out).toContain('float_val and tf.make_ndarray agree: yes');
    expect(out).toMatch(/same as TensorFlow run locally: yes/);
    expect(out).toContain('[commodity] server exited with code 0');
    const jpeg = fs.readFileSync(path.join(workdir, 'image.jpg'));
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
  }, 60000);
});

describe('the quick start: examples/serve-example.sh (npm run example)', () => {
  test('serves half_plus_two on a gRPC and a REST port, as TF Serving\'s image does; both calls of the README answer', async () => {
    const [grpcPort, restPort] = [await freePort(), await freePort()];
    const child = spawn('bash', [path.join(REPO, 'examples/serve-example.sh')], {
      env: { ...process.env, PORT: String(grpcPort), REST_PORT: String(restPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitForRest(restPort, 60000);
      // The README's curl call, byte for byte the body TF Serving's docs use.
      const rest = await request(restPort, 'POST', '/v1/models/half_plus_two:predict', '{"instances": [1.0, 2.0, 5.0]}');
      expect(rest.status).toBe(200);
      expect(JSON.parse(rest.text)).toEqual({ predictions: [2.5, 3.0, 4.5] });
      // The README's official-client call.
      const out = execFileSync(PYTHON, [path.join(REPO, 'examples/half_plus_two/client.py'), `127.0.0.1:${grpcPort}`], {
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
      }).toString();
      expect(out).toBe('y = [2.5, 3.0, 4.5] from version 1\n');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 90000);
});
