import { Reader, Writer } from 'protobufjs';
import { invalidArgument } from '../errors/serving-error';
import { PredictInput, PredictOutput } from '../inference/predict';
import { ModelSpecInput } from '../inference/model-spec';
import { RawTensorProto, decodeRawTensorProto } from '../tensor/tensor-proto-decode';
import { writeTensorProto } from '../tensor/tensor-proto-encode';
import { decodeModelSpec, writeModelSpec } from './model-spec-codec';

/**
 * PredictRequest / PredictResponse on the wire, hand-written because they carry the tensors: request
 * tensors stay views of the received buffer, response tensors are written from their bytes.
 *
 * PredictRequest: model_spec = 1, inputs = 2 (map<string, TensorProto>), output_filter = 3.
 * PredictResponse: outputs = 1 (map<string, TensorProto>), model_spec = 2.
 */

/** A PredictRequest whose protobuf framing is broken (grpc-js answers INTERNAL, as gRPC's C++ core does). */
export function decodePredictRequest(buf: Buffer): PredictInput {
  try {
    return decodePredictRequestUnchecked(buf);
  } catch (err) {
    throw invalidArgument(`Failed to parse PredictRequest: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function decodePredictRequestUnchecked(buf: Buffer): PredictInput {
  const r = Reader.create(buf);
  let modelSpec: ModelSpecInput | undefined;
  const inputs = new Map<string, RawTensorProto>();
  const outputFilter: string[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | 2:
        modelSpec = decodeModelSpec(r, r.uint32());
        break;
      case (2 << 3) | 2: {
        const end = r.uint32() + r.pos;
        let key = '';
        let value: RawTensorProto | undefined;
        while (r.pos < end) {
          const t = r.uint32();
          if (t === ((1 << 3) | 2)) key = r.string();
          else if (t === ((2 << 3) | 2)) {
            const len = r.uint32();
            value = decodeRawTensorProto(r, r.pos + len);
          } else r.skipType(t & 7);
        }
        // A map entry without a value holds an empty TensorProto; a repeated key keeps the last entry.
        inputs.set(key, value ?? decodeRawTensorProto(r, r.pos));
        break;
      }
      case (3 << 3) | 2:
        outputFilter.push(r.string());
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return { modelSpec, inputs, outputFilter };
}

export function encodePredictResponse(out: PredictOutput, asContent: boolean): Buffer {
  const w = Writer.create();
  for (const [alias, tensor] of out.outputs) {
    w.uint32((1 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(alias);
    w.uint32((2 << 3) | 2).fork();
    writeTensorProto(w, tensor, asContent);
    w.ldelim();
    w.ldelim();
  }
  w.uint32((2 << 3) | 2).fork();
  writeModelSpec(w, out.modelSpec);
  w.ldelim();
  // Writer.create() is protobufjs' BufferWriter under Node: finish() yields a Buffer.
  return w.finish() as Buffer;
}
