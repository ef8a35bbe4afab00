#!/usr/bin/env bash
# Starts a real single-node Kubernetes in STATE (a fresh folder): Debian's etcd, a containerd of its own
# with the CRI plugin and Debian's CNI plugins (one bridge), and kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet and kube-proxy from BIN (components.sh). Every address is one this script makes:
# the pods' bridge tfs-e2e-br0 (10.214.0.0/24), whose gateway 10.214.0.1 is also the node's address (a
# kubelet refuses loopback), Services virtual (10.215.0.0/24); etcd on loopback. Writes STATE/kubeconfig and STATE/pids; cluster-down.sh undoes it all.
#   usage: cluster-up.sh STATE BIN
set -euo pipefail
state=${1:?usage: cluster-up.sh STATE BIN}
bin=${2:?usage: cluster-up.sh STATE BIN}
node_ip=10.214.0.1 pod_cidr=10.214.0.0/24 svc_cidr=10.215.0.0/24 api_ip=10.215.0.1
node=tfs-e2e-node
say() { printf '[cluster] %s\n' "$*" >&2; }
fail() { printf '[cluster] FAILED: %s\n' "$*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || fail "a kubelet needs root."
for tool in etcd containerd ctr runc openssl iptables /usr/lib/cni/bridge; do
  command -v "$tool" >/dev/null || [[ -x $tool ]] || fail "$tool is missing (Debian: apt-get install etcd-server containerd runc containernetworking-plugins openssl iptables)."
done
mkdir -p "$state"/{pki,logs,cni,containerd,kubelet,pod-logs}
state=$(cd "$state" && pwd)
: > "$state/pids"
# Starts a daemon in its own session, logging to STATE/logs/NAME.log; its pid goes to STATE/pids.
daemon() { local name=$1; shift; setsid "$@" >"$state/logs/$name.log" 2>&1 < /dev/null & echo "$! $name" >> "$state/pids"; }
wait_for() { local what=$1 tries=$2; shift 2; for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done; fail "$what did not come up (logs in $state/logs)."; }

say "pod bridge tfs-e2e-br0 with the node address $node_ip (the CNI bridge plugin reuses it as the gateway)"
ip link add tfs-e2e-br0 type bridge 2>/dev/null || true
ip addr add "$node_ip/24" dev tfs-e2e-br0 2>/dev/null || true
ip link set tfs-e2e-br0 up

say "certificates"
pki=$state/pki
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=tfs-e2e-ca 2>/dev/null
  sign() { # NAME SUBJECT EXTENSIONS
    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 2 -extfile <(printf '%s\n' "$3") 2>/dev/null
  }
  sign apiserver /CN=kube-apiserver "subjectAltName=IP:$node_ip,IP:$api_ip,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth"
  # One client identity for the components and kubectl: a throw-away cluster, nothing to separate.
  sign admin "/O=system:masters/CN=admin" "extendedKeyUsage=clientAuth"
  openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
kubeconfig=$state/kubeconfig
cat > "$kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "https://$node_ip:6443", certificate-authority: "$pki/ca.crt"}}]
users: [{name: admin, user: {client-certificate: "$pki/admin.crt", client-key: "$pki/admin.key"}}]
contexts: [{name: e2e, context: {cluster: e2e, user: admin}}]
current-context: e2e
KC

say "etcd (Debian's etcd-server) on 127.0.0.1:23790"
daemon etcd etcd --name e2e --data-dir "$state/etcd" --listen-client-urls http://127.0.0.1:23790 \
  --advertise-client-urls http://127.0.0.1:23790 --listen-peer-urls http://127.0.0.1:23800 \
  --initial-advertise-peer-urls http://127.0.0.1:23800 --initial-cluster e2e=http://127.0.0.1:23800
wait_for etcd 30 curl -sf http://127.0.0.1:23790/health

say "containerd (CRI, runc, cgroupfs, bridge CNI) on $state/containerd.sock"
cat > "$state/cni/10-tfs-e2e.conflist" <<CNI
{"cniVersion": "1.0.0", "name": "tfs-e2e", "plugins": [
  {"type": "bridge", "bridge": "tfs-e2e-br0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$pod_cidr"}]], "dataDir": "$state/cni/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}
]}
CNI
cat > "$state/containerd.toml" <<TOML
version = 2
root = "$state/containerd/root"
state = "$state/containerd/state"
[grpc]
  address = "$state/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "tfs-e2e.local/pause:1"
  # Without it every pod fails here: nothing may lower oom_score_adj (no CAP_SYS_RESOURCE).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni"
