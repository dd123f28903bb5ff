"""Fixtures shared by the engine's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tinygrad_ae.autograd import registry


@pytest.fixture
def no_leaked_ops() -> Iterator[None]:
    """Run the test inside ``registry.scope()`` and check it leaves the registry as it
    found it (a test that registers ops must not leak them into the next)."""
    before = registry.names()
    with registry.scope():
        yield
    assert registry.names() == before
