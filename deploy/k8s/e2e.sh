#!/usr/bin/env bash
# The cluster tier: a real single-node Kubernetes 1.34 made from package registries only, the image
# docker/build.sh built, deploy/k8s applied through deploy/k8s-test-overlay, and the proofs of
# deploy/k8s/e2e/checks.sh. Everything it starts is torn down at the end, whatever happened.
#   usage: bash deploy/k8s/e2e.sh       (IMAGE: default tfserving-ts:latest; needs the repo's .venv)
# Kubernetes' binaries are built once into ${XDG_CACHE_HOME:-~/.cache}/tfserving-ts/k8s (deploy/k8s/e2e/components.sh).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${IMAGE:-tfserving-ts:latest}
# The overlay's hostPath: the model repository every pod mounts.
models=/var/lib/tfserving-ts-e2e/models
say() { printf '[k8s] %s\n' "$*"; }
die() { printf '[k8s] FAILED: %s\n' "$*"; echo "0 passed, 1 failed"; exit 1; }
start=$SECONDS

docker=$(bash "$root/docker/engine.sh") || die "no Docker engine (needed to load the image)."
export DOCKER=$docker
"$docker" image inspect "$image" >/dev/null 2>&1 || die "image $image not found: run 'bash docker/build.sh' first."
[[ -x $root/.venv/bin/python ]] || die "$root/.venv is missing: run 'bash scripts/setup.sh' first."
# Debian's packages for the node: etcd, containerd (with runc), the CNI plugins, conntrack for kube-proxy.
missing=()
for pkg in etcd:etcd-server containerd:containerd runc:runc /usr/lib/cni/bridge:containernetworking-plugins conntrack:conntrack; do
  command -v "${pkg%%:*}" >/dev/null || [[ -x ${pkg%%:*} ]] || missing+=("${pkg#*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) == 0 ]] || die "${missing[*]} missing, and only root can install them."
  say "installing Debian's ${missing[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
    || die "apt-get could not install ${missing[*]}."
fi

bin=$(bash "$here/e2e/components.sh") || die "could not build the Kubernetes components."
say "components ready in $((SECONDS - start)) s ($bin)"
state=$(mktemp -d "${TMPDIR:-/tmp}/tfs-k8s.XXXXXX")
teardown() {
  bash "$here/e2e/cluster-down.sh" "$state" "$bin"
  rm -rf "$(dirname "$models")"
  "$docker" rmi tfserving-ts:e2e tfs-e2e.local/pause:1 >/dev/null 2>&1
}
trap teardown EXIT
bash "$here/e2e/cluster-up.sh" "$state" "$bin" || die "the cluster did not start (logs above and in $state/logs)."
kubectl() { "$bin/kubectl" --kubeconfig "$state/kubeconfig" "$@"; }

say "loading $image into the node's containerd (docker save | ctr import) as tfserving-ts:e2e"
"$docker" tag "$image" tfserving-ts:e2e
"$docker" save tfserving-ts:e2e | ctr -a "$state/containerd.sock" -n k8s.io images import - >/dev/null || die "ctr could not import the image."

say "exporting the commodity model into $models (examples/commodity/export_model.py)"
rm -rf "$models" && mkdir -p "$models"
TF_CPP_MIN_LOG_LEVEL=2 "$root/.venv/bin/python" "$root/examples/commodity/export_model.py" "$models/commodity/1" >/dev/null \
  || die "could not export the commodity model."
echo 'prometheus_config { enable: true path: "/monitoring/prometheus/metrics" }' > "$models/monitoring.config"
chmod -R a+rX "$(dirname "$models")"

say "kubectl apply -k deploy/k8s-test-overlay"
kubectl apply -k "$root/deploy/k8s-test-overlay" || die "kubectl apply failed."
PYTHON="$root/.venv/bin/python" bash "$here/e2e/checks.sh" "$state/kubeconfig" "$bin" "$models"
rc=$?
if [[ $rc != 0 ]]; then
  kubectl get pods -o wide
  tail -n 20 "$state"/logs/kubelet.log
fi
say "cluster tier took $((SECONDS - start)) s"
exit $rc
