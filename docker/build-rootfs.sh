#!/usr/bin/env bash
# Assembles, in a folder, the files the image's final stage holds (docker/Dockerfile), from this
# repository's local install (run `npm run setup` first) - so what the image ships can be checked and
# run without a Docker engine:
#
#   OUT/app/{package.json,dist,proto,bin}     the compiled server
#   OUT/app/native/build/Release, native/lib  the runtime and listening-socket addons and TF-Text's op libraries (copied)
#   OUT/app/node_modules                      production packages only (as `npm prune --omit=dev` leaves them)
#     @tensorflow/tfjs-node/deps/lib          the wheel's libtensorflow_cc.so.2 + libtensorflow_framework.so.2,
#                                             copied, as TFSERVING_COPY_LIBS=1 does (no symlinks into .venv)
#   OUT/app/native/tflite/{build/Release,lib} the TFLite binding and its runtime library
#   OUT/usr/bin/tf_serving_entrypoint.sh      the entrypoint
#   OUT/usr/local/bin/tensorflow_model_server a link to app/bin/tensorflow_model_server
#
# It does what the Dockerfile's build stage does after scripts/setup.sh, reusing the binding this checkout
# already compiled against the same wheel instead of compiling it again.
#
# Usage: docker/build-rootfs.sh OUT [--link | --slim]
#   --link  hard-link the TensorFlow libraries (1.2 GB) instead of copying them (same file system only);
#           the tree is just as independent of .venv's path, which is what the tests check.
#   --slim  what the image's build stage uses: copies, without source maps, libraries stripped.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:?usage: build-rootfs.sh OUT [--link | --slim]}
link=${2:-}
say() { printf '[rootfs] %s\n' "$*"; }
fail() { printf '[rootfs] FAILED: %s\n' "$*" >&2; exit 1; }

tfjs=$root/node_modules/@tensorflow/tfjs-node
[[ -f $root/dist/cli/main.js ]] || fail "dist/ is missing: run 'npm run setup' first."
ls "$tfjs"/lib/napi-v*/tfjs_binding.node >/dev/null 2>&1 || fail "tfjs-node's binding is not built: run 'npm run setup' first."

rm -rf "$out"
mkdir -p "$out/app" "$out/usr/bin" "$out/usr/local/bin"
out=$(cd "$out" && pwd)
app=$out/app

say "copying package.json, dist/, proto/, bin/"
cp "$root/package.json" "$root/package-lock.json" "$app/"
cp -a "$root/dist" "$root/proto" "$root/bin" "$app/"

