#!/usr/bin/env bash
# The cluster tier's proofs, against the test overlay applied by e2e.sh: replicas Ready with the real
# probes, the Service's ClusterIP reaching both, gRPC health with TF Serving's service names, a rolling
# restart under continuous gRPC load with 0 failed requests, a new model version on every replica.
# Traffic goes only to the Service's ClusterIP and the pods' IPs (networks cluster-up.sh made).
# Prints one line per check and "N passed, N failed"; exits non-zero if any fails.
#   usage: checks.sh KUBECONFIG BIN MODELS_DIR      (PYTHON: the repo's .venv python)
set -uo pipefail
kubeconfig=${1:?usage: checks.sh KUBECONFIG BIN MODELS_DIR}
bin=${2:?}
models=${3:?}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
py=${PYTHON:-$root/.venv/bin/python}
passed=0 failed=0
say() { printf '[k8s] %s\n' "$*"; }
ok() { passed=$((passed + 1)); printf '[k8s] PASS %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf '[k8s] FAIL %s\n' "$*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
k() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Pods of the Deployment that are not terminating.
live_pods() { k get pods -l app.kubernetes.io/name=tfserving -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{.metadata.name}} {{.status.podIP}}{{"\n"}}{{end}}{{end}}'; }

# --- 1. both replicas Ready, with the base's probes -------------------------------------------------------
say "waiting for the rollout (kubectl rollout status)"
k rollout status deployment/tfserving --timeout=300s || { k get pods -o wide; k describe pods | tail -n 40; }
ready=$(k get deployment tfserving -o jsonpath='{.status.readyReplicas}')
check "both replicas Ready (readyReplicas=$ready)" test "${ready:-0}" = 2
probes=$(k get pods -l app.kubernetes.io/name=tfserving -o jsonpath='{range .items[*]}{.spec.containers[0].readinessProbe.httpGet.path} {.spec.containers[0].livenessProbe.httpGet.path} {.spec.containers[0].startupProbe.httpGet.path} {.spec.securityContext.runAsNonRoot} {.spec.containers[0].securityContext.readOnlyRootFilesystem}{"\n"}{end}' | sort -u)
check "the pods carry the real probes and security settings ($probes)" test "$probes" = "/readyz /healthz /healthz true true"
live_pods > "$work/pods"
say "pods: $(tr '\n' ' ' < "$work/pods")"

# --- 2. requests through the Service's ClusterIP reach both replicas ----------------------------------------
svc=$(k get service tfserving -o jsonpath='{.spec.clusterIP}')
"$py" -c 'import json; print(json.dumps({"instances": [[[[0, 0, 0]] * 300] * 300]}))' > "$work/predict.json"
say "40 REST :predict requests to the ClusterIP $svc:8501, one connection each"
okcount=0
for _ in $(seq 40); do
  curl -sf -o /dev/null -d @"$work/predict.json" "http://$svc:8501/v1/models/commodity:predict" && okcount=$((okcount + 1))
done
check "40 of 40 answered through the ClusterIP ($okcount)" test "$okcount" = 40
# Each replica's own count of OK Predict calls (its Prometheus endpoint, read on the pod's IP).
counts=""
while read -r name ip; do
  n=$(curl -sf "http://$ip:8501/monitoring/prometheus/metrics" | awk -F' ' '/^:tensorflow:serving:request_count\{.*model_name="commodity".*status="OK"/ {s+=$2} END {print s+0}')
  counts+="$name=$n "
  echo "$n" >> "$work/counts"
done < "$work/pods"
check "both replicas answered some of them ($counts)" bash -c "[[ \$(wc -l < '$work/counts') == 2 ]] && ! grep -qx 0 '$work/counts'"

# --- 3. gRPC health with TF Serving's service names -----------------------------------------------------------
say "grpc.health.v1.Health/Check through the ClusterIP $svc:8500"
check "health: \"\", PredictionService and ModelService (TF Serving's names) answer SERVING" \
  "$py" "$here/grpc_health.py" "$svc:8500" "" PredictionService ModelService

# --- 4. kubectl rollout restart under continuous gRPC load through the Service -------------------------------
# The clients retry UNAVAILABLE, with a retry buffer that holds their 270 KB request: gRPC replays a call (by
# policy, or transparently when a closing connection never sent it) only from that buffer, 256 KiB by default.
say "rollout restart while 4 gRPC clients (one connection each, retrying UNAVAILABLE as production clients do) send Predict to $svc:8500"
"$py" "$root/test/docker/grpc_load.py" --target "$svc:8500" --model commodity --threads 4 --seconds 600 --retry-unavailable --retry-buffer-bytes 4194304 \
  --stop-file "$work/stop" --ready-file "$work/ready" > "$work/load.json" 2>"$work/load.err" &
load=$!
for _ in $(seq 120); do [[ -e $work/ready ]] && break; sleep 0.5; done
sleep 2
start=$SECONDS
k rollout restart deployment/tfserving >/dev/null
k rollout status deployment/tfserving --timeout=600s >/dev/null
# rollout status returns once the new pods are available; the old ones may still be draining.
for _ in $(seq 120); do [[ $(k get pods -l app.kubernetes.io/name=tfserving --no-headers | wc -l) == 2 ]] && break; sleep 1; done
say "rollout finished in $((SECONDS - start)) s"
sleep 3
touch "$work/stop"
wait "$load"
say "requests during the rollout: $(cat "$work/load.json") $(tail -n 3 "$work/load.err")"
read -r total failures < <("$py" -c "import json; d=json.load(open('$work/load.json')); print(d['total'], d['failed'])")
check "rollout restart under load: $failures failed of $total requests" test "${total:-0}" -gt 0 -a "${failures:-1}" = 0
live_pods > "$work/pods2"
check "both replicas were replaced" bash -c "[[ \$(wc -l < '$work/pods2') == 2 ]] && ! grep -qFf <(cut -d' ' -f1 '$work/pods') '$work/pods2'"

# --- 5. a new model version copied into the shared volume serves on every replica ------------------------------
say "copying version 2 into the model volume (temporary name, then rename)"
cp -r "$models/commodity/1" "$models/commodity/.tmp-2" && chmod -R a+rX "$models/commodity/.tmp-2" && mv "$models/commodity/.tmp-2" "$models/commodity/2"
while read -r name ip; do
  v=""
  for _ in $(seq 60); do
    v=$("$py" "$root/test/docker/grpc_load.py" --target "$ip:8500" --model commodity --once 1 2>/dev/null \
      | "$py" -c 'import json,sys; print(",".join(json.load(sys.stdin)["versions"]))')
    [[ $v == 2 ]] && break
    sleep 1
  done
  check "replica $name answers from version 2 (version ${v:-none})" test "$v" = 2
done < "$work/pods2"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
