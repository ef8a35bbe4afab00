import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODELS_DIR, ensureTestModels } from '../helpers/fixtures';
import { request } from '../helpers/http-client';
import { writeModelConfig } from '../helpers/model-config';
import { REPO } from '../helpers/paths';
import { parsePrometheusText, seriesOf } from '../helpers/prometheus-text';
import { ServerProcess, freePort, startServer } from '../helpers/server-process';

/**
 * With --enable_batching, Open Inference Protocol requests go through the same batching queues as
 * Predict: concurrent V2 calls over REST and gRPC are joined into fewer TensorFlow runs, and each
 * caller gets exactly its own rows back.
 */

interface InferResponse {
  outputs: { name: string; datatype: string; shape: string[] }[];
  raw_output_contents: Buffer[];
}
type Unary = (req: object, cb: (err: grpc.ServiceError | null, res: InferResponse) => void) => void;
const definition = protoLoader.loadSync('kserve/grpc_predict_v2.proto', { includeDirs: [path.join(REPO, 'proto')], keepCase: true });
const { GRPCInferenceService } = (grpc.loadPackageDefinition(definition) as unknown as {
  inference: { GRPCInferenceService: new (target: string, creds: grpc.ChannelCredentials) => grpc.Client & Record<string, Unary> };
}).inference;

const METRICS_PATH = '/monitoring/prometheus/metrics';
let server: ServerProcess;
let tmp: string;
let port: number;

beforeAll(async () => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-v2-batching-'));
  const config = writeModelConfig(path.join(tmp, 'models.config'), [['dtypes', path.join(MODELS_DIR, 'dtypes')]]);
  // A batch may wait up to 2 s to fill, and 8 requests fill it.
  const batching = path.join(tmp, 'batching.config');
  fs.writeFileSync(batching, 'max_batch_size { value: 8 }\nbatch_timeout_micros { value: 2000000 }\nnum_batch_threads { value: 1 }\n');
  const monitoring = path.join(tmp, 'monitoring.config');
  fs.writeFileSync(monitoring, `prometheus_config { enable: true path: "${METRICS_PATH}" }\n`);
  port = await freePort();
  server = await startServer([
    `--model_config_file=${config}`,
    `--rest_api_port=${port}`,
    '--enable_batching',
    `--batching_parameters_file=${batching}`,
    `--monitoring_config_file=${monitoring}`,
  ]);
});

afterAll(async () => {
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function batches(): Promise<{ runs: number; rows: number }> {
  const families = parsePrometheusText((await request(port, 'GET', METRICS_PATH)).text);
  const count = seriesOf(families, ':tensorflow:serving:batching_session:processed_batch_size', ':tensorflow:serving:batching_session:processed_batch_size_count');
  const sum = seriesOf(families, ':tensorflow:serving:batching_session:processed_batch_size', ':tensorflow:serving:batching_session:processed_batch_size_sum');
  return { runs: Object.values(count).reduce((a, b) => a + b, 0), rows: Object.values(sum).reduce((a, b) => a + b, 0) };
}

test('4 REST and 4 gRPC ModelInfer calls at once are batched, each answered with its own row', async () => {
  const before = await batches();
  const client = new GRPCInferenceService(server.target, grpc.credentials.createInsecure());
  try {
    // Row i is [i, i + 1, i + 2]; serving_default answers 2x + 1.
    const rest = [0, 1, 2, 3].map(async (i) => {
      const r = await request(port, 'POST', '/v2/models/dtypes/infer', JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [i, i + 1, i + 2] }] }));
      return (JSON.parse(r.text) as { outputs: { data: number[] }[] }).outputs[0].data;
    });
    const grpcCalls = [4, 5, 6, 7].map(
      (i) =>
        new Promise<number[]>((resolve, reject) =>
          client.ModelInfer(
            {
              model_name: 'dtypes',
              inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3] }],
              raw_input_contents: [Buffer.from(Float32Array.of(i, i + 1, i + 2).buffer)],
            },
            (err, res) => {
              if (err) return reject(err);
              const raw = res.raw_output_contents[0];
              resolve(Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))));
            },
          ),
        ),
    );
    const answers = await Promise.all([...rest, ...grpcCalls]);
    expect(answers).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [2 * i + 1, 2 * i + 3, 2 * i + 5]));
  } finally {
    client.close();
  }
  const after = await batches();
  // Every row went through the batching queues, in fewer runs than calls (how many depends on timing
  // and on which front-end thread took each call: the scheduler may start a batch before all arrive).
  expect(after.rows - before.rows).toBe(8);
  expect(after.runs - before.runs).toBeLessThan(8);
});
