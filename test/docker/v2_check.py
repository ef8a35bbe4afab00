#!/usr/bin/env python3
"""The image tier's Open Inference Protocol (KServe V2) check, with tritonclient and its defaults.

Usage: v2_check.py --http HOST:PORT --grpc HOST:PORT [--compare-with SAVED_MODEL_DIR]

Against a container serving the commodity example: server and model readiness and metadata over both
transports, then one inference over HTTP (binary tensor data) and one over gRPC (raw contents) with a
black 300x300 image. Both answers must be identical, hold 20 detections, and, with --compare-with,
equal what TensorFlow computes locally from the same SavedModel. Prints one line; exits 1 on a mismatch.
"""
import argparse
import os
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

MODEL = "commodity"
OUTPUTS = ["detection_boxes", "detection_classes", "detection_scores", "num_detections"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--http", required=True)
    ap.add_argument("--grpc", required=True)
    ap.add_argument("--compare-with")
    args = ap.parse_args()
    h = httpclient.InferenceServerClient(args.http)
    g = grpcclient.InferenceServerClient(args.grpc)
    problems = []
    for name, c in (("HTTP", h), ("gRPC", g)):
        if not (c.is_server_live() and c.is_server_ready() and c.is_model_ready(MODEL)):
            problems.append("%s: server or model not live and ready" % name)
    meta = h.get_model_metadata(MODEL)
    want = [{"name": "images", "datatype": "UINT8", "shape": [1, 300, 300, 3]}]
    if meta["inputs"] != want or sorted(o["name"] for o in meta["outputs"]) != OUTPUTS:
        problems.append("HTTP metadata: %r" % meta)
    gmeta = g.get_model_metadata(MODEL)
    if [(i.name, i.datatype, list(i.shape)) for i in gmeta.inputs] != [("images", "UINT8", [1, 300, 300, 3])]:
        problems.append("gRPC metadata: %s" % gmeta)

    image = np.zeros((1, 300, 300, 3), np.uint8)
    hi = httpclient.InferInput("images", list(image.shape), "UINT8")
    hi.set_data_from_numpy(image)
    gi = grpcclient.InferInput("images", list(image.shape), "UINT8")
    gi.set_data_from_numpy(image)
    hr, gr = h.infer(MODEL, [hi]), g.infer(MODEL, [gi])
    for name in OUTPUTS:
        if not np.array_equal(hr.as_numpy(name), gr.as_numpy(name)):
            problems.append("%s differs between HTTP and gRPC" % name)
    if hr.as_numpy("num_detections").tolist() != [20.0] or hr.as_numpy("detection_boxes").shape != (1, 20, 4):
        problems.append("unexpected answer: num_detections %s, boxes %s" % (hr.as_numpy("num_detections"), hr.as_numpy("detection_boxes").shape))
    if args.compare_with:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf

        local = tf.saved_model.load(args.compare_with).signatures["serving_default"](images=tf.constant(image))
        for name in OUTPUTS:
            if not np.array_equal(local[name].numpy(), hr.as_numpy(name)):
                problems.append("%s differs from TensorFlow run locally" % name)
    print("V2 over HTTP and gRPC: %s" % ("; ".join(problems) if problems else "ready, metadata and inference as expected"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
