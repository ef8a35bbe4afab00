#!/usr/bin/env bash
# Installs everything the server and its tests need, from package registries only:
#   1. a project-local Python environment (.venv) with the pinned TensorFlow wheel, tensorflow-text (its
#      op libraries) and the official client,
#   2. npm packages from the lockfile,
#   3. @tensorflow/tfjs-node's native binding, compiled against the TensorFlow C library shipped inside
#      that wheel (libtensorflow_cc.so.2 + libtensorflow_framework.so.2 + its headers) instead of the
#      libtensorflow 2.9.1 tarball tfjs-node would download from Google storage,
#   3b. our runtime addon (native/) against the same library, and TF-Text's op libraries staged,
#   3c. the TensorFlow Lite runtime (a Maven artifact) and its binding (scripts/setup-tflite.sh),
#   4. the TypeScript build.
# Every step is skipped when its inputs have not changed, so running it again is cheap.
#
# Choosing the TensorFlow library (see README "The TensorFlow runtime"):
#   TFSERVING_TF_LIB=/path/to/site-packages/tensorflow  use the wheel already installed there
#   TFSERVING_PYTHON=/path/to/python                      create .venv from this interpreter
#   TFSERVING_TF_PACKAGE=tensorflow-cpu                  install this wheel instead of `tensorflow` (same version)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { printf '[setup] %s\n' "$*"; }
fail() { printf '[setup] FAILED: %s\n' "$*" >&2; exit 1; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

venv="$root/.venv"

# TFSERVING_TF_PACKAGE=tensorflow-cpu (the Docker image): install that wheel, at the pinned TensorFlow
# version, in place of `tensorflow`. The other requirements declare a dependency on the name `tensorflow`,
# which pip would satisfy with the full wheel next to it, so they go in without their dependencies (those
# they need besides TensorFlow are TensorFlow's own).
tf_package_install() {
  local pkg=$TFSERVING_TF_PACKAGE tf_version rest
  tf_version=$(sed -n 's/^tensorflow==\([^ ]*\).*/\1/p' python/requirements.txt)
  [[ -n $tf_version ]] || fail "python/requirements.txt pins no tensorflow==VERSION for TFSERVING_TF_PACKAGE to follow."
  say "TFSERVING_TF_PACKAGE: installing $pkg==$tf_version in place of tensorflow==$tf_version"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q "$pkg==$tf_version" -c python/constraints.txt \
    || fail "pip could not install $pkg==$tf_version from PyPI."
  rest=$(grep -vE '^\s*(#|$)|^tensorflow==' python/requirements.txt || true)
  if [[ -n $rest ]]; then
    # shellcheck disable=SC2086 # one requirement per word
    "$venv/bin/python" -m pip install --disable-pip-version-check -q --no-deps $rest -c python/constraints.txt \
      || fail "pip could not install python/requirements.txt (without tensorflow) from PyPI."
  fi
}
tfjs="$root/node_modules/@tensorflow/tfjs-node"

# --- 1. Python environment ------------------------------------------------------------------------
python_stamp=$(hash_of python/requirements.txt python/constraints.txt)${TFSERVING_TF_PACKAGE:+-$TFSERVING_TF_PACKAGE}
if [[ -f "$venv/.stamp" && $(cat "$venv/.stamp") == "$python_stamp" ]]; then
  say "python environment up to date (.venv)"
else
  py=${TFSERVING_PYTHON:-python3}
  command -v "$py" >/dev/null || fail "no Python 3 interpreter found ('$py'); install python3 (3.9-3.12) or set TFSERVING_PYTHON."
  say "creating .venv with $("$py" --version 2>&1) and installing $(grep -E '^tensorflow==' python/requirements.txt) (about 600 MB)"
  [[ -x "$venv/bin/python" ]] || "$py" -m venv "$venv" || fail "could not create a virtual environment with $py (Debian: apt-get install python3-venv)."
  if [[ -n ${TFSERVING_TF_PACKAGE:-} ]]; then
    tf_package_install
  else
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -r python/requirements.txt -c python/constraints.txt \
      || fail "pip could not install python/requirements.txt from PyPI (is PyPI reachable?)."
  fi
  echo "$python_stamp" > "$venv/.stamp"
fi

# --- 2. npm packages --------------------------------------------------------------------------------
npm_stamp=$(hash_of package-lock.json)
if [[ -f node_modules/.setup-stamp && $(cat node_modules/.setup-stamp) == "$npm_stamp" ]]; then
  say "npm packages up to date"
else
  say "installing npm packages from package-lock.json"
  # Install scripts are skipped: tfjs-node's own would try to download libtensorflow. Step 3 builds it.
  npm ci --ignore-scripts --no-audit --no-fund >/dev/null || fail "npm ci failed (is the npm registry reachable?)."
  echo "$npm_stamp" > node_modules/.setup-stamp
fi

# --- 3. tfjs-node binding against the wheel's C library -------------------------------------------------
{
  tf_lib=${TFSERVING_TF_LIB:-}
  if [[ -z $tf_lib ]]; then
    tf_lib=$("$venv/bin/python" - <<'EOF' 2>/dev/null
import importlib.util, os
spec = importlib.util.find_spec("tensorflow")
print(os.path.dirname(spec.origin) if spec and spec.origin else "")
EOF
)
  fi
  [[ -n $tf_lib && -f $tf_lib/libtensorflow_cc.so.2 ]] \
    || fail "libtensorflow_cc.so.2 was not found in '${tf_lib:-<no tensorflow package>}'; install a TensorFlow >= 2.12 wheel or set TFSERVING_TF_LIB."
  [[ -f $tf_lib/libtensorflow_framework.so.2 && -f $tf_lib/include/tensorflow/c/c_api.h ]] \
    || fail "the TensorFlow wheel at $tf_lib lacks libtensorflow_framework.so.2 or include/tensorflow/c/c_api.h."
  binding_stamp=$(printf '%s\n' "$tf_lib" "$(stat -c %s "$tf_lib/libtensorflow_cc.so.2")" "$npm_stamp" | sha256sum | cut -c1-16)
  addon=$(ls "$tfjs"/lib/napi-v*/tfjs_binding.node 2>/dev/null | head -n1 || true)
  if [[ -n $addon && -f $tfjs/deps/.stamp && $(cat "$tfjs/deps/.stamp") == "$binding_stamp" ]]; then
    say "tfjs-node binding up to date (linked against $tf_lib)"
  else
    say "linking tfjs-node against the TensorFlow C library in $tf_lib"
    # tfjs-node's install script skips its download when deps/lib/libtensorflow.so.<its version> exists,
    # and builds from source when scripts/custom-binary.json names a custom library.
    rm -rf "$tfjs/deps" "$tfjs/lib" "$tfjs/build"
    mkdir -p "$tfjs/deps/lib"
    ln -s "$tf_lib/include" "$tfjs/deps/include"
    for so in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
      if [[ ${TFSERVING_COPY_LIBS:-0} == 1 ]]; then cp "$tf_lib/$so" "$tfjs/deps/lib/$so"; else ln -s "$tf_lib/$so" "$tfjs/deps/lib/$so"; fi
    done
    # Names the linker (-ltensorflow -ltensorflow_framework) and the install script look for.
    ln -s libtensorflow_cc.so.2 "$tfjs/deps/lib/libtensorflow.so"
    ln -s libtensorflow_framework.so.2 "$tfjs/deps/lib/libtensorflow_framework.so"
    tfjs_lib_version=$(node -e "process.stdout.write(require('$tfjs/scripts/deps-constants.js').LIBTENSORFLOW_VERSION)" 2>/dev/null || echo 2.9.1)
    ln -s libtensorflow_cc.so.2 "$tfjs/deps/lib/libtensorflow.so.$tfjs_lib_version"
    echo '{"tf-lib": "tensorflow-python-wheel"}' > "$tfjs/scripts/custom-binary.json"
    # node-gyp needs Node's headers; use the ones installed with node rather than downloading them.
    node_prefix=$(dirname "$(dirname "$(command -v node)")")
    if [[ -z ${npm_config_nodedir:-} && -f $node_prefix/include/node/node_api.h ]]; then export npm_config_nodedir=$node_prefix; fi
    command -v g++ >/dev/null && command -v make >/dev/null || fail "a C++ compiler and make are needed to build tfjs-node's binding (Debian: apt-get install g++ make)."
    say "compiling tfjs-node's binding (node-gyp)"
    (cd "$tfjs" && PATH="$root/node_modules/.bin:$PATH" node scripts/install.js) > "$root/.cache-tfjs-build.log" 2>&1 \
      || { tail -n 30 "$root/.cache-tfjs-build.log" >&2; fail "compiling tfjs-node's binding against $tf_lib failed (log above, full log in .cache-tfjs-build.log)."; }
    addon=$(ls "$tfjs"/lib/napi-v*/tfjs_binding.node 2>/dev/null | head -n1 || true)
    [[ -n $addon ]] || fail "tfjs-node's build finished without producing tfjs_binding.node (see .cache-tfjs-build.log)."
    echo "$binding_stamp" > "$tfjs/deps/.stamp"
    rm -f "$root/.cache-tfjs-build.log"
  fi
}

# --- 3b. the server's TensorFlow runtime addon (native/) and TF-Text's op libraries --------------------
# native/ is our own N-API addon over the same TensorFlow C library (see README "The TensorFlow
# runtime"); it links the libraries staged under tfjs-node's deps/ above.
{
  native_stamp=$( (cat native/binding.gyp native/src/* ; echo "$binding_stamp") | sha256sum | cut -c1-16)
  if [[ -f native/build/Release/tf_runtime.node && -f native/build/Release/net_listen.node && -f native/build/.stamp && $(cat native/build/.stamp) == "$native_stamp" ]]; then
    say "runtime addon up to date (native/)"
  else
    say "compiling the runtime addon (native/)"
    node_prefix=$(dirname "$(dirname "$(command -v node)")")
    nodedir_arg=()
    [[ -f $node_prefix/include/node/node_api.h ]] && nodedir_arg=(--nodedir="$node_prefix")
    (cd native && "$root/node_modules/.bin/node-gyp" rebuild "${nodedir_arg[@]}") > "$root/.cache-native-build.log" 2>&1 \
      || { tail -n 30 "$root/.cache-native-build.log" >&2; fail "compiling native/ against $tf_lib failed (full log in .cache-native-build.log)."; }
    echo "$native_stamp" > native/build/.stamp
    rm -f "$root/.cache-native-build.log"
  fi
  # TF-Text's op libraries (tensorflow-text, pinned to the linked TensorFlow): the server loads every
  # .so in native/lib/tensorflow_text at start, so TF-Text models serve with no flag.
  text_ops=$("$venv/bin/python" - <<'PY' 2>/dev/null
import importlib.util, os
spec = importlib.util.find_spec("tensorflow_text")
print(os.path.join(os.path.dirname(spec.origin), "python", "ops") if spec and spec.origin else "")
PY
)
  rm -rf native/lib/tensorflow_text
  if [[ -n $text_ops && -d $text_ops ]]; then
    mkdir -p native/lib/tensorflow_text
    for so in "$text_ops"/*.so; do
      if [[ ${TFSERVING_COPY_LIBS:-0} == 1 ]]; then cp "$so" native/lib/tensorflow_text/; else ln -s "$so" native/lib/tensorflow_text/; fi
    done
    say "TF-Text op libraries staged: $(ls native/lib/tensorflow_text | wc -l) files"
  else
    say "tensorflow-text is not installed: TF-Text models will not load (pip install tensorflow-text)"
  fi
}

# --- 3c. TensorFlow Lite runtime and binding (model.tflite versions) -------------------------------------
bash "$root/scripts/setup-tflite.sh"

# --- 4. TypeScript build ---------------------------------------------------------------------------------
say "compiling TypeScript"
npx tsc -p tsconfig.json || fail "the TypeScript build failed."

versions=$(node dist/cli/main.js --version 2>/dev/null) || fail "the server could not load TensorFlow through tfjs-node's binding (run: node dist/cli/main.js --version)."
say "ready: $(echo "$versions" | tr '\n' ' ')"
