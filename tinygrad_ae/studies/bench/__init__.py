"""Benchmarks: five workloads timed for tinygrad_ae, hand-written numpy and PyTorch.

Layer: the top, beside :mod:`tinygrad_ae.cli`; imports numpy, the standard library and
``tensor``, ``nn``, ``optim`` and ``models`` of ours. PyTorch is optional: without it
its column is left out, and nothing here fails.

What is measured
----------------
Each workload is one training step (forward, backward, optimizer update), written three
times from the same data and the same initial parameters:

- ``numpy``: by hand, gradients derived on paper (the baseline every ratio divides by);
- ``tinygrad_ae``: with the public API (``models``, ``nn.mse_loss``, ``optim``);
- ``torch``: idiomatic PyTorch on the CPU, with the same number of threads.

==== ====================================================== ===========================
key  workload                                               measured
==== ====================================================== ===========================
W1   the paper's 2-1-2 linear AE, full batch N=1000, SGD    time per step / numpy's
W2   64-32-8-32-64 tanh AE, batch 64, Adam                  time per step / numpy's
W3   784-256-64-256-784 ReLU AE, batch 256, SGD (momentum)  time per step / numpy's
W4   linear AE 256→16, N=20000, full batch, SGD             time per step / numpy's
W5   a chain of 10,000 small elementwise ops (8 numbers)    overhead per op above numpy,
                                                            memory per recorded op
==== ====================================================== ===========================

Before any time is reported, every framework runs ``check_steps`` steps from the same
start and their losses must agree (relative 1e-6 in float32, 1e-12 in float64): a fast
wrong answer is reported as a mismatch, never as a time. Repetitions are interleaved
(each repetition times every framework once, in a rotating order) and the median of at
least 7 is reported. Garbage collection stays on, as in a real training loop.

Run it as ``tinygrad-ae bench`` or ``python benchmarks/run.py``; ``--json PATH`` writes
every sample, ``--update-doc docs/performance.md`` rewrites the table in that file.
"""

from __future__ import annotations

from .harness import (  # noqa: F401
    TORCH_PAUSE,
    build_step,
    check_losses,
    losses_agree,
    run_benchmarks,
    thread_settings,
    time_workload,
    torch_available,
)
from .report import (  # noqa: F401
    add_arguments,
    format_table,
    main,
    markdown_table,
    run,
    update_doc,
)
from .workloads import (  # noqa: F401
    FRAMEWORKS,
    MEMORY_TARGET,
    SIZES,
    TOLERANCES,
    WORKLOADS,
    Step,
    Workload,
    chain_memory,
    resident_memory_per_op,
)

__all__ = [
    'Workload', 'WORKLOADS', 'FRAMEWORKS', 'TOLERANCES', 'SIZES', 'MEMORY_TARGET',
    'TORCH_PAUSE', 'Step', 'build_step', 'check_losses', 'losses_agree', 'time_workload',
    'chain_memory', 'resident_memory_per_op', 'thread_settings', 'run_benchmarks',
    'format_table', 'markdown_table', 'update_doc', 'add_arguments', 'run', 'main',
    'torch_available',
]
