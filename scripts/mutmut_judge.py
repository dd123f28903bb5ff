"""Judge mutmut mutants as ``mutmut run`` does, with a generous wall-clock limit.

For each mutant: the tests mutmut recorded as calling the mutated function, fastest
first, ``pytest -x`` with ``MUTANT_UNDER_TEST`` set, in a child forked from a warm parent.
mutmut's own limit, (estimated test time + 1) × 15 s, misfires on a loaded machine: a
mutant that fails at once is filed as a timeout. Run it from mutmut's ``mutants/`` folder
(inside ``build/mutmut/...`` made by scripts/mutate.sh or mutate_sample.sh)::

    python ../../../../scripts/mutmut_judge.py NAMES_FILE OUT_JSON [--first TEST ...]
    python ../../../../scripts/mutmut_judge.py NAMES_FILE OUT_JSON --only-first --first TEST ...

``--first`` runs the given test files before mutmut's list (e.g. new tests);
``--only-first`` runs only those. OUT_JSON maps each name to its exit code, and a rerun
resumes: 0 survived, 1 killed, 33 no tests, 36 over the wall limit (JUDGE_WALL seconds,
default 900), anything else an error.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time


def main(argv: list[str]) -> None:
    names_file, out_file, *rest = argv
    only_first = "--only-first" in rest
    if only_first:
        rest.remove("--only-first")
    first = rest[1:] if rest and rest[0] == "--first" else []
    names = [line.strip() for line in open(names_file, encoding="utf-8") if line.strip()]
    stats = json.load(open("mutmut-stats.json", encoding="utf-8"))
    tests_by_function = stats["tests_by_mangled_function_name"]
    duration = stats["duration_by_test"]
    done = json.load(open(out_file, encoding="utf-8")) if os.path.exists(out_file) else {}
    sys.path.insert(0, os.getcwd())
    os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                      HYPOTHESIS_PROFILE="ci")
    import pytest  # warm the parent once: every child starts with these imported

    import tinygrad_ae  # noqa: F401
    wall = float(os.environ.get("JUDGE_WALL", "900"))
    for name in names:
        if name in done:
            continue
        function = name.rsplit("__mutmut_", 1)[0]
        tests = [] if only_first else sorted(tests_by_function.get(function, ()),
                                             key=lambda t: duration.get(t, 0))
        tests = list(first) + tests
        if not tests:
            done[name] = 33
        else:
            start = time.time()
            pid = os.fork()
            if pid == 0:
                os.environ["MUTANT_UNDER_TEST"] = name
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                try:
                    code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--no-header",
                                            "--tb=no", "-W", "ignore", *tests]))
                except BaseException:
                    code = 99
                os._exit(code)
            code = None
            while code is None:
                finished, status = os.waitpid(pid, os.WNOHANG)
                if finished:
                    code = os.waitstatus_to_exitcode(status)
                elif time.time() - start > wall:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    code = 36
                else:
                    time.sleep(0.2)
            print(name, code, f"{time.time() - start:.0f}s", len(tests), flush=True)
            done[name] = code
        json.dump(done, open(out_file, "w", encoding="utf-8"), indent=0)


if __name__ == "__main__":
    main(sys.argv[1:])
