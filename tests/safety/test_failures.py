"""Every failure of the environment, every hostile saved model and every bad special file
gets one line (a summary, then one line per problem) and exit status 2, never a
traceback; training that blows up stops with the epoch and a smaller learning rate."""

from __future__ import annotations

import errno
import json
import math
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safety.support import hidden, spawn, train_args

from tinygrad_ae import _files, cli, models, nn
from tinygrad_ae.data import DataError, load_array
from tinygrad_ae.models import saved as saved_models

# --- the environment -----------------------------------------------------------------------

ADVICE = {errno.ENOSPC: "the disk is full", errno.EFBIG: "larger than this system allows",
          errno.ENAMETOOLONG: "name is too long", errno.EACCES: "permission denied",
          errno.EDQUOT: "quota", errno.EROFS: "read-only", errno.EIO: "input/output error"}


@pytest.mark.parametrize("code", list(ADVICE), ids=lambda c: errno.errorcode[c])
def test_a_failing_disk_is_one_line_and_exit_2_and_leaves_nothing(main, table, tmp_path,
                                                                 monkeypatch, code):
    out = tmp_path / "out"
    assert main(*train_args(table, out, "--save", "m.npz"))[0] == 0
    before = {p.name: p.read_bytes() for p in [*out.iterdir(), tmp_path / "m.npz",
                                               tmp_path / "m.json"]}

    def fail(descriptor: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(_files.os, "fsync", fail)
    status, _, err = main(*train_args(table, out, "--save", "m.npz", "--seed", "4"))
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert ADVICE[code] in err and "Traceback" not in err and "internal error" not in err
    after = {p.name: p.read_bytes() for p in [*out.iterdir(), tmp_path / "m.npz",
                                              tmp_path / "m.json"]}
    assert after == before  # earlier outputs intact
    assert hidden(out) == [] and hidden(tmp_path) == []


def test_a_file_size_limit_fails_cleanly_in_a_real_process(table, tmp_path):
    """A full disk, simulated: RLIMIT_FSIZE makes every write past 4 kB fail with EFBIG."""
    out = tmp_path / "out"
    first = spawn(*train_args(table, out, "--save", "m.npz"), cwd=tmp_path)
    assert first.wait(timeout=120) == 0, first.stderr.read()  # type: ignore[union-attr]
    before = {p: p.read_bytes() for p in [out / "metrics.json", out / "loss.png",
                                          tmp_path / "m.npz", tmp_path / "m.json"]}

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    child = spawn(*train_args(table, out, "--save", "m.npz", "--epochs", "9"), cwd=tmp_path,
                  preexec_fn=limit)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 2 and len(err.strip().splitlines()) == 1, err
    assert "larger than this system allows" in err
    assert {p: p.read_bytes() for p in before} == before
    assert hidden(out) == [] and hidden(tmp_path) == []


def test_not_enough_memory_is_one_line_and_exit_2(main, table, monkeypatch):
    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(models, "fit", exhausted)
    status, _, err = main(*train_args(table, Path("o")))
    assert status == 2 and "not enough memory" in err and len(err.splitlines()) == 1


def test_a_huge_model_is_refused_before_it_is_built(main, table):
    status, _, err = main(*train_args(table, Path("o"), "--hidden", "3000000,3000000"))
    assert status == 2 and "more than this machine's" in err and "--hidden" in err


@pytest.mark.parametrize("flag", ["--save", "--out"])
def test_a_name_too_long_is_refused_before_training(main, table, flag):
    name = "m" * 300 + (".npz" if flag == "--save" else "")
    argv = train_args(table, Path("o")) + [flag, name]
    status, out, err = main(*argv)
    assert status == 2 and "shorter name" in err and out == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused_before_training(main, table, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        status, _, err = main(*train_args(table, locked / "o"))
        assert status == 2 and "not writable" in err
    finally:
        locked.chmod(0o700)


def test_ctrl_c_at_any_moment_is_one_line_and_status_130(table, tmp_path):
    """SIGINT at seeded random moments once the interpreter runs our code (numpy is being
    loaded): start-up, training, writing. Status 130 (or 0 if it finished first).
    Before that, Python itself is starting and no program's code can catch Ctrl-C."""
    rng = np.random.default_rng(15)
    for delay in rng.uniform(0.0, 1.5, size=4):
        child = spawn(*train_args(table, tmp_path / "out", "--epochs", "3000"), cwd=tmp_path)
        deadline = time.monotonic() + 30
        maps = Path(f"/proc/{child.pid}/maps")
        while time.monotonic() < deadline and "numpy" not in maps.read_text():
            time.sleep(0.005)
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
        # -SIGINT: it arrived while the interpreter shut down after the work, when Python
        # gives SIGINT back to the system; a shell shows that as status 130 too.
        assert child.returncode in (130, 0, -signal.SIGINT), (delay, err)
        assert "Traceback" not in err, (delay, err)
        if child.returncode == 130:
            assert err.strip().splitlines()[-1].endswith("interrupted")
    assert hidden(tmp_path) == []


def test_ctrl_c_outside_the_commands_own_handlers_is_still_one_line(monkeypatch, capsys):
    def interrupted(argv):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "_run", interrupted)
    assert cli.main(["--version"]) == 130
    assert capsys.readouterr().err == "tinygrad-ae: interrupted\n"


# A child that runs the command line's main() and then, with a second thread, holds
# Python in its wait for threads at exit: the thread sees the main thread stop, says so on
# stderr and waits for its stdin to close. The moment of the Ctrl-C is certain.
_HELD_AT_EXIT = (
    "import sys, threading, time\n"
    "def hold():\n"
    "    while threading.main_thread().is_alive():\n"
    "        time.sleep(0.005)\n"
    "    sys.stderr.write('exiting\\n'); sys.stderr.flush()\n"
    "    sys.stdin.read()\n"
    "threading.Thread(target=hold).start()\n"
    "from tinygrad_ae.cli import main\n"
    "sys.argv = ['tinygrad-ae', '--version']\n"
    "raise SystemExit(main())\n")


def _held_at_exit(tmp_path, ignore_sigint: bool) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered
    env["PYTHONPATH"] = str(Path(cli.__file__).parents[1])
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None
    child = subprocess.Popen([sys.executable, "-c", _HELD_AT_EXIT], cwd=tmp_path, env=env,
                             text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, preexec_fn=ignore)
    assert child.stderr is not None and child.stderr.readline() == "exiting\n"
    return child


def test_ctrl_c_while_python_shuts_down_is_no_traceback_and_loses_no_output(tmp_path):
    """After the command's work, Python waits for other threads before it exits; a Ctrl-C
    then used to print a KeyboardInterrupt traceback ("Exception ignored in threading").
    Now the process ends by the signal, and what it printed was written out first."""
    child = _held_at_exit(tmp_path, ignore_sigint=False)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGINT, err  # a shell shows this as status 130
    assert err == "" and out.startswith("tinygrad-ae ")


def test_a_sigint_the_parent_ignores_stays_ignored_at_exit(tmp_path):
    """A background job started by a shell ignores Ctrl-C; the command keeps that."""
    child = _held_at_exit(tmp_path, ignore_sigint=True)
    child.send_signal(signal.SIGINT)
    time.sleep(0.2)
    assert child.poll() is None  # still waiting for its thread, not killed
    out, err = child.communicate(input="", timeout=30)  # the thread ends, so does Python
    assert child.returncode == 0 and err == "" and out.startswith("tinygrad-ae ")


def test_a_program_calling_main_keeps_its_own_ctrl_c_handler():
    before = signal.getsignal(signal.SIGINT)
    argv = sys.argv
    try:
        sys.argv = ["my_program.py"]  # not the command line: main() leaves SIGINT alone
        assert cli.main() == 2  # no subcommand: the help, status 2
    finally:
        sys.argv = argv
    assert signal.getsignal(signal.SIGINT) is before


# --- special files ---------------------------------------------------------------------------

def test_a_fifo_is_named_a_fifo_and_never_read(tmp_path, main):
    fifo = tmp_path / "data.npy"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="named pipe"):
        load_array(fifo)
    status, _, err = main("train", str(fifo), "--code-dim", "1")
    assert status == 2 and "named pipe" in err and "empty" not in err
    with pytest.raises(nn.ModelFileError, match="named pipe"):
        nn.Linear(2, 1).load(fifo)


