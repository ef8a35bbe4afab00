#!/usr/bin/env bash
# Installs the TensorFlow Lite runtime and builds the server's TFLite binding (native/tflite/), from
# package registries only:
#   1. the org.bytedeco:tensorflow-lite Maven artifact for this platform, fetched with Maven: its
#      libjnitensorflowlite.so is TensorFlow Lite 2.21.0 (TF Serving 2.21's TFLite) built with the
#      TFLite C API exported, and needs no JVM at run time;
#   2. the N-API addon compiled against it with node-gyp and Node's installed headers.
# Skipped when nothing changed. TFSERVING_TFLITE=skip leaves TFLite out (model.tflite versions then
# fail to load with a message saying so).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir="$root/native/tflite"
say() { printf '[setup] %s\n' "$*"; }
fail() { printf '[setup] FAILED: %s\n' "$*" >&2; exit 1; }

artifact_version=2.21.0-1.5.14
case "$(uname -m)" in
  x86_64) classifier=linux-x86_64 ;;
  aarch64 | arm64) classifier=linux-arm64 ;;
  *) fail "no TensorFlow Lite runtime is packaged for $(uname -m); set TFSERVING_TFLITE=skip to go without TFLite." ;;
esac

if [[ ${TFSERVING_TFLITE:-} == skip ]]; then
  say "TFLite runtime skipped (TFSERVING_TFLITE=skip)"
  exit 0
fi

stamp=$(printf '%s\n' "$artifact_version" "$classifier" "$(node --version)" "$(cat "$dir"/binding.gyp "$dir"/src/* | sha256sum)" | sha256sum | cut -c1-16)
addon="$dir/build/Release/tflite_binding.node"
if [[ -f $addon && -f $dir/.cache/stamp && $(cat "$dir/.cache/stamp") == "$stamp" ]]; then
  say "TFLite binding up to date"
  exit 0
fi

mkdir -p "$dir/.cache" "$dir/lib"
jar="$dir/.cache/tensorflow-lite-$artifact_version-$classifier.jar"
if [[ ! -f $jar ]]; then
  command -v mvn >/dev/null || fail "Maven (mvn) is needed to fetch the TensorFlow Lite runtime (Debian: apt-get install maven), or set TFSERVING_TFLITE=skip."
  say "fetching TensorFlow Lite $artifact_version ($classifier) with Maven"
  mvn -q -B dependency:copy "-Dartifact=org.bytedeco:tensorflow-lite:$artifact_version:jar:$classifier" \
    "-DoutputDirectory=$dir/.cache" > "$dir/.cache/mvn.log" 2>&1 \
    || { tail -n 20 "$dir/.cache/mvn.log" >&2; fail "Maven could not fetch org.bytedeco:tensorflow-lite:$artifact_version:$classifier (is the Maven registry reachable?)."; }
fi
python3 - "$jar" "$dir/lib" "$classifier" <<'PY' || fail "the TensorFlow Lite jar does not hold libjnitensorflowlite.so."
import sys, zipfile, shutil, os
jar, out, classifier = sys.argv[1:]
name = f"org/bytedeco/tensorflowlite/{classifier}/libjnitensorflowlite.so"
with zipfile.ZipFile(jar) as z, z.open(name) as src, open(os.path.join(out, "libjnitensorflowlite.so"), "wb") as dst:
    shutil.copyfileobj(src, dst)
PY

command -v g++ >/dev/null && command -v make >/dev/null || fail "a C++ compiler and make are needed to build the TFLite binding (Debian: apt-get install g++ make)."
node_prefix=$(dirname "$(dirname "$(command -v node)")")
nodedir=${npm_config_nodedir:-}
[[ -z $nodedir && -f $node_prefix/include/node/node_api.h ]] && nodedir=$node_prefix
# node-gyp from the lockfile, else the copy bundled with npm.
gyp="$root/node_modules/node-gyp/bin/node-gyp.js"
[[ -f $gyp ]] || gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
[[ -f $gyp ]] || fail "node-gyp was not found (npm ci installs it)."
say "compiling the TFLite binding (node-gyp)"
(cd "$dir" && node "$gyp" rebuild ${nodedir:+--nodedir="$nodedir"}) > "$dir/.cache/build.log" 2>&1 \
  || { tail -n 30 "$dir/.cache/build.log" >&2; fail "compiling native/tflite failed (log above)."; }
version=$(node -e "process.stdout.write(require('$addon').version())") || fail "the TFLite binding does not load (node -e \"require('$addon')\")."
echo "$stamp" > "$dir/.cache/stamp"
say "TFLite binding ready: TensorFlow Lite $version"
