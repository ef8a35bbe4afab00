#!/usr/bin/env bash
# Builds the Kubernetes components a single-node cluster needs (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kube-proxy, kubectl) and the pause image's binary from the Go module
# k8s.io/kubernetes, fetched through the Go module proxy: no release download, no image registry.
# Everything lands in a cache outside the repository, so a second run only checks the stamp.
#   usage: components.sh            prints the folder holding the binaries
#   K8S_VERSION=v1.34.4 (stay on 1.34: 1.35 refuses cgroup v1 hosts), K8S_CACHE=<dir>
set -euo pipefail
version=${K8S_VERSION:-v1.34.4}
cache=${K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tfserving-ts/k8s}
out=$cache/$version
say() { printf '[k8s-build] %s\n' "$*" >&2; }
fail() { printf '[k8s-build] FAILED: %s\n' "$*" >&2; exit 1; }

cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
if [[ -f $out/.complete ]]; then echo "$out/bin"; exit 0; fi
command -v go >/dev/null || fail "Go is needed to build Kubernetes $version (Debian: apt-get install golang, or a Go >= 1.24 on PATH)."
command -v gcc >/dev/null || fail "gcc is needed to build the pause binary."

mod=$out/module
mkdir -p "$mod" "$out/bin"
cd "$mod"
# The kubernetes module points its staging modules (k8s.io/api, k8s.io/client-go, ...) at ./staging in its
# own go.mod; a module that requires it must replace each of them with the matching v0.x release.
say "fetching k8s.io/kubernetes@$version's go.mod"
gomod=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
[[ -f $gomod ]] || fail "could not download k8s.io/kubernetes@$version from the Go module proxy."
staging_version=v0.${version#v1.}
{
  echo "module tfserving-ts/k8s-components"
  echo
  echo "go $(sed -n 's/^go \(.*\)/\1/p' "$gomod")"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod" | sort -u | while read -r m; do
    echo "replace $m => $m $staging_version"
  done
} > go.mod
{
  echo "//go:build tools"
  echo
  echo "package tools"
  echo
  echo "import ("
  for c in "${cmds[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
  echo ")"
} > tools.go
say "resolving dependencies (go mod tidy)"
go mod tidy >/dev/null 2>"$out/tidy.log" || { tail -n 20 "$out/tidy.log" >&2; fail "go mod tidy failed for Kubernetes $version."; }
minor=${version#v1.}; minor=${minor%%.*}
ldversion="-X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1"
ldversion+=" -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
ldversion+=" -X k8s.io/client-go/pkg/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitMajor=1"
ldversion+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"
for c in "${cmds[@]}"; do
  [[ -x $out/bin/$c ]] && continue
  say "building $c (cold: kube-apiserver about 10 min on 2 cores, the rest about 3 min more)"
  start=$SECONDS
  # The version stamps Kubernetes' own build sets (components report it; kubectl parses it).
  CGO_ENABLED=0 go build -trimpath -ldflags="-s -w $ldversion" -o "$out/bin/$c" "k8s.io/kubernetes/cmd/$c" \
    || fail "building $c from k8s.io/kubernetes@$version failed."
  say "built $c in $((SECONDS - start)) s"
done
# The pause container's program: the module ships its C source; static so the image needs no libc.
kdir=$(go list -m -f '{{.Dir}}' k8s.io/kubernetes)
gcc -Os -static -o "$out/bin/pause" "$kdir/build/pause/linux/pause.c" || fail "compiling pause.c failed (Debian: apt-get install gcc libc6-dev)."
touch "$out/.complete"
echo "$out/bin"
