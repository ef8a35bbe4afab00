#!/usr/bin/env python3
"""Send one PredictRequest with the official TF Serving client and print what comes back.

Usage:
  predict_values.py --target HOST:PORT --request JSON

The request JSON:
  model      model_spec.name
  signature  optional model_spec.signature_name
  inputs     {alias: {"dtype": "float32", "value": nested list, "shape"?: [..]}
              or {"examples": [{feature: float | int | str}, ...]}: a string
              tensor of serialized tf.train.Example, built here with TensorFlow}

Prints one JSON object: {"model_spec": {...}, "outputs": {alias: {"dtype",
"shape", "values"}}} with values read through tf.make_ndarray (strings as
UTF-8), or {"error": {"code", "details"}}. Exits 0 whatever the server answered.
"""
import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import grpc  # noqa: E402
import tensorflow as tf  # noqa: E402
from google.protobuf.json_format import MessageToDict  # noqa: E402
from tensorflow.core.framework import types_pb2  # noqa: E402
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc  # noqa: E402


def example(features):
    feature = {}
    for key, value in features.items():
        if isinstance(value, str):
            feature[key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
        elif isinstance(value, int):
            feature[key] = tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))
        else:
            feature[key] = tf.train.Feature(float_list=tf.train.FloatList(value=[value]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def tensor_proto(spec):
    if "examples" in spec:
        return tf.make_tensor_proto([example(e) for e in spec["examples"]], dtype=tf.string)
    return tf.make_tensor_proto(spec["value"], dtype=spec["dtype"], shape=spec.get("shape"))


def values(proto):
    array = tf.make_ndarray(proto)
    if proto.dtype == types_pb2.DT_STRING:
        return [v.decode() for v in array.flatten().tolist()]
    return array.flatten().tolist()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--request", required=True)
    args = parser.parse_args()
    spec = json.loads(args.request)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = spec["model"]
    if spec.get("signature"):
        request.model_spec.signature_name = spec["signature"]
    for alias, tensor in spec["inputs"].items():
        request.inputs[alias].CopyFrom(tensor_proto(tensor))
    with grpc.insecure_channel(args.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            response = stub.Predict(request, 30.0)
        except grpc.RpcError as e:
            print(json.dumps({"error": {"code": e.code().name, "details": e.details()}}))
            return
    outputs = {
        alias: {
            "dtype": types_pb2.DataType.Name(proto.dtype),
            "shape": [d.size for d in proto.tensor_shape.dim],
            "values": values(proto),
        }
        for alias, proto in response.outputs.items()
    }
    print(json.dumps({"model_spec": MessageToDict(response.model_spec, preserving_proto_field_name=True), "outputs": outputs}))


if __name__ == "__main__":
    main()
