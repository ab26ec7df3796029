#!/usr/bin/env bash
# Create or update .venv in the repository root with everything video_bank needs.
#
#   scripts/setup.sh            runtime packages
#   scripts/setup.sh --dev      + test and lint tools (pytest, playwright, ruff, mypy) and Debian's
#                               coturn for the TURN tests (apt-get, needs root)
#   scripts/setup.sh --browser  + Debian's chromium for browser tests (apt-get, needs root)
#
# The face stack is installed without compiling dlib: `dlib-bin` (prebuilt wheel, a dependency in
# pyproject.toml), then `face-recognition` with --no-deps (its metadata would pull `dlib` from
# source), and `face-recognition-models`. `setuptools<81` stays because face_recognition_models
# imports pkg_resources. Re-running is cheap: nothing is reinstalled unless pyproject.toml or this
# script changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

dev=0
browser=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --browser) browser=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "setup.sh: Python 3.11 or newer is required" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  python="$(pick_python)"
  echo "setup: creating .venv with $("$python" --version)"
  "$python" -m venv .venv
fi

extras=""
kind="runtime"
[ "$dev" = 1 ] && { extras="[dev]"; kind="dev"; }
stamp=".venv/.video-bank-setup"
hash="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"
installed="$(cat "$stamp" 2>/dev/null || true)"
# A dev install also satisfies a runtime request.
if [ "$installed" != "$hash dev" ] && [ "$installed" != "$hash $kind" ]; then
  echo "setup: installing packages into .venv (the first run takes a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip "setuptools<81" wheel
  .venv/bin/python -m pip install --quiet -e ".$extras"
  .venv/bin/python -m pip install --quiet --no-deps "face-recognition==1.3.0"
  .venv/bin/python -W ignore -c "import face_recognition, cv2, aiortc" \
    || { echo "setup: the face/media stack does not import" >&2; exit 1; }
  echo "$hash $kind" > "$stamp"
fi

if [ "$browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium for browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "setup: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);" \
         "browser tests will be skipped" >&2
  fi
fi

# The TURN tests start their own coturn (`turnserver`) on loopback, unprivileged; only the binary is
# needed. On a systemd machine the package enables and starts its own service with the default
# configuration: stop and disable it, so that installing test tools never leaves a TURN server open.
if [ "$dev" = 1 ] && ! command -v turnserver >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's coturn for the TURN tests"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends coturn >/dev/null 2>&1; } \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           coturn >/dev/null; }
    if [ -d /run/systemd/system ]; then
      systemctl disable --now coturn.service >/dev/null 2>&1 || true
    fi
  else
    echo "setup: turnserver (coturn) is missing and cannot be installed here (needs root and apt-get);" \
         "TURN tests will be skipped" >&2
  fi
fi

# The customer page speaks Chinese by default: without a CJK font its screenshots show empty boxes.
if [ "$browser" = 1 ] && [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
    && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing a Chinese font for browser screenshots"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-wqy-microhei >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         fonts-wqy-microhei >/dev/null; } || echo "setup: no Chinese font installed" >&2
fi
