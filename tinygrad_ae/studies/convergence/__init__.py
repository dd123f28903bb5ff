"""How long a linear autoencoder takes to reach PCA: theory, measurement, sweeps and plots.

Layer: the top, beside ``models``; imports numpy, the standard library, tqdm and ``tensor``,
``nn``, ``optim``, ``models``, ``pca`` and ``data`` of ours. matplotlib is imported only inside
the plotting functions (Agg canvas, no pyplot state).

The seed paper ends by asking how long a linear autoencoder trained by gradient descent takes
to converge to the PCA solution. This module answers it three ways:

1. **Theory** (docs/theory.md#learning-dynamics), as pure functions with their formulas:
   :func:`saxe_half_time` and :func:`saxe_time` (the plateau of each mode),
   :func:`effective_pi0` (where a random initialisation starts each mode),
   :func:`transverse_curvature` (how fast the subspace then aligns), :func:`max_stable_lr`
   (the step sizes that can converge at all), :func:`predict_steps` (plateau + alignment in one
   line), :func:`predict_network` (the same, per network, from its own initial weights) and
   :func:`sgd_noise_floor` (where constant-step SGD stalls).
2. **Measurement**: :func:`train_until_pca` trains our engine's autoencoders (gradients from
   ``backward()``, steps from ``optim``) and times both convergence criteria.
3. **Sweeps**: :func:`study` runs the eigengap, learning-rate, init-scale, batch-size,
   dimension and optimizer sweeps and the paper's 2-1-2 table; :func:`summarize`,
   :func:`markdown_tables` and :func:`plot_all` turn the rows into tables and figures;
   :func:`run` is the ``tinygrad-ae converge`` command.

Conventions (docs/theory.md#conventions): the paper's loss L = (1/N) Σ_i ‖x_i − x̂_i‖², the 1/N
covariance Σ with eigenpairs (λ_j, u_j) in descending order, a "step" is one optimizer update, and
the mode strength of mode j is π_j = u_jᵀ W_d W_e u_j (0 at a tiny init, 1 at PCA).
"""

from __future__ import annotations

from tinygrad_ae.theory.dynamics import (  # noqa: F401
    NetworkPrediction,
    StepLimits,
    effective_pi0,
    expected_pi0,
    make_spectrum,
    max_stable_lr,
    predict_network,
    predict_steps,
    saxe_half_time,
    saxe_time,
    sgd_noise_floor,
    transverse_curvature,
)

from .command import (  # noqa: F401
    add_arguments,
    main,
    run,
    write_outputs,
)
from .figures import (  # noqa: F401
    plot_all,
    replace_generated,
)
from .measure import (  # noqa: F401
    METHODS,
    SWEEPS,
    ConvergenceResult,
    train_until_pca,
)
from .report import (  # noqa: F401
    markdown_tables,
    summarize,
    traced_runs,
)
from .sweep import (  # noqa: F401
    REFERENCE_TABLE,
    STAIRCASE_SPECTRUM,
    staircase_run,
    study,
)
from .uncentred import (  # noqa: F401
    MEAN_DIRECTIONS,
    MEAN_NORMS,
    BatchedRun,
    DemoRun,
    centring_answer,
    gd_moments,
    initial_weights,
    mean_sweep,
    mean_table,
    prediction_band,
    random_uncentred_case,
    random_uncentred_runs,
    random_uncentred_summary,
    ratio_summary,
    uncentred_demo_run,
)

__all__ = [
    'saxe_half_time', 'saxe_time', 'effective_pi0', 'expected_pi0', 'transverse_curvature',
    'StepLimits', 'max_stable_lr', 'make_spectrum', 'predict_steps', 'NetworkPrediction',
    'predict_network', 'sgd_noise_floor', 'METHODS', 'ConvergenceResult', 'train_until_pca',
    'SWEEPS', 'STAIRCASE_SPECTRUM', 'REFERENCE_TABLE', 'study', 'summarize', 'markdown_tables',
    'staircase_run', 'traced_runs', 'plot_all', 'write_outputs', 'replace_generated',
    'add_arguments', 'run', 'main', 'MEAN_NORMS', 'MEAN_DIRECTIONS', 'BatchedRun',
    'initial_weights', 'gd_moments', 'mean_sweep', 'mean_table', 'centring_answer', 'DemoRun',
    'uncentred_demo_run', 'prediction_band', 'random_uncentred_case', 'random_uncentred_runs',
    'ratio_summary', 'random_uncentred_summary',
]
