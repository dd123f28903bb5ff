"""Nothing a user owns is overwritten: a run replaces only files it wrote itself (listed,
with their content, in the folder's marker), refuses its own input, and checks every
output location before the work starts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from safety.support import hidden, train_args

from tinygrad_ae import _files, cli, nn


def _marker(folder: Path) -> dict:
    return json.loads((folder / cli.OUTPUT_MARKER).read_text())


# --- output folders ----------------------------------------------------------------------

def test_a_users_notes_in_an_output_folder_survive_a_second_run(main, table, tmp_path):
    out = tmp_path / "out"
    assert main(*train_args(table, out))[0] == 0
    (out / "notes.md").write_text("my notes")
    first = (out / "metrics.json").read_text()
    assert main(*train_args(table, out, "--epochs", "7"))[0] == 0
    assert (out / "notes.md").read_text() == "my notes"
    assert (out / "metrics.json").read_text() != first  # its own file was replaced
    assert "notes.md" not in _marker(out)["files"]
    assert hidden(out) == [] and hidden(tmp_path) == []


def test_a_file_the_user_edited_since_is_not_replaced(main, table, tmp_path):
    out = tmp_path / "out"
    assert main(*train_args(table, out))[0] == 0
    (out / "metrics.json").write_text("edited by hand")
    status, _, err = main(*train_args(table, out))
    assert status == 2 and "1 file would be overwritten" in err
    assert "metrics.json was not written by tinygrad-ae, or was changed since" in err
    assert (out / "metrics.json").read_text() == "edited by hand"


def test_every_conflicting_file_is_listed_one_per_line(main, table, tmp_path):
    out = tmp_path / "out"
    assert main(*train_args(table, out))[0] == 0
    (out / "metrics.json").write_text("mine")
    (out / "loss.png").unlink()
    (out / "loss.png").mkdir()
    status, _, err = main(*train_args(table, out))
    lines = err.strip().splitlines()
    assert status == 2 and "2 files would be overwritten" in lines[0]
    assert sorted(line.split()[1].rsplit("/", 1)[1] for line in lines[1:]) == [
        "loss.png", "metrics.json"]


def test_a_folder_of_the_users_is_refused_before_training(main, table, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("months of work")
    status, out, err = main(*train_args(table, mine))
    assert status == 2 and "already holds files that tinygrad-ae did not write" in err
    assert out == "" and sorted(p.name for p in mine.iterdir()) == ["thesis.tex"]


def test_training_data_inside_an_output_folder_is_kept(main, table, tmp_path):
    """'train out/d.csv --out out' once wiped its own input with the folder."""
    out = tmp_path / "out"
    assert main(*train_args(table, out))[0] == 0
    data = out / "d.csv"
    data.write_bytes(table.read_bytes())
    assert main(*train_args(data, out))[0] == 0
    assert data.read_bytes() == table.read_bytes()


def test_a_second_save_into_the_output_folder_keeps_the_first(main, table, tmp_path):
    res = tmp_path / "res"
    assert main(*train_args(table, res, "--save", str(res / "m1.npz")))[0] == 0
    first = (res / "m1.npz").read_bytes()
    assert main(*train_args(table, res, "--save", str(res / "m2.npz"), "--seed", "3"))[0] == 0
    assert (res / "m1.npz").read_bytes() == first
    assert cli.load_trained(res / "m1.npz") is not None
    assert cli.load_trained(res / "m2.npz") is not None


def test_nested_output_folders_are_left_alone(tmp_path):
    """demo, converge (its default folder is inside demo's), demo: converge's files stay."""
    outer = tmp_path / "tinygrad_ae_out"
    with _files.output_folder(outer, ["report.md"]) as staging:
        (staging / "report.md").write_text("demo 1")
    with _files.output_folder(outer / "converge", ["results.json"]) as staging:
        (staging / "results.json").write_text("{}")
    with _files.output_folder(outer, ["report.md"]) as staging:
        (staging / "report.md").write_text("demo 2")
    assert (outer / "report.md").read_text() == "demo 2"
    assert (outer / "converge" / "results.json").read_text() == "{}"


def test_a_symlinked_out_stays_a_symlink(main, table, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    for _ in range(2):
        assert main(*train_args(table, link))[0] == 0
    assert link.is_symlink() and (real / "metrics.json").is_file()


def test_the_current_folder_is_refused(main, table, tmp_path):
    (tmp_path / "results.json").write_text("the user's")
    for argv in (train_args(table, Path(".")), ["converge", "--quick", "--out", "."]):
        status, _, err = main(*argv)
        assert status == 2 and "current folder" in err
    assert (tmp_path / "results.json").read_text() == "the user's"


def test_converge_refuses_a_users_results_before_the_study(main, tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "tables.md").write_text("the user's tables")
    status, out, err = main("converge", "--quick", "--out", str(folder), "--no-progress")
    assert status == 2 and "already holds files that tinygrad-ae did not write" in err
    assert out == "" and (folder / "tables.md").read_text() == "the user's tables"


def test_converge_writes_only_its_own_files_and_valid_json(tmp_path, monkeypatch):
    from tinygrad_ae.studies.convergence import command

    # The study's tables and figures aside: only what is written, and how, is tested.
    monkeypatch.setattr(command, "markdown_tables", lambda rows: {"t": "| a |"})
    monkeypatch.setattr(command, "summarize", lambda rows: [{"steps": float("inf")}])
    monkeypatch.setattr(command, "plot_all", lambda rows, runs, out: [])
    rows = [{"sweep": "paper", "steps": float("inf"), "loss": float("nan")}]
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / cli.OUTPUT_MARKER).write_text(json.dumps({"files": {}}))
    (folder / "notes.md").write_text("mine")
    for _ in range(2):
        written = command.write_outputs(rows, None, folder)
    text = written["results"].read_text()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text)["rows"][0]["steps"] is None
    assert (folder / "notes.md").read_text() == "mine" and hidden(folder) == []
    (folder / "tables.md").write_text("edited")
    with pytest.raises(_files.OutputConflict, match="tables.md"):
        command.write_outputs(rows, None, folder)


# --- single files ------------------------------------------------------------------------

def test_save_over_the_training_data_is_refused(main, tmp_path):
    data = tmp_path / "data.npz"
    np.savez(data, X=np.random.default_rng(0).normal(size=(20, 3)))
    before = data.read_bytes()
    status, _, err = main(*train_args(data, tmp_path / "o", "--save", str(data)))
    assert status == 2 and "is this run's input" in err
    assert data.read_bytes() == before and not (tmp_path / "o").exists()


def test_save_never_replaces_a_json_the_user_never_named(main, table, tmp_path):
    (tmp_path / "results.json").write_text('{"mine": true}')
    status, _, err = main(*train_args(table, tmp_path / "o", "--save", "results.npz"))
    assert status == 2 and "results.json already exists and was not written by" in err
    assert (tmp_path / "results.json").read_text() == '{"mine": true}'
    assert not (tmp_path / "o").exists() and not (tmp_path / "results.npz").exists()


def test_save_never_replaces_an_npz_it_did_not_write(main, table, tmp_path):
    np.savez(tmp_path / "m.npz", X=np.ones(3))
    status, _, err = main(*train_args(table, tmp_path / "o", "--save", "m.npz"))
    assert status == 2 and "m.npz already exists and was not written by" in err


def test_save_replaces_its_own_pair(main, table, tmp_path):
    for seed in ("0", "1"):
        assert main(*train_args(table, tmp_path / "o", "--save", "m.npz", "--seed", seed))[0] == 0
    assert json.loads((tmp_path / "m.json").read_text())["model"]["seed"] == 1
    assert hidden(tmp_path) == []


@pytest.mark.parametrize("which", ["m.npz", "m.json"])
def test_save_onto_a_folder_is_refused_before_training(main, table, tmp_path, which):
    (tmp_path / which).mkdir()
    status, out, err = main(*train_args(table, tmp_path / "o", "--save", "m.npz"))
    assert status == 2 and "is a folder" in err and out == ""
    assert not (tmp_path / "o").exists()


def test_save_onto_the_runs_own_metrics_is_refused(main, table, tmp_path):
    status, _, err = main(*train_args(table, tmp_path / "o", "--save",
                                      str(tmp_path / "o" / "metrics.npz")))
    assert status == 2 and "which this run also writes" in err


def test_save_into_a_missing_folder_is_refused_before_training(main, table, tmp_path):
    status, out, err = main(*train_args(table, tmp_path / "o", "--save", "nodir/m.npz"))
    assert status == 2 and "does not exist" in err and out == ""


def test_graph_never_replaces_a_users_picture_but_replaces_its_own(main, tmp_path):
    (tmp_path / "notes.svg").write_text("<svg>the user's drawing</svg>")
    status, _, err = main("graph", "--out", "notes")
    assert status == 2 and "notes.svg already exists and was not written" in err
    assert (tmp_path / "notes.svg").read_text() == "<svg>the user's drawing</svg>"
    for fmt in ("dot", "svg", "png"):
        for _ in range(2):  # the second run replaces the first run's picture
            assert main("graph", "--format", fmt, "--out", "pic")[0] == 0
    assert (tmp_path / "pic.dot").read_text().startswith("digraph")


def test_graph_without_graphviz_writes_its_signed_dot_source(main, tmp_path, monkeypatch):
    import importlib

    render = importlib.import_module("tinygrad_ae.viz.render")
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    for _ in range(2):
        status, out, err = main("graph", "--out", "pic.svg")
        assert status == 0 and "apt-get install graphviz" in err, err
    assert (tmp_path / "pic.dot").read_text().startswith("digraph")
    assert not (tmp_path / "pic.svg").exists() and hidden(tmp_path) == []


def test_graph_of_a_saved_model_leaves_the_model_alone(main, table, tmp_path):
    assert main(*train_args(table, tmp_path / "o", "--save", "m.npz"))[0] == 0
    before = [(tmp_path / name).read_bytes() for name in ("m.npz", "m.json")]
    assert main("graph", "--model", "m.npz", "--format", "dot", "--out", "m.json")[0] == 0
    assert [(tmp_path / name).read_bytes() for name in ("m.npz", "m.json")] == before
    assert (tmp_path / "m.json.dot").read_text().startswith("digraph")


def test_bench_json_is_checked_before_the_benchmarks(main, tmp_path):
    (tmp_path / "mine.json").write_text('{"mine": 1}')
    for path, key in (("mine.json", "already exists and was not written"),
                      ("nodir/b.json", "does not exist"), ("o", "is a folder")):
        (tmp_path / "o").mkdir(exist_ok=True)
        status, out, err = main("bench", "--size", "tiny", "--no-torch", "--json", path)
        assert status == 2 and key in err and out == "", err
    assert (tmp_path / "mine.json").read_text() == '{"mine": 1}'


def test_bench_json_is_written_atomically_as_valid_json(tmp_path, monkeypatch):
    from tinygrad_ae.studies.bench import report

    fake = {"results": [], "threads": {"threads": 1}, "size": "tiny", "repeats": 1,
            "frameworks": [], "numpy": "x", "python": "y", "machine": "z", "time": float("nan")}
    monkeypatch.setattr(report, "run_benchmarks", lambda *a, **k: fake)
    monkeypatch.setattr(report, "format_table", lambda r: "table")
    path = tmp_path / "b.json"
    args = ["--size", "tiny", "--no-torch", "--json", str(path)]
    for _ in range(2):  # the second run replaces its own report
        assert report.main(args) == 0
    assert json.loads(path.read_text())["time"] is None
    assert hidden(tmp_path) == []


def test_module_save_leaves_nothing_hidden(tmp_path):
    layer = nn.Linear(3, 2, rng=0)
    for _ in range(3):
        layer.save(tmp_path / "layer.npz")
    assert sorted(os.listdir(tmp_path)) == ["layer.npz"]


def test_a_folder_marked_by_version_0_1_is_still_ours(main, table, tmp_path):
    """0.1 wrote a plain-text marker and replaced the folder whole: its files are ours."""
    out = tmp_path / "out"
    out.mkdir()
    (out / cli.OUTPUT_MARKER).write_text("written by tinygrad-ae; safe to replace\n")
    (out / "metrics.json").write_text("{}")
    (out / "notes.md").write_text("mine")
    assert main(*train_args(table, out))[0] == 0
    assert json.loads((out / "metrics.json").read_text())["epochs"] == 5
    assert (out / "notes.md").read_text() == "mine"
    assert sorted(_marker(out)["files"]) == ["loss.png", "metrics.json"]


def test_a_subfolder_it_wrote_is_replaced_whole_and_one_the_user_changed_is_kept(tmp_path):
    """demo writes backward_steps_frames/: replaced as a unit, only while unchanged."""
    out = tmp_path / "out"
    for frames in (3, 2):
        with _files.output_folder(out, ["frames"]) as staging:
            (staging / "frames").mkdir()
            for i in range(frames):
                (staging / "frames" / f"{i}.svg").write_text(str(i))
    assert sorted(p.name for p in (out / "frames").iterdir()) == ["0.svg", "1.svg"]
    (out / "frames" / "mine.txt").write_text("mine")
    with pytest.raises(_files.OutputConflict, match="a folder"):
        with _files.output_folder(out, ["frames"]) as staging:
            (staging / "frames").mkdir()
    assert (out / "frames" / "mine.txt").read_text() == "mine" and hidden(out) == []


def test_a_file_that_appears_during_training_is_kept(main, table, tmp_path, monkeypatch):
    """Checked before the work and again at the end: a user's m.json made meanwhile stays,
    and the model is not saved at all (its .npz and .json go together)."""
    from tinygrad_ae import models

    fit = models.fit

    def fit_while_the_user_writes(*args: object, **kwargs: object) -> object:
        (tmp_path / "m.json").write_text("the user's")
        return fit(*args, **kwargs)

    monkeypatch.setattr(models, "fit", fit_while_the_user_writes)
    status, _, err = main(*train_args(table, tmp_path / "o", "--save", "m.npz"))
    assert status == 2 and "appeared while this run worked" in err
    assert (tmp_path / "m.json").read_text() == "the user's"
    assert not (tmp_path / "m.npz").exists() and hidden(tmp_path) == []


def test_a_bench_report_path_taken_during_the_run_is_kept(tmp_path, monkeypatch, capsys):
    from tinygrad_ae.studies.bench import report

    path = tmp_path / "b.json"

    def benchmarks_while_the_user_writes(*args: object, **kwargs: object) -> dict:
        path.write_text("the user's")
        return {"results": [], "threads": {}, "size": "tiny", "repeats": 1}

    monkeypatch.setattr(report, "run_benchmarks", benchmarks_while_the_user_writes)
    monkeypatch.setattr(report, "format_table", lambda r: "table")
    assert report.main(["--size", "tiny", "--no-torch", "--json", str(path)]) == 2
    assert "appeared while this run worked" in capsys.readouterr().err
    assert path.read_text() == "the user's" and hidden(tmp_path) == []