def test_dev_zero_is_named_a_device(tmp_path):
    link = tmp_path / "zero.npy"
    link.symlink_to("/dev/zero")
    with pytest.raises(DataError, match="character device"):
        load_array(link)


def test_a_fifo_architecture_file_is_refused(tmp_path):
    nn.Linear(2, 1).save(tmp_path / "m.npz")
    os.mkfifo(tmp_path / "m.json")
    with pytest.raises(cli.UsageError, match="not a regular file"):
        cli.load_trained(tmp_path / "m.npz")


def test_an_archive_declaring_more_than_memory_is_refused_from_its_header(tmp_path):
    import zipfile

    header = {"descr": "<f8", "fortran_order": False, "shape": (10**7, 10**7)}
    buffer = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w") as archive:
        # The header alone, no data: the archive claims 800 TB in a few hundred bytes.
        archive.writestr("X.npy", b"\x93NUMPY\x01\x00" + buffer.getvalue()[8:])
        archive.writestr("weight.npy", b"\x93NUMPY\x01\x00" + buffer.getvalue()[8:])
    with pytest.raises(DataError, match="more than this machine's memory"):
        load_array(tmp_path / "bomb.npz")
    with pytest.raises(nn.ModelFileError, match="shape mismatch"):
        nn.Linear(2, 1).load(tmp_path / "bomb.npz")


