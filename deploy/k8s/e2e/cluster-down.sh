#!/usr/bin/env bash
# Tears down what cluster-up.sh STATE started, whatever state it reached: the pods' containers, the
# daemons (by the pids it recorded), kube-proxy's iptables rules, the pods' bridge, mounts
# under STATE, and STATE itself. Safe to run twice.
#   usage: cluster-down.sh STATE BIN
set -uo pipefail
state=${1:?usage: cluster-down.sh STATE BIN}
bin=${2:-}
say() { printf '[cluster] %s\n' "$*" >&2; }
[[ -d $state ]] || exit 0
state=$(cd "$state" && pwd)
say "tearing down $state"
sock=$state/containerd.sock
if [[ -S $sock ]]; then
  # Containers first (their shims are not children of containerd once started): kill each task, by id.
  for t in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do ctr -a "$sock" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
  sleep 2
fi
if [[ -f $state/pids ]]; then
  # Reverse start order: kube-proxy, kubelet, ..., containerd, etcd.
  tac "$state/pids" | while read -r pid name; do
    kill "$pid" 2>/dev/null && for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  done
fi
# The shims of this containerd, found by its socket in their command line, then killed by pid.
for pid in $(ps -eo pid=,args= | awk -v s="-address $sock" 'index($0, s) {print $1}'); do kill -9 "$pid" 2>/dev/null; done
[[ -n $bin && -x $bin/kube-proxy ]] && "$bin/kube-proxy" --cleanup >/dev/null 2>&1
ip link del tfs-e2e-br0 2>/dev/null
findmnt -rn -o TARGET | awk -v s="$state/" 'index($0, s) == 1' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
rm -rf "$state"
say "done"
