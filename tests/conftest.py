"""Hypothesis profiles for the suite: pick one with HYPOTHESIS_PROFILE (default "ci").

- ci: bounded examples and no deadline, so the whole suite runs in minutes on 2 cores;
- dev: more examples for local runs;
- thorough: many examples, for a nightly or a release check.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=15, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("dev", max_examples=60, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
