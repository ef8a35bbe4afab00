#!/usr/bin/env bash
# The two-container shape of the examples: the image classifier web app in its own container and the
# model server in another, on a user-defined Docker network, the app calling the server by container name
# over gRPC; headless Chromium on this host uploads a JPEG to the app (published on 127.0.0.1 only) and
# the top-5 the page shows must be the one TensorFlow computes in Python. Prints "N passed, N failed".
#   usage: test/docker/web-tier.sh      (IMAGE: default tfserving-ts:latest; needs .venv, node_modules, chromium)
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
image=${IMAGE:-tfserving-ts:latest}
py=$root/.venv/bin/python
example=$root/examples/image_classifier
passed=0 failed=0
say() { printf '[web] %s\n' "$*"; }
ok() { passed=$((passed + 1)); printf '[web] PASS %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf '[web] FAIL %s\n' "$*"; }
die() { printf '[web] FAILED: %s\n' "$*"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }

docker=$(bash "$root/docker/engine.sh") || die "no Docker engine"
"$docker" image inspect "$image" >/dev/null 2>&1 || die "image $image not found: run 'bash docker/build.sh' first."
[[ -x /usr/bin/chromium || -n ${CHROMIUM:-} ]] || die "Chromium is missing (Debian: apt-get install chromium)."

work=$(mktemp -d)
chmod 755 "$work"
tag=tfs-web-$$
net=$tag-net server=$tag-model web=$tag-app
cleanup() {
  "$docker" rm -f "$server" "$web" >/dev/null 2>&1
  "$docker" network rm "$net" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

say "exporting the model, compiling the app, drawing a JPEG"
TF_CPP_MIN_LOG_LEVEL=2 "$py" "$example/export_model.py" --out "$work/models" >/dev/null || die "could not export the image classifier."
node "$root/node_modules/typescript/bin/tsc" -p "$example/tsconfig.json" || die "could not compile the web app."
TF_CPP_MIN_LOG_LEVEL=2 "$py" "$example/make_sample_image.py" "$work/photo.jpg" --size 400x300 --variant 1 >/dev/null || die "could not draw the JPEG."
chmod -R a+rX "$work"

"$docker" network create "$net" >/dev/null || die "docker network create failed."
"$docker" run -d --name "$server" --network "$net" \
  --mount "type=bind,source=$work/models/image_classifier,target=/models/image_classifier" \
  -e MODEL_NAME=image_classifier "$image" >/dev/null || die "could not start the model server container."
# The app's own container: Node from the same image, the repository (compiled app, node_modules, proto/)
# mounted read-only; it reaches the model server by its container name on the network.
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$docker" run -d --name "$web" --network "$net" -p "127.0.0.1:$port:8080" --user "$(id -u):$(id -g)" \
  --mount "type=bind,source=$root,target=/repo,readonly" --entrypoint node "$image" \
  /repo/examples/image_classifier/dist/server.js --host=0.0.0.0 --port=8080 --model_server="$server:8500" --model_name=image_classifier >/dev/null \
  || die "could not start the web app container."
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 1; done

say "Chromium uploads a 400x300 JPEG to http://127.0.0.1:$port/ (app container -> $server:8500 over gRPC)"
shot=$root/test/artifacts/web-tier.png
mkdir -p "$(dirname "$shot")"
if shown=$(node "$root/test/docker/web_demo_check.js" "http://127.0.0.1:$port/" "$work/photo.jpg" "$shot" 2>"$work/check.err"); then
  ok "the page shows a top-5 ($shown)"
else
  bad "the page shows a top-5: $(cat "$work/check.err")"
  "$docker" logs "$web" 2>&1 | tail -n 10
fi
expected=$(TF_CPP_MIN_LOG_LEVEL=3 "$py" "$example/reference_top5.py" --model "$work/models/image_classifier/1" "jpeg:$work/photo.jpg" 2>/dev/null)
if "$py" - "$shown" "$expected" <<'PY'
import json, sys
shown, ref = json.loads(sys.argv[1] or "[]"), json.loads(sys.argv[2])[0]["top5"]
same = len(shown) == 5 and all(s["label"] == r["label"] and abs(s["score"] - r["score"]) <= 5e-5 + 1e-7 for s, r in zip(shown, ref))
sys.exit(0 if same else 1)
PY
then ok "it is the top-5 TensorFlow computes in Python for the same JPEG"; else bad "it is the top-5 TensorFlow computes (expected $expected)"; fi
grep -q "$server:8500" <("$docker" logs "$web" 2>&1) && ok "the app container names the server container as its gRPC target" \
  || bad "the app container names the server container as its gRPC target"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
