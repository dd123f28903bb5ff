"""The benchmark workloads compute the same thing in every framework, and the runner
refuses to time a wrong answer. Sizes are tiny and nothing here asserts a time: timings
belong to ``benchmarks/``, never to tests."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from tinygrad_ae.studies import bench

DTYPES = ("float32", "float64")
FRAMEWORKS = [
    "tinygrad_ae",
    pytest.param("torch", marks=pytest.mark.skipif(not bench.torch_available(),
                                                   reason="PyTorch is not installed")),
]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workload", list(bench.WORKLOADS))
def test_every_framework_computes_numpys_losses(workload, dtype, framework):
    # Three steps from the shared start: the second and third losses also check the
    # gradients and the optimizer update of the steps before them.
    losses = bench.check_losses(workload, dtype, size="tiny",
                                frameworks=("numpy", framework), steps=3)
    assert all(np.isfinite(losses["numpy"]))
    assert bench.losses_agree(losses["numpy"], losses[framework], dtype), losses


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workload", list(bench.WORKLOADS))
def test_the_baseline_computes_in_the_dtype_it_was_given(workload, dtype):
    # A float32 baseline that silently ran in float64 would make every ratio wrong.
    (loss,) = bench.check_losses(workload, dtype, size="tiny", frameworks=("numpy",),
                                 steps=1)["numpy"]
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
                                 block_seconds=0.0)
    ours = result["frameworks"]["tinygrad_ae"]
    assert ours["agrees"] is False and ours["median_s"] is None and ours["ratio"] is None
    assert result["meets_target"] is False
    assert result["frameworks"]["numpy"]["median_s"] is not None


def test_time_workload_reports_medians_ratios_and_memory():
    result = bench.time_workload("W5", "float64", size="tiny", repeats=2, block_seconds=0.0)
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
    assert "| W1 " in text and "tinygrad_ae f64" in text
    printed = capsys.readouterr().out
    assert "tinygrad_ae/numpy" in printed and "threads:" in printed


@pytest.mark.parametrize("argv, message", [
    (["--workloads", "W9"], "--workloads must list keys"),
    (["--repeats", "3"], "at least 7"),
    (["--threads", "0"], "--threads must be a positive integer"),
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
                                 block_seconds=0.0)
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
    assert "⚠ busy" in bench.markdown_table(report)


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
