#!/usr/bin/env bash
# One command from a fresh clone to a working engine:
#   npm packages -> build -> WebGPU adapter check, installing a Vulkan driver (Mesa >= 25 lavapipe)
#   only when no adapter is found.
# Options: --browser  also install Debian's chromium (browser tests and the demo screenshot)
#          --speech   also install espeak-ng (speech in the built-in corpus)
#          --all      both
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0; want_speech=0
for a in "$@"; do
  case "$a" in
    --browser) want_browser=1 ;;
    --speech) want_speech=1 ;;
    --all) want_browser=1; want_speech=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
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

if [ "$want_browser" = 1 ]; then
  say "chromium (browser tests)"
  if command -v chromium >/dev/null 2>&1; then echo "chromium present: $(chromium --version 2>/dev/null)"; else apt_install chromium; fi
fi
if [ "$want_speech" = 1 ]; then
  say "espeak-ng (speech in the built-in corpus)"
  command -v espeak-ng >/dev/null 2>&1 && echo "espeak-ng present" || apt_install espeak-ng
fi
say "set-up done"
