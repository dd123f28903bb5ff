"""The benchmark workloads compute the same thing in every framework, and the runner
refuses to time a wrong answer. Sizes are tiny and nothing here asserts a time: timings
belong to ``benchmarks/``, never to tests."""

from __future__ import annotations

import dataclasses
import json
import sys

import numpy as np
import pytest

from tinygrad_ae.studies import bench

DTYPES = ("float32", "float64")
NEEDS_TORCH = pytest.mark.skipif(not bench.torch_available(), reason="PyTorch is not installed")


def _checked_pairs():
    """(workload, framework) for every step checked against another: W6's tinygrad_ae
    against PyTorch, every other tinygrad_ae and PyTorch step against numpy."""
    for key, workload in bench.WORKLOADS.items():
        for framework in workload.frameworks:
            reference = workload.reference_of(framework)
            if reference != framework:
                torch_needed = "torch" in (framework.split()[0], reference.split()[0])
                yield pytest.param(key, framework, id=f"{key}-{framework}",
                                   marks=[NEEDS_TORCH] if torch_needed else [])


def _references():
    for key, workload in bench.WORKLOADS.items():
        yield pytest.param(key, id=key, marks=[NEEDS_TORCH] if workload.reference == "torch"
                           else [])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workload, framework", list(_checked_pairs()))
def test_every_framework_computes_its_references_losses(workload, framework, dtype):
    # Three steps from the shared start: the second and third losses also check the
    # gradients and the optimizer update of the steps before them.
    reference = bench.WORKLOADS[workload].reference_of(framework)
    losses = bench.check_losses(workload, dtype, size="tiny",
                                frameworks=(reference, framework), steps=3)
    assert all(np.isfinite(losses[reference]))
    assert bench.losses_agree(losses[reference], losses[framework], dtype), losses


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workload", list(_references()))
def test_the_reference_computes_in_the_dtype_it_was_given(workload, dtype):
    # A float32 baseline that silently ran in float64 would make every ratio wrong.
    reference = bench.WORKLOADS[workload].reference
    (loss,) = bench.check_losses(workload, dtype, size="tiny", frameworks=(reference,),
                                 steps=1)[reference]
    if dtype == "float32":
        assert float(np.float32(loss)) == loss


def test_losses_agree_uses_the_dtypes_tolerance():
    assert bench.losses_agree([1.0], [1.0 + 5e-7], "float32")
    assert not bench.losses_agree([1.0], [1.0 + 5e-7], "float64")
    assert not bench.losses_agree([1.0, 2.0], [1.0], "float64")
    assert not bench.losses_agree([float("nan")], [float("nan")], "float64")


def _wrong(framework: str, dtype: np.dtype, size: dict) -> bench.Step:
    step = bench.WORKLOADS["W2"].build(framework, dtype, size)
    if framework != "tinygrad_ae":
        return step
    return lambda: step() * (1 + 1e-9)  # fast and slightly wrong


def test_a_fast_wrong_answer_gets_no_time():
    broken = dataclasses.replace(bench.WORKLOADS["W2"], build=_wrong)
    result = bench.time_workload(broken, "float64", size="tiny", repeats=1,
                                 block_seconds=0.0, frameworks=("numpy", "tinygrad_ae"))
    ours = result["frameworks"]["tinygrad_ae"]
    assert ours["agrees"] is False and ours["median_s"] is None and ours["ratio"] is None
    assert result["meets_target"] is False
    assert result["frameworks"]["numpy"]["median_s"] is not None


def test_time_workload_reports_medians_ratios_and_memory():
    result = bench.time_workload("W5", "float64", size="tiny", repeats=2, block_seconds=0.0,
                                 frameworks=("numpy", "tinygrad_ae"))
    numpy_info, ours = result["frameworks"]["numpy"], result["frameworks"]["tinygrad_ae"]
    assert len(ours["samples_s"]) == 2 and ours["median_s"] > 0
    assert numpy_info["ratio"] == 1.0
    assert ours["overhead_per_op_us"] is not None
    memory = result["memory_per_op_bytes"]
    # An 8-number float64 result array alone is 64 bytes of data plus numpy's header.
    assert memory["values"] > 64 and memory["bookkeeping"] > 0


