"""The profile behind a missed goal names the function that takes the time, counts the
garbage collector and page faults, and reaches the page through ``--profile``. Fake
workloads with a known hot spot check the checker; nothing here asserts a time."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_ae.studies import bench
from tinygrad_ae.studies.bench import profile


def _busy_python(n: int) -> int:
    total = 0
    for i in range(n):
        total += i % 7
    return total


def _cycles(n: int) -> None:
    for _ in range(n):
        a: list[object] = []
        a.append(a)  # a reference cycle: only the collector frees it


def _fresh_pages() -> float:
    # 64 MiB: above glibc's largest mmap threshold, so every step maps fresh pages
    return float(np.ones(1 << 23)[::4096].sum())


def _workload(hot: str) -> bench.Workload:
    def build(framework: str, dtype: np.dtype, size: dict) -> bench.Step:
        def step() -> float:
            if framework == "tinygrad_ae":
                if hot == "python":
                    _busy_python(20_000)
                elif hot == "cycles":
                    _cycles(3_000)
                elif hot == "pages":
                    _fresh_pages()
            return 1.0
        return step
    return bench.Workload("W9-fake", "a fake workload", {"tiny": {}}, 2.0, "—", build,
                          frameworks=("numpy", "tinygrad_ae"))


def test_the_function_that_takes_the_time_comes_first():
    found = profile.profile_step(_workload("python"), size="tiny", seconds=0.05)
    first = found["functions"][0]
    assert first["name"].endswith("_busy_python") and first["group"] == "other"
    assert first["share"] > 0.5 and first["calls"] == 1
    assert found["groups"]["tinygrad_ae"] < 0.5
    assert sum(found["groups"].values()) == pytest.approx(1.0)


def test_the_collectors_time_is_counted_only_when_it_runs():
    assert gc.isenabled()
    busy = profile.profile_step(_workload("cycles"), size="tiny", seconds=0.05)
    assert busy["gc_per_step"] > 0 and busy["gc_share"] > 0
    idle = profile.profile_step(_workload("none"), size="tiny", seconds=0.01)
    assert idle["gc_per_step"] == 0 and idle["gc_share"] == 0


def test_page_faults_are_counted_per_framework():
    found = profile.profile_step(_workload("pages"), size="tiny", seconds=0.05)
    faults = found["page_faults"]
    # 16,384 pages of 4 KiB, or 32 huge pages of 2 MiB, are mapped afresh each step
    assert faults["numpy"] < 4 and faults["tinygrad_ae"] >= 32


def test_the_engines_own_functions_are_named_on_a_real_workload():
    found = profile.profile_step("W5", "float32", size="tiny", seconds=0.05)
    names = [f["name"] for f in found["functions"]]
    assert "tinygrad_ae.autograd.engine._propagate" in names
    assert all(f["group"] in ("tinygrad_ae", "numpy", "other") for f in found["functions"])
    assert found["per_op"] == 50 and found["calls"] > 50  # calls per step, not per op


def test_functions_are_labelled_by_module_and_a_vjp_by_its_line():
    engine = bench.harness.__file__.replace("studies/bench/harness.py", "autograd/engine.py")
    assert profile._where(engine, 126, "_propagate") == (
        "tinygrad_ae", "tinygrad_ae.autograd.engine._propagate")
    assert profile._where(engine, 9, "_") == ("tinygrad_ae",
                                              "tinygrad_ae.autograd.engine._ (line 9)")
    assert profile._where(np.__file__, 1, "f") == ("numpy", "numpy __init__.f")
    assert profile._where("~", 0, "<method 'reduce' of 'numpy.ufunc' objects>") == (
        "numpy", "method 'reduce' of 'numpy.ufunc' objects")
    assert profile._where("~", 0, "<built-in method builtins.id>")[0] == "other"


def test_the_markdown_names_each_profile_and_its_functions():
    found = profile.profile_step(_workload("python"), size="tiny", seconds=0.02)
    text = profile.markdown_profiles([found], "python benchmarks/run.py --profile")
    assert "`python benchmarks/run.py --profile`" in text
    assert "**W9-fake float64**" in text and "_busy_python` | 1 |" in text
    assert profile.markdown_profiles([], "x").startswith("No row missed its goal")
    failed = profile.markdown_profiles([{"workload": "W5", "dtype": "float64",
                                         "error": "profiling W5 float64 failed: boom"}], "x")
    assert "**W5 float64**: not profiled (profiling W5 float64 failed: boom)." in failed


def test_the_steps_run_with_what_existed_before_frozen_as_in_the_timed_runs():
    seen = []

    def build(framework, dtype, size):
        def step():
            if len(seen) < 10:  # get_freeze_count walks every frozen object
                seen.append(gc.get_freeze_count())
            return 1.0
        return step
    workload = bench.Workload("W9-fake", "a fake workload", {"tiny": {}}, 2.0, "—", build,
                              frameworks=("numpy", "tinygrad_ae"))
    assert gc.get_freeze_count() == 0
    profile.profile_step(workload, size="tiny", seconds=0.01)
    assert gc.get_freeze_count() == 0  # left as it was found
    # the warm-up (3 steps of each) and the step that sizes the run, then frozen
    assert seen[:7] == [0] * 7 and min(seen[7:]) > 0 and len(seen) == 10


def _doc(tmp_path, profile_block: bool):
    doc = tmp_path / "performance.md"
    doc.write_text("<!-- bench:begin -->\n<!-- bench:end -->\n" + (
        "<!-- profile:begin -->\nold\n<!-- profile:end -->\n" if profile_block else ""),
        encoding="utf-8")
    return doc


@pytest.fixture
def every_goal_missed(monkeypatch):
    """Every goal judged missed, so a tiny, fast W5 run has a row to profile."""
    real = bench.harness.judge_goal

    def always_missed(entry, result):
        verdict = real(entry, result)
        verdict["met"] = False
        return verdict
    monkeypatch.setattr(bench.harness, "judge_goal", always_missed)


def test_profile_writes_its_block_for_each_missed_goal(tmp_path, monkeypatch, capsys,
                                                        every_goal_missed):
    asked = []

    def in_this_process(key, dtype, size, use_torch):
        asked.append((key, dtype, size, use_torch))
        return profile.profile_step(key, dtype, size, seconds=0.01)
    monkeypatch.setattr(bench.report, "profile_in_fresh_process", in_this_process)
    doc, out = _doc(tmp_path, True), tmp_path / "r.json"
    status = bench.main(["--size", "tiny", "--repeats", "1", "--workloads", "W5",
                         "--dtype", "float64", "--no-torch", "--profile", "--json", str(out),
                         "--update-doc", str(doc)])
    assert status == 0  # goals are judged only at the full size
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text and "**W5 float64**" in text and "engine._propagate" in text
    assert "--profile" in text
    assert [p["workload"] for p in json.loads(out.read_text())["profiles"]] == ["W5"]
    assert "where tinygrad_ae's step goes" in capsys.readouterr().out
    assert asked == [("W5", "float64", "tiny", False)]  # --no-torch: no PyTorch there either


def test_a_fresh_process_profiles_the_step_and_reports_its_failure_in_one_line():
    found = profile.profile_in_fresh_process("W5", "float32", "tiny", seconds=0.02,
                                             use_torch=False)
    assert found["workload"] == "W5" and found["dtype"] == "float32" and found["steps"] >= 3
    with pytest.raises(RuntimeError, match="profiling W5 float99 failed: TypeError: data type"):
        profile.profile_in_fresh_process("W5", "float99", "tiny", seconds=0.01,
                                         use_torch=False)


@pytest.mark.skipif(not bench.torch_available(), reason="PyTorch is not installed")
def test_no_torch_keeps_pytorch_out_of_the_process():
    # Its objects would sit in the process, and every full garbage collection walks them.
    code = ("import sys; from tinygrad_ae.studies import bench; "
            "bench.run_benchmarks(['W1'], ['float64'], size='tiny', repeats=1, "
            "use_torch=sys.argv[1] == 'torch'); print('torch' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(Path(bench.__file__).parents[3]))
    for flag, expected in (("no-torch", "False"), ("torch", "True")):
        child = subprocess.run([sys.executable, "-c", code, flag], capture_output=True,
                               text=True, env=env, timeout=120)
        assert child.returncode == 0, child.stderr[-500:]
        assert child.stdout.strip() == expected, flag


def test_a_profile_that_fails_keeps_the_run_and_says_so(tmp_path, monkeypatch, capsys,
                                                       every_goal_missed):
    def broken(key, dtype, size, use_torch):
        raise RuntimeError(f"profiling {key} {dtype} failed: boom")
    monkeypatch.setattr(bench.report, "profile_in_fresh_process", broken)
    doc, out = _doc(tmp_path, True), tmp_path / "r.json"
    status = bench.main(["--size", "tiny", "--repeats", "1", "--workloads", "W5",
                         "--dtype", "float64", "--no-torch", "--profile", "--json", str(out),
                         "--update-doc", str(doc)])
    assert status == 0 and "failed: boom" in capsys.readouterr().err
    assert json.loads(out.read_text())["results"][0]["workload"] == "W5"
    assert "**W5 float64**: not profiled" in doc.read_text(encoding="utf-8")


def test_profile_with_a_page_lacking_its_block_is_refused_before_any_run(tmp_path, capsys,
                                                                       monkeypatch):
    monkeypatch.setattr(bench.report, "run_benchmarks", lambda *a, **k: pytest.fail("ran"))
    status = bench.main(["--size", "tiny", "--repeats", "1", "--profile",
                         "--update-doc", str(_doc(tmp_path, False))])
    err = capsys.readouterr().err
    assert status == 2 and "profile:begin" in err and err.count("\n") == 1
