#!/usr/bin/env bash
# Builds the image tfserving-ts:latest on a machine with no image registry: starts the Docker engine if
# needed (docker/engine.sh), makes a Debian bookworm + Node 20 base from Debian's mirror and the npm registry
# (docker/base-image.sh), and builds docker/Dockerfile on it. With Docker Hub, the Dockerfile alone does:
#   docker build -f docker/Dockerfile --build-arg NODE_IMAGE=node:20-bookworm-slim -t tfserving-ts .
# Environment: IMAGE (default tfserving-ts:latest); NODE_IMAGE / RUNTIME_IMAGE to build on other bases.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
image=${IMAGE:-tfserving-ts:latest}
say() { printf '[build] %s\n' "$*" >&2; }
fail() { printf '[build] FAILED: %s\n' "$*" >&2; exit 1; }

docker=$(bash "$root/docker/engine.sh")
export DOCKER=$docker
start=$SECONDS
# The base's tag carries its recipe's hash, so a changed docker/base-image.sh makes a new base.
base=tfserving-ts-base:node20-bookworm-$(sha256sum "$root/docker/base-image.sh" | cut -c1-8)
if [[ -z ${NODE_IMAGE:-} ]]; then
  bash "$root/docker/base-image.sh" "$base"
  NODE_IMAGE=$base
  RUNTIME_IMAGE=${RUNTIME_IMAGE:-$base-runtime}
fi
args=(--build-arg "NODE_IMAGE=$NODE_IMAGE")
[[ -n ${RUNTIME_IMAGE:-} ]] && args+=(--build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE")

# Networks that intercept TLS install their CA on the host; the build stage trusts it through a BuildKit
# secret (never stored in a layer).
ca=$(mktemp)
trap 'rm -f "$ca"' EXIT
cat /usr/local/share/ca-certificates/*.crt > "$ca" 2>/dev/null || true
[[ -s $ca ]] && args+=(--secret "id=extra_ca,src=$ca")

say "building $image from docker/Dockerfile on $NODE_IMAGE"
DOCKER_BUILDKIT=1 "$docker" build --progress=plain -f "$root/docker/Dockerfile" "${args[@]}" -t "$image" "$root" \
  > "${TMPDIR:-/tmp}/tfserving-ts-build.log" 2>&1 \
  || { tail -n 40 "${TMPDIR:-/tmp}/tfserving-ts-build.log" >&2; fail "docker build failed (log above; full log in ${TMPDIR:-/tmp}/tfserving-ts-build.log)."; }
size=$("$docker" image inspect -f '{{.Size}}' "$image")
say "built $image in $((SECONDS - start)) s: $((size / 1000000)) MB uncompressed"
