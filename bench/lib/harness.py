#!/usr/bin/env python3
"""Benchmark orchestrator (issue 4). Run through bench/run.sh, which builds the tools first.

For each model it measures, one after the other so that nothing else competes for the 2 cores:
  (a) the limit: TensorFlow in process (Python), serving_default at batch min(C, max_batch_size)
  (b) our runtime in process (dist/loaders SavedModelServable over native/), same batch sizes
  (c) the peer: a plain Python grpcio + TensorFlow Predict server (thread pool)
  (d) our server, no batching
  (e) our server, --enable_batching --batching_parameters_file
  (f) transport floor/ceiling: bare grpc-js and bare C++ gRPC servers answering a fixed PredictResponse
Servers get load from ghz (a separate Go process) with -c C for a fixed duration after a warmup, plus,
for the overhead-bound model, from the official Python client. Prints the tables and writes RESULTS.md.

This module never imports TensorFlow; the measured components run in their own processes.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import resource
import select
import shlex
import signal
import socket
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCH)
LIB = os.path.join(BENCH, "lib")
BIN = os.path.join(BENCH, ".bin")
CACHE = os.path.join(BENCH, ".cache")
LOGS = os.path.join(CACHE, "logs")
PY = os.path.join(ROOT, ".venv", "bin", "python")
GHZ = os.path.join(BIN, "ghz")
CPP_SERVER = os.path.join(BIN, "bare_cpp_server")

MODELS = ["half_plus_two", "mlp", "mobilenet_v2"]
OVERHEAD_MODEL = "half_plus_two"
COMPUTE_MODEL = "mobilenet_v2"

SYSTEMS = [
    ("limit", "(a) limit: TF in-process, Python, batch=C"),
    ("tfjs", "(b) our runtime in-process (native/), batch=C"),
    ("peer", "(c) peer: Python grpcio + TF server"),
    ("ours", "(d) ours, no batching"),
    ("ours_b", "(e) ours, --enable_batching"),
    ("grpcjs", "(f) bare grpc-js, fixed response"),
    ("cpp", "(f) bare C++ gRPC, fixed response"),
]
LABEL = dict(SYSTEMS)
MEASURE_ORDER = ["limit", "ours_b", "ours", "grpcjs", "cpp", "peer", "tfjs"]

BATCHING_NOT_IMPLEMENTED = re.compile(r"enable_batching[^\n]*not implemented", re.I)


def log(msg):
    print("[bench] " + msg, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes -------------------------------------------------------------------------------------

class Server:
    """A server process with its log file; stopped with SIGTERM (then SIGKILL) of its own pid."""

    def __init__(self, name, argv, env=None):
        os.makedirs(LOGS, exist_ok=True)
        self.name = name
        self.log_path = os.path.join(LOGS, name + ".log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT, cwd=ROOT,
                                     env=env, start_new_session=True)

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()


def ghz_argv(opts, request_file, target, conc, duration_s=None, count=None, timeout_s=120):
    argv = [GHZ, "--insecure", "--import-paths", os.path.join(ROOT, "proto"),
            "--proto", "tensorflow_serving/apis/prediction_service.proto",
            "--call", "tensorflow.serving.PredictionService/Predict",
            "--binary-file", request_file, "-c", str(conc), "--cpus", str(opts.ghz_cpus),
            "--connections", str(min(opts.connections, conc)),
            "--timeout", "%ds" % timeout_s, "-O", "json"]
    if duration_s is not None:
        # wait: calls in flight when the time is up finish and count, as the in-process loops' last call
        # does; dropping them would understate throughput by up to latency/duration (MobileNet at c=32).
        argv += ["-z", "%gs" % duration_s, "--duration-stop", "wait"]
    else:
        argv += ["-n", str(count)]
    return argv + [target]


def run_ghz(opts, request_file, target, conc, duration_s):
    """One ghz run -> a sample {ok, elapsed_s, lat_ms, errors, error_sample} or {error}.

    Throughput is OK calls over ghz's total time (from its start until the last call in flight at the
    end of the duration has answered); latencies are every OK call's (ghz's per-call details), so that
    the slices of a cell can be merged exactly.
    """
    argv = ghz_argv(opts, request_file, target, conc, duration_s=duration_s)
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 180)
    except subprocess.TimeoutExpired:
        return {"error": "ghz timed out"}
    return ghz_sample(p.stdout, p.stderr)


def ghz_sample(stdout, stderr):
    """ghz's JSON report (-O json) -> a sample {ok, elapsed_s, lat_ms, errors, error_sample} or {error}."""
    try:
        d = json.loads(stdout)
    except ValueError:
        return {"error": "ghz failed: " + (stderr or stdout).strip()[:300]}
    details = d.get("details") or []
    lat = [x["latency"] / 1e6 for x in details if x.get("status") == "OK" and not x.get("error")]
    errors = len(details) - len(lat)
    sample = {"ok": len(lat), "elapsed_s": d.get("total", 0) / 1e9, "lat_ms": lat, "errors": errors}
    if errors:
        errs = d.get("errorDistribution") or {}
        sample["error_sample"] = next(iter(errs), "") if errs else str(d.get("statusCodeDistribution"))
    return sample


