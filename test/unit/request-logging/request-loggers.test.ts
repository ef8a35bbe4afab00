import { encodePredictResponse } from '../../../src/apis/predict-codec';
import { decodeClassificationRequest, decodeMultiInferenceRequest } from '../../../src/apis/input-codec';
import { decodePredictRequest } from '../../../src/apis/predict-codec';
import { modelServerConfigFromText } from '../../../src/config/model-server-config';
import { PredictOutput } from '../../../src/inference/predict';
import { protoType } from '../../../src/proto/root';
import { RequestLogSink } from '../../../src/request-logging/request-log-sink';
import { RequestLoggers } from '../../../src/request-logging/request-loggers';
import { DataType } from '../../../src/tensor/dtype';
import { bytesOf } from '../../../src/tensor/tensor';

/**
 * The request path's side: which calls are sampled, and the PredictionLog each becomes, decoded here by
 * protobufjs reflection over our protos (the e2e test reads them with TensorFlow).
 */

class Collected implements RequestLogSink {
  readonly records: Array<[string, Uint8Array]> = [];
  append(model: string, record: Uint8Array): void {
    this.records.push([model, record]);
  }
}

const OBJECT = { longs: String, enums: String, bytes: String, defaults: false, oneofs: true } as const;
const PredictionLog = protoType('tensorflow.serving.PredictionLog');
const PredictRequest = protoType('tensorflow.serving.PredictRequest');
const ClassificationRequest = protoType('tensorflow.serving.ClassificationRequest');
const MultiInferenceRequest = protoType('tensorflow.serving.MultiInferenceRequest');
const PredictResponse = protoType('tensorflow.serving.PredictResponse');
const decodeLog = (bytes: Uint8Array) => PredictionLog.toObject(PredictionLog.decode(bytes), OBJECT);
const asObject = (type: typeof PredictRequest, message: object) => type.toObject(type.fromObject(message), OBJECT);
const encode = (type: typeof PredictRequest, message: object) => Buffer.from(type.encode(type.fromObject(message)).finish());
const nextTurn = () => new Promise((r) => setImmediate(r));

const config = (logging: string) =>
  modelServerConfigFromText(
    `model_config_list {
       config { name: "m" base_path: "/m" model_platform: "tensorflow" ${logging} }
       config { name: "off" base_path: "/m" model_platform: "tensorflow" }
     }`,
  ).models;
const fileLogging = (rate: number) =>
  `logging_config { log_collector_config { type: "file" filename_prefix: "/l/m" } sampling_config { sampling_rate: ${rate} } }`;

const output: PredictOutput = {
  modelSpec: { name: 'm', version: 3, signatureName: 'serving_default' },
  runtimeMicros: 5,
  outputs: [['y', { dtype: DataType.DT_FLOAT, shape: [2], bytes: bytesOf(new Float32Array([0.5, -2])) }]],
};

function loggers(rate = 1) {
  const sink = new Collected();
  const l = new RequestLoggers(sink, { savedModelTags: ['serve', 'gpu'], tensorContentOutputs: false });
  l.update(config(fileLogging(rate)));
  return { sink, l };
}

test('a gRPC PredictRequest is logged field for field, whatever value fields its tensors use', async () => {
  const request = {
    model_spec: { name: 'm', version_label: 'stable', signature_name: 'sig' },
    inputs: {
      content: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }] }, tensor_content: Buffer.from(new Float32Array([1, 2]).buffer) },
      floats: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }] }, float_val: [1.5, -0] },
      doubles: { dtype: 'DT_DOUBLE', tensor_shape: {}, double_val: [Math.PI] },
      ints: { dtype: 'DT_INT32', tensor_shape: { dim: [{ size: 3 }] }, int_val: [-1, 0, 2147483647] },
      longs: { dtype: 'DT_INT64', tensor_shape: { dim: [{ size: 2 }] }, int64_val: ['-9223372036854775808', '42'] },
      ulongs: { dtype: 'DT_UINT64', tensor_shape: { dim: [{ size: 1 }] }, uint64_val: ['18446744073709551615'] },
      u32: { dtype: 'DT_UINT32', tensor_shape: { dim: [{ size: 1 }] }, uint32_val: [4294967295] },
      bools: { dtype: 'DT_BOOL', tensor_shape: { dim: [{ size: 2 }] }, bool_val: [true, false] },
      halves: { dtype: 'DT_HALF', tensor_shape: { dim: [{ size: 1 }] }, half_val: [15360] },
      strings: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 2 }] }, string_val: [Buffer.from('a'), Buffer.from([0xff, 0])] },
      complex: { dtype: 'DT_COMPLEX64', tensor_shape: { dim: [{ size: 1 }] }, scomplex_val: [1, -1] },
      empty: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{}] } },
    },
    output_filter: ['y'],
  };
  const { sink, l } = loggers();
  l.predict(decodePredictRequest(encode(PredictRequest, request)), output);
  expect(sink.records).toEqual([]); // encoded after the caller's turn
  await nextTurn();
  expect(sink.records.map(([m]) => m)).toEqual(['m']);
  const logged = decodeLog(sink.records[0][1]);
  expect(logged.predict_log.request).toEqual(asObject(PredictRequest, request));
  expect(logged.predict_log.response).toEqual(PredictResponse.toObject(PredictResponse.decode(encodePredictResponse(output, false)), OBJECT));
  expect(logged.log_metadata).toEqual({
    model_spec: { name: 'm', version: { value: '3' }, version_choice: 'version', signature_name: 'serving_default' },
    sampling_config: { sampling_rate: 1 },
    saved_model_tags: ['serve', 'gpu'],
    timestamp_secs: expect.stringMatching(/^\d{10}$/),
  });
  expect(logged.log_type).toBe('predict_log');
});

