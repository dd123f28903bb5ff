#!/usr/bin/env bash
# Uniform random sample of one nn file's mutants, with scripts/mutate.sh's settings.
# usage: mut-sample.sh FILE N SEED   (work folder build/mutmut/nn-FILE-sample)
set -euo pipefail
cd /work/wt-mut-nn
file=$1; n=$2; seed=$3
python=/work/main/.venv/bin/python
work=$PWD/build/mutmut/nn-${file//[^A-Za-z0-9_]/_}-sample
rm -rf "$work"; mkdir -p "$work"
cp -r tinygrad_ae tests pyproject.toml README.md examples docs benchmarks scripts "$work"/
find "$work" -name __pycache__ -prune -exec rm -rf {} +
"$python" - "$work/pyproject.toml" "$file" <<'PY'
import re, sys
path, files = sys.argv[1:]
text = open(path, encoding="utf-8").read()
text = re.sub(r'^only_mutate = .*$', f'only_mutate = ["tinygrad_ae/nn/{files}"]', text, flags=re.M)
text = text.replace("[tool.mutmut]\n", "[tool.mutmut]\n"
                    'pytest_add_cli_args_test_selection = ["tests/nn", "tinygrad_ae/nn"]\n'
                    'process_isolation = "forkserver"\n', 1)
open(path, "w", encoding="utf-8").write(text)
PY
cd "$work"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 HYPOTHESIS_PROFILE=ci
# generate the mutants and collect the stats by judging one (arbitrary) mutant, then sample
module=tinygrad_ae.nn.${file%.py}
nice -n 19 "$python" -m mutmut run "$module.x_NO_SUCH__mutmut_1" > generate.log 2>&1 || true
"$python" -m mutmut results --all true 2>/dev/null | sed -n 's/^ *\([^:]*\):.*/\1/p' > all-mutants.txt
"$python" -c "
import random, sys
names = open('all-mutants.txt').read().split()
random.Random($seed).shuffle(names)
print('\n'.join(sorted(names[:$n])))" > sample.txt
echo "$(wc -l < all-mutants.txt) mutants, sampled $(wc -l < sample.txt)" | tee sample-size.txt
mapfile -t names < sample.txt
nice -n 19 "$python" -m mutmut run --max-children 1 "${names[@]}" || true
"$python" -m mutmut results > results.txt || true
