#!/usr/bin/env bash
# A uniform random sample of one package's mutants, judged by mutmut with the settings of
# scripts/mutate.sh (for files too large to run whole on a shared machine). Usage:
#
#   scripts/mutate_sample.sh PACKAGE 'GLOB' N SEED     # e.g. nn module.py 150 20261201
#
# It copies the project into build/mutmut/PACKAGE-GLOB-sample/, narrows [tool.mutmut] as
# mutate.sh does, lets mutmut generate every mutant (by asking for one that does not
# exist), lists them, shuffles the names with Python's random.Random(SEED), and runs
# `mutmut run` on the first N. Results: results.txt (every sampled mutant not killed),
# sample.txt, sample-size.txt. Report the score with its 95 % interval as a sample.
# MUTMUT_LABEL=after puts the run in ...-sample-after/ beside an earlier one (e.g. the same
# seed again once the code has changed, so the mutants and the sample are new).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
package=$1; files=$2; n=$3; seed=$4
python=${PYTHON:-$root/.venv/bin/python}
case "$package" in
    autograd) tests='"tests/autograd", "tinygrad_ae/autograd"' ;;
    theory) tests='"tests/theory", "tinygrad_ae/theory", "tests/studies/test_convergence.py", "tests/studies/test_uncentred.py"' ;;
    nn|optim|models|data|viz) tests="\"tests/$package\", \"tinygrad_ae/$package\"" ;;
    *) echo "usage: scripts/mutate_sample.sh PACKAGE GLOB N SEED" >&2; exit 2 ;;
esac
work=$root/build/mutmut/$package-${files//[^A-Za-z0-9_]/_}-sample${MUTMUT_LABEL:+-$MUTMUT_LABEL}
rm -rf "$work"; mkdir -p "$work"
cp -r tinygrad_ae tests pyproject.toml README.md examples docs benchmarks scripts "$work"/
find "$work" -name __pycache__ -prune -exec rm -rf {} +
"$python" - "$work/pyproject.toml" "$package" "$files" "$tests" <<'PY'
import re
import sys

path, package, files, tests = sys.argv[1:]
text = open(path, encoding="utf-8").read()
text = re.sub(r'^only_mutate = .*$', f'only_mutate = ["tinygrad_ae/{package}/{files}"]', text,
              flags=re.M)
text = text.replace("[tool.mutmut]\n", "[tool.mutmut]\n"
                    f"pytest_add_cli_args_test_selection = [{tests}]\n"
                    'process_isolation = "forkserver"\n', 1)
open(path, "w", encoding="utf-8").write(text)
PY
cd "$work"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 HYPOTHESIS_PROFILE=ci
nice -n 19 "$python" -m mutmut run "tinygrad_ae.$package.x_NO_SUCH__mutmut_1" > generate.log 2>&1 || true
"$python" -m mutmut results --all true 2>/dev/null | sed -n 's/^ *\([^:]*\):.*/\1/p' > all-mutants.txt
"$python" - "$seed" "$n" <<'PY' > sample.txt
import random
import sys

seed, n = int(sys.argv[1]), int(sys.argv[2])
names = open("all-mutants.txt").read().split()
random.Random(seed).shuffle(names)
print("\n".join(sorted(names[:n])))
PY
echo "$(wc -l < all-mutants.txt) mutants, sampled $(wc -l < sample.txt)" | tee sample-size.txt
mapfile -t names < sample.txt
nice -n 19 "$python" -m mutmut run --max-children "${MUTMUT_CHILDREN:-1}" "${names[@]}" || true
"$python" -m mutmut results > results.txt || true
