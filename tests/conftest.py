"""Hypothesis profiles for the suite: pick one with HYPOTHESIS_PROFILE (default "ci").

- ci: bounded examples and no deadline, so the whole suite runs in minutes on 2 cores;
- dev: more examples for local runs;
- thorough: many examples, for a nightly or a release check.
"""

from __future__ import annotations

import os
import sys

from _pytest.assertion.rewrite import AssertionRewritingHook

# pytest rewrites the asserts of every module of a package that provides a pytest plugin,
# hypothesis included: about 80 modules, about 0.5 s of CPU in each process (each xdist
# worker) before the first test. Their asserts are hypothesis's own invariants, never ours, so
# they are imported as they are; our test modules and conftests are still rewritten.
# (_must_rewrite is pytest's private set of the plugin packages; absent, nothing changes.)
for _hook in sys.meta_path:
    if isinstance(_hook, AssertionRewritingHook):
        getattr(_hook, "_must_rewrite", set()).discard("hypothesis")

from hypothesis import HealthCheck, settings  # noqa: E402 - after the hook is told

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=15, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("dev", max_examples=60, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
