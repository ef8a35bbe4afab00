#!/usr/bin/env python3
"""Request-logging checks from the official side: send traffic with the official
TF Serving client, and read the server's request logs back with TensorFlow.

Usage:
  prediction_log_client.py send --target HOST:PORT --cases FILE.json --sent OUT.json
  prediction_log_client.py read [--sent SENT.json] FILE...

send: one call per case, through prediction_service_pb2_grpc. A case is
  {"rpc": "predict", "model", "signature"?, "version"?, "inputs": {alias: {"dtype", "value"}}}
      (tensors from tf.make_tensor_proto, as TF Serving users write them)
  {"rpc": "classify" | "regress", "model", "signature"?, "examples": [{feature: [floats]}],
   "context"?: {feature: [floats]}}
  {"rpc": "multi", "tasks": [{"model", "signature"?, "method"}], "examples": [...]}
Writes the requests sent and the responses received (serialized, base64) to
OUT.json and prints {"responses": [MessageToDict(response), ...]}.

read: every record of the given TFRecord files, in order, through
tf.data.TFRecordDataset and prediction_log_pb2.PredictionLog. Prints
{"records": [...]}, each with log_type, log_metadata (MessageToDict),
request and response (MessageToDict), for predict_log the tensors as
tf.make_ndarray sees them ({alias: {dtype, shape, values}}), the
deterministic serialization of the response (response_b64), and with --sent
the index of the sent call whose request and response are equal (protobuf
message equality) to the logged ones, or null.
"""
import argparse
import base64
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import grpc  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from google.protobuf.json_format import MessageToDict  # noqa: E402
from tensorflow_serving.apis import (  # noqa: E402
    classification_pb2, inference_pb2, predict_pb2, prediction_log_pb2, prediction_service_pb2_grpc,
    regression_pb2)

tf.get_logger().setLevel("ERROR")

TIMEOUT_SECONDS = 30.0
REQUEST_TYPES = {
    "predict_log": predict_pb2.PredictRequest,
    "classify_log": classification_pb2.ClassificationRequest,
    "regress_log": regression_pb2.RegressionRequest,
    "multi_inference_log": inference_pb2.MultiInferenceRequest,
}
RESPONSE_TYPES = {
    "predict_log": predict_pb2.PredictResponse,
    "classify_log": classification_pb2.ClassificationResponse,
    "regress_log": regression_pb2.RegressionResponse,
    "multi_inference_log": inference_pb2.MultiInferenceResponse,
}
LOG_OF_RPC = {"predict": "predict_log", "classify": "classify_log", "regress": "regress_log",
              "multi": "multi_inference_log"}


def to_dict(message):
    return MessageToDict(message, preserving_proto_field_name=True)


def example(features):
    return tf.train.Example(features=tf.train.Features(feature={
        k: tf.train.Feature(float_list=tf.train.FloatList(value=v)) for k, v in features.items()}))


def fill_input(target, case):
    if "context" in case:
        lst = target.example_list_with_context
        lst.context.CopyFrom(example(case["context"]))
    else:
        lst = target.example_list
    for e in case["examples"]:
        lst.examples.add().CopyFrom(example(e))


def spec_of(spec, case):
    spec.name = case["model"]
    if case.get("signature"):
        spec.signature_name = case["signature"]
    if case.get("version") is not None:
        spec.version.value = case["version"]


def build(case):
    rpc = case["rpc"]
    if rpc == "predict":
        req = predict_pb2.PredictRequest()
        spec_of(req.model_spec, case)
        for alias, t in case["inputs"].items():
            req.inputs[alias].CopyFrom(tf.make_tensor_proto(np.array(t["value"], dtype=t["dtype"])))
        return req
    if rpc in ("classify", "regress"):
        req = classification_pb2.ClassificationRequest() if rpc == "classify" else regression_pb2.RegressionRequest()
        spec_of(req.model_spec, case)
        fill_input(req.input, case)
        return req
    req = inference_pb2.MultiInferenceRequest()
    for task in case["tasks"]:
        t = req.tasks.add()
        spec_of(t.model_spec, task)
        t.method_name = task["method"]
    fill_input(req.input, case)
    return req


def send(args):
    with open(args.cases) as f:
        cases = json.load(f)
    channel = grpc.insecure_channel(args.target)
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    calls = {"predict": stub.Predict, "classify": stub.Classify, "regress": stub.Regress, "multi": stub.MultiInference}
    sent, responses = [], []
    for case in cases:
        req = build(case)
        res = calls[case["rpc"]](req, timeout=TIMEOUT_SECONDS)
        sent.append({"log_type": LOG_OF_RPC[case["rpc"]],
                     "request": base64.b64encode(req.SerializeToString()).decode(),
                     "response": base64.b64encode(res.SerializeToString()).decode()})
        responses.append(to_dict(res))
    with open(args.sent, "w") as f:
        json.dump(sent, f)
    print(json.dumps({"responses": responses}))


def tensors(tensor_map):
    out = {}
    for alias, proto in tensor_map.items():
        a = tf.make_ndarray(proto)
        values = [v.decode("utf-8", "backslashreplace") if isinstance(v, bytes) else v for v in a.flatten().tolist()]
        out[alias] = {"dtype": str(a.dtype), "shape": list(a.shape), "values": values}
    return out


def read(args):
    sent = []
    if args.sent:
        with open(args.sent) as f:
            for s in json.load(f):
                req = REQUEST_TYPES[s["log_type"]].FromString(base64.b64decode(s["request"]))
                res = RESPONSE_TYPES[s["log_type"]].FromString(base64.b64decode(s["response"]))
                sent.append((s["log_type"], req, res))
    records = []
    for raw in tf.data.TFRecordDataset(args.files):
        log = prediction_log_pb2.PredictionLog.FromString(raw.numpy())
        kind = log.WhichOneof("log_type")
        body = getattr(log, kind)
        rec = {
            "log_type": kind,
            "log_metadata": to_dict(log.log_metadata),
            "request": to_dict(body.request),
            "response": to_dict(body.response),
            "response_b64": base64.b64encode(body.response.SerializeToString(deterministic=True)).decode(),
            "matches_sent": None,
        }
        if kind == "predict_log":
            rec["inputs"] = tensors(body.request.inputs)
            rec["outputs"] = tensors(body.response.outputs)
        for i, (sent_kind, req, res) in enumerate(sent):
            if sent_kind == kind and req == body.request and res == body.response:
                rec["matches_sent"] = i
                break
        records.append(rec)
    print(json.dumps({"records": records}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("send")
    s.add_argument("--target", required=True)
    s.add_argument("--cases", required=True)
    s.add_argument("--sent", required=True)
    r = sub.add_parser("read")
    r.add_argument("--sent")
    r.add_argument("files", nargs="+")
    args = parser.parse_args()
    if args.command == "send":
        send(args)
    else:
        read(args)


if __name__ == "__main__":
    sys.exit(main())