def aggregate(samples, rows_per_call=1):
    """Merges the slices of one cell: throughput = rows of OK calls / time, percentiles over all calls."""
    good = [x for x in samples if "error" not in x]
    if not good:
        return {"na": samples[0]["error"] if samples else "no result"}
    elapsed = sum(x["elapsed_s"] for x in good)
    ok = sum(x["ok"] for x in good)
    lat = sorted(v for x in good for v in x["lat_ms"])
    if not lat or not ok or elapsed <= 0:
        r = {"na": "no successful call"}
    else:
        pct = lambda q: lat[min(len(lat) - 1, int(q / 100.0 * len(lat)))]
        r = {"rps": rows_per_call * ok / elapsed, "p50_ms": pct(50), "p99_ms": pct(99),
             "calls": ok, "seconds": round(elapsed, 3), "slices": len(good)}
    errors = sum(x.get("errors", 0) for x in good)
    if errors:
        r["errors"] = errors
        r["error_sample"] = next((x["error_sample"] for x in good if x.get("error_sample")), "")
    return r


def wait_ready(opts, server, request_file, target, timeout_s):
    """Ready when one real Predict through ghz answers OK."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if not server.alive():
            return "exited with code %s" % server.proc.returncode
        argv = ghz_argv(opts, request_file, target, 1, count=1, timeout_s=30)
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            d = json.loads(p.stdout)
            if d.get("statusCodeDistribution", {}).get("OK", 0) == 1:
                return None
        except (ValueError, subprocess.TimeoutExpired):
            pass
        time.sleep(0.5)
    return "not ready after %d s" % timeout_s


def json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def run_once(name, argv, timeout_s):
    """A measuring process that prints JSON lines and exits (the official Python client)."""
    os.makedirs(LOGS, exist_ok=True)
    log_path = os.path.join(LOGS, name + ".log")
    with open(log_path, "w") as err:
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=err, text=True, timeout=timeout_s, cwd=ROOT)
        except subprocess.TimeoutExpired:
            return None, "timed out (log: %s)" % os.path.relpath(log_path, ROOT)
    rows = json_lines(p.stdout)
    if p.returncode != 0 or not rows:
        return rows, "failed with code %s (log: %s)" % (p.returncode, os.path.relpath(log_path, ROOT))
    return rows, None


class InProc:
    """Rows (a)/(b): a process that keeps the model loaded and measures one slice per stdin command."""

    def __init__(self, name, argv):
        os.makedirs(LOGS, exist_ok=True)
        self.log_path = os.path.join(LOGS, name + ".log")
        self.err = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                     text=True, cwd=ROOT, start_new_session=True)
        self.failed = None

    def _line(self, timeout_s):
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    break
                return line
            if self.proc.poll() is not None:
                break
        return None

    def wait_ready(self, timeout_s=240):
        while True:
            line = self._line(timeout_s)
            if line is None:
                self.failed = "did not start (log: %s)" % os.path.relpath(self.log_path, ROOT)
                return False
            if line.strip() == "READY":
                return True

    def measure(self, batch, duration_s, warmup_s):
        if self.failed:
            return {"error": self.failed}
        try:
            self.proc.stdin.write("%d %g %g\n" % (batch, duration_s, warmup_s))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.failed = "exited (log: %s)" % os.path.relpath(self.log_path, ROOT)
            return {"error": self.failed}
        line = self._line(duration_s + warmup_s + 600)
        try:
            d = json.loads(line or "")
        except ValueError:
            self.failed = "failed (log: %s)" % os.path.relpath(self.log_path, ROOT)
            return {"error": self.failed}
        return {"ok": d["calls"], "elapsed_s": d["elapsed_s"], "lat_ms": d["lat_ms"], "errors": 0}

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.err.close()


# --- the run --------------------------------------------------------------------------------------

def server_command():
    """Our server; BENCH_SERVER replaces it (e.g. another build, or tensorflow_model_server itself)."""
    cmd = os.environ.get("BENCH_SERVER")
    return shlex.split(cmd) if cmd else ["node", os.path.join(ROOT, "dist", "cli", "main.js")]


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


class CpuMeter:
    """CPU time the rest of the machine used while we measured: all busy time in /proc/stat minus ours
    (this process and its children, which are all waited for before the meter is read)."""

    def __init__(self):
        self.t0, self.busy0, self.ours0 = time.time(), self._busy(), self._ours()

    @staticmethod
    def _busy():
        try:
            f = [int(v) for v in open("/proc/stat").readline().split()[1:]]
        except (OSError, ValueError):
            return None
        # user nice system idle iowait irq softirq steal ...
        return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _ours():
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    def others(self):
        """(core-seconds used by other processes, as a fraction of the machine's capacity)"""
        busy = self._busy()
        if busy is None or self.busy0 is None:
            return None
        other = max(0.0, (busy - self.busy0) - (self._ours() - self.ours0))
        wall = max(1e-9, time.time() - self.t0)
        return other, other / (wall * (os.cpu_count() or 1))


def busy_now(seconds=1.0):
    """Fraction of the machine busy right now (before we start anything)."""
    m = CpuMeter()
    time.sleep(seconds)
    r = m.others()
    return r[1] if r else None


def batching_file(opts):
    path = os.path.join(CACHE, "batching_parameters.txt")
    with open(path, "w") as f:
        f.write("max_batch_size { value: %d }\n" % opts.max_batch_size)
        f.write("batch_timeout_micros { value: %d }\n" % opts.batch_timeout_micros)
        f.write("num_batch_threads { value: %d }\n" % opts.num_batch_threads)
        f.write("max_enqueued_batches { value: %d }\n" % opts.max_enqueued_batches)
    return path


def concs_for(opts, model):
    cs = opts.conc
    if model == COMPUTE_MODEL:
        cs = [c for c in cs if c <= opts.compute_max_conc]
    return cs


class Bench:
    def __init__(self, opts, manifest):
        self.opts = opts
        self.manifest = manifest
        self.manifest_path = os.path.join(CACHE, "bench-models", "manifest.json")
        # results[model][system][conc] = {rps, p50_ms, p99_ms, ...} or {"na": reason}
        self.results = {}
        self.pyclient = {}  # pyclient[system][conc]
        self.batching = {"available": None, "reason": ""}
        self.timings = {}
        self.others = {}  # model -> (core-seconds, fraction) used by processes that are not the benchmark

    def put(self, model, system, conc, value):
        self.results.setdefault(model, {}).setdefault(system, {})[conc] = value

    def put_all(self, model, system, concs, value):
        for c in concs:
            self.put(model, system, c, dict(value))

    def check_server(self, model, system, srv, request_file, port, concs):
        """Waits until a started server answers. Returns it, or None after storing why its row is n/a."""
        opts = self.opts
        if system == "ours_b":
            # While batching is not implemented the flag is accepted with a warning.
            deadline = time.time() + 5
            while time.time() < deadline and srv.alive() and "Running gRPC" not in srv.log_text():
                time.sleep(0.1)
            if BATCHING_NOT_IMPLEMENTED.search(srv.log_text()):
                self.batching = {"available": False, "reason": "n/a (batching not available)"}
                log("  the server says --enable_batching is not implemented: row (e) is n/a")
                self.put_all(model, system, concs, {"na": self.batching["reason"]})
                srv.stop()
                return None
        target = "127.0.0.1:%d" % port
        err = wait_ready(opts, srv, request_file, target, 240)
        if err:
            log("  %s did not start: %s (log: %s)" % (LABEL[system], err, os.path.relpath(srv.log_path, ROOT)))
            for line in srv.log_text().strip().splitlines()[-5:]:
                log("    | " + line[:200])
            reason = "server did not start: " + err
            if system == "ours_b" and self.batching["available"] is None:
                self.batching = {"available": False, "reason": "n/a (server with --enable_batching did not start)"}
                reason = self.batching["reason"]
            self.put_all(model, system, concs, {"na": reason})
            srv.stop()
            return None
        if system == "ours_b":
            self.batching = {"available": True, "reason": ""}
        srv.target = target
        return srv

    def warm(self, srv, system, request_file, concs):
        warm_c = max(concs) if system == "ours_b" else min(8, max(concs))
        run_ghz(self.opts, request_file, srv.target, warm_c, self.opts.warmup)

    def py_client(self, model, system, target):
        opts = self.opts
        if not opts.py_conc or model != OVERHEAD_MODEL:
            return
        argv = [PY, os.path.join(LIB, "py_client_load.py"), self.manifest_path, model, target,
                ",".join(map(str, opts.py_conc)), str(opts.duration), str(opts.warmup)]
        budget = len(opts.py_conc) * (opts.duration + opts.warmup) + 180
        rows, err = run_once("pyclient.%s.%s" % (system, model), argv, budget)
        by_c = {r["conc"]: r for r in rows or []}
        for c in opts.py_conc:
            r = by_c.get(c) or {"na": err or "no result"}
            self.pyclient.setdefault(system, {})[c] = r
            log("  official Python client, %s, c=%-3d %s" % (system, c, fmt_cell(r)))

    def run_model(self, model):
        """Starts every system for this model, then measures in rounds: in each round every concurrency,
        and for each concurrency every system in turn (forwards, then backwards), so a slow spell of this
        shared machine lands on all systems alike instead of on whichever ran then."""
        opts = self.opts
        m = self.manifest["models"][model]
        concs = concs_for(opts, model)
        req = m["request"]
        t0 = time.time()
        meter = CpuMeter()
        inproc, servers = {}, {}
        try:
            log("%s: loading the model in process (TensorFlow in Python, our backend)" % model)
            inproc["limit"] = InProc("limit.%s" % model, [PY, os.path.join(LIB, "inproc_tf.py"),
                                                          self.manifest_path, model])
            inproc["tfjs"] = InProc("tfjs.%s" % model, ["node", os.path.join(LIB, "inproc_tfjs.js"), ROOT,
                                                        self.manifest_path, model])
            for system, w in inproc.items():
                if not w.wait_ready():
                    log("  %s %s" % (LABEL[system], w.failed))

            ours = server_command() + ["--model_name=%s" % model, "--model_base_path=%s" % m["base_path"]]
            plan = [
                ("peer", lambda port: [PY, os.path.join(LIB, "peer_server.py"), self.manifest_path, model, str(port),
                                       str(opts.peer_threads)]),
                ("ours", lambda port: ours + ["--port=%d" % port]),
                ("ours_b", lambda port: ours + ["--port=%d" % port, "--enable_batching",
                                                "--batching_parameters_file=%s" % batching_file(opts)]),
            ]
            if model == OVERHEAD_MODEL:
                plan.append(("grpcjs", lambda port: ["node", os.path.join(LIB, "bare_grpcjs_server.js"), ROOT,
                                                     str(port), m["response"]]))
                if os.access(CPP_SERVER, os.X_OK):
                    plan.append(("cpp", lambda port: [CPP_SERVER, str(port), m["response"]]))
                else:
                    self.put_all(model, "cpp", concs, {"na": "n/a (C++ server not built, see run.sh output)"})
            started = []
            for system, argv_of in plan:
                if system == "ours_b" and self.batching["available"] is False:
                    self.put_all(model, system, concs, {"na": self.batching["reason"]})
                    continue
                port = free_port()
                log("%s: starting %s on 127.0.0.1:%d" % (model, LABEL[system], port))
                srv = Server("%s.%s" % (system, model), argv_of(port))
                servers[system] = srv  # stopped in finally whatever happens
                started.append((system, srv, port))
            for system, srv, port in started:
                if not self.check_server(model, system, srv, req, port, concs):
                    del servers[system]
            for system, srv in servers.items():
                self.warm(srv, system, req, concs)

            # Measurement order: the pairs the targets compare are neighbours, and every other round runs
            # backwards (A B C, C B A, ...) so that a linear drift of the machine's speed cancels out.
            order = [s for s in MEASURE_ORDER if s in inproc or s in servers]
            samples = {s: {c: [] for c in concs} for s in order}
            slice_s = opts.duration / opts.rounds
            inproc_slice_s = opts.inproc_duration / opts.rounds
            for r in range(opts.rounds):
                log("%s: round %d of %d" % (model, r + 1, opts.rounds))
                rotated = order if r % 2 == 0 else order[::-1]
                for c in concs:
                    for system in rotated:
                        if system in inproc:
                            b = min(c, opts.max_batch_size)
                            warm = opts.inproc_warmup if r == 0 else min(0.2, opts.inproc_warmup)
                            x = inproc[system].measure(b, inproc_slice_s, warm)
                            if "error" not in x:
                                x["rows_per_call"] = b
                        else:
                            x = run_ghz(opts, req, servers[system].target, c, slice_s)
                        samples[system][c].append(x)
            for system in order:
                for c in concs:
                    xs = samples[system][c]
                    rows = next((x["rows_per_call"] for x in xs if "rows_per_call" in x), 1)
                    res = aggregate(xs, rows)
                    if system in inproc and "na" not in res:
                        res["batch"] = rows
                    self.put(model, system, c, res)
            for system in [x for x, _ in SYSTEMS if x in samples]:
                log("  %-48s %s" % (LABEL[system], "  ".join("c=%d %s" % (c, fmt_cell(self.results[model][system][c]))
                                                            for c in concs)))
            for system in ("peer", "ours", "ours_b"):
                if system in servers:
                    self.py_client(model, system, servers[system].target)
        finally:
            for w in inproc.values():
                w.stop()
            for srv in servers.values():
                srv.stop()
        self.timings[model] = time.time() - t0
        other = meter.others()
        if other:
            self.others[model] = other
            if other[1] > 0.05:
                log("  WARNING: other processes used %.0f%% of the machine while %s was measured: "
                    "its numbers are disturbed" % (100 * other[1], model))


# --- formatting -----------------------------------------------------------------------------------

def fmt_num(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if v >= 100:
        return "%d" % round(v)
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def fmt_ms(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if v >= 100:
        return "%d" % round(v)
    if v >= 10:
        return "%.1f" % v
    if v >= 1:
        return "%.2f" % v
    return "%.3f" % v


def fmt_cell(r):
    if r is None:
        return ""
    if "na" in r:
        return r["na"]
    s = "%s (%s / %s)" % (fmt_num(r["rps"]), fmt_ms(r["p50_ms"]), fmt_ms(r["p99_ms"]))
    if r.get("errors"):
        s += " !%d err" % r["errors"]
    return s


def md_table(header, rows):
    cols = [header] + rows
    widths = [max(len(str(r[i])) for r in cols) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(v).ljust(widths[i]) for i, v in enumerate(r)) + " |"
    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def ok(r):
    return r is not None and "na" not in r and r.get("rps", 0) > 0


def ratio(a, b):
    if ok(a) and ok(b):
        return "%.2f×" % (a["rps"] / b["rps"])
    return "-"


def get(results, model, system, c):
    return results.get(model, {}).get(system, {}).get(c)


def model_section(bench, model):
    opts = bench.opts
    m = bench.manifest["models"][model]
    concs = concs_for(opts, model)
    res = bench.results.get(model, {})
    header = ["%s — req/s (p50 / p99 ms)" % model] + ["c=%d" % c for c in concs]
    rows = []
    for system, label in SYSTEMS:
        if system not in res:
            continue
        if system == "peer":
            label = "(c) peer: Python grpcio + TF, %d threads" % opts.peer_threads
        rows.append([label] + [fmt_cell(res[system].get(c)) for c in concs])
    ratio_rows = [
        ("ours / limit", "ours", "limit"),
        ("ours batching / limit", "ours_b", "limit"),
        ("ours / peer", "ours", "peer"),
        ("ours batching / peer", "ours_b", "peer"),
        ("ours batching / ours", "ours_b", "ours"),
    ]
    for label, x, y in ratio_rows:
        rows.append(["ratio " + label] + [ratio(res.get(x, {}).get(c), res.get(y, {}).get(c)) for c in concs])
    size = m["saved_model_bytes"]
    title = "### %s — input %s float32 %s, SavedModel %s" % (
        model, m["input"], [None] + m["row_shape"],
        "%.1f MB" % (size / 1e6) if size >= 1e6 else "%d kB" % round(size / 1e3))
    return title + "\n\n" + md_table(header, rows)


def pyclient_section(bench):
    if not bench.pyclient:
        return ""
    concs = bench.opts.py_conc
    header = ["%s, official Python client — req/s (p50 / p99 ms)" % OVERHEAD_MODEL] + ["c=%d threads" % c for c in concs]
    rows = []
    for system in ("peer", "ours", "ours_b"):
        if system in bench.pyclient:
            rows.append([LABEL[system]] + [fmt_cell(bench.pyclient[system].get(c)) for c in concs])
        elif system == "ours_b" and bench.batching["available"] is False:
            rows.append([LABEL[system]] + [bench.batching["reason"]] * len(concs))
    return ("### Official Python client (grpcio + tensorflow-serving-api, tf.make_tensor_proto per call, "
            "blocking Predict, C threads on one channel)\n\n" + md_table(header, rows))


def targets_section(bench):
    R = bench.results
    H, C = OVERHEAD_MODEL, COMPUTE_MODEL
    rows = []

    def verdict(cond):
        return "PASS" if cond else "FAIL"

    def na(*cells):
        for c in cells:
            if c is None:
                return "not measured"
            if "na" in c:
                return c["na"]
        return None

    # 1. compute-bound, batching, c=32 vs in-process limit at batch 32
    e, a = get(R, C, "ours_b", 32), get(R, C, "limit", 32)
    reason = na(e, a)
    rows.append(["%s, batching on, c=32: throughput ≥ 0.85 × in-process TF at batch %d" % (
        C, min(32, bench.opts.max_batch_size)),
        reason or "%s vs %s req/s = %.2f×" % (fmt_num(e["rps"]), fmt_num(a["rps"]), e["rps"] / a["rps"]),
        "" if reason else verdict(e["rps"] >= 0.85 * a["rps"])])
    # 2. overhead-bound c=32 vs the peer
    for system in ("ours", "ours_b"):
        d, p = get(R, H, system, 32), get(R, H, "peer", 32)
        reason = na(d, p)
        what = "no batching" if system == "ours" else "batching on"
        rows.append(["%s c=32 (%s): throughput ≥ 2 × Python peer" % (H, what),
                     reason or "%s vs %s req/s = %.2f×" % (fmt_num(d["rps"]), fmt_num(p["rps"]), d["rps"] / p["rps"]),
                     "" if reason else verdict(d["rps"] >= 2 * p["rps"])])
        rows.append(["%s c=32 (%s): p99 ≤ Python peer's p99" % (H, what),
                     reason or "%s ms vs %s ms" % (fmt_ms(d["p99_ms"]), fmt_ms(p["p99_ms"])),
                     "" if reason else verdict(d["p99_ms"] <= p["p99_ms"])])
    # 3. batching on vs off at c=64
    e, d = get(R, H, "ours_b", 64), get(R, H, "ours", 64)
    reason = na(e, d)
    rows.append(["%s c=64: batching on ≥ 3 × batching off" % H,
                 reason or "%s vs %s req/s = %.2f×" % (fmt_num(e["rps"]), fmt_num(d["rps"]), e["rps"] / d["rps"]),
                 "" if reason else verdict(e["rps"] >= 3 * d["rps"])])
    # 4. c=1 latency vs bare grpc-js
    d, g = get(R, H, "ours", 1), get(R, H, "grpcjs", 1)
    reason = na(d, g)
    rows.append(["%s c=1: p50 ≤ 2 × bare grpc-js p50" % H,
                 reason or "%s ms vs %s ms = %.2f×" % (fmt_ms(d["p50_ms"]), fmt_ms(g["p50_ms"]), d["p50_ms"] / g["p50_ms"]),
                 "" if reason else verdict(d["p50_ms"] <= 2 * g["p50_ms"])])
    # 5. batching c=32 vs bare C++
    e, cpp = get(R, H, "ours_b", 32), get(R, H, "cpp", 32)
    reason = na(e, cpp)
    rows.append(["%s c=32, batching on: throughput ≥ 0.5 × bare C++ gRPC" % H,
                 reason or "%s vs %s req/s = %.2f×" % (fmt_num(e["rps"]), fmt_num(cpp["rps"]), e["rps"] / cpp["rps"]),
                 "" if reason else verdict(e["rps"] >= 0.5 * cpp["rps"])])
    out = "### Targets (issue 4)\n\n" + md_table(["target", "measured", "result"], rows)
    # Issue 11 (the runtime): concurrent runs against the peer, batching against the in-process limit.
    rows11 = []
    d, p = get(R, C, "ours", 8), get(R, C, "peer", 8)
    reason = na(d, p)
    rows11.append(["%s c=8, no batching: throughput ≥ 1.0 × Python peer" % C,
                   reason or "%s vs %s req/s = %.2f×" % (fmt_num(d["rps"]), fmt_num(p["rps"]), d["rps"] / p["rps"]),
                   "" if reason else verdict(d["rps"] >= p["rps"])])
    e, a = get(R, C, "ours_b", 32), get(R, C, "limit", 32)
    reason = na(e, a)
    rows11.append(["%s c=32, batching on: throughput ≥ 0.9 × in-process TF at batch %d" % (C, min(32, bench.opts.max_batch_size)),
                   reason or "%s vs %s req/s = %.2f×" % (fmt_num(e["rps"]), fmt_num(a["rps"]), e["rps"] / a["rps"]),
                   "" if reason else verdict(e["rps"] >= 0.9 * a["rps"])])
    d, g = get(R, H, "ours", 1), get(R, H, "grpcjs", 1)
    reason = na(d, g)
    rows11.append(["%s c=1: p50 ≤ 2 × bare grpc-js p50" % H,
                   reason or "%s ms vs %s ms = %.2f×" % (fmt_ms(d["p50_ms"]), fmt_ms(g["p50_ms"]), d["p50_ms"] / g["p50_ms"]),
                   "" if reason else verdict(d["p50_ms"] <= 2 * g["p50_ms"])])
    return out + "\n\n### Targets (issue 11)\n\n" + md_table(["target", "measured", "result"], rows11)


def machine_info():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return nproc, cpu, mem


def versions():
    def out(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"
    v = {
        "node": out(["node", "--version"]),
        "server": " / ".join(out(["node", "dist/cli/main.js", "--version"]).splitlines()),
        "tensorflow (python)": out([PY, "-c", "import importlib.metadata as m; print(m.version('tensorflow'))"]),
        "grpcio": out([PY, "-c", "import importlib.metadata as m; print(m.version('grpcio'))"]),
        "@grpc/grpc-js": out(["node", "-p", "require('./node_modules/@grpc/grpc-js/package.json').version"]),
        "ghz": os.environ.get("BENCH_GHZ_VERSION", "?"),
        "grpc++ (Debian)": out(["pkg-config", "--modversion", "grpc++"]) or "not installed",
        "commit": out(["git", "rev-parse", "--short", "HEAD"]),
    }
    return v


def report(bench, command, started, elapsed, loads):
    opts = bench.opts
    nproc, cpu, mem = machine_info()
    v = versions()
    parts = []
    parts.append("# Benchmark results (issue 4)\n")
    parts.append("- command: `%s`" % command)
    parts.append("- date: %s (took %.1f min)" % (started.strftime("%Y-%m-%d %H:%M:%S %Z").strip(), elapsed / 60))
    parts.append("- machine: nproc %s, CPU %s, memory %s, %s" % (nproc, cpu, mem, platform.platform()))
    parts.append("- 1-minute load average before / after the run: %s / %s (anything else running on the "
                 "machine competes for the same 2 cores)" % loads)
    if os.environ.get("BENCH_SERVER"):
        parts.append("- our server (rows d, e) run as: `%s`" % os.environ["BENCH_SERVER"])
    if bench.others:
        parts.append("- CPU used by other processes on the machine while measuring (not the benchmark's): " +
                     ", ".join("%s %.0f%%" % (m, 100 * f) for m, (_, f) in bench.others.items()) +
                     " of 2 cores%s" % (" — **numbers disturbed, rerun on an idle machine**"
                                       if any(f > 0.05 for _, f in bench.others.values()) else ""))
    parts.append("- versions: " + ", ".join("%s %s" % kv for kv in v.items()))
    parts.append("- mode: %s; %g s per cell in %d interleaved round(s), after a %g s warmup per server; "
                 "in-process rows %g s per batch size after %g s warmup" % (
                     "quick" if opts.quick else "full", opts.duration, opts.rounds, opts.warmup,
                     opts.inproc_duration, opts.inproc_warmup))
    parts.append("- batching (row e): max_batch_size %d, batch_timeout_micros %d, num_batch_threads %d, "
                 "max_enqueued_batches %d%s" % (opts.max_batch_size, opts.batch_timeout_micros,
                                                 opts.num_batch_threads, opts.max_enqueued_batches,
                                                 "" if bench.batching["available"] is not False
                                                 else " — " + bench.batching["reason"]))
    parts.append("- load: ghz %s, `-c C --cpus %d --connections min(C,%d)`, one request = one row (batch 1), "
                 "input in tensor_content; peer thread pool %d" % (
                     v["ghz"], opts.ghz_cpus, opts.connections, opts.peer_threads))
    parts.append("")
    parts.append("How to read: each cell is throughput in requests/s (one row each) and p50 / p99 latency in ms. "
                 "Rows (a) and (b) have no server: one caller runs the signature at batch min(C, %d), so "
                 "their req/s is rows/s and their latency is one batched call — what an ideal batching server "
                 "reaches with C one-row requests in flight. `!N err` marks calls that did not answer OK. "
                 "All systems of a model are up at once (idle ones cost nothing) and measured in turn, per "
                 "concurrency, in rounds that alternate forwards and backwards, so that the drifting speed of "
                 "this shared virtual machine (up to 2× within a minute, with nothing else running) hits "
                 "every row alike. "
                 "Calls still in flight when a cell's time is up are waited for and counted."
                 % opts.max_batch_size)
    parts.append("")
    parts.append("CPU: the machine has %s cores and the load generator needs CPU too. Servers are not pinned: "
                 "ghz runs with `--cpus %d` (GOMAXPROCS), so it takes at most that many cores and the server "
                 "gets the rest; the official Python client is bounded by its GIL (about one core). In-process "
                 "rows (a) and (b) run alone with both cores. For the overhead-bound model this means the "
                 "servers' ceilings are partly the load generator's: the bare C++ row is the most a "
                 "ghz client on this machine can drive, not what the C++ server could serve alone. Only "
                 "127.0.0.1 is used (our server binds 0.0.0.0 as TF Serving does; the load targets "
                 "127.0.0.1)." % (nproc, opts.ghz_cpus))
    parts.append("")
    for model in opts.models:
        if model in bench.results:
            parts.append(model_section(bench, model))
            parts.append("")
    py = pyclient_section(bench)
    if py:
        parts.append(py)
        parts.append("")
    parts.append(targets_section(bench))
    parts.append("")
    if bench.timings:
        parts.append("Time per model: " + ", ".join("%s %.0f s" % kv for kv in bench.timings.items()) + ".")
        parts.append("")
    parts.append("Logs of every process: `bench/.cache/logs/`; raw numbers: `bench/.cache/results.json`.")
    return "\n".join(parts) + "\n"


def parse_list(s):
    return [int(x) for x in s.split(",") if x.strip()]


def main():
    ap = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="about 3 minutes: fewer models, cells and seconds")
    ap.add_argument("--models", help="comma-separated subset of %s" % ",".join(MODELS))
    ap.add_argument("--conc", help="concurrencies (default 1,8,32,64; quick 1,32,64)")
    ap.add_argument("--compute-max-conc", type=int, help="cap on the concurrency for %s (default 64; quick 32)"
                    % COMPUTE_MODEL)
    ap.add_argument("--duration", type=float, help="seconds per ghz cell, over all rounds (default 6; quick 2)")
    ap.add_argument("--warmup", type=float, help="warmup seconds per server (default 2; quick 1)")
    ap.add_argument("--inproc-duration", type=float, help="seconds per batch size in process, over all rounds (default 3; quick 1.5)")
    ap.add_argument("--inproc-warmup", type=float, help="in-process warmup per batch size (default 1; quick 0.5)")
    ap.add_argument("--rounds", type=int, help="split each cell's time into this many interleaved rounds "
                    "(default 2; quick 1)")
    ap.add_argument("--py-conc", help="official Python client thread counts, '' to skip (default 1,8,32; quick 8)")
    ap.add_argument("--max-batch-size", type=int, default=int(os.environ.get("BENCH_MAX_BATCH_SIZE", 64)))
    ap.add_argument("--batch-timeout-micros", type=int, default=int(os.environ.get("BENCH_BATCH_TIMEOUT_MICROS", 1000)))
    ap.add_argument("--num-batch-threads", type=int, default=int(os.environ.get("BENCH_NUM_BATCH_THREADS", 2)))
    ap.add_argument("--max-enqueued-batches", type=int, default=int(os.environ.get("BENCH_MAX_ENQUEUED_BATCHES", 100)))
    ap.add_argument("--peer-threads", type=int, default=int(os.environ.get("BENCH_PEER_THREADS", 16)))
    ap.add_argument("--ghz-cpus", type=int, default=int(os.environ.get("BENCH_GHZ_CPUS", 1)))
    ap.add_argument("--connections", type=int, default=int(os.environ.get("BENCH_GHZ_CONNECTIONS", 1)),
                    help="gRPC connections ghz spreads its workers over (default 1)")
    ap.add_argument("--results", default=os.path.join(BENCH, "RESULTS.md"))
    ap.add_argument("--command", default="bench/run.sh", help=argparse.SUPPRESS)
    opts = ap.parse_args()

    q = opts.quick
    opts.models = opts.models.split(",") if opts.models else (
        [OVERHEAD_MODEL, COMPUTE_MODEL] if q else list(MODELS))
    for m in opts.models:
        if m not in MODELS:
            ap.error("unknown model %s" % m)
    opts.conc = parse_list(opts.conc) if opts.conc else ([1, 32, 64] if q else [1, 8, 32, 64])
    opts.compute_max_conc = opts.compute_max_conc or (32 if q else 64)
    opts.duration = opts.duration or (2.0 if q else 6.0)
    opts.warmup = opts.warmup or (1.0 if q else 2.0)
    opts.inproc_duration = opts.inproc_duration or (1.5 if q else 3.0)
    opts.inproc_warmup = opts.inproc_warmup or (0.5 if q else 1.0)
    opts.rounds = max(1, opts.rounds or (1 if q else 2))
    opts.py_conc = parse_list(opts.py_conc) if opts.py_conc is not None else ([8] if q else [1, 8, 32])

    with open(os.path.join(CACHE, "bench-models", "manifest.json")) as f:
        manifest = json.load(f)
    started = datetime.datetime.now().astimezone()
    load_before = loadavg()
    idle = busy_now()
    if idle is not None and idle > 0.05:
        log("WARNING: %.0f%% of the machine is busy before the benchmark starts (other processes); "
            "numbers will be disturbed" % (100 * idle))
    t0 = time.time()
    bench = Bench(opts, manifest)
    for model in opts.models:
        bench.run_model(model)
    text = report(bench, opts.command, started, time.time() - t0, (load_before, loadavg()))
    with open(opts.results, "w") as f:
        f.write(text)
    with open(os.path.join(CACHE, "results.json"), "w") as f:
        json.dump({"results": bench.results, "python_client": bench.pyclient, "batching": bench.batching},
                  f, indent=1, default=str)
    print()
    print(text)
    log("wrote %s" % os.path.relpath(opts.results, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