TOML
daemon containerd containerd --config "$state/containerd.toml"
ctr() { command ctr -a "$state/containerd.sock" -n k8s.io "$@"; }
wait_for containerd 30 ctr version

say "pause image from the kubernetes module's pause.c"
mkdir -p "$state/pause-root" && cp "$bin/pause" "$state/pause-root/pause"
docker=${DOCKER:-docker}
tar -C "$state/pause-root" -c pause | "$docker" import --change 'ENTRYPOINT ["/pause"]' - tfs-e2e.local/pause:1 >/dev/null
"$docker" save tfs-e2e.local/pause:1 | ctr images import - >/dev/null || fail "ctr could not import the pause image."

say "kube-apiserver on $node_ip:6443"
daemon kube-apiserver "$bin/kube-apiserver" --etcd-servers=http://127.0.0.1:23790 \
  --bind-address="$node_ip" --advertise-address="$node_ip" --secure-port=6443 \
  --service-cluster-ip-range="$svc_cidr" --authorization-mode=Node,RBAC \
  --client-ca-file="$pki/ca.crt" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --kubelet-client-certificate="$pki/admin.crt" --kubelet-client-key="$pki/admin.key" \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local
kubectl() { command "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
wait_for kube-apiserver 120 kubectl get --raw /readyz

say "kube-controller-manager, kube-scheduler"
daemon kube-controller-manager "$bin/kube-controller-manager" --kubeconfig="$kubeconfig" --leader-elect=false \
  --bind-address="$node_ip" --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --use-service-account-credentials=false --service-cluster-ip-range="$svc_cidr"
daemon kube-scheduler "$bin/kube-scheduler" --kubeconfig="$kubeconfig" --leader-elect=false --bind-address="$node_ip"

say "kubelet (cgroupfs, cgroup v1) and kube-proxy (iptables)"
cat > "$state/kubelet.yaml" <<KUBELET
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
readOnlyPort: 0
healthzBindAddress: $node_ip
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$state/containerd.sock
podLogsDir: $state/pod-logs
resolvConf: ""
authentication: {anonymous: {enabled: false}, webhook: {enabled: false}, x509: {clientCAFile: "$pki/ca.crt"}}
authorization: {mode: AlwaysAllow}
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
KUBELET
daemon kubelet "$bin/kubelet" --config="$state/kubelet.yaml" --kubeconfig="$kubeconfig" --root-dir="$state/kubelet" \
  --hostname-override="$node" --node-ip="$node_ip"
cat > "$state/kube-proxy.yaml" <<PROXY
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: "$kubeconfig"}
hostnameOverride: $node
clusterCIDR: $pod_cidr
bindAddress: $node_ip
healthzBindAddress: $node_ip:10256
metricsBindAddress: $node_ip:10249
conntrack: {maxPerCore: 0}
PROXY
daemon kube-proxy "$bin/kube-proxy" --config="$state/kube-proxy.yaml"
wait_for "node $node Ready" 120 bash -c "'$bin/kubectl' --kubeconfig '$kubeconfig' get node '$node' -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -q True"
wait_for "the default service account" 60 kubectl get serviceaccount default
say "node $node Ready ($(kubectl version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -n1))"
