#!/usr/bin/env bash
# The main job: set up, then reproduce the paper end to end (tinygrad-ae demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/tinygrad-ae demo "$@"