def test_main_writes_json_and_updates_the_doc(tmp_path, capsys):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nafter\n",
                   encoding="utf-8")
    out = tmp_path / "bench.json"
    status = bench.main(["--size", "tiny", "--repeats", "1", "--workloads", "w1,W5",
                         "--dtype", "float64", "--no-torch", "--json", str(out),
                         "--update-doc", str(doc)])
    assert status == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [r["workload"] for r in report["results"]] == ["W1", "W5"]
    assert report["frameworks"] == ["numpy", "tinygrad_ae"]
    assert report["threads"]["threads"] >= 1 and "env" in report["threads"]
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text and text.endswith("<!-- bench:end -->\nafter\n")
    assert "| W1 " in text and "| float64 | ≤ 2.5× numpy |" in text
    printed = capsys.readouterr().out
    assert "tinygrad_ae [range], CPU" in printed and "threads:" in printed


@pytest.mark.parametrize("argv, message", [
    (["--workloads", "W9"], "--workloads must list keys"),
    (["--repeats", "3"], "at least 7"),
    (["--threads", "0"], "--threads must be a positive integer"),
    (["--threads", "all"], "--threads must be a positive integer or 'both'"),
    (["--update-doc", "no/such/file.md"], "no such file"),
])
def test_bad_options_exit_2_with_one_line(argv, message, capsys):
    assert bench.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_update_doc_needs_both_markers(tmp_path):
    doc = tmp_path / "plain.md"
    doc.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bench:begin"):
        bench.update_doc(doc, "table")


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="workload must be one of"):
        bench.build_step("W7", "numpy")
    with pytest.raises(ValueError, match="framework must be one of"):
        bench.build_step("W1", "jax")
    with pytest.raises(ValueError, match="size must be one of"):
        bench.build_step("W1", "numpy", size="huge")


