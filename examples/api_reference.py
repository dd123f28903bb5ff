"""Write docs/api.md: every public name of tinygrad_ae with its signature and the first
line of its docstring, every Tensor method and every registered op, read from the package
itself (so the page never drifts).

    python examples/api_reference.py            # rewrite docs/api.md
    python examples/api_reference.py --check    # exit 1 if docs/api.md is out of date
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "api.md"

MODULES = ["tinygrad_ae", "tinygrad_ae.nn", "tinygrad_ae.nn.functional", "tinygrad_ae.nn.init",
           "tinygrad_ae.optim", "tinygrad_ae.optim.lr_scheduler", "tinygrad_ae.models",
           "tinygrad_ae.pca", "tinygrad_ae.closed_form", "tinygrad_ae.data", "tinygrad_ae.viz",
           "tinygrad_ae.strategies", "tinygrad_ae.testing", "tinygrad_ae.exercises",
           "tinygrad_ae.autograd.gradcheck", "tinygrad_ae.theory.dynamics",
           "tinygrad_ae.studies.convergence", "tinygrad_ae.studies.online",
           "tinygrad_ae.teaching", "tinygrad_ae.studies.bench"]


OPERATORS = {
    "add": "self + other", "radd": "other + self", "sub": "self − other",
    "rsub": "other − self", "mul": "self · other", "rmul": "other · self",
    "truediv": "self / other", "rtruediv": "other / self", "pow": "self ** exponent",
    "rpow": "base ** self", "matmul": "self @ other", "rmatmul": "other @ self",
    "neg": "−self", "pos": "+self (the same tensor)", "getitem": "self[index] (basic and "
    "integer-array indexing)", "setitem": "self[index] = value, in place",
    "iadd": "self += other, in place", "isub": "self −= other, in place",
    "imul": "self *= other, in place", "itruediv": "self /= other, in place",
    "eq": "self == other, elementwise (a boolean Tensor)", "ne": "self != other, elementwise",
    "lt": "self < other, elementwise", "le": "self <= other, elementwise",
    "gt": "self > other, elementwise", "ge": "self >= other, elementwise",
    "len": "len(self): the size of the first axis", "iter": "iterate over the first axis",
    "float": "float(self) for a one-element tensor", "array": "np.asarray(self): the value",
    "repr": "repr(self): the value, and the op that made it",
    "bool": "bool(self) for a one-element tensor", "int": "int(self) for a one-element tensor",
}


ATTRIBUTES = {
    "data": "the value, an np.ndarray (float32 stays float32; other inputs become float64)",
    "grad": "None, or ∂L/∂self as an np.ndarray of the same shape and dtype as data",
    "requires_grad": "whether backward() computes a gradient for this tensor",
    "name": "the label shown in graph drawings and chain-rule formulas",
}


def _pretty(text: str) -> str:
    for long, short in (("numpy.random._generator.Generator", "np.random.Generator"),
                        ("collections.abc.", ""), ("typing.", ""), ("numpy.", "np."),
                        ("tinygrad_ae.nn.module.", ""), ("tinygrad_ae.autograd.tensor.", "")):
        text = text.replace(long, short)
    return text


class _Raw:
    """An annotation written as its source text (``from __future__ import annotations``
    keeps annotations as strings; shown as they were typed, without quotes)."""

    def __init__(self, text: Any) -> None:
        self.text = _pretty(text if isinstance(text, str) else inspect.formatannotation(text))

    def __repr__(self) -> str:
        return self.text


def _cell(text: str) -> str:
    # Escape table pipes, and HTML comment markers quoted from docstrings, so they stay text.
    return text.replace("|", "\\|").replace("<!--", "&lt;!--")


def summary(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return _cell(doc.split("\n\n")[0].replace("\n", " ").strip())


def signature(name: str, obj: Any) -> str:
    """``name(params) -> result`` with annotations as written; bare ``name`` when there is
    no signature to show."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return name
    empty = inspect.Parameter.empty
    params = [p.replace(annotation=_Raw(p.annotation)) if p.annotation is not empty else p
              for p in sig.parameters.values()]
    result = sig.return_annotation
    sig = sig.replace(parameters=params,
                      return_annotation=_Raw(result) if result is not empty else empty)
    return f"{name}{sig}"


