#!/usr/bin/env bash
# One command from a fresh clone to a machine where everything runs, `npm test` included:
#   npm packages -> build -> WebGPU adapter check, installing a Vulkan driver (Mesa >= 25 lavapipe)
#   only when no adapter is found -> what the tests, the corpus and the benchmarks use, from
#   Debian's packages, each only when missing:
#     chromium                       browser tests and the demo screenshot
#     espeak-ng                      speech in the built-in corpus
#     fluidsynth fluid-soundfont-gm  the instruments task (real recorded samples)
#     openmpi-bin libopenmpi3        data-parallel pre-training (mpirun)
#     python3-torch libopenblas0-pthread   the PyTorch reference in step-bench
#     python3-numpy                  scripts/pooled-readouts.py (a feature diagnostic)
# Options: --minimal   only npm packages, build and the WebGPU adapter (no tests that need the rest)
#          -h, --help  this text
set -euo pipefail
cd "$(dirname "$0")/.."

minimal=0
for a in "$@"; do
  case "$a" in
    --minimal) minimal=1 ;;
    --all|--browser|--speech) ;;  # earlier options: everything is installed by default now
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option $a (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\n== %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="__none__"; fi
fi
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1 || [ "$SUDO" = "__none__" ]; then
    echo "setup.sh: cannot install $* automatically (needs apt-get as root); install it by hand" >&2
    return 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
}

say "npm packages"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules is up to date"
fi

say "build"
node build.mjs

say "WebGPU adapter"
if node dist/gpu-check.js; then
  echo "adapter found: nothing to install"
else
  echo "no adapter: installing the Vulkan loader and Mesa's lavapipe (>= 25)"
  codename=$( . /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-}")
  if [ "$codename" = "bookworm" ]; then
    # bookworm's Mesa 22 is rejected by Dawn; backports carries Mesa 25.
    if [ ! -f /etc/apt/sources.list.d/backports.sources ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
      uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
      uri=${uri:-http://deb.debian.org/debian}
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
        | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
    fi
    APT_UPDATED=""
    apt_install -t bookworm-backports libvulkan1 mesa-vulkan-drivers
  else
    apt_install libvulkan1 mesa-vulkan-drivers
  fi
  node dist/gpu-check.js || { echo "setup.sh: still no WebGPU adapter after installing lavapipe" >&2; exit 1; }
fi

if [ "$minimal" = 0 ]; then
  say "tools the tests and benchmarks use"
  need=()
  have_cmd() { command -v "$1" >/dev/null 2>&1; }
  have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
  have_cmd chromium || need+=(chromium)
  have_cmd espeak-ng || need+=(espeak-ng)
  have_cmd fluidsynth || need+=(fluidsynth)
  [ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || need+=(fluid-soundfont-gm)
  have_cmd mpirun || need+=(openmpi-bin libopenmpi3)
  /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need+=(python3-torch)
  /usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
  if command -v dpkg-query >/dev/null 2>&1 && ! have_pkg libopenblas0-pthread; then need+=(libopenblas0-pthread); fi
  if [ ${#need[@]} -eq 0 ]; then echo "all present"; else echo "installing: ${need[*]}"; apt_install "${need[@]}"; fi
fi
say "set-up done"
