"""Benchmarks: the issue's workloads timed for tinygrad_ae, hand-written numpy and PyTorch.

Layer: the top, beside :mod:`tinygrad_ae.cli`; imports numpy, the standard library and
``tensor``, ``nn``, ``optim`` and ``models`` of ours. PyTorch is optional: without it
its column is left out, W6 (whose reference it is) is not run, and nothing here fails.

What is measured
----------------
Each workload is one training step (forward, backward, optimizer update), written once
per framework from the same data and the same initial parameters:

- ``numpy``: by hand, gradients derived on paper (the reference of most workloads);
- ``tinygrad_ae``: with the public API (``models``, ``nn.mse_loss``, ``optim``);
- ``torch``: idiomatic PyTorch on the CPU, with the same number of threads.

======= ================================================= ==============================
key     workload                                          goal (``Workload.goal``)
======= ================================================= ==============================
W1      the paper's 2-1-2 linear AE, N=1000, SGD          ratio to numpy
W1p     the same as the paper's seven equations           ratio to numpy
W2      64-32-8-32-64 tanh AE, batch 64, Adam             ratio to numpy
W3      784-256-64-256-784 ReLU AE, batch 256, SGD        ratio to numpy
W4      linear AE 256→16, N=20000, full batch, SGD        ratio to numpy
W5      a chain of 10,000 small elementwise ops           µs per op above numpy, and
                                                          bookkeeping bytes per op
W6      ConvAutoencoder((1, 28, 28), 16), batch 64, Adam  ratio to PyTorch (module conv)
W7-1e4… LinearAutoencoder(2, 1) at N = 10⁴, 10⁵, 10⁶      ratio to numpy
W8      Hessian-vector products (module second_order,     ratio to its own gradient
        when it registers ``SECOND_ORDER``)
======= ================================================= ==============================

Before any time is reported, every step runs ``check_steps`` steps from the same start
and its losses must agree with its reference's (relative 1e-5 in float32, 1e-12 in
float64): a fast wrong answer is reported as a mismatch, never as a time. Repetitions are
interleaved (each repetition times every framework once, in a rotating order) and the
median of at least 7 is reported, with CPU time beside wall time, the spread within a
repetition, the load average before and after, and a busy flag. Each goal is judged met
or missed from the medians (:func:`judge_goal`). Garbage collection stays on, as in a
real training loop.

Run it as ``tinygrad-ae bench`` or ``python benchmarks/run.py``; ``--threads both`` runs
one BLAS thread and the default, each in a fresh process; ``--json PATH`` writes every
sample, ``--update-doc docs/performance.md`` rewrites the table in that file, and
``--profile`` profiles tinygrad_ae's step of every row that missed its goal
(:func:`profile_step`: the functions with the most time of their own, the garbage
collector's share, page faults).
"""

from __future__ import annotations

from .harness import (  # noqa: F401
    BUSY_CPUS,
    TORCH_PAUSE,
    build_step,
    check_losses,
    judge_goal,
    losses_agree,
    run_benchmarks,
    runnable,
    thread_settings,
    time_workload,
    torch_available,
)
from .profile import markdown_profiles, profile_step  # noqa: F401
from .registry import WORKLOADS  # noqa: F401
from .report import (  # noqa: F401
    add_arguments,
    format_table,
    main,
    markdown_table,
    run,
    run_thread_settings,
    update_doc,
)
from .workloads import (  # noqa: F401
    FRAMEWORKS,
    GOALS,
    MEMORY_TARGET,
    SIZES,
    TOLERANCES,
    GoalKind,
    Step,
    Workload,
    chain_memory,
    resident_memory_per_op,
)

__all__ = [
    'Workload', 'GoalKind', 'GOALS', 'WORKLOADS', 'FRAMEWORKS', 'TOLERANCES', 'SIZES',
    'MEMORY_TARGET', 'BUSY_CPUS', 'TORCH_PAUSE', 'Step', 'build_step', 'runnable',
    'check_losses', 'losses_agree', 'time_workload', 'judge_goal', 'chain_memory',
    'resident_memory_per_op', 'thread_settings', 'run_benchmarks', 'run_thread_settings',
    'format_table', 'markdown_table', 'update_doc', 'add_arguments', 'run', 'main',
    'torch_available', 'profile_step', 'markdown_profiles',
]
