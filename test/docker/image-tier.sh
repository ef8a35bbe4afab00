#!/usr/bin/env bash
# The image tier: the built image (docker/build.sh), run exactly as TF Serving's users run theirs with only
# the image name changed, checked from outside with the official Python client, curl and docker itself.
# Traffic goes only to 127.0.0.1 (published ports). Prints one line per check and "N passed, N failed";
# exits non-zero if any check fails or the engine cannot start.
#   usage: test/docker/image-tier.sh      (IMAGE: default tfserving-ts:latest; needs the repo's .venv)
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
image=${IMAGE:-tfserving-ts:latest}
py=$root/.venv/bin/python
passed=0 failed=0
say() { printf '[image] %s\n' "$*"; }
ok() { passed=$((passed + 1)); printf '[image] PASS %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf '[image] FAIL %s\n' "$*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
die() { printf '[image] FAILED: %s\n' "$*"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }

docker=$(bash "$root/docker/engine.sh") || die "no Docker engine"
"$docker" image inspect "$image" >/dev/null 2>&1 || die "image $image not found: run 'bash docker/build.sh' first."
[[ -x $py ]] || die "$py is missing: run 'bash scripts/setup.sh' first."

work=$(mktemp -d)
chmod 755 "$work"  # the container's uid 1000 reads the bind mounts
containers=()
cleanup() {
  for c in "${containers[@]}"; do "$docker" rm -f "$c" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json() { "$py" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Waits until REST says MODEL's VERSION is AVAILABLE (or the container died).
wait_available() {
  local port=$1 model=$2 version=$3 container=$4
  for _ in $(seq 120); do
    curl -sf "http://127.0.0.1:$port/v1/models/$model" 2>/dev/null \
      | json "any(v['version']=='$version' and v['state']=='AVAILABLE' for v in d['model_version_status'])" 2>/dev/null \
      | grep -q True && return 0
    [[ $("$docker" inspect -f '{{.State.Running}}' "$container" 2>/dev/null) == true ]] || { "$docker" logs "$container" 2>&1 | tail -n 20; return 1; }
    sleep 1
  done
  return 1
}

say "exporting the commodity model with examples/commodity/export_model.py"
TF_CPP_MIN_LOG_LEVEL=2 "$py" "$root/examples/commodity/export_model.py" "$work/commodity/1" >/dev/null || die "could not export the commodity model."
TF_CPP_MIN_LOG_LEVEL=2 "$py" "$root/python/export_warmup_model.py" "$work/counter/1" 0 >/dev/null || die "could not export the counter model."
chmod -R a+rX "$work"

# --- 1. one model, as in TF Serving's docs: docker run -p ... --mount ... -e MODEL_NAME=commodity -t IMAGE -----
grpc=$(free_port) rest=$(free_port)
say "docker run -p 127.0.0.1:$grpc:8500 -p 127.0.0.1:$rest:8501 --mount type=bind,source=$work/commodity,target=/models/commodity -e MODEL_NAME=commodity -t $image"
c1=$("$docker" run -d -p "127.0.0.1:$grpc:8500" -p "127.0.0.1:$rest:8501" \
  --mount "type=bind,source=$work/commodity,target=/models/commodity" -e MODEL_NAME=commodity -t "$image") || die "docker run failed."
containers+=("$c1")
start=$SECONDS
wait_available "$rest" commodity 1 "$c1" && ok "container serves commodity version 1 ($((SECONDS - start)) s after docker run)" \
  || bad "container serves commodity version 1"

pid=$("$docker" inspect -f '{{.State.Pid}}' "$c1")
uid=$(stat -c %u "/proc/$pid")
check "the server process runs as uid $uid (non-root)" test "$uid" -ne 0
check "no CUDA messages in the start-up log (CPU wheel)" bash -c "! '$docker' logs '$c1' 2>&1 | grep -qi cuda"

check "official Python client (predict_pb2, PredictionServiceStub, make_tensor_proto) over gRPC" \
  bash -c "'$py' '$root/examples/commodity/client.py' --server 127.0.0.1:$grpc --compare-with '$work/commodity/1' > '$work/client.out' 2>&1 && grep -q 'same as TensorFlow run locally: yes' '$work/client.out'"

"$py" -c 'import json; print(json.dumps({"instances": [[[[0, 0, 0]] * 300] * 300]}))' > "$work/predict.json"
check "REST :predict with curl" bash -c "curl -sf -d @'$work/predict.json' -X POST http://127.0.0.1:$rest/v1/models/commodity:predict \
  | '$py' -c 'import json,sys; p=json.load(sys.stdin)[\"predictions\"][0]; assert len(p[\"detection_boxes\"]) == 20 and p[\"num_detections\"] == 20'"
check "REST status with curl" bash -c "curl -sf http://127.0.0.1:$rest/v1/models/commodity | grep -q '\"state\": \"AVAILABLE\"'"

# The Open Inference Protocol (KServe V2) on the same two ports, with curl and with tritonclient's defaults.
check "V2 REST with curl: /v2/health/live, /v2/health/ready and /v2/models/commodity/ready answer 200" \
  bash -c "for p in health/live health/ready models/commodity/ready; do curl -sf -o /dev/null http://127.0.0.1:$rest/v2/\$p || exit 1; done"
check "V2 REST with curl: GET /v2 lists the binary_tensor_data extension" bash -c "curl -sf http://127.0.0.1:$rest/v2 | grep -q '\"binary_tensor_data\"'"
"$py" -c 'import json; print(json.dumps({"inputs": [{"name": "images", "shape": [1, 300, 300, 3], "datatype": "UINT8", "data": [0] * 270000}], "outputs": [{"name": "num_detections"}]}))' > "$work/infer.json"
check "V2 REST infer with curl (JSON tensors)" bash -c "curl -sf -d @'$work/infer.json' -X POST http://127.0.0.1:$rest/v2/models/commodity/infer \
  | '$py' -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"outputs\"] != [{\"name\": \"num_detections\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [20.0]}])'"
check "V2 with tritonclient over HTTP ($rest) and gRPC ($grpc): readiness, metadata, inference same as TensorFlow run locally" \
  bash -c "TF_CPP_MIN_LOG_LEVEL=3 '$py' '$root/test/docker/v2_check.py' --http 127.0.0.1:$rest --grpc 127.0.0.1:$grpc --compare-with '$work/commodity/1' > '$work/v2.out' 2>&1 \
    && grep -q 'as expected' '$work/v2.out' || { cat '$work/v2.out'; false; }"

# --- 2. a new version copied into the bind mount goes live under load, with no failed request ---------------
# As users do it: copy, then open the folder to the container's non-root user (chmod -R) and touch it all.
say "copying version 2 into the bind mount, then chmod -R a+rX and touch on the model folder, while 4 clients send Predict"
rm -f "$work/stop" "$work/ready"
"$py" "$root/test/docker/grpc_load.py" --target "127.0.0.1:$grpc" --model commodity --threads 4 --seconds 180 \
  --stop-file "$work/stop" --ready-file "$work/ready" > "$work/load.json" 2>"$work/load.err" &
load=$!
for _ in $(seq 120); do [[ -e $work/ready ]] && break; sleep 0.5; done
sleep 2
cp -r "$work/commodity/1" "$work/commodity/2"
chmod -R a+rX "$work/commodity"
find "$work/commodity" -exec touch {} +
start=$SECONDS
wait_available "$rest" commodity 2 "$c1" && ok "version 2 becomes AVAILABLE ($((SECONDS - start)) s after the copy)" \
  || bad "version 2 becomes AVAILABLE"
sleep 3
touch "$work/stop"
wait "$load"
say "load: $(cat "$work/load.json") $(tail -n 3 "$work/load.err")"
check "hot update with chmod -R and touch: 0 failed requests, responses from versions 1 and 2" \
  bash -c "'$py' -c 'import json,sys; d=json.load(open(\"$work/load.json\")); sys.exit(not (d[\"total\"] > 0 and d[\"failed\"] == 0 and d[\"versions\"].get(\"1\") and d[\"versions\"].get(\"2\")))'"
"$docker" rm -f "$c1" >/dev/null

# --- 3. two models from --model_config_file passed as extra arguments; docker stop drains -----------------
cat > "$work/models.config" <<CONFIG
model_config_list {
  config { name: "commodity" base_path: "/models/commodity" model_platform: "tensorflow" }
  config { name: "counter" base_path: "/models/counter" model_platform: "tensorflow" }
}
CONFIG
chmod 644 "$work/models.config"
grpc=$(free_port) rest=$(free_port)
say "docker run ... --mount type=bind,source=$work,target=/models -t $image --model_config_file=/models/models.config"
c2=$("$docker" run -d -p "127.0.0.1:$grpc:8500" -p "127.0.0.1:$rest:8501" \
  --mount "type=bind,source=$work,target=/models,readonly" -t "$image" --model_config_file=/models/models.config) || die "docker run failed."
containers+=("$c2")
check "--model_config_file: commodity serves" wait_available "$rest" commodity 2 "$c2"
check "--model_config_file: counter serves" wait_available "$rest" counter 1 "$c2"

# Runs proceed concurrently (two at a time on two cores), so 8 keep the server busy well past the stop.
say "8 slow requests (about 1 s of TensorFlow work each) in flight, then docker stop"
"$py" "$root/test/docker/grpc_load.py" --target "127.0.0.1:$grpc" --model counter --signature slow --input x \
  --dtype float32 --shape 2 --once 8 > "$work/drain.json" 2>"$work/drain.err" &
inflight=$!
# Stop once the client's connections are up (it imports TensorFlow first; it sends right after connecting).
for _ in $(seq 120); do [[ $(ss -tnH state established "dport = :$grpc" 2>/dev/null | wc -l) -ge 1 ]] && break; sleep 0.25; done
sleep 0.3
stopped_at=$(date +%s.%N)
"$docker" stop -t 40 "$c2" >/dev/null
wait "$inflight"
say "in flight at stop: $(cat "$work/drain.json")"
check "docker stop: the 8 requests in flight all complete, the last one after the stop began" \
  bash -c "'$py' -c 'import json,sys; d=json.load(open(\"$work/drain.json\")); sys.exit(not (d[\"total\"] == 8 and d[\"failed\"] == 0 and d[\"last_ok_at\"] > $stopped_at))'"
code=$("$docker" inspect -f '{{.State.ExitCode}}' "$c2")
check "docker stop: the container exits 0 (exit code $code)" test "$code" = 0
check "docker stop: the server logged its drain" bash -c "'$docker' logs '$c2' 2>&1 | grep -q 'Received SIGTERM'"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
