"""tinygrad_ae.registry: the exact messages of get and unregister, which ops count as
built-in (a forward without code, one compiled from a string, one in a file outside the
package), and scope putting the same table back."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

import tinygrad_ae as tg
from tinygrad_ae.autograd import registry
from tinygrad_ae.autograd.ops._core import REGISTRY

PACKAGE = Path(tg.__file__).resolve().parent


def _scale(x, factor=2.0):
    return x * factor


@pytest.fixture(autouse=True)
def _restore():
    with registry.scope():
        yield


def test_names_is_a_fresh_list_in_registration_order():
    got = registry.names()
    assert isinstance(got, list) and got == list(REGISTRY)
    got.append("not an op")
    assert "not an op" not in registry.names()

    @tg.op("zz_first")
    def first(x):
        return x

    @tg.op("zz_second")
    def second(x):
        return x

    assert registry.names()[-2:] == ["zz_first", "zz_second"]


def test_get_names_the_missing_op_and_lists_the_registered_ones():
    with pytest.raises(KeyError) as caught:
        registry.get("no_such_op")
    listed = ", ".join(REGISTRY)
    assert caught.value.args == (
        f"no op named 'no_such_op' is registered; registered ops: {listed}",)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_forward_without_code_is_not_builtin():
    entry = tg.op("zz_partial")(functools.partial(_scale, factor=3.0))
    assert not hasattr(entry.forward, "__code__")
    assert registry.is_builtin(entry) is False
    assert registry.is_builtin("zz_partial") is False


def test_a_forward_compiled_from_a_string_is_not_builtin_even_run_inside_the_package(
        monkeypatch):
    namespace = {"tg": tg}
    exec(compile("@tg.op('zz_typed')\ndef typed(x):\n    return x\n", "<typed>", "exec"),
         namespace)
    monkeypatch.chdir(PACKAGE)        # "<typed>" resolved from here would lie inside it
    assert registry.is_builtin("zz_typed") is False
    assert registry.is_builtin(namespace["typed"]) is False


def test_a_forward_in_a_file_outside_the_package_is_not_builtin(tmp_path):
    namespace = {"tg": tg}
    source = tmp_path / "user_ops.py"
    source.write_text("@tg.op('zz_file')\ndef in_file(x):\n    return x\n")
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    assert registry.is_builtin("zz_file") is False


def test_every_op_shipped_is_builtin():
    assert registry.is_builtin("mul") is True and registry.is_builtin(registry.get("exp"))


def test_unregister_messages():
    with pytest.raises(ValueError) as caught:
        registry.unregister("mul")
    assert str(caught.value) == (
        "unregister: 'mul' is a built-in op and cannot be removed; register yours under "
        "another name, or with replace=True inside registry.scope()")
    assert "mul" in registry.names()

    @tg.op("zz_old")
    def old(x):
        return x

    @tg.op("zz_old", replace=True)
    def new(x):
        return x

    with pytest.raises(ValueError) as caught:
        registry.unregister(old)
    assert str(caught.value) == (
        "unregister: the op 'zz_old' in the registry is another entry than the one given "
        "(it was replaced); pass its name instead")
    assert registry.get("zz_old") is new
    assert registry.unregister(new) is new and "zz_old" not in registry.names()


def test_scope_puts_back_the_same_table_object_after_an_error():
    table = REGISTRY
    before = dict(REGISTRY)
    original_exp = registry.get("exp")
    with pytest.raises(RuntimeError, match="a failing block"), registry.scope():
        @tg.op("exp", replace=True)
        def exp(x):
            return np.exp(x)
        del REGISTRY["mul"]
        raise RuntimeError("a failing block")
    from tinygrad_ae.autograd.ops import _core
    assert _core.REGISTRY is table and dict(REGISTRY) == before
    assert registry.get("exp") is original_exp and list(REGISTRY) == list(before)