test('REST tensors go in typed value fields, as TF Serving builds its PredictRequest from JSON', async () => {
  const { sink, l } = loggers();
  const input = {
    modelSpec: { name: 'm', version: 3, signatureName: '' },
    inputs: new Map([['x', { dtype: DataType.DT_INT64, shape: [2], bytes: bytesOf(new BigInt64Array([-1n, 7n])) }] as const]),
    outputFilter: [],
  };
  l.predict(input, output);
  await nextTurn();
  expect(decodeLog(sink.records[0][1]).predict_log.request).toEqual(
    asObject(PredictRequest, {
      model_spec: { name: 'm', version: { value: 3 } },
      inputs: { x: { dtype: 'DT_INT64', tensor_shape: { dim: [{ size: 2 }] }, int64_val: ['-1', '7'] } },
    }),
  );
});

test('Classify and MultiInference keep each Example\'s bytes and the context', async () => {
  const { sink, l } = loggers();
  const example = { features: { feature: { a: { float_list: { value: [1] } } } } };
  const classify = {
    model_spec: { name: 'm', version: { value: 2 } },
    input: { example_list_with_context: { examples: [example, example], context: { features: { feature: { b: { int64_list: { value: [5] } } } } } } },
  };
  const spec = { name: 'm', version: 2, signatureName: 'serving_default' };
  l.classify(decodeClassificationRequest(encode(ClassificationRequest, classify)), {
    modelSpec: spec,
    runtimeMicros: 1,
    result: { classifications: [[{ label: Buffer.from('x'), score: 0.5 }]] },
  });
  const multi = {
    tasks: [{ model_spec: { name: 'm', signature_name: 'r' }, method_name: 'tensorflow/serving/regress' }],
    input: { example_list: { examples: [example] } },
  };
  l.multiInference(decodeMultiInferenceRequest(encode(MultiInferenceRequest, multi)), {
    results: [{ modelSpec: { ...spec, signatureName: 'r' }, kind: 'regression', result: { regressions: [1.25] } }],
  });
  await nextTurn();
  const [c, m] = sink.records.map(([, r]) => decodeLog(r));
  expect(c.log_type).toBe('classify_log');
  expect(c.classify_log.request).toEqual(asObject(ClassificationRequest, classify));
  expect(c.classify_log.response.result).toEqual({ classifications: [{ classes: [{ label: 'x', score: 0.5 }] }] });
  expect(m.log_type).toBe('multi_inference_log');
  expect(m.multi_inference_log.request).toEqual(asObject(MultiInferenceRequest, multi));
  expect(m.multi_inference_log.response.results[0].regression_result).toEqual({ regressions: [{ value: 1.25 }] });
  expect(m.log_metadata.model_spec).toEqual({ name: 'm', version: { value: '2' }, version_choice: 'version', signature_name: 'r' });
});

test('nothing is logged at rate 0, for a model without logging_config, or after a reload removes it', async () => {
  const input = { modelSpec: { name: 'm', signatureName: '' }, inputs: new Map(), outputFilter: [] };
  const zero = loggers(0);
  zero.l.predict(input, output);
  const { sink, l } = loggers(1);
  l.predict(input, { ...output, modelSpec: { ...output.modelSpec, name: 'off' } });
  l.update(config(''));
  l.predict(input, output);
  await nextTurn();
  expect([zero.sink.records, sink.records]).toEqual([[], []]);
});