def _ablation_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "ablation.py"
    spec = importlib.util.spec_from_file_location("ablation", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_ablation_still_runs_and_computes_numpys_losses():
    # benchmarks/ablation.py puts old code back to measure each change; if the engine
    # moves on, the old code must still fit it, and still be right.
    ablation = _ablation_module()
    for title, workloads, patches in ablation.ABLATIONS:
        for workload in workloads:
            with ablation._patched(patches()):
                losses = bench.check_losses(workload, "float64", size="tiny", steps=2)
            assert bench.losses_agree(losses["numpy"], losses["tinygrad_ae"], "float64"), title


def test_each_timing_has_cpu_time_a_spread_and_the_machines_load():
    result = bench.time_workload("W7-1e4", "float64", size="tiny", repeats=3,
                                 block_seconds=0.0, frameworks=("numpy", "tinygrad_ae"))
    ours = result["frameworks"]["tinygrad_ae"]
    assert ours["cpu_median_s"] > 0 and len(ours["cpu_samples_s"]) == 3
    low, high = ours["ratio_range"]
    assert low <= high
    ratios = [s / b for s, b in zip(ours["samples_s"], result["frameworks"]["numpy"]
                                    ["samples_s"])]
    assert (low, high) == (min(ratios), max(ratios))
    assert isinstance(result["busy"], bool) and len(result["load_average"]) == 2


def test_a_busy_measurement_is_flagged_in_both_tables(monkeypatch):
    monkeypatch.setattr(bench.harness, "_load_average", lambda: 1e6)
    report = bench.run_benchmarks(["W1"], ["float64"], size="tiny", repeats=1,
                                  use_torch=False)
    assert report["results"][0]["busy"] is True
    assert "WARNING: the machine was busy" in bench.format_table(report)
    page = bench.markdown_table(report)
    assert "1 of 1 rows were measured while the machine was busy" in page
    row = next(line for line in page.splitlines() if line.startswith("| W1 "))
    assert row.count("⚠ busy") == 2  # beside the verdict and beside the load


def test_a_quiet_measurement_is_not_flagged(monkeypatch):
    monkeypatch.setattr(bench.harness, "_load_average", lambda: 0.0)
    monkeypatch.setattr(bench.harness._CpuMeter, "other_load", lambda self: 0.0)
    report = bench.run_benchmarks(["W1"], ["float64"], size="tiny", repeats=1,
                                  use_torch=False)
    assert report["results"][0]["busy"] is False
    assert "⚠" not in bench.markdown_table(report)
    assert "WARNING" not in bench.format_table(report)


def test_the_narrow_workload_baseline_is_numpys_fastest_calls_and_agrees():
    # W7's numpy baseline avoids the slow generic reductions; it must still compute the
    # same losses as the straightforward formula.
    X, ((W_e, b_e), (W_d, b_d)) = bench.workloads._w7_setup(np.dtype(np.float64),
                                                           {"n_samples": 50})
    step = bench.WORKLOADS["W7-1e4"].build("numpy", np.dtype(np.float64),
                                           {"n_samples": 50, "lr": 0.05})
    plain = (((X @ W_e.T + b_e) @ W_d.T + b_d - X) ** 2).sum(axis=1).mean()
    assert step() == pytest.approx(plain, rel=1e-12)


def test_a_workloads_own_tolerance_is_used_and_only_widens_float32_where_set():
    assert bench.WORKLOADS["W7-1e6"].rtol == {"float32": 3e-4}
    assert bench.WORKLOADS["W1"].rtol is None
    assert bench.losses_agree([1.0], [1.0 + 1e-4], "float32", rtol=3e-4)
    assert not bench.losses_agree([1.0], [1.0 + 1e-4], "float32")


def test_resident_memory_per_op_is_measured_in_a_fresh_process():
    # The fresh process imports the chain from the package; a wrong import path made every
    # measurement silently None after the re-layout.
    per_op = bench.resident_memory_per_op("tinygrad_ae", np.float64, n_ops=20_000)
    assert per_op is not None and 0 < per_op < 10_000


# --- goals: each workload declares what its target limits ------------------------------

def _timed_by_cost(costs: dict[str, float]):
    """A build whose steps cost ``costs[framework]`` seconds each (read by the patched
    ``_time_block`` below, so nothing here depends on this machine's speed). A gradient
    step returns another number than the step it is the gradient of, as W8's will."""
    def build(framework, dtype, size):
        def step() -> float:
            return 2.0 if framework.endswith("gradient") else 1.0
        step.cost = costs[framework]  # type: ignore[attr-defined]
        return step
    return build


@pytest.fixture
def fixed_costs(monkeypatch):
    monkeypatch.setattr(bench.harness, "_time_block",
                        lambda step, n: (step.cost, step.cost, step()))
    monkeypatch.setattr(bench.harness, "TORCH_PAUSE", 0.0)
    monkeypatch.setattr(bench.harness, "_load_average", lambda: 0.0)  # a quiet machine
    monkeypatch.setattr(bench.harness._CpuMeter, "other_load", lambda self: 0.0)


def _fake(goal: str, frameworks: tuple[str, ...], costs: dict[str, float],
          target: float = 2.5, check_against: dict[str, str] | None = None
          ) -> bench.Workload:
    sizes = {"tiny": {"n_ops": 1000, "width": 8}}
    return bench.Workload("W8-fake", "a fake workload", sizes, target, "—",
                          _timed_by_cost(costs), per_op=goal == "per_op", goal=goal,
                          frameworks=frameworks, check_against=check_against)


@pytest.mark.parametrize("goal, frameworks, costs, figure, verdict", [
    ("numpy", ("numpy", "tinygrad_ae"), {"numpy": 1.0, "tinygrad_ae": 2.0}, "2.00×", "met"),
    ("numpy", ("numpy", "tinygrad_ae"), {"numpy": 1.0, "tinygrad_ae": 3.0}, "3.00×",
     "**missed**"),
    ("torch", ("torch", "tinygrad_ae"), {"torch": 2.0, "tinygrad_ae": 4.4}, "2.20×", "met"),
    ("per_op", ("numpy", "tinygrad_ae"), {"numpy": 1e-3, "tinygrad_ae": 3e-3}, "+2.00 µs",
     "met"),
    ("per_op", ("numpy", "tinygrad_ae"), {"numpy": 1e-3, "tinygrad_ae": 4e-3}, "+3.00 µs",
     "**missed**"),
    ("gradient", ("numpy", "tinygrad_ae", "numpy gradient", "tinygrad_ae gradient"),
     {"numpy": 1.0, "tinygrad_ae": 3.0, "numpy gradient": 1.0, "tinygrad_ae gradient": 1.0},
     "3.00×", "**missed**"),
], ids=["numpy-met", "numpy-missed", "torch-met", "per_op-met", "per_op-missed",
        "gradient-missed"])
def test_each_goal_kind_is_judged_and_rendered(goal, frameworks, costs, figure, verdict,
                                               fixed_costs):
    gradients = {"tinygrad_ae gradient": "numpy gradient"} if goal == "gradient" else None
    workload = _fake(goal, frameworks, costs, check_against=gradients)
    result = bench.time_workload(workload, "float64", size="tiny", repeats=3,
                                 frameworks=("numpy", "tinygrad_ae", "torch"))
    assert result["goal"]["met"] is (verdict == "met")
    report = {"results": [result], "threads": {"threads": 1, "requested": 1}, "size": "tiny",
              "repeats": 3, "frameworks": ["numpy", "tinygrad_ae"]}
    row = next(line for line in bench.markdown_table(report).splitlines()
               if line.startswith("| W8-fake "))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2] == workload.goal_text() == f"≤ 2.5{bench.GOALS[goal].unit}"
    assert cells[3].startswith(f"{figure} [") and cells[4] == verdict