say "copying the production packages of node_modules (what \`npm prune --omit=dev\` leaves)"
# Read-only on this checkout: the package list comes from \`npm ls\`; nothing here runs npm in a tree that
# shares files with it.
while IFS= read -r pkg; do
  rel=${pkg#"$root"/}
  [[ $rel == node_modules/* ]] || continue
  [[ -e $app/$rel ]] && continue  # already copied with its parent package (parents sort first)
  mkdir -p "$app/$(dirname "$rel")"
  cp -a "$root/$rel" "$app/$rel"
done < <(cd "$root" && npm ls --omit=dev --all --parseable 2>/dev/null | sort)
[[ -d $app/node_modules/@tensorflow/tfjs-node ]] || fail "npm ls --omit=dev did not list @tensorflow/tfjs-node."
rm -f "$app/package-lock.json"

say "replacing links that lead out of the tree (into the TensorFlow wheel) with the files themselves"
# Whatever the set-up links into .venv (tfjs-node's deps/lib today; op libraries or a companion addon's
# libraries tomorrow) becomes a real file, so the tree needs nothing outside it. Linked folders (headers)
# are build-time only and are dropped.
rm -rf "$app/node_modules/@tensorflow/tfjs-node/deps/include" "$app/node_modules/@tensorflow/tfjs-node"/build-tmp-napi-* "$app/node_modules/.setup-stamp"
# Only links whose own target is outside count: links between files of the tree (libtensorflow.so ->
# libtensorflow_cc.so.2) stay links, so nothing is copied twice.
while IFS= read -r l; do
  own=$(readlink "$l")
  [[ $own == /* ]] || own=$(dirname "$l")/$own
  [[ $(realpath -m -s "$own") == "$out"/* ]] && continue
  target=$(readlink -f "$l" || true)
  if [[ -d $target ]]; then rm -f "$l"; continue; fi
  [[ -f $target ]] || fail "$l does not lead to a file."
  rm -f "$l"
  if [[ $link == --link ]]; then ln "$target" "$l" 2>/dev/null || cp "$target" "$l"; else cp "$target" "$l"; fi
done < <(find "$app" -type l)
[[ -f $app/node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow_cc.so.2 ]] || fail "libtensorflow_cc.so.2 is not in the tree."


say "copying the runtime addon (native/build/Release/tf_runtime.node), the listening-socket addon (net_listen.node) and TF-Text's op libraries"
[[ -f $root/native/build/Release/tf_runtime.node && -f $root/native/build/Release/net_listen.node ]] || fail "native/ is not built: run 'npm run setup' first."
mkdir -p "$app/native/build/Release" "$app/native/lib"
cp "$root/native/build/Release/tf_runtime.node" "$root/native/build/Release/net_listen.node" "$app/native/build/Release/"
[[ -d $root/native/lib/tensorflow_text ]] && cp -rL "$root/native/lib/tensorflow_text" "$app/native/lib/"

say "copying the TFLite binding and its runtime library"
tflite=$root/native/tflite
if [[ -f $tflite/build/Release/tflite_binding.node ]]; then
  mkdir -p "$app/native/tflite/build/Release" "$app/native/tflite/lib"
  cp "$tflite/build/Release/tflite_binding.node" "$app/native/tflite/build/Release/"
  cp "$tflite/lib/libjnitensorflowlite.so" "$app/native/tflite/lib/"
fi

if [[ $link == --slim ]]; then
  # For the image: source maps are never read by the server (about 200 MB), and the shared libraries'
  # symbol tables are not needed to run them (about 200 MB of TensorFlow's); dynamic symbols stay.
  say "removing source maps and browser bundles, stripping shared libraries"
  find "$app/node_modules" -name '*.map' -type f -delete
  # The tfjs packages' single-file browser bundles (UMD, ES2017, flat ESM, minified; about 45 MB): Node
  # loads each package's dist/*.node.js ("main") and the module files beside it, never these.
  for pkg in "$app"/node_modules/@tensorflow/tfjs*/; do
    [[ $pkg == */tfjs-node/ ]] && continue
    find "$pkg/dist" -maxdepth 1 -type f \( -name '*.es2017*.js' -o -name '*.fesm*.js' -o -name '*.min.js' -o -name '*.html' \
      -o -regex '.*/tf\(-[a-z-]+\)?\.js' \) -delete
    rm -rf "$pkg/dist/miniprogram"
  done
  # TypeScript sources and declarations, compiled-in tests and read-mes: nothing Node runs (about 20 MB).
  find "$app/node_modules" -type f \( -name '*.ts' -o -name '*_test.js' -o -iname '*.md' \) -delete
  find "$app" -type f \( -name '*.so' -o -name '*.so.*' -o -name '*.node' \) -print0 | xargs -0 -r strip --strip-unneeded
fi

say "installing the entrypoint"
cp "$root/docker/tf_serving_entrypoint.sh" "$out/usr/bin/tf_serving_entrypoint.sh"
chmod 755 "$out/usr/bin/tf_serving_entrypoint.sh"
ln -s ../../../app/bin/tensorflow_model_server "$out/usr/local/bin/tensorflow_model_server"

# Every link must stay inside the tree.
while IFS= read -r l; do
  target=$(readlink -f "$l" || true)
  [[ -n $target && -e $target && $target == "$out"/* ]] || fail "$l points outside the tree (${target:-dangling})."
done < <(find "$out" -type l)
say "done: $(du -sh "$out" | cut -f1) in $out"
