#!/usr/bin/env bash
# Build the GPU bundle: everything scripts/gpu-check-all.sh needs on a lent GPU machine that has no
# Node, no Vulkan loader and no network (docs/gpu.md). Output folder (git-ignored, default .gpu-bundle/):
#   node.xz         this machine's Node binary, stripped and xz-compressed
#   app.tar.xz      app/: dist/ re-bundled with its npm packages (tfjs, jax-js, ...) except Dawn,
#                   node_modules/webgpu (dawn.node for linux-x64), the golden fixture, the PyTorch
#                   reference and benchmark scripts, and vulkan/lib (the Vulkan loader, libvulkan1)
#   libvulkan1_*.deb the loader package as downloaded with `apt-get download` (kept as a cache)
#   MANIFEST.json   commit, versions and sizes
#
#   bash scripts/gpu-bundle.sh [--out DIR] [--fast] [--no-build]
# --fast: no compression (node and app.tar stored as is; for the local smoke run, not for carrying)
# and the system's own loader when no .deb can be downloaded. --no-build: use dist/ as it is.
# Fails when the bundle is over 50 MiB (the lent machine takes 64 MiB per command, tree included).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/.gpu-bundle"
FAST=0
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --fast) FAST=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-bundle: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
LIMIT=$((50 * 1024 * 1024))
NODE_BIN=$(command -v node)
DAWN="$REPO/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -f "$DAWN" ] || { echo "gpu-bundle: $DAWN missing (run npm install, or bash scripts/setup.sh)" >&2; exit 2; }
[ "$(uname -m)" = x86_64 ] || { echo "gpu-bundle: this machine is $(uname -m); the lent GPU machines are x86-64 and need an x86-64 Node" >&2; exit 2; }

cd "$REPO"
if [ $BUILD = 1 ]; then node build.mjs >/dev/null; fi
mkdir -p "$OUT"
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/gpu-bundle.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
APP="$STAGE/app"
mkdir -p "$APP/node_modules/webgpu/dist/linux-x64" "$APP/test/fixtures/golden" "$APP/test/reference" "$APP/kernels-bench" "$APP/scripts/gpu" "$APP/vulkan/lib"

# 1. dist/, with the npm packages bundled in (Dawn stays a package: its native module is loaded from a path).
node scripts/gpu/bundle-dist.mjs dist "$APP/dist"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md "$APP/node_modules/webgpu/"
cp "$DAWN" "$APP/node_modules/webgpu/dist/linux-x64/"

# 2. What the checks read from the repository layout: the golden fixture, the PyTorch reference
# (step-bench's torch_step.py imports it), the Python benchmark scripts.
cp test/fixtures/golden/tiny_step.safetensors test/fixtures/golden/README.md "$APP/test/fixtures/golden/"
cp test/reference/*.py "$APP/test/reference/"
cp kernels-bench/*.py "$APP/kernels-bench/" 2>/dev/null || true
cp scripts/gpu/*.py "$APP/scripts/gpu/"

# 3. The Vulkan loader: Debian's libvulkan1, downloaded once and kept in $OUT.
DEB=$(ls "$OUT"/libvulkan1_*.deb 2>/dev/null | head -1 || true)
if [ -z "$DEB" ]; then
  (cd "$OUT" && timeout 60 apt-get download libvulkan1 >/dev/null 2>&1) || true
  DEB=$(ls "$OUT"/libvulkan1_*.deb 2>/dev/null | head -1 || true)
fi
LOADER_NOTE=""
if [ -n "$DEB" ]; then
  dpkg-deb -x "$DEB" "$STAGE/deb"
  cp -P "$STAGE"/deb/usr/lib/x86_64-linux-gnu/libvulkan.so.1* "$APP/vulkan/lib/"
  LOADER_NOTE="$(basename "$DEB")"
else
  SYS=$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ {print $NF; exit}')
  if [ $FAST = 1 ] && [ -n "$SYS" ]; then
    cp -L "$SYS" "$APP/vulkan/lib/libvulkan.so.1"
    LOADER_NOTE="system copy of $SYS (no .deb downloaded)"
  else
    echo "gpu-bundle: could not download libvulkan1 (apt-get download libvulkan1; run apt-get update first?)" >&2
    exit 1
  fi
fi

# 4. Node, stripped of its debug information (99 -> 86 MB before compression).
if command -v strip >/dev/null; then strip -o "$STAGE/node" "$NODE_BIN"; else cp "$NODE_BIN" "$STAGE/node"; fi
rm -f "$OUT/node" "$OUT/node.xz" "$OUT/app.tar" "$OUT/app.tar.xz"
if [ $FAST = 1 ]; then
  cp "$STAGE/node" "$OUT/node"
  tar -C "$STAGE" -cf "$OUT/app.tar" app
else
  xz -T0 -6 -c "$STAGE/node" > "$OUT/node.xz"
  tar -C "$STAGE" -cf - app | xz -T0 -6 -c > "$OUT/app.tar.xz"
fi

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || COMMIT="$COMMIT+uncommitted"
SIZE=$(du -cb "$OUT"/* | tail -1 | cut -f1)
cat > "$OUT/MANIFEST.json" <<EOF
{
  "built": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "commit": "$COMMIT",
  "compressed": $([ $FAST = 1 ] && echo false || echo true),
  "node": "$("$NODE_BIN" --version)",
  "webgpu": "$(node -p "require('./node_modules/webgpu/package.json').version")",
  "vulkan_loader": "$LOADER_NOTE",
  "bytes": $SIZE
}
EOF
echo "gpu-bundle: $OUT: $(du -b "$OUT"/node* | cut -f1 | awk '{printf "%.1f", $1/1048576}') MiB node, $(du -b "$OUT"/app.tar* | cut -f1 | awk '{printf "%.1f", $1/1048576}') MiB app; total $(awk -v b="$SIZE" 'BEGIN {printf "%.1f MiB (%d bytes)", b/1048576, b}')"
if [ $FAST = 0 ] && [ "$SIZE" -gt $LIMIT ]; then
  echo "gpu-bundle: the bundle is over 50 MiB; it will not travel with a command" >&2
  exit 1
fi