def test_a_hvp_workload_registers_as_documented_and_pytorch_has_its_counterpart(fixed_costs):
    # W8 as Workload's docstring registers it: each gradient step is checked against
    # numpy's gradient, each HVP against numpy's HVP; PyTorch's HVP is divided by
    # PyTorch's gradient, not by ours.
    costs = {"numpy": 1.0, "tinygrad_ae": 2.0, "torch": 4.4, "numpy gradient": 0.5,
             "tinygrad_ae gradient": 1.0, "torch gradient": 2.0}
    workload = _fake("gradient", tuple(costs), costs, check_against={
        "tinygrad_ae gradient": "numpy gradient", "torch gradient": "numpy gradient"})
    result = bench.time_workload(workload, "float64", size="tiny", repeats=3,
                                 frameworks=("numpy", "tinygrad_ae", "torch"))
    infos = result["frameworks"]
    assert all(info["agrees"] for info in infos.values())
    assert infos["tinygrad_ae gradient"]["checked_against"] == "numpy gradient"
    assert infos["numpy gradient"]["checked_against"] == "numpy gradient"
    assert infos["tinygrad_ae"]["checked_against"] == "numpy"
    assert result["goal"]["value"] == pytest.approx(2.0)
    assert result["goal"]["torch_against"] == "torch gradient"
    assert result["goal"]["torch_value"] == pytest.approx(2.2)


def test_a_goal_needs_a_reference_it_can_measure():
    # Without PyTorch, a goal against PyTorch cannot be judged: the workload is not run,
    # and the report says why.
    workload = _fake("torch", ("torch", "tinygrad_ae"), {"torch": 1.0, "tinygrad_ae": 1.0})
    with pytest.raises(ValueError, match="W8-fake needs torch"):
        bench.time_workload(workload, "float64", size="tiny", frameworks=("numpy",
                                                                          "tinygrad_ae"))
    report = bench.run_benchmarks(["W6"], ["float64"], size="tiny", repeats=1,
                                  use_torch=False)
    assert report["results"] == [] and "W6" in report["skipped"]
    page = bench.markdown_table({**report, "results": [], "repeats": 1})
    assert "W6 not run: needs PyTorch, its reference or its goal's (--no-torch)" in page


