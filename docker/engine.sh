#!/usr/bin/env bash
# Makes sure a Docker engine answers: starts dockerd (Debian's docker.io, installed if missing and we are
# root) when none runs, and waits for it. CI starts with nothing running. Prints the docker client to use:
# Debian's /usr/bin/docker matches its daemon and has BuildKit built in (a newer client elsewhere on the
# PATH may lack the buildx plugin that its BuildKit needs).
set -euo pipefail
say() { printf '[engine] %s\n' "$*" >&2; }
fail() { printf '[engine] FAILED: %s\n' "$*" >&2; exit 1; }

docker=${DOCKER:-}
[[ -z $docker && -x /usr/bin/docker ]] && docker=/usr/bin/docker
if ! command -v dockerd >/dev/null || [[ -z $docker ]]; then
  [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null || fail "no Docker engine installed, and not root on Debian to install docker.io."
  say "installing Debian's docker.io"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null) \
    || fail "apt-get could not install docker.io."
  docker=/usr/bin/docker
fi
if ! "$docker" info >/dev/null 2>&1; then
  [[ $(id -u) == 0 ]] || fail "the Docker engine is not running and only root can start it here."
  log=${TMPDIR:-/tmp}/tfserving-ts-dockerd.log
  say "starting dockerd (log: $log)"
  # setsid: the engine outlives this script (later tiers and the user's commands use it).
  setsid dockerd >"$log" 2>&1 < /dev/null &
  for _ in $(seq 60); do "$docker" info >/dev/null 2>&1 && break; sleep 1; done
  "$docker" info >/dev/null 2>&1 || { tail -n 20 "$log" >&2; fail "dockerd did not answer within 60 s (log above)."; }
fi
echo "$docker"
