"""Streaming PCA and a streaming linear autoencoder on a file far larger than the memory allowed.

    python benchmarks/streaming.py [--gb 2] [--mem-mb 400] [--quick] [--json PATH] [--write-docs]

What it does, all inside one ``tempfile.TemporaryDirectory`` that is deleted at the end:

1. Writes ``X.npy``: ``--gb`` gigabytes (10⁹ bytes) of float32 rows with a spiked covariance,
   Σ = U diag(s) Uᵀ + I with s = (10, 8, 6, 4, 2) and U (80 × 5) Haar-random, as
   ``data.spiked_covariance`` draws it (x = U diag(√s) z + e, z ~ N(0, I₅), e ~ N(0, I₈₀)).
   It is generated and written one chunk at a time, so the generator never holds it.
2. Measures the address space that Python + numpy + tinygrad_ae (and scikit-learn) need at
   start-up, and checks that the cap ``--mem-mb`` lies above it and far below the file.
3. Runs each streaming method in its own subprocess under ``resource.setrlimit(RLIMIT_AS,
   cap)``, reading the file through ``online.NpyRows`` wrapped in ``online.RowCountingArray``
   (so the largest read is recorded): our ``LinearAutoencoder`` trained by SGD
   (``online.stream_linear_autoencoder``), ``online.OjaPCA``, ``online.SangerPCA``, the exact
   covariance accumulated in one pass (O(m²) memory), and scikit-learn's ``IncrementalPCA``
   when it is installed. One pass each, batches of 1000 rows in file order, as a stream
   arrives. A whole-file ``np.memmap`` (``data.load_array``) is tried under the same cap too.
4. Runs a full SVD (``pca.PCA``) with the whole file loaded in memory, uncapped. If that
   would not fit in 80 % of the machine's memory, it runs on an evenly spaced subsample and
   says so.
5. Reports, per method: seconds of work (start-up excluded), peak RSS (``ru_maxrss`` of the
   child from ``os.wait4``), the largest number of rows one read took, and the largest
   principal angle to the true spike directions U and to the full SVD's subspace. Prints a
   markdown table and JSON; ``--write-docs`` puts the table between the
   ``<!-- generated:streaming:begin/end -->`` markers of docs/online_and_nonlinear.md and draws
   docs/img/online_angles.png and docs/img/online_memory.png.

``--quick`` writes about 50 MB instead (unless ``--gb`` is given) and reads 200 rows at a time,
so the whole run takes seconds (a smoke test; the file is then smaller than the cap). Children
run single-threaded BLAS (OPENBLAS_NUM_THREADS=1 and friends): each BLAS thread reserves
address space of its own, which ``RLIMIT_AS`` counts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# NOTE: this parent process must not import numpy (or anything big) before the children have
# run. ru_maxrss counts the memory a child had between fork and exec, which is a copy of the
# parent's: a parent holding 500 MiB would make every child report at least 500 MiB. So the
# data file is written by a child too, and numpy is imported here only for the final analysis.

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "online_and_nonlinear.md"
IMG = ROOT / "docs" / "img"

N_FEATURES = 80
SPIKES = (10.0, 8.0, 6.0, 4.0, 2.0)
NOISE = 1.0
BATCH = 1000  # rows per read; --quick uses QUICK_BATCH, so its few rows still give enough steps
QUICK_BATCH = 200
# A full SVD (pca.PCA, numpy's gesdd) of a tall float32 matrix peaked at 10.3-10.4 times the
# data's size here (the data, its centred copy, U and LAPACK's workspace; measured at 0.3 and
# 1 million rows); the run is subsampled if that would exceed this share of the machine.
SVD_MEMORY_RATIO = 10.5
SVD_MEMORY_SHARE = 0.75
SEED = 2025
CHUNK_ROWS = 100_000
# Step sizes, fixed before looking at the file: λ_1 = 11 here, so Oja/Sanger need lr < 1/11 and
# SGD on the paper's loss lr < 1/(4 λ_1) ≈ 0.023 (docs/theory.md#step-size-and-centring). Half-lives
# are in rows.
LAE_LR, LAE_HALF_LIFE = 0.02, 300_000
OJA_LR, OJA_HALF_LIFE = 0.05, 100_000
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
STREAMING = ("lae", "oja", "sanger", "covariance", "ipca")
LABELS = {
    "lae": "linear AE, SGD (ours)",
    "oja": "Oja subspace rule (ours)",
    "sanger": "Sanger GHA (ours)",
    "covariance": "exact covariance, one pass + eigh",
    "ipca": "scikit-learn IncrementalPCA",
    "memmap": "whole-file np.memmap (data.load_array)",
    "svd": "full SVD, all rows in memory (pca.PCA)",
}


# ---------------------------------------------------------------------------------------------
# The data file
# ---------------------------------------------------------------------------------------------


def write_spiked_file(path: Path, n_samples: int, seed: int = SEED) -> np.ndarray:
    """Write an (n_samples, N_FEATURES) float32 .npy chunk by chunk; return the directions U."""
    import numpy as np

    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((N_FEATURES, len(SPIKES))))
    directions = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    scale = np.sqrt(np.array(SPIKES))
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
              "fortran_order": False, "shape": (n_samples, N_FEATURES)}
    with open(path, "wb") as file:
        np.lib.format.write_array_header_1_0(file, header)
        for start in range(0, n_samples, CHUNK_ROWS):
            rows = min(CHUNK_ROWS, n_samples - start)
            chunk = (rng.standard_normal((rows, len(SPIKES))) * scale) @ directions.T
            chunk += NOISE * rng.standard_normal((rows, N_FEATURES))
            file.write(chunk.astype(np.float32).tobytes())
    return directions


# ---------------------------------------------------------------------------------------------
# Child side: one method, one process
# ---------------------------------------------------------------------------------------------


def _vm_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def _trace_points(n_batches: int) -> int:
    return max(1, n_batches // 60)


def run_child(method: str, workdir: Path, n_samples: int) -> dict[str, Any]:
    """Run one method on workdir/X.npy and return what it measured (ru_maxrss: the parent)."""
    import numpy as np

    from tinygrad_ae import data
    from tinygrad_ae.pca import PCA, principal_angles
    from tinygrad_ae.studies import online

    if method == "ipca":
        from sklearn.decomposition import IncrementalPCA
    result: dict[str, Any] = {"method": method, "vm_after_imports_kb": _vm_kb("VmPeak")}
    if method == "baseline":
        return result
    if method == "generate":
        started = time.perf_counter()
        np.save(workdir / "U.npy", write_spiked_file(workdir / "X.npy", n_samples))
        result["seconds"] = time.perf_counter() - started
        return result
    directions = np.load(workdir / "U.npy")
    k = directions.shape[1]
    path = workdir / "X.npy"
    batch_size = int(os.environ.get("STREAMING_BATCH", BATCH))
    start = time.perf_counter()
    rows_seen: list[int] = []
    angles: list[float] = []

    def angle(components_rows: np.ndarray) -> float:
        return float(principal_angles(components_rows.T, directions).max())

    if method == "memmap":
        try:
            X = data.load_array(path, dtype=np.float32, check_finite=False)
            first = np.asarray(X[:batch_size])
            result["error"] = ""
            result["max_rows_per_read"] = int(first.shape[0])
        except Exception as exc:  # noqa: BLE001 -- the point is to report whatever happens
            result["error"] = f"{type(exc).__name__}: {exc}".replace(f"{path}: ", "")
        result["seconds"] = time.perf_counter() - start
        return result

    if method == "svd":
        whole = np.load(path)  # every row in memory: this is what a full SVD needs
        step = int(os.environ.get("STREAMING_SVD_STEP", "1"))
        if step > 1:
            whole = np.ascontiguousarray(whole[::step])
        pca = PCA(k).fit(whole)
        components = pca.components_
        result["rows_read"] = int(whole.shape[0])
        result["max_rows_per_read"] = int(whole.shape[0])
        result["subsample_step"] = step
    else:
        X = online.RowCountingArray(online.NpyRows(path))
        n_samples = X.shape[0]
        every = _trace_points(-(-n_samples // batch_size))
        if method == "lae":
            model, trace = online.stream_linear_autoencoder(
                X, k, batch_size=batch_size, epochs=1, lr=LAE_LR, optimizer="sgd", seed=SEED,
                reference=directions, half_life=LAE_HALF_LIFE, shuffle=False, trace_every=every)
            rows_seen, angles = trace.rows_seen, trace.angle
            components = np.linalg.qr(model.W_d.data)[0].T
            result["encoder_angle"] = trace.encoder_angle[-1]
        else:
            if method in ("oja", "sanger"):
                cls = online.OjaPCA if method == "oja" else online.SangerPCA
                estimator: Any = cls(k, lr=OJA_LR, half_life=OJA_HALF_LIFE, seed=SEED)
            elif method == "ipca":
                estimator = IncrementalPCA(n_components=k)
            elif method == "covariance":
                estimator = _StreamingCovariance(k)
            else:
                raise SystemExit(f"streaming.py: unknown method {method!r}")
            for i, batch in enumerate(data.minibatches(X, batch_size, shuffle=False), start=1):
                estimator.partial_fit(batch)
                if i % every == 0:
                    rows_seen.append(i * batch_size)
                    angles.append(angle(estimator.components_))
            components = estimator.components_
            rows_seen.append(n_samples)
            angles.append(angle(components))
        result["rows_read"] = X.rows_read
        result["max_rows_per_read"] = X.max_rows_per_read
    result["seconds"] = time.perf_counter() - start
    result["angle_true"] = angle(components)
    result["trace"] = {"rows_seen": rows_seen, "angle": angles}
    result["vm_hwm_kb"] = _vm_kb("VmHWM")
    np.save(workdir / f"components_{method}.npy", components)
    return result


class _StreamingCovariance:
    """PCA from moments summed in one pass: Σ = (1/N) Σ x xᵀ − μ μᵀ, O(m²) memory, then eigh.

    Float64 sums of float32 rows; the cancellation in Σ x xᵀ/N − μμᵀ costs digits only when
    ‖μ‖² ≫ the variances, which is not the case here (the accurate alternative is a pairwise
    update of centred moments, Chan et al. 1979).
    """

    def __init__(self, n_components: int) -> None:
        self.n_components = n_components
        self.n = 0
        self.total: np.ndarray | None = None
        self.second: np.ndarray | None = None

    def partial_fit(self, batch: np.ndarray) -> None:
        import numpy as np

        rows = np.asarray(batch, dtype=np.float64)
        if self.total is None or self.second is None:
            self.total = np.zeros(rows.shape[1])
            self.second = np.zeros((rows.shape[1], rows.shape[1]))
        self.n += rows.shape[0]
        self.total += rows.sum(axis=0)
        self.second += rows.T @ rows

    @property
    def components_(self) -> np.ndarray:
        import numpy as np

        assert self.total is not None and self.second is not None
        mean = self.total / self.n
        covariance = self.second / self.n - np.outer(mean, mean)
        _, vectors = np.linalg.eigh(covariance)
        return vectors[:, ::-1][:, : self.n_components].T


def child_main(method: str, workdir: str, out: str, n_samples: int) -> None:
    result = run_child(method, Path(workdir), n_samples)
    Path(out).write_text(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# Parent side
# ---------------------------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env[name] = "1"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def launch(method: str, workdir: Path, cap_bytes: int | None, n_samples: int = 0,
           extra_env: dict[str, str] | None = None, batch_size: int = BATCH) -> dict[str, Any]:
    """Run ``method`` in a child (capped when cap_bytes is set); add its peak RSS and exit code."""
    out = workdir / f"result_{method}.json"
    env = _child_env()
    env["STREAMING_BATCH"] = str(batch_size)
    env.update(extra_env or {})

    def limit() -> None:
        if cap_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))

    stderr_path = workdir / f"stderr_{method}.txt"
    with open(stderr_path, "w") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", method,
             "--workdir", str(workdir), "--out", str(out), "--rows", str(n_samples)],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr, preexec_fn=limit)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
    result: dict[str, Any] = {"method": method}
    if out.exists():
        result = json.loads(out.read_text())
    else:
        tail = stderr_path.read_text().strip().splitlines()[-3:]
        result["error"] = f"exit code {process.returncode}: " + " / ".join(tail)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports kilobytes
    result["wall_seconds"] = wall
    result["cap_mb"] = None if cap_bytes is None else cap_bytes / 2**20
    return result


def rlimit_as_supported() -> bool:
    """True when RLIMIT_AS exists and a child's address space can really be capped (Linux)."""
    return sys.platform.startswith("linux") and hasattr(resource, "RLIMIT_AS")


