"""``python -m tinygrad_ae``: the same command line as ``tinygrad-ae``."""

from tinygrad_ae.cli import main

raise SystemExit(main())