def test_a_compressed_archive_larger_than_memory_is_refused(tmp_path, monkeypatch):
    """A real compressed .npz (a "zip bomb" in miniature: 800 kB of zeros in about 1 kB),
    on a machine pretending to have 100 kB of memory."""
    from tinygrad_ae.data import loading

    np.savez_compressed(tmp_path / "bomb.npz", X=np.zeros((10_000, 10)))
    assert (tmp_path / "bomb.npz").stat().st_size < 10_000
    monkeypatch.setattr(loading, "memory_bytes", lambda: 100_000)
    with pytest.raises(DataError, match="more than this machine's memory"):
        load_array(tmp_path / "bomb.npz")


def test_bench_with_100000_threads_is_a_clear_error(main):
    status, _, err = main("bench", "--threads", "100000", "--size", "tiny")
    assert status == 2 and "--threads must be between 1 and" in err


# --- saved models, malformed or hostile ------------------------------------------------------

@pytest.fixture
def saved(main, table, tmp_path) -> Path:
    assert main(*train_args(table, tmp_path / "o", "--save", "m.npz"))[0] == 0
    return tmp_path / "m.npz"


def _spec(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text())


HOSTILE = {
    "not JSON": ("{model", "not valid JSON"),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, "not valid JSON|not an object"),
    "a list": ("[1, 2]", "not an object"),
    "too large": (" " * (2 << 20) + "{}", "far larger than an architecture file"),
    "not UTF-8": (b"\xff\xfe{}", "cannot be read"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_malformed_architecture_file_is_one_clear_error(saved, case):
    content, key = HOSTILE[case]
    path = saved.with_suffix(".json")
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(cli.UsageError, match=key):
        cli.load_trained(saved)


def test_every_bad_field_is_listed_before_anything_is_built(saved, monkeypatch):
    spec = _spec(saved)
    spec["model"].update(n_features="3", code_dim=True, hidden=[10**9, -1],
                         activation="rm -rf", seed=1.5)
    saved.with_suffix(".json").write_text(json.dumps(spec))
    monkeypatch.setattr(saved_models, "build_model", lambda spec: pytest.fail("built"))
    with pytest.raises(cli.UsageError) as caught:
        cli.load_trained(saved)
    lines = str(caught.value).splitlines()
    assert "5 problems" in lines[0] and len(lines) == 6
    for field, line in zip(["n_features", "code_dim", "hidden", "activation", "seed"],
                           lines[1:]):
        assert f"'{field}'" in line


def test_a_huge_architecture_is_refused_before_it_is_built(saved, monkeypatch):
    spec = _spec(saved)
    spec["model"]["hidden"] = [10**6, 10**6]
    del spec["npz_sha256"]
    saved.with_suffix(".json").write_text(json.dumps(spec))
    monkeypatch.setattr(saved_models, "build_model", lambda spec: pytest.fail("built"))
    with pytest.raises(cli.UsageError, match="parameters, but .* holds 10 numbers"):
        cli.load_trained(saved)


def test_weights_that_do_not_belong_to_their_architecture_are_refused(saved):
    np.savez(saved, **{k: v + 1 for k, v in np.load(saved).items()})
    with pytest.raises(cli.UsageError, match="do not belong together"):
        cli.load_trained(saved)


def test_the_command_line_shows_every_problem_of_a_saved_model(saved, main):
    spec = _spec(saved)
    spec["model"].update(activation="x", seed="y")
    saved.with_suffix(".json").write_text(json.dumps(spec))
    status, _, err = main("graph", "--model", str(saved))
    lines = err.strip().splitlines()
    assert status == 2 and "2 problems" in lines[0] and len(lines) == 3
    assert "'activation'" in lines[1] and "'seed'" in lines[2]


def test_load_state_dict_lists_every_problem_one_per_line():
    model = nn.Linear(3, 2, rng=0)
    with pytest.raises(nn.StateDictError) as caught:
        model.load_state_dict({"weight": np.full((2, 3), np.nan), "bias": np.zeros(5),
                               "extra": np.zeros(1), "other": np.zeros(1)})
    lines = str(caught.value).splitlines()
    assert "4 problems" in lines[0]
    assert [line.strip()[:2] for line in lines[1:5]] == ["- "] * 4
    assert any("'extra'" in line for line in lines) and any("NaN" in line for line in lines)


def test_a_model_file_that_does_not_fit_lists_every_problem(tmp_path, main):
    nn.Linear(4, 3, rng=0).save(tmp_path / "m.npz")
    model = nn.Linear(2, 1, rng=0)
    with pytest.raises(nn.ModelFileError) as caught:
        model.load(tmp_path / "m.npz")
    assert "2 problems" in str(caught.value).splitlines()[0]
    assert len(str(caught.value).splitlines()) >= 3


# --- training that blows up --------------------------------------------------------------

def test_a_loss_that_explodes_but_stays_finite_stops_with_the_epoch_and_a_hint():
    X = np.random.default_rng(0).normal(size=(100, 2)) * 30
    model = models.LinearAutoencoder(2, 1, rng=0)
    with pytest.raises(models.TrainingDiverged) as caught:
        models.fit(model, X, epochs=200, lr=0.01, progress=False)
    error = caught.value
    assert math.isfinite(error.loss) and error.history.stopped_early
    assert f"epoch {error.epoch}" in error.message and "smaller learning rate" in error.message
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_training_that_works_is_not_stopped():
    X = np.random.default_rng(0).normal(size=(100, 2))
    for batch_size, optimizer in ((None, "sgd"), (1, "sgd"), (10, "adam")):
        history = models.fit(models.LinearAutoencoder(2, 1, rng=0), X, epochs=20, lr=0.01,
                             batch_size=batch_size, optimizer=optimizer, progress=False)
        assert not history.stopped_early


def test_train_reports_a_blow_up_and_writes_nothing(main, table, tmp_path):
    status, _, err = main(*train_args(table, tmp_path / "o", "--lr", "3", "--epochs", "50"))
    assert status == 2 and "training diverged at epoch" in err and "smaller learning" in err
    assert not (tmp_path / "o").exists()


def test_metrics_are_always_valid_json(main, table, tmp_path):
    assert _files.finite_json([math.inf, -math.inf, math.nan]) == "[null, null, null]"
    assert main(*train_args(table, tmp_path / "o"))[0] == 0

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    json.loads((tmp_path / "o" / "metrics.json").read_text(), parse_constant=refuse)


def test_python_ignores_sigxfsz_so_writes_fail_with_efbig():
    """The file-size test relies on this: the limit gives EFBIG, not a killed process."""
    code = ("import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (10, 10)); "
            "open('/dev/null', 'w')")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("command", [["train", "x.csv", "--code-dim", "1"], ["graph"], ["demo"]])
def test_a_negative_seed_is_a_clear_error(main, command):
    status, _, err = main(*command, "--seed", "-1")
    assert status == 2 and "a seed must be 0 or more" in err
