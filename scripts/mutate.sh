#!/usr/bin/env bash
# Mutation testing of one subpackage with mutmut 3 (not in CI: it runs the tests once per
# mutant). Usage:
#
#   scripts/mutate.sh PACKAGE [FILES...]  # PACKAGE: autograd, theory, nn, optim, models, data, viz
#                                         # FILES: globs inside it, e.g. 'tensor*.py' (default *);
#                                         # several globs are mutated in one run (one folder,
#                                         # one collection of test timings)
#
# mutmut reads its settings from the pyproject.toml in the folder it runs in, so the
# script copies the project into build/mutmut/PACKAGE/ (git-ignored; build/ is skipped by
# the docs checks) and narrows [tool.mutmut] there: only tinygrad_ae/PACKAGE/ is mutated,
# and the package's own tests decide a mutant's fate: tests/PACKAGE/ and the doctests in
# tinygrad_ae/PACKAGE/ (for theory also the studies that hold dynamics.py and uncentred.py
# against measured runs, tests/studies/test_convergence.py and test_uncentred.py). mutmut
# runs, for each mutant, only the tests that call the mutated function. Several packages can
# run at once, each in its own folder.
#
# It runs at the lowest priority. MUTMUT_CHILDREN (default 1) sets --max-children;
# MUTMUT_LABEL=after puts the run in build/mutmut/PACKAGE-after/ beside an earlier one;
# MUTMUT_TESTS_FROM=DIR judges the code with the tests in DIR instead of tests/.
# MUTMUT_RERUN=1 re-judges an earlier run's survivors with today's tests: it copies tests/
# into that run's folder and runs only the mutants listed in its results.txt (a larger
# suite kills every mutant a smaller one killed, so the others need no second run). Only
# while the code is unchanged: after a merge, tests of new code fail to collect; run afresh.
# MUTMUT_ONLY='PATTERN ...' runs only the mutants whose names match one of the patterns
# (mutmut's fnmatch on names such as 'tinygrad_ae.autograd.engine.x_backward__mutmut_3';
# e.g. 'tinygrad_ae.autograd.engine.*' runs one file first); the others stay unjudged and
# can be run later in the same folder with `mutmut run PATTERN`.
# PYTHON (default .venv/bin/python) must have mutmut installed. The results go to
# build/mutmut/PACKAGE/results.txt (every mutant that was not killed, with its status) and
# build/mutmut/PACKAGE/score.txt (the counts); `cd build/mutmut/PACKAGE && mutmut show NAME`
# prints one mutant's diff. Record the score and each survivor in docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

package=${1:-}
case "$package" in
    autograd|theory|nn|optim|models|data|viz) ;;
    *) echo "usage: scripts/mutate.sh autograd|theory|nn|optim|models|data|viz" >&2; exit 2 ;;
esac
shift
globs=("$@")
[ ${#globs[@]} -gt 0 ] || globs=("*")
only=()
[ -n "${MUTMUT_ONLY:-}" ] && read -r -a only <<< "$MUTMUT_ONLY"
files=${globs[*]}
python=${PYTHON:-$root/.venv/bin/python}
children=${MUTMUT_CHILDREN:-1}
# One folder per package, file glob and label, so runs never share (or delete) a folder.
all_globs=${globs[*]}
[ "$all_globs" = "*" ] && all_globs=
all_globs=${all_globs// /+}
scope=$package${all_globs:+-${all_globs//[^A-Za-z0-9_+]/_}}
work=$root/build/mutmut/$scope${MUTMUT_LABEL:+-$MUTMUT_LABEL}

tests=("tests/$package" "tinygrad_ae/$package")
if [ "$package" = theory ]; then
    tests+=("tests/studies/test_convergence.py" "tests/studies/test_uncentred.py")
fi

if [ "${MUTMUT_RERUN:-}" = 1 ]; then
    [ -f "$work/results.txt" ] || { echo "mutate.sh: no earlier run in $work" >&2; exit 2; }
    rm -rf "$work/tests" "$work/mutants/tests"
    cp -r tests "$work/tests" && cp -r tests "$work/mutants/tests"
    cd "$work"
    export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 HYPOTHESIS_PROFILE=ci
    mapfile -t names < <(sed -n 's/^ *\([^:]*\):.*/\1/p' results.txt)
    cp results.txt results-before-rerun.txt
    nice -n 19 "$python" -m mutmut run --max-children "$children" "${names[@]}" || true
    "$python" -m mutmut results > results.txt || true
    "$python" -m mutmut export-cicd-stats >/dev/null || true
    "$python" -c 'import json; print(json.load(open("mutants/mutmut-cicd-stats.json")))'
    exit 0
fi

rm -rf "$work"
mkdir -p "$work"
cp -r tinygrad_ae tests pyproject.toml README.md examples docs benchmarks scripts "$work"/
if [ -n "${MUTMUT_TESTS_FROM:-}" ]; then
    # judge the same code with another revision's tests, e.g. the tests before a change:
    #   git archive REV tests | tar -x -C /tmp/before && MUTMUT_TESTS_FROM=/tmp/before/tests
    rm -rf "$work/tests" && cp -r "$MUTMUT_TESTS_FROM" "$work/tests"
fi
find "$work" -name __pycache__ -prune -exec rm -rf {} +

# Narrow [tool.mutmut] in the copy: what to mutate and which tests judge it.
"$python" - "$work/pyproject.toml" "$package" "$files" "${tests[@]}" <<'EOF'
import re
import sys

path, package, files, *tests = sys.argv[1:]
text = open(path, encoding="utf-8").read()
globs = ", ".join(f'"tinygrad_ae/{package}/{f}"' for f in files.split())
text = re.sub(r'^only_mutate = .*$', f'only_mutate = [{globs}]', text, flags=re.M)
selection = ", ".join(f'"{t}"' for t in tests)
# PyTorch is imported by the oracle: fork workers from a clean server, not from a
# process that has already started PyTorch's threads.
text = text.replace("[tool.mutmut]\n", "[tool.mutmut]\n"
                    f"pytest_add_cli_args_test_selection = [{selection}]\n"
                    'process_isolation = "forkserver"\n', 1)
open(path, "w", encoding="utf-8").write(text)
EOF

cd "$work"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 HYPOTHESIS_PROFILE=ci
start=$(date +%s)
nice -n 19 "$python" -m mutmut run --max-children "$children" ${only[@]+"${only[@]}"} || true
"$python" -m mutmut results > results.txt || true
"$python" -m mutmut export-cicd-stats >/dev/null || true
elapsed=$(( $(date +%s) - start ))
"$python" - "$package" "$elapsed" <<'EOF' | tee score.txt
import json
import sys

package, elapsed = sys.argv[1], int(sys.argv[2])
stats = json.load(open("mutants/mutmut-cicd-stats.json", encoding="utf-8"))
killed = stats.get("killed", 0)
judged = killed + sum(stats.get(k, 0) for k in ("survived", "timeout", "suspicious", "no_tests"))
score = 100 * killed / judged if judged else 0.0
print(f"{package}: {killed} of {judged} mutants killed ({score:.1f} %); "
      f"{stats.get('skipped', 0)} skipped; "
      f"{elapsed // 60} min; {json.dumps(stats)}")
EOF
