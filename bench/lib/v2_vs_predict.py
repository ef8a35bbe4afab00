#!/usr/bin/env python3
"""Open Inference Protocol (KServe V2) gRPC ModelInfer against TF Serving's Predict, same server, same run.

Usage (after bench/run.sh has set things up; `bash bench/run.sh --v2` does both):
  .venv/bin/python bench/lib/v2_vs_predict.py [--seconds S] [--rounds R] [--conc 1,8,32] [--server-args "..."]

One server serves the tiny half_plus_two model (bench/export_bench_models.py). ghz sends the same
one-row request both ways: PredictRequest with the input in tensor_content (bench's request file), and
ModelInferRequest with the same bytes in raw_input_contents (as tritonclient.grpc sends it). For each
concurrency the two APIs alternate in R rounds of S seconds (the first API of a round alternates too),
so drift in the machine's load hits both alike; throughput is OK calls over ghz's total time, summed over
the rounds. Prints a table with the ratio ModelInfer / Predict and appends it to bench/V2.md.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (its server process, aggregation and machine description)

MODEL = "half_plus_two"
APIS = {
    "Predict": ("tensorflow_serving/apis/prediction_service.proto", "tensorflow.serving.PredictionService/Predict"),
    "ModelInfer": ("kserve/grpc_predict_v2.proto", "inference.GRPCInferenceService/ModelInfer"),
}


def model_infer_request(predict_file, out_file):
    """The ModelInferRequest equivalent of bench's PredictRequest: same model, shape and bytes."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # predict_pb2 imports the tensorflow package
    from tensorflow_serving.apis import predict_pb2
    from tritonclient.grpc import service_pb2

    p = predict_pb2.PredictRequest()
    with open(predict_file, "rb") as f:
        p.ParseFromString(f.read())
    (name, t), = p.inputs.items()
    if t.dtype != 1 or not t.tensor_content:  # DT_FLOAT
        raise SystemExit("expected a float32 tensor_content request in %s" % predict_file)
    r = service_pb2.ModelInferRequest(model_name=p.model_spec.name)
    r.inputs.add(name=name, datatype="FP32", shape=[d.size for d in t.tensor_shape.dim])
    r.raw_input_contents.append(t.tensor_content)
    with open(out_file, "wb") as f:
        f.write(r.SerializeToString())


def ghz(opts, api, request_file, target, conc, duration_s=None, count=None):
    proto, call = APIS[api]
    argv = [harness.GHZ, "--insecure", "--import-paths", os.path.join(harness.ROOT, "proto"), "--proto", proto, "--call", call,
            "--binary-file", request_file, "-c", str(conc), "--cpus", str(opts.ghz_cpus), "--connections", "1",
            "--timeout", "120s", "-O", "json"]
    argv += ["-z", "%gs" % duration_s, "--duration-stop", "wait"] if duration_s else ["-n", str(count)]
    p = subprocess.run(argv + [target], capture_output=True, text=True, timeout=(duration_s or 30) + 180)
    return harness.ghz_sample(p.stdout, p.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=4, help="seconds per API per round (default 4)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--conc", default="1,8,32", help="ghz concurrencies (default 1,8,32)")
    ap.add_argument("--ghz-cpus", type=int, default=int(os.environ.get("BENCH_GHZ_CPUS", 1)))
    ap.add_argument("--server-args", default="", help="extra flags for our server (space-separated)")
    ap.add_argument("--results", default=os.path.join(harness.BENCH, "V2.md"))
    ap.add_argument("--command", default="bash bench/run.sh --v2")
    opts = ap.parse_args()
    concs = [int(c) for c in opts.conc.split(",")]
    manifest = json.load(open(os.path.join(harness.CACHE, "bench-models", "manifest.json")))
    model = manifest["models"][MODEL]
    files = {"Predict": model["request"], "ModelInfer": os.path.join(harness.CACHE, "bench-models", "requests", MODEL + ".v2.bin")}
    model_infer_request(files["Predict"], files["ModelInfer"])

    port = harness.free_port()
    target = "127.0.0.1:%d" % port
    argv = harness.server_command() + ["--port=%d" % port, "--model_name=" + MODEL, "--model_base_path=" + model["base_path"]] + opts.server_args.split()
    srv = harness.Server("v2-vs-predict", argv)
    started = time.time()
    rows = []
    try:
        deadline = time.time() + 120
        while not all(ghz(opts, api, files[api], target, 1, count=1).get("ok") == 1 for api in APIS):
            if not srv.alive() or time.time() > deadline:
                raise SystemExit("server not ready (log: %s)" % srv.log_path)
            time.sleep(0.5)
        for conc in concs:
            harness.log("c=%d: %g s warm-up each, then %d rounds of %g s per API" % (conc, opts.warmup, opts.rounds, opts.seconds))
            for api in APIS:
                ghz(opts, api, files[api], target, conc, duration_s=opts.warmup)
            samples = {api: [] for api in APIS}
            for r in range(opts.rounds):
                order = list(APIS) if r % 2 == 0 else list(reversed(list(APIS)))
                for api in order:
                    samples[api].append(ghz(opts, api, files[api], target, conc, duration_s=opts.seconds))
            rows.append((conc, {api: harness.aggregate(samples[api]) for api in APIS}))
    finally:
        srv.stop()

    lines = ["| c | Predict req/s | ModelInfer req/s | ModelInfer / Predict | Predict p50 / p99 ms | ModelInfer p50 / p99 ms |",
             "|---|---|---|---|---|---|"]
    for conc, r in rows:
        p, v = r["Predict"], r["ModelInfer"]
        if "rps" not in p or "rps" not in v:
            lines.append("| %d | %s | %s | n/a | | |" % (conc, p.get("rps", p.get("na")), v.get("rps", v.get("na"))))
            continue
        errors = sum(x.get("errors", 0) for x in (p, v))
        lines.append("| %d | %.0f | %.0f | **%.2f×** | %.2f / %.2f | %.2f / %.2f |%s" % (
            conc, p["rps"], v["rps"], v["rps"] / p["rps"], p["p50_ms"], p["p99_ms"], v["p50_ms"], v["p99_ms"],
            " %d errors" % errors if errors else ""))
    nproc, cpu, mem = harness.machine_info()
    text = ("## V2 ModelInfer vs Predict, %s (%s)\n\n`%s` on %s cores, %s, %s; ghz `--cpus %d --connections 1` on the same "
            "machine, one row per request, %d rounds of %g s per API and concurrency (alternating), after %g s of warm-up each; "
            "took %.0f s.\n\n%s\n") % (
        MODEL, datetime.date.today().isoformat(), opts.command, nproc, cpu, mem, opts.ghz_cpus, opts.rounds, opts.seconds,
        opts.warmup, time.time() - started, "\n".join(lines))
    print(text)
    with open(opts.results, "a") as f:
        f.write("\n" + text)


if __name__ == "__main__":
    main()
