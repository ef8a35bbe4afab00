#!/usr/bin/env python3
"""Continuous gRPC Predict load with the official client, counting every outcome.

Each thread has its own channel (its own HTTP/2 connection), so load through a Service or a published
port spreads over the servers behind it as a fleet of clients would. Runs until STOP_FILE exists or
--seconds pass (a bound, never open-ended), then prints one JSON line:
  {"total": N, "failed": N, "errors": {"CODE: message": count}, "versions": {"1": count, ...},
   "last_ok_at": unix time of the last successful answer}
--ready-file is created after the first successful answer, so a caller knows the load is on.

  grpc_load.py --target 127.0.0.1:8500 --model commodity --stop-file /tmp/stop [--threads 4] [--seconds 300]
  grpc_load.py --target ... --model counter --signature slow --input x --dtype float32 --shape 2 --once 3
      (--once N: N concurrent requests, one each; used to have requests in flight at a shutdown)
"""
import argparse
import collections
import json
import os
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import grpc  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--signature", default="serving_default")
    ap.add_argument("--input", default="images")
    ap.add_argument("--dtype", default="uint8")
    ap.add_argument("--shape", default="1,300,300,3")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--stop-file")
    ap.add_argument("--ready-file")
    ap.add_argument("--once", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=30)
    # A client-side retry of UNAVAILABLE, as production gRPC clients configure: see deploy/k8s/README.md
    # ("Rolling updates") for why a request can meet a closing connection.
    ap.add_argument("--retry-unavailable", action="store_true")
    # gRPC replays a call its connection never sent (transparent retry) only while the call fits in its
    # retry buffer, 256 KiB by default; larger requests need a larger buffer. See deploy/k8s/README.md.
    ap.add_argument("--retry-buffer-bytes", type=int)
    # Spread each channel's calls over every address of the target (e.g. ipv4:a:1,b:2), so one server can
    # stop while the others answer: a rolling update without a cluster.
    ap.add_argument("--round-robin", action="store_true")
    args = ap.parse_args()

    shape = [int(d) for d in args.shape.split(",")]
    request = predict_pb2.PredictRequest()
    request.model_spec.name = args.model
    request.model_spec.signature_name = args.signature
    request.inputs[args.input].CopyFrom(tf.make_tensor_proto(np.ones(shape, dtype=args.dtype)))

    lock = threading.Lock()
    counts = {"total": 0, "failed": 0, "last_ok_at": 0}
    errors = collections.Counter()
    versions = collections.Counter()
    deadline = time.monotonic() + args.seconds

    def stop():
        return time.monotonic() > deadline or (args.stop_file and os.path.exists(args.stop_file))

    options = []
    if args.retry_unavailable:
        options.append(("grpc.service_config", json.dumps({"methodConfig": [{
            "name": [{"service": "tensorflow.serving.PredictionService"}],
            "retryPolicy": {"maxAttempts": 3, "initialBackoff": "0.05s", "maxBackoff": "0.5s",
                            "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]}}]})))

    if args.retry_buffer_bytes:
        options.append(("grpc.per_rpc_retry_buffer_size", args.retry_buffer_bytes))
    if args.round_robin:
        options.append(("grpc.lb_policy_name", "round_robin"))
        # Reconnect to a restarted server within a second, not after gRPC's default backoff (up to 120 s).
        options += [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 100),
                    ("grpc.max_reconnect_backoff_ms", 500)]

    def worker():
        with grpc.insecure_channel(args.target, options=options) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            n = 0
            while (n < 1) if args.once else not stop():
                n += 1
                try:
                    response = stub.Predict(request, timeout=args.timeout)
                    with lock:
                        counts["total"] += 1
                        counts["last_ok_at"] = time.time()
                        versions[str(response.model_spec.version.value)] += 1
                        if args.ready_file and counts["total"] == 1:
                            open(args.ready_file, "w").close()
                except grpc.RpcError as e:
                    with lock:
                        counts["total"] += 1
                        counts["failed"] += 1
                        errors["%s: %s" % (e.code().name, (e.details() or "")[:120])] += 1

    threads = [threading.Thread(target=worker) for _ in range(args.once or args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({**counts, "errors": dict(errors), "versions": dict(versions)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
