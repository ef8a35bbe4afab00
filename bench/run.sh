#!/usr/bin/env bash
# The benchmark of issue 4, in one command:
#
#   bench/run.sh            full table, about 10 minutes on 2 cores
#   bench/run.sh --quick    the cells the targets need, about 3 minutes
#   bench/run.sh --help     every option (models, concurrencies, durations, batching parameters, ...)
#   bench/run.sh --cpu [--seconds S] [--server-args "..."]
#                           CPU per request by thread (main, front end, TensorFlow, load generator) for
#                           gRPC and REST, tiny and MobileNet (bench/lib/cpu_per_request.py, bench/CPU.md)
#   bench/run.sh --v2 [--seconds S] [--rounds R] [--conc 1,8,32]
#                           Open Inference Protocol gRPC ModelInfer vs TF Serving Predict on half_plus_two, same
#                           server, same run, with the ratio (bench/lib/v2_vs_predict.py, bench/V2.md)
#
# Sets up what it needs, each step cached and skipped when up to date:
#   1. the project (scripts/setup.sh: .venv with TensorFlow, npm packages, tfjs-node binding, dist/);
#   2. ghz, the gRPC load generator, built from the Go module proxy into bench/.bin/ghz;
#   3. the bare C++ gRPC server (Debian's protoc + grpc_cpp_plugin + libgrpc++-dev) in bench/.bin/;
#   4. the benchmark SavedModels and request files (bench/export_bench_models.py, real TensorFlow);
# then runs bench/lib/harness.py, which prints the tables and writes bench/RESULTS.md.
#
# Environment: BENCH_SKIP_SETUP=1 skips step 1 (use the current dist/ as it is); BENCH_NO_APT=1 never
# calls apt-get (the C++ row is then n/a if the packages are missing); BENCH_MAX_BATCH_SIZE,
# BENCH_BATCH_TIMEOUT_MICROS, BENCH_NUM_BATCH_THREADS, BENCH_MAX_ENQUEUED_BATCHES, BENCH_PEER_THREADS,
# BENCH_GHZ_CPUS, BENCH_GHZ_CONNECTIONS set the defaults of the matching options.
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$bench")
cd "$root"
say() { printf '[bench] %s\n' "$*"; }
fail() { printf '[bench] FAILED: %s\n' "$*" >&2; exit 1; }

for a in "$@"; do
  if [[ $a == -h || $a == --help ]]; then
    "$root/.venv/bin/python" "$bench/lib/harness.py" --help 2>/dev/null || sed -n 2,18p "$0"
    exit 0
  fi
done

started=$(date +%s)
mkdir -p "$bench/.bin" "$bench/.cache"

# --- 1. the project ---------------------------------------------------------------------------------
if [[ ${BENCH_SKIP_SETUP:-0} == 1 ]]; then
  say "BENCH_SKIP_SETUP=1: using the current .venv, node_modules and dist/"
elif ! bash scripts/setup.sh > "$bench/.cache/setup.log" 2>&1; then
  tail -n 5 "$bench/.cache/setup.log" >&2
  if [[ -f dist/cli/main.js && -x .venv/bin/python ]]; then
    say "WARNING: scripts/setup.sh failed (log: bench/.cache/setup.log); benchmarking the existing dist/"
  else
    fail "scripts/setup.sh failed (log: bench/.cache/setup.log)"
  fi
else
  say "project set up ($(tail -n 1 "$bench/.cache/setup.log" | sed 's/^\[setup\] //'))"
fi
[[ -f dist/cli/main.js ]] || fail "dist/cli/main.js is missing: run npm run build"

# --- 2. ghz -----------------------------------------------------------------------------------------
GHZ_VERSION=v0.120.0
export BENCH_GHZ_VERSION=$GHZ_VERSION
if [[ -x $bench/.bin/ghz && $(cat "$bench/.bin/.ghz-version" 2>/dev/null) == "$GHZ_VERSION" ]]; then
  say "ghz $GHZ_VERSION up to date (bench/.bin/ghz)"
else
  command -v go >/dev/null || fail "Go is needed to build ghz (Debian: apt-get install golang-go, or a Go toolchain >= 1.21)."
  say "building ghz $GHZ_VERSION from the Go module proxy (about a minute)"
  GOBIN="$bench/.bin" go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION" > "$bench/.cache/ghz-build.log" 2>&1 \
    || { tail -n 10 "$bench/.cache/ghz-build.log" >&2; fail "go install github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION failed"; }
  echo "$GHZ_VERSION" > "$bench/.bin/.ghz-version"
fi

# --- 3. bare C++ gRPC server ------------------------------------------------------------------------
cpp_ok=1
if [[ ${1:-} == --cpu || ${1:-} == --v2 ]]; then
  cpp_ok=0  # the CPU accounting and the V2 comparison need no C++ server
elif ! command -v protoc >/dev/null || ! command -v grpc_cpp_plugin >/dev/null || ! pkg-config --exists grpc++ protobuf 2>/dev/null; then
  if [[ ${BENCH_NO_APT:-0} != 1 && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing Debian's libgrpc++-dev, protobuf-compiler-grpc, libprotobuf-dev (for the bare C++ server)"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler pkg-config g++; } \
      > "$bench/.cache/apt.log" 2>&1 || { say "WARNING: apt-get failed (bench/.cache/apt.log)"; cpp_ok=0; }
  else
    say "WARNING: protoc/grpc_cpp_plugin/libgrpc++-dev missing and apt-get not used: the C++ row will be n/a"
    cpp_ok=0
  fi
fi
if [[ $cpp_ok == 1 ]]; then
  bash "$bench/cpp/build.sh" "$root" "$bench/.bin/bare_cpp_server" > "$bench/.cache/cpp-build.log" 2>&1 \
    && say "bare C++ gRPC server up to date (bench/.bin/bare_cpp_server)" \
    || { tail -n 10 "$bench/.cache/cpp-build.log" >&2; say "WARNING: building the C++ server failed: its row will be n/a"; rm -f "$bench/.bin/bare_cpp_server"; }
fi

# --- 4. models --------------------------------------------------------------------------------------
.venv/bin/python "$bench/export_bench_models.py" --out "$bench/.cache/bench-models" 2> "$bench/.cache/export.log" \
  || { tail -n 20 "$bench/.cache/export.log" >&2; fail "exporting the benchmark models failed"; }

say "setup took $(( $(date +%s) - started )) s"
if [[ ${1:-} == --cpu ]]; then
  shift
  exec .venv/bin/python "$bench/lib/cpu_per_request.py" --command "bash bench/run.sh --cpu${*:+ $*}" "$@"
fi
if [[ ${1:-} == --v2 ]]; then
  shift
  exec .venv/bin/python "$bench/lib/v2_vs_predict.py" --command "bash bench/run.sh --v2${*:+ $*}" "$@"
fi
# --- 5. measure ---------------------------------------------------------------------------------------
results="$bench/RESULTS.md"
for a in "$@"; do case $a in --results=*) results=${a#--results=} ;; esac; done
.venv/bin/python "$bench/lib/harness.py" --command "bench/run.sh${*:+ $*}" "$@"
# Serving while TensorFlow computes or loads, and memory across swaps (issues 3 and 4).
if [[ " $* " != *" --models "* ]]; then
  say "measuring serving during compute and loads, and RSS across version swaps (bench/lifecycle.js)"
  { echo; node "$bench/lifecycle.js"; } >> "$results" || say "WARNING: bench/lifecycle.js failed"
fi
