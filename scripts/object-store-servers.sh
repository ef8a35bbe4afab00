#!/usr/bin/env bash
# Builds the two object-store servers the tests run (test/helpers/object-store-servers.ts) from the Go
# module proxy, once, into a cache outside the repository. Skips a server whose binary is already there.
#   MinIO            — a real S3-compatible server
#   fake-gcs-server  — a GCS emulator speaking the JSON API that @google-cloud/storage reaches through
#                      STORAGE_EMULATOR_HOST
# Where the binaries go: $TFSERVING_OBJECT_STORE_BIN, else ${XDG_CACHE_HOME:-$HOME/.cache}/tfserving-ts/bin.
set -euo pipefail

# Pinned: MinIO tags releases as RELEASE.<date>, which Go modules cannot name, so its commit's pseudo-version.
MINIO_MODULE="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
FAKE_GCS_MODULE="github.com/fsouza/fake-gcs-server@v1.56.1"

bin_dir="${TFSERVING_OBJECT_STORE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/tfserving-ts/bin}"
mkdir -p "$bin_dir"

if ! command -v go >/dev/null; then
  echo "[object-store-servers] Go is not installed: it is needed once to build MinIO and fake-gcs-server" >&2
  exit 1
fi

build() { # name module
  local name=$1 module=$2 stamp="$bin_dir/$1.version"
  if [[ -x "$bin_dir/$name" && -f "$stamp" && "$(cat "$stamp")" == "$module" ]]; then
    return 0
  fi
  echo "[object-store-servers] building $module (once; several minutes on 2 cores)"
  local started=$SECONDS tmp
  tmp=$(mktemp -d)
  # go install builds outside any module, exactly the pinned version; CGO off gives a static binary.
  if ! CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath "$module"; then
    rm -rf "$tmp"
    echo "[object-store-servers] could not build $module (see go's message above)" >&2
    exit 1
  fi
  mv "$tmp/$name" "$bin_dir/$name"
  rm -rf "$tmp"
  echo "$module" >"$stamp"
  echo "[object-store-servers] $name built in $((SECONDS - started)) s -> $bin_dir/$name"
}

case "${1:-all}" in
  minio) build minio "$MINIO_MODULE" ;;
  fake-gcs-server) build fake-gcs-server "$FAKE_GCS_MODULE" ;;
  all)
    build minio "$MINIO_MODULE"
    build fake-gcs-server "$FAKE_GCS_MODULE"
    ;;
  *) echo "usage: $0 [minio|fake-gcs-server|all]" >&2; exit 2 ;;
esac
