#!/usr/bin/env bash
# Set up, then run every check CI runs: ruff, mypy, and the test suite with its doctests.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI (CI=true) also installs PyTorch, so the comparisons against it run rather than skip.
if [ "${CI:-}" = true ]; then export TINYGRAD_AE_TORCH=1; fi
TINYGRAD_AE_BROWSER=1 bash scripts/setup.sh
echo "== ruff"; .venv/bin/ruff check .
echo "== layers"; .venv/bin/lint-imports
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; .venv/bin/python -m pytest "$@"