@pytest.mark.parametrize("fields, message", [
    ({"goal": "wall"}, "goal must be one of"),
    ({"goal": "gradient"}, "must include 'tinygrad_ae gradient'"),
    ({"goal": "per_op"}, "per_op=True goes with goal='per_op'"),
    ({"check_against": {"tinygrad_ae": "jax"}}, "must include 'jax'"),
])
def test_a_half_declared_workload_fails_at_registration(fields, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(bench.WORKLOADS["W1"], **fields)


def test_a_second_order_module_without_workloads_is_named_not_skipped(monkeypatch):
    from tinygrad_ae.studies.bench import registry

    monkeypatch.setattr(registry, "UNREGISTERED", [])
    monkeypatch.setattr(registry.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(registry.importlib, "import_module", lambda name: object())
    assert registry._second_order() == {}
    assert "second_order.py defines no SECOND_ORDER" in registry.UNREGISTERED[0]


# --- W6: the conv autoencoder, timed against PyTorch ------------------------------------

def test_w6_is_registered_against_pytorch_with_its_goal():
    w6 = bench.WORKLOADS["W6"]
    assert w6.reference == "torch" and w6.goal == "torch" and w6.target == 2.0
    assert w6.goal_text() == "≤ 2× PyTorch" and w6.rtol is None  # TOLERANCES hold
    assert list(bench.WORKLOADS).index("W6") == list(bench.WORKLOADS).index("W5") + 1


@NEEDS_TORCH
def test_a_wrong_w6_step_gets_no_time_and_misses_its_goal():
    w6 = bench.WORKLOADS["W6"]

    def wrong(framework, dtype, size):
        step = w6.build(framework, dtype, size)
        return step if framework == "torch" else (lambda: step() * (1 + 1e-4))

    result = bench.time_workload(dataclasses.replace(w6, build=wrong), "float32",
                                 size="tiny", repeats=1, block_seconds=0.0)
    ours = result["frameworks"]["tinygrad_ae"]
    assert ours["agrees"] is False and ours["checked_against"] == "torch"
    assert result["goal"]["met"] is False and result["frameworks"]["torch"]["median_s"]


# --- --threads both: one fresh process per setting -------------------------------------

def test_both_thread_settings_run_each_in_a_fresh_process(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # the default run must not inherit it
    doc = tmp_path / "performance.md"
    doc.write_text("<!-- bench:begin -->\n<!-- bench:end -->\n", encoding="utf-8")
    out = tmp_path / "bench.json"
    status = bench.main(["--threads", "both", "--size", "tiny", "--repeats", "1",
                         "--workloads", "W1", "--dtype", "float64", "--no-torch",
                         "--json", str(out), "--update-doc", str(doc)])
    assert status == 0
    one, default = json.loads(out.read_text(encoding="utf-8"))["settings"]
    assert one["threads"]["env"]["OPENBLAS_NUM_THREADS"] == "1"
    assert one["threads"]["requested"] == 1 and one["threads"]["threads"] == 1
    assert default["threads"]["env"]["OPENBLAS_NUM_THREADS"] is None
    assert default["threads"]["requested"] is None
    if one["threads"]["numpy_blas"]:  # threadpoolctl installed: what BLAS really uses
        assert one["threads"]["numpy_blas"][0]["num_threads"] == 1
    page = doc.read_text(encoding="utf-8")
    assert "**One BLAS thread**" in page and "**The default: " in page  # no PyTorch
    assert page.count("| W1 ") == 2 and "--threads both" in page


def test_a_failed_setting_is_an_error_not_half_a_page(tmp_path, monkeypatch, capsys):
    crashing = tmp_path / "python"
    crashing.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    crashing.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(crashing))
    doc = tmp_path / "performance.md"
    doc.write_text("<!-- bench:begin -->\nold\n<!-- bench:end -->\n", encoding="utf-8")
    status = bench.main(["--threads", "both", "--size", "tiny", "--repeats", "1",
                         "--workloads", "W1", "--no-torch", "--update-doc", str(doc)])
    assert status == 1 and "failed (exit status 3)" in capsys.readouterr().err
    assert "old" in doc.read_text(encoding="utf-8")
