"""kill -9 at random moments (seeded, a bounded number of times) and two runs racing on
one folder: every final file is whole or absent, every earlier file intact, and the next
run cleans up what a killed one left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safety.support import ROOT, hidden, spawn, train_args

from tinygrad_ae import _files, cli, nn

PNG_END = b"IEND\xaeB`\x82"


def _assert_whole_outputs(out: Path) -> None:
    """Files of the output folder are whole (or absent), and the marker knows them."""
    if (out / "metrics.json").exists():
        json.loads((out / "metrics.json").read_text())
    if (out / "loss.png").exists():
        assert (out / "loss.png").read_bytes().endswith(PNG_END)
    if (out / cli.OUTPUT_MARKER).exists():
        files = json.loads((out / cli.OUTPUT_MARKER).read_text())["files"]
        for name, hashes in files.items():
            assert _files.sha256_of(out / name) in hashes, name


def test_kill_9_of_train_at_random_moments(table, tmp_path):
    out = tmp_path / "out"
    first = spawn(*train_args(table, out, "--save", "m.npz"), cwd=tmp_path)
    assert first.wait(timeout=120) == 0
    (out / "notes.md").write_text("the user's notes")
    nn.Linear(3, 2, rng=0).save(tmp_path / "older.npz")
    older = (tmp_path / "older.npz").read_bytes()
    rng = np.random.default_rng(15)
    started = time.monotonic()
    for epochs, delay in zip(rng.integers(50, 400, size=4), rng.uniform(0.3, 2.5, size=4)):
        child = spawn(*train_args(table, out, "--save", "m.npz", "--epochs", str(epochs),
                                  "--seed", str(epochs)), cwd=tmp_path)
        time.sleep(delay)
        child.kill()
        child.communicate(timeout=60)
        _assert_whole_outputs(out)
        model = cli.load_trained(tmp_path / "m.npz")  # a whole pair, old or new
        assert model is not None
        assert (out / "notes.md").read_text() == "the user's notes"
        assert (tmp_path / "older.npz").read_bytes() == older
        if time.monotonic() - started > 15:
            break  # bounded in time on a slow machine
    last = spawn(*train_args(table, out, "--save", "m.npz"), cwd=tmp_path)
    assert last.wait(timeout=120) == 0
    assert hidden(out) == [] and hidden(tmp_path) == []  # the killed runs' leftovers


SAVER = """
import sys
from tinygrad_ae import nn
path = sys.argv[1]
models = [nn.Linear(300, 300, rng=0), nn.Linear(300, 300, rng=1)]
print("ready", flush=True)
i = 0
while True:
    models[i % 2].save(path)
    i += 1
"""


def test_kill_9_of_module_save_at_random_moments(tmp_path):
    path = tmp_path / "model.npz"
    earlier = tmp_path / "earlier.npz"
    nn.Linear(3, 2, rng=5).save(earlier)
    before = earlier.read_bytes()
    candidates = [nn.Linear(300, 300, rng=seed).weight.data for seed in (0, 1)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    rng = np.random.default_rng(15)
    for delay in rng.uniform(0.0, 0.3, size=6):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], env=env,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        time.sleep(delay)
        child.kill()
        child.wait(timeout=30)
        if path.exists():  # whole, and one of the two models
            weight = nn.Linear(300, 300).load(path).weight.data
            assert any(np.array_equal(weight, c) for c in candidates)
        assert earlier.read_bytes() == before
    nn.Linear(3, 2, rng=0).save(tmp_path / "next.npz")  # the next save cleans up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier.npz", "model.npz",
                                                          "next.npz"]


KILLED_AT = """
import os, signal, sys
from pathlib import Path
from tinygrad_ae import _files
folder, when = Path(sys.argv[1]), sys.argv[2]
install = _files._install
def dying_install(temporary, target):
    if when == "after the commit point" and target.name == "m.json":  # m.npz is in place
        os.kill(os.getpid(), signal.SIGKILL)
    install(temporary, target)
real_open = open
def dying_open(path, mode="r", *args, **kwargs):
    if when == "before the commit point" and str(path).endswith(".tmp") and "x" in mode \\
            and "m.json" in str(path):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_open(path, mode, *args, **kwargs)
