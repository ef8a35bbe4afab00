#!/usr/bin/env python3
"""CPU per request, by thread group, for the request paths issue 18 is about (run: bash bench/run.sh --cpu).

On 2 cores throughput says little (the load generator shares the cores); CPU per request by thread says
what a bigger machine would do. For each workload the server runs alone, a load generator drives it for
a fixed time, and the server's threads are read from /proc/<pid>/task/*/stat before and after:

  main        the Node main thread (tid == pid)
  front end   threads named frontend* (front-end worker threads, when there are any)
  batching    the thread named batching (the process's batching queues, with front-end threads and batching on)
  TensorFlow  threads named tf_* (TensorFlow's pools) and tfr_* (our native run threads)
  other       the rest: V8's platform and GC threads, libuv's pool, unnamed threads
  load gen    the load generator process (ghz for gRPC, bench/lib/rest_load.js for REST)

Prints one table and a projection for 4/8/16 cores (labelled as such), and appends both to --results.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (its server, ghz and readiness helpers)

CLK = os.sysconf("SC_CLK_TCK")
GROUPS = ["main", "front end", "batching", "TensorFlow", "other"]


def thread_cpu(pid):
    """{tid: (name, cpu seconds)} for every thread of pid."""
    out = {}
    task = "/proc/%d/task" % pid
    for tid in os.listdir(task):
        try:
            with open("%s/%s/stat" % (task, tid)) as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / CLK)
    return out


def process_cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / CLK


def group_of(pid, tid, name):
    if tid == pid:
        return "main"
    if name.startswith("frontend"):
        return "front end"
    if name == "batching":
        return "batching"
    if name.startswith("tf_") or name.startswith("tfr_"):
        return "TensorFlow"
    return "other"


def by_group(pid, before, after):
    sums = dict((g, 0.0) for g in GROUPS)
    for tid, (name, cpu) in after.items():
        sums[group_of(pid, tid, name)] += cpu - (before.get(tid, (name, 0.0))[1])
    return sums


def run_load(argv, server_pid, parse):
    """Runs a load generator to completion, sampling the server's threads and the generator's own CPU."""
    import tempfile
    before = thread_cpu(server_pid)
    t0 = time.time()
    # Output to files, not pipes: ghz's JSON (every call's details) would fill a pipe nobody reads yet.
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        p = subprocess.Popen(argv, stdout=out_f, stderr=err_f, text=True)
        gen_cpu = 0.0
        while p.poll() is None:
            gen_cpu = max(gen_cpu, process_cpu(p.pid))
            time.sleep(0.2)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    wall = time.time() - t0
    after = thread_cpu(server_pid)
    res = parse(out, err)
    # /proc of an exited child is gone: its final CPU comes from our rusage of waited-for children.
    gen_cpu = max(gen_cpu, res.pop("_gen_cpu", 0.0))
    res.update(cpu=by_group(server_pid, before, after), gen_cpu=gen_cpu, wall_s=wall)
    return res


def children_cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def ghz_load(opts, request, target, conc, seconds):
    argv = harness.ghz_argv(opts, request, target, conc, duration_s=seconds)
    c0 = children_cpu()

    def parse(out, err):
        try:
            d = json.loads(out)
        except ValueError:
            return {"error": (err or out)[:300], "_gen_cpu": children_cpu() - c0}
        codes = d.get("statusCodeDistribution") or {}
        ok = codes.get("OK", 0)
        return {"ok": ok, "errors": sum(codes.values()) - ok, "elapsed_s": d.get("total", 0) / 1e9,
                "_gen_cpu": children_cpu() - c0}

    return run_load(argv, opts.server_pid, parse)


def rest_load(opts, url, body_file, conc, seconds):
    argv = ["node", os.path.join(harness.LIB, "rest_load.js"), url, body_file, str(conc), str(seconds)]
    c0 = children_cpu()

    def parse(out, err):
        try:
            d = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"error": (err or out)[:300], "_gen_cpu": children_cpu() - c0}
        d["_gen_cpu"] = children_cpu() - c0
        return d

    return run_load(argv, opts.server_pid, parse)


def json_bodies(manifest, cache):
    """REST request bodies: half_plus_two's one value, and MobileNet's one 224x224x3 image as JSON."""
    import random
    rnd = random.Random(7)
    paths = {}
    p = os.path.join(cache, "rest-half_plus_two.json")
    with open(p, "w") as f:
        f.write('{"instances": [1.0]}')
    paths["half_plus_two"] = p
    shape = manifest["models"]["mobilenet_v2"]["row_shape"]
    h, w, c = shape
    img = [[[round(rnd.random(), 4) for _ in range(c)] for _ in range(w)] for _ in range(h)]
    p = os.path.join(cache, "rest-mobilenet_v2.json")
    with open(p, "w") as f:
        json.dump({"instances": [img]}, f)
    paths["mobilenet_v2"] = p
    return paths


def start_server(opts, manifest, batching, grpc_port, rest_port):
    models = os.path.join(opts.cache, "cpu-models.config")
    with open(models, "w") as f:
        f.write("model_config_list {\n")
        for m in ("half_plus_two", "mobilenet_v2"):
            f.write('  config { name: "%s" base_path: "%s" model_platform: "tensorflow" }\n'
                    % (m, manifest["models"][m]["base_path"]))
        f.write("}\n")
    argv = harness.server_command() + ["--port=%d" % grpc_port, "--rest_api_port=%d" % rest_port,
                                       "--model_config_file=%s" % models] + opts.server_args
    if batching:
        bp = os.path.join(opts.cache, "cpu-batching.txt")
        with open(bp, "w") as f:
            f.write("max_batch_size { value: 64 }\nbatch_timeout_micros { value: 0 }\n"
                    "max_enqueued_batches { value: 1000 }\nnum_batch_threads { value: 2 }\n")
        argv += ["--enable_batching", "--batching_parameters_file=%s" % bp]
    return harness.Server("cpu-%s" % ("batched" if batching else "plain"), argv)


WORKLOADS = [
    # name, transport, model, concurrency, batched
    ("gRPC Predict, half_plus_two", "grpc", "half_plus_two", 32, False),
    ("REST :predict, half_plus_two", "rest", "half_plus_two", 32, False),
    ("REST :predict, MobileNetV2 image as JSON (unbatched)", "rest", "mobilenet_v2", 8, False),
    ("gRPC Predict, MobileNetV2 600 KB tensor (unbatched)", "grpc", "mobilenet_v2", 8, False),
    ("gRPC Predict, MobileNetV2 600 KB tensor (batched)", "grpc", "mobilenet_v2", 64, True),
]


def measure(opts, manifest, bodies):
    rows = []
    for batched in (False, True):
        todo = [w for w in WORKLOADS if w[4] == batched]
        grpc_port, rest_port = harness.free_port(), harness.free_port()
        srv = start_server(opts, manifest, batched, grpc_port, rest_port)
        target = "127.0.0.1:%d" % grpc_port
        try:
            for m in ("half_plus_two", "mobilenet_v2"):
                why = harness.wait_ready(opts, srv, manifest["models"][m]["request"], target, 240)
                if why:
                    raise SystemExit("server not ready: %s (log: %s)" % (why, srv.log_path))
            opts.server_pid = srv.proc.pid
            for name, transport, model, conc, _ in todo:
                harness.log("  %s, c=%d: warm-up, then %g s" % (name, conc, opts.seconds))
                if transport == "grpc":
                    ghz_load(opts, manifest["models"][model]["request"], target, conc, opts.warmup)
                    r = ghz_load(opts, manifest["models"][model]["request"], target, conc, opts.seconds)
                else:
                    url = "http://127.0.0.1:%d/v1/models/%s:predict" % (rest_port, model)
                    rest_load(opts, url, bodies[model], conc, opts.warmup)
                    r = rest_load(opts, url, bodies[model], conc, opts.seconds)
                r.update(name=name, conc=conc)
                rows.append(r)
        finally:
            srv.stop()
    return rows


def us(v):
    return "%.0f" % v if v < 10000 else "{:,.0f}".format(v)


def table(rows):
    lines = ["| workload | c | req/s | main µs/req | front end µs/req | batching µs/req | TensorFlow µs/req | other µs/req | server total µs/req | load gen µs/req |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r or not r.get("ok"):
            lines.append("| %s | %d | n/a: %s | | | | | | | |" % (r["name"], r["conc"], r.get("error", "no OK call")))
            continue
        n = r["ok"]
        per = dict((g, r["cpu"][g] * 1e6 / n) for g in GROUPS)
        total = sum(per.values())
        err = " (%d errors)" % r["errors"] if r.get("errors") else ""
        lines.append("| %s | %d | %.0f%s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], r["conc"], n / r["elapsed_s"], err, us(per["main"]), us(per["front end"]), us(per["batching"]),
            us(per["TensorFlow"]), us(per["other"]), us(total), us(r["gen_cpu"] * 1e6 / n)))
    return "\n".join(lines)


def projection(rows):
    """Throughput a machine with N cores could reach from the measured CPU per request (a projection)."""
    lines = ["| workload | 4 cores | 8 cores | 16 cores | bound by |", "|---|---|---|---|---|"]
    for r in rows:
        if "error" in r or not r.get("ok"):
            continue
        n = r["ok"]
        main = r["cpu"]["main"] / n
        fe = (r["cpu"]["front end"] + r["cpu"]["batching"]) / n
        rest = (r["cpu"]["TensorFlow"] + r["cpu"]["other"]) / n
        cells, bound = [], ""
        for cores in (4, 8, 16):
            # The main thread is one thread whatever the cores; everything else spreads over the rest.
            caps = {"main thread (one core)": 1.0 / main if main > 0 else float("inf"),
                    "all cores": cores / (main + fe + rest)}
            b = min(caps, key=caps.get)
            cells.append("%.0f" % caps[b])
            bound = b
        lines.append("| %s | %s | %s |" % (r["name"], " | ".join(cells), bound))
    return "\n".join(lines)


def ratios(by_mode):
    """Throughput and main-thread CPU of each threaded mode against the main-thread mode, same run."""
    base_mode = by_mode[0][0]
    base = dict((r["name"], r) for r in by_mode[0][1] if r.get("ok"))
    head = "| workload | " + " | ".join("req/s ×, %s vs %s" % (label(m), label(base_mode)) for m, _ in by_mode[1:]) + " |"
    lines = [head, "|---|" + "---|" * (len(by_mode) - 1)]
    for name in [w[0] for w in WORKLOADS]:
        cells = []
        for _, rows in by_mode[1:]:
            r = next((x for x in rows if x["name"] == name and x.get("ok")), None)
            b = base.get(name)
            cells.append("%.2f" % ((r["ok"] / r["elapsed_s"]) / (b["ok"] / b["elapsed_s"])) if r and b else "n/a")
        lines.append("| %s | %s |" % (name, " | ".join(cells)))
    return "\n".join(lines)


def label(threads):
    return "main thread only (--front_end_threads=0)" if threads == 0 else "%d front-end threads" % threads


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--front-end-threads", default="0,%d" % os.cpu_count(),
                    help="comma-separated --front_end_threads values measured one after the other (default: 0 and the cores)")
    ap.add_argument("--connections", type=int, default=8, help="gRPC connections per ghz run (REST: one per concurrent request)")
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--results", default=os.path.join(harness.BENCH, "CPU.md"))
    ap.add_argument("--server-args", default="", help="extra flags for our server (space-separated)")
    ap.add_argument("--command", default="bash bench/run.sh --cpu")
    opts = ap.parse_args()
    opts.server_args = opts.server_args.split()
    opts.cache = harness.CACHE
    opts.ghz_cpus = 1
    manifest = json.load(open(os.path.join(harness.CACHE, "bench-models", "manifest.json")))
    bodies = json_bodies(manifest, harness.CACHE)
    started = time.time()
    extra = opts.server_args
    by_mode = []
    for threads in [int(t) for t in opts.front_end_threads.split(",")]:
        harness.log("server with --front_end_threads=%d" % threads)
        opts.server_args = extra + ["--front_end_threads=%d" % threads]
        by_mode.append((threads, measure(opts, manifest, bodies)))
    sections = []
    for threads, rows in by_mode:
        sections.append("### %s\n\n%s\n\nProjection (not a measurement): throughput = min(one core / main-thread CPU "
                        "per request, N cores / server CPU per request), i.e. the main thread cannot use more than one "
                        "core and every other thread spreads over all N; the load generator is assumed elsewhere.\n\n%s"
                        % (label(threads), table(rows), projection(rows)))
    if len(by_mode) > 1:
        sections.append("### Side by side (same run)\n\n%s" % ratios(by_mode))
    text = ("## CPU per request by thread (%s, %s)\n\n`%s` on %s; load generator on the same machine, %d gRPC "
            "connections per ghz run (REST: one keep-alive connection per concurrent request), %g s per workload "
            "after %g s of warm-up; took %.0f s.\n\n%s\n") % (
        datetime.date.today().isoformat(), " ".join(extra) or "default flags", opts.command,
        "%s cores, %s, %s" % harness.machine_info(), opts.connections,
        opts.seconds, opts.warmup, time.time() - started, "\n\n".join(sections))
    print(text)
    with open(opts.results, "a") as f:
        f.write("\n" + text)


if __name__ == "__main__":
    main()
