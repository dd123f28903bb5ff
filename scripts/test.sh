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
# Two workers (pytest-xdist) halve the wall time on the 2-core CI machines; the tests share
# no files (each writes under its own tmp_path) and hypothesis keeps its profile per worker.
# --dist worksteal: a worker that runs out takes half of the other's remaining tests, so
# both finish together (xdist's default hands out fixed chunks, and one worker could sit idle
# for the last tens of seconds). Pass -n 0 to run in one process (a debugger, or -x to stop
# at the first failure).
echo "== pytest"; .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" --dist worksteal "$@"