def _memory_total_bytes() -> int:
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def run_benchmark(gigabytes: float, mem_mb: int, methods: tuple[str, ...],
                  batch_size: int = BATCH) -> dict[str, Any]:
    n_samples = int(gigabytes * 1e9 // (N_FEATURES * 4))
    cap = mem_mb * 2**20
    report: dict[str, Any] = {
        "gigabytes": gigabytes, "n_samples": n_samples, "n_features": N_FEATURES,
        "spikes": list(SPIKES), "noise": NOISE, "batch_size": batch_size, "cap_mb": mem_mb,
        "python": sys.version.split()[0], "results": [],
    }
    import importlib.util

    has_sklearn = importlib.util.find_spec("sklearn") is not None
    with tempfile.TemporaryDirectory(prefix="tinygrad_ae_streaming_") as tmp:
        workdir = Path(tmp)
        generated = launch("generate", workdir, None, n_samples)
        if generated.get("error"):
            raise SystemExit(f"streaming.py: writing the data file failed: {generated['error']}")
        report["file_mb"] = (workdir / "X.npy").stat().st_size / 2**20
        report["generate_seconds"] = generated["seconds"]
        report["generate_peak_rss_mb"] = generated["peak_rss_mb"]
        print(f"wrote {report['file_mb']:.0f} MiB ({n_samples} x {N_FEATURES} float32) in "
              f"{report['generate_seconds']:.1f} s", file=sys.stderr)

        baseline = launch("baseline", workdir, None)
        baseline_ipca = launch("ipca_baseline", workdir, None) if has_sklearn else None
        report["baseline_vm_mb"] = baseline["vm_after_imports_kb"] / 1024
        report["baseline_rss_mb"] = baseline["peak_rss_mb"]
        needed = report["baseline_vm_mb"]
        if baseline_ipca is not None:
            report["baseline_vm_sklearn_mb"] = baseline_ipca["vm_after_imports_kb"] / 1024
            needed = max(needed, report["baseline_vm_sklearn_mb"])
        if mem_mb < needed + 32:
            raise SystemExit(f"streaming.py: --mem-mb {mem_mb} is too small: start-up alone "
                             f"reserves {needed:.0f} MiB of address space; use at least "
                             f"{needed + 64:.0f}")
        print(f"start-up address space {needed:.0f} MiB; cap {mem_mb} MiB", file=sys.stderr)

        results = []
        for method in methods:
            if method == "ipca" and not has_sklearn:
                continue
            print(f"running {method} ...", file=sys.stderr)
            if method == "svd":
                need = SVD_MEMORY_RATIO * (workdir / "X.npy").stat().st_size + 2**29
                step = max(1, math.ceil(need / (SVD_MEMORY_SHARE * _memory_total_bytes())))
                report["svd_estimated_full_gb"] = need / 1e9
                results.append(launch("svd", workdir, None, extra_env={
                    "STREAMING_SVD_STEP": str(step)}))
            else:
                results.append(launch(method, workdir, cap, batch_size=batch_size))
        # Every measurement is done: from here on the parent may import what it likes.
        import numpy as np

        from tinygrad_ae.pca import principal_angles

        report["numpy"] = np.__version__
        if has_sklearn:
            import sklearn

            report["sklearn"] = sklearn.__version__
        svd = next((r for r in results if r["method"] == "svd" and "angle_true" in r), None)
        if svd is not None:
            reference = np.load(workdir / "components_svd.npy").T
            for r in results:
                file = workdir / f"components_{r['method']}.npy"
                if file.exists():
                    r["angle_svd"] = float(principal_angles(np.load(file).T, reference).max())
        report["results"] = results
    return report


def _format(value: Any, digits: str) -> str:
    return "–" if value is None else format(value, digits)


def markdown_table(report: dict[str, Any]) -> str:
    """The results as a markdown table, one row per method, with the setting above it."""
    size = f"{report['file_mb']:.0f} MiB" if report.get("file_mb") else "?"
    lines = [
        f"File: {report['n_samples']:,} × {report['n_features']} float32 = {size} "
        f"(spike variances {', '.join(f'{s:g}' for s in report['spikes'])} over unit noise); "
        f"batches of {report['batch_size']} rows; one pass. Cap: RLIMIT_AS = "
        f"{report['cap_mb']} MiB; start-up alone reserves "
        f"{report['baseline_vm_mb']:.0f} MiB (numpy + tinygrad_ae)"
        + (f", {report['baseline_vm_sklearn_mb']:.0f} MiB with scikit-learn"
           if "baseline_vm_sklearn_mb" in report else "")
        + f" and has a peak RSS of {report['baseline_rss_mb']:.0f} MiB.",
        "",
        "| method | memory cap | max rows per read | time (s) | peak RSS (MiB) "
        "| angle to true U (rad) | angle to full-SVD subspace (rad) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        cap = "none" if r.get("cap_mb") is None else f"{r['cap_mb']:.0f} MiB"
        label = LABELS.get(r["method"], r["method"])
        if r.get("subsample_step", 1) > 1:
            label += f" (1 row in {r['subsample_step']}: all rows would not fit)"
        if r.get("error"):
            message = r["error"].split(";")[0]
            lines.append(f"| {label} | {cap} | – | – | {r['peak_rss_mb']:.0f} | failed: "
                         f"{message} | – |")
            continue
        rows = r.get("max_rows_per_read")
        lines.append(
            f"| {label} | {cap} | {_format(rows, ',')} | {_format(r.get('seconds'), '.1f')} "
            f"| {r['peak_rss_mb']:.0f} | {_format(r.get('angle_true'), '.4f')} "
            f"| {_format(r.get('angle_svd'), '.4f')} |"
        )
    return "\n".join(lines)


def write_docs(report: dict[str, Any], table: str) -> None:
    """Put the table between the doc's generated:streaming markers and draw the two plots."""
    command = "python benchmarks/streaming.py --gb {:g} --mem-mb {} --write-docs".format(
        report["gigabytes"], report["cap_mb"])
    block = f"<!-- {command} -->\n\n{table}\n"
    text = DOC.read_text()
    pattern = re.compile(r"(<!-- generated:streaming:begin -->\n).*?(<!-- generated:streaming:"
                         r"end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"streaming.py: {DOC} has no generated:streaming markers")
    DOC.write_text(pattern.sub(lambda m: m.group(1) + block + m.group(2), text))
    draw_plots(report)


def draw_plots(report: dict[str, Any]) -> None:
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    IMG.mkdir(parents=True, exist_ok=True)
    results = {r["method"]: r for r in report["results"]}
    fig, ax = plt.subplots(figsize=(7, 4.2))
    # Oja and Sanger span the same subspace at every step here, so Oja is drawn dashed on top.
    styles = {"oja": dict(ls="--", lw=2.5, zorder=3), "sanger": dict(lw=1)}
    for method in STREAMING:
        r = results.get(method)
        if r is None or "trace" not in r:
            continue
        rows = np.array(r["trace"]["rows_seen"], dtype=float)
        angle = np.array(r["trace"]["angle"])
        keep = rows > 0
        ax.loglog(rows[keep], angle[keep], marker=".", label=LABELS[method],
                  **styles.get(method, {}))
    svd = results.get("svd", {})
    if "angle_true" in svd:
        step = svd.get("subsample_step", 1)
        ax.axhline(svd["angle_true"], color="k", ls="--",
                   label="full SVD" + (f" of 1 row in {step}" if step > 1 else " of all rows"))
    ax.set_xlabel("rows read (one pass)")
    ax.set_ylabel("largest principal angle to true U (rad)")
    ax.set_title(f"Streaming through {report['file_mb']:.0f} MiB under a "
                 f"{report['cap_mb']} MiB address-space cap")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(IMG / "online_angles.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.8))
    names, values = [], []
    for r in report["results"]:
        note = " (failed)" if r.get("error") else ""
        if r.get("subsample_step", 1) > 1:
            note = f"\n(1 row in {r['subsample_step']})"
        names.append(LABELS.get(r["method"], r["method"]) + note)
        values.append(r["peak_rss_mb"])
    ax.barh(names, values, color=["tab:red" if r.get("error") else "tab:blue"
                                  for r in report["results"]])
    ax.axvline(report["cap_mb"], color="k", ls="--", label=f"cap {report['cap_mb']} MiB")
    ax.axvline(report["file_mb"], color="tab:orange", ls=":", label="file size")
    ax.set_xscale("log")
    ax.set_xlabel("peak RSS of the process (MiB, log scale)")
    ax.legend(fontsize=8, loc="upper right")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(IMG / "online_memory.png", dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gb", type=float, default=None,
                        help="file size in 10^9 bytes (default 2; 0.05 with --quick)")
    parser.add_argument("--mem-mb", type=int, default=400,
                        help="RLIMIT_AS for the streaming children, in MiB")
    parser.add_argument("--quick", action="store_true", help="about 50 MB: runs in seconds")
    parser.add_argument("--batch", type=int, default=BATCH, help="rows per read (default "
                        f"{BATCH}; --quick uses {QUICK_BATCH})")
    parser.add_argument("--json", type=Path, help="also write the full report here")
    parser.add_argument("--write-docs", action="store_true",
                        help="update docs/online_and_nonlinear.md and docs/img/online_*.png")
    parser.add_argument("--from-json", type=Path, metavar="PATH",
                        help="do not run: rebuild the table (and, with --write-docs, the doc and "
                             "plots) from a report saved with --json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        method = "baseline" if args.child == "ipca_baseline" else args.child
        if args.child == "ipca_baseline":
            import sklearn.decomposition  # noqa: F401 -- measure its start-up cost
        child_main(method, args.workdir, args.out, args.rows)
        return 0
    if not rlimit_as_supported():
        print("streaming.py: needs Linux's RLIMIT_AS to cap the children's memory",
              file=sys.stderr)
        return 2
    if args.from_json:
        report = json.loads(args.from_json.read_text())
        table = markdown_table(report)
        print(table)
        if args.write_docs:
            write_docs(report, table)
        return 0
    gigabytes = args.gb if args.gb is not None else 0.05 if args.quick else 2.0
    if gigabytes <= 0 or args.mem_mb <= 0:
        parser.error("--gb and --mem-mb must be positive")
    methods = ("memmap", *STREAMING, "svd")
    report = run_benchmark(gigabytes, args.mem_mb, methods,
                           QUICK_BATCH if args.quick else args.batch)
    table = markdown_table(report)
    print(table)
    text = json.dumps(report, indent=1)
    if args.json:
        args.json.write_text(text)
    else:
        print("\n```json\n" + json.dumps({k: v for k, v in report.items() if k != "results"}
                                         | {"results": [{k: v for k, v in r.items()
                                                         if k != "trace"}
                                                        for r in report["results"]]},
                                         indent=1) + "\n```")
    if args.write_docs:
        write_docs(report, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