def _is_alias(obj: object) -> bool:
    origin = typing.get_origin(obj)
    return origin is not None or type(obj).__name__ in ("UnionType", "TypeAliasType")


def module_table(module: Any) -> list[str]:
    lines = ["| name | what |", "| --- | --- |"]
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name, None)
        if obj is None or isinstance(obj, (str, int, float, tuple, dict, frozenset)):
            continue
        if _is_alias(obj):
            lines.append(f"| `{name}` | type alias: `{_cell(_Raw(obj).text)}` |")
            continue
        if inspect.ismodule(obj):
            lines.append(f"| `{name}` | module: {summary(obj)} |")
            continue
        lines.append(f"| `{_cell(signature(name, obj))}` | {summary(obj)} |")
    return lines


def tensor_table() -> list[str]:
    from tinygrad_ae import Tensor

    lines = ["| method or property | what |", "| --- | --- |"]
    for name, member in sorted(vars(Tensor).items()):
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            continue
        if name.startswith("__") and name in ("__init__", "__slots__", "__module__", "__doc__",
                                              "__dict__", "__weakref__", "__annotations__",
                                              "__hash__", "__array_priority__"):
            continue
        if inspect.ismemberdescriptor(member):
            lines.append(f"| `.{name}` | {_cell(ATTRIBUTES.get(name, 'attribute'))} |")
        elif isinstance(member, property):
            lines.append(f"| `.{name}` | {summary(member)} |")
        elif callable(member) or isinstance(member, (staticmethod, classmethod)):
            fn = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            what = summary(fn) if fn.__doc__ or not name.startswith("__") else ""
            what = what or _cell(OPERATORS.get(name.strip("_"), ""))
            lines.append(f"| `.{_cell(signature(name, fn))}` | {what} |")
    return lines


def op_table() -> list[str]:
    from tinygrad_ae.autograd import ops

    lines = ["| op | inputs and parameters | local partials ∂out/∂input | what |",
             "| --- | --- | --- | --- |"]
    for entry in sorted(ops.all_ops(), key=lambda e: e.name):
        params = ", ".join(entry.inputs)
        if entry.param_names:
            params += "; " + ", ".join(entry.param_names)
        partials = ", ".join(
            p if isinstance(p, str) else "(depends on the parameters)" for p in entry.partial)
        lines.append(f"| `{entry.name}` | {_cell(params)} | {_cell(partials)} "
                     f"| {summary(entry.forward)} |")
    return lines


def render() -> str:
    lines = ["# API reference", "",
             "Generated by `python examples/api_reference.py` from the package's own "
             "docstrings (the suite checks it is up to date); each entry's docstring has the "
             "formula, the shapes and an example (`help(tinygrad_ae.viz.chain_rule)`).", ""]
    lines += ["## `tinygrad_ae.Tensor`", "", summary(importlib.import_module("tinygrad_ae")
                                                  .Tensor), ""]
    lines += tensor_table() + [""]
    lines += ["## The ops", "",
              "Every differentiable op, one registry entry each (`tinygrad_ae.autograd.ops`): "
              "its forward, its vector-Jacobian product and the symbolic partials the drawings "
              "show.", ""]
    lines += op_table() + [""]
    for module_name in MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        lines += [f"## `{module_name}`", "", summary(module), ""]
        lines += module_table(module) + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/api.md from the package.")
    parser.add_argument("--check", action="store_true", help="fail if docs/api.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print("docs/api.md is out of date: run python examples/api_reference.py",
                  file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