_files._install = dying_install
_files.open = dying_open
_files.write_together({folder / "m.npz": b"new weights", folder / "m.json": b"new spec"})
"""


@pytest.mark.parametrize("when", ["before the commit point", "after the commit point"])
def test_a_pair_killed_half_way_is_both_old_or_both_new(tmp_path, when):
    _files.write_together({tmp_path / "m.npz": b"old weights", tmp_path / "m.json": b"old"})
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.run([sys.executable, "-c", KILLED_AT, str(tmp_path), when], env=env)
    assert child.returncode == -signal.SIGKILL
    if when == "after the commit point":  # half installed until the next run finishes it
        assert (tmp_path / "m.npz").read_bytes() == b"new weights"
        assert (tmp_path / "m.json").read_bytes() == b"old"
    _files.clean_leftovers(tmp_path)  # what the next save or load does first
    pair = [(tmp_path / name).read_bytes() for name in ("m.npz", "m.json")]
    expected = ([b"old weights", b"old"] if when == "before the commit point"
                else [b"new weights", b"new spec"])
    assert pair == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.npz"]


def test_two_runs_racing_on_one_output_folder(table, tmp_path):
    out = tmp_path / "out"
    runs = [spawn(*train_args(table, out, "--save", "m.npz", "--seed", str(seed),
                              "--epochs", "10"), cwd=tmp_path) for seed in (1, 2)]
    results = [(run.wait(timeout=120), run.communicate()[1]) for run in runs]
    for status, err in results:
        assert status == 0 or (status == 2 and len(err.strip().splitlines()) >= 1), err
        assert "Traceback" not in err
    assert any(status == 0 for status, _ in results)
    _assert_whole_outputs(out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"]["seed"] in (1, 2)
    model = cli.load_trained(tmp_path / "m.npz")  # the pair belongs together
    assert model is not None
    assert hidden(out) == [] and hidden(tmp_path) == []


@pytest.mark.parametrize("round_", range(15))
def test_many_writers_racing_on_one_folder_in_threads(tmp_path, round_):
    """Ten commits into one folder at once, staggered at random (seeded): none is refused
    (a check never sees another run half way through its commit), each file is one
    writer's whole file, and the marker lists every file."""
    import threading

    out = tmp_path / "out"
    errors: list[BaseException] = []
    delays = np.random.default_rng(round_).uniform(0, 0.02, size=10)

    def write(i: int) -> None:
        try:
            time.sleep(delays[i])
            with _files.output_folder(out, ["shared.txt", f"own{i}.txt"]) as staging:
                (staging / "shared.txt").write_text(f"writer {i}\n" * 100_000)
                (staging / f"own{i}.txt").write_text(str(i))
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    lines = set((out / "shared.txt").read_text().splitlines())
    assert len(lines) == 1  # one writer's whole file, not a mixture
    files = json.loads((out / cli.OUTPUT_MARKER).read_text())["files"]
    assert sorted(files) == sorted(["shared.txt", *(f"own{i}.txt" for i in range(10))])
    assert hidden(out) == []


def test_a_check_never_sees_another_runs_commit_half_way(tmp_path, monkeypatch):
    """The interleaving the race above hits by chance, forced: run B commits right after
    run C has read the folder's marker and before C hashes the files. C must see B's
    commit whole (before or after) and not take B's new file for a user's edit."""
    import threading

    out = tmp_path / "out"
    with _files.output_folder(out, ["shared.txt"]) as staging:
        (staging / "shared.txt").write_text("run A")
    read_marker = _files._read_marker
    b_done = threading.Event()

    def commit_b() -> None:
        with _files.output_folder(out, ["shared.txt"]) as staging:
            (staging / "shared.txt").write_text("run B")
        b_done.set()

    def read_then_let_b_commit(folder: Path) -> dict[str, list[str]] | None:
        marker = read_marker(folder)
        if not b_done.is_set() and threading.current_thread() is threading.main_thread():
            runner = threading.Thread(target=commit_b)
            runner.start()
            runner.join(timeout=0.5)  # with the folder locked for reading, B waits
        return marker

    monkeypatch.setattr(_files, "_read_marker", read_then_let_b_commit)
    _files.check_output_folder(out, ["shared.txt"])  # run C's check: no conflict
    assert b_done.wait(timeout=10)
    assert (out / "shared.txt").read_text() == "run B"
