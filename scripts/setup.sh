#!/usr/bin/env bash
# Set up tinygrad_ae on a fresh machine: the Graphviz `dot` program (Debian's graphviz
# package, when we are root or have sudo) and a virtual environment .venv with the
# package and its dev extras. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        return 1
    fi
}

if ! command -v dot >/dev/null 2>&1; then
    echo "setup: installing Graphviz (the dot program) ..."
    if ! command -v apt-get >/dev/null 2>&1 || ! apt_install graphviz; then
        echo "setup: could not install Graphviz; pictures will be written as .dot files." >&2
        echo "setup: install it yourself (apt-get install graphviz / brew install graphviz)." >&2
    fi
fi

# Headless Chromium drives the test of the live training page (skipped where absent).
if [ "${TINYGRAD_AE_BROWSER:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
    echo "setup: installing Chromium for the browser test ..."
    command -v apt-get >/dev/null 2>&1 && apt_install chromium || \
        echo "setup: could not install Chromium; the browser test will be skipped." >&2
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv ..."
    "$PYTHON" -m venv .venv
fi
EXTRAS=dev
# PyTorch (the bench extra, pinned to torch==2.13.0) only when asked: CI asks, so the
# comparisons with PyTorch run there; elsewhere they are skipped.
if [ "${TINYGRAD_AE_TORCH:-0}" = 1 ]; then EXTRAS=dev,bench; fi
echo "setup: installing tinygrad-ae and its extras ($EXTRAS) into .venv ..."
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e ".[$EXTRAS]"
echo "setup: done"
