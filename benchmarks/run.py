"""Run the performance benchmarks: ``python benchmarks/run.py [options]``.

The same as ``tinygrad-ae bench`` (see ``tinygrad_ae/studies/bench/`` and docs/performance.md):
every workload of issue 18 (W6, the conv autoencoder, against PyTorch; W8 when
``second_order.py`` registers it) in float32 and float64, timed for tinygrad_ae,
hand-written numpy and PyTorch (when installed), with every framework's loss checked
before any time is shown and every goal judged met or missed.

To regenerate the table in docs/performance.md (one BLAS thread and the default, each in
a fresh process)::

    python benchmarks/run.py --threads both --json benchmarks/results.json \
        --update-doc docs/performance.md --profile

(``--profile`` adds the profile of every row that missed its goal.)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinygrad_ae.studies.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
