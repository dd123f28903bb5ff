"""Rewrite the op files of a mutation-testing copy so that mutmut can mutate the ops.

mutmut 3 never mutates a decorated function (its decorator would run again on every
trampoline copy), and every op's forward and vjp is decorated (``@op(...)``,
``@<op>.vjp``): ``scripts/mutate.sh autograd 'ops/*.py'`` mutates only the undecorated
helpers. This script turns each decorator into the plain call it stands for, which
registers the same op with the same functions:

    @op("exp", partial="{out}")          def exp(x): ...
    def exp(x): ...               ->      exp = op("exp", partial="{out}")(exp)
    @exp.vjp                             def _exp_vjp(g, out, x): ...
    def _(g, out, x): ...                 exp.vjp(_exp_vjp)

(the vjps, all named ``_``, get names of their own, so mutmut can tell them apart).
mutmut then wraps each forward in a trampoline defined in mutmut's own files, so
``registry.is_builtin``, which asks where a forward's code lives, is made to look
through the wrapper (``inspect.unwrap``), as it would see the function itself. Run it
on a copy, never on the source tree:

    python scripts/undecorate_ops.py build/mutmut/X/tinygrad_ae/autograd
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import libcst as cst


def undecorate(source: str) -> str:
    module = cst.parse_module(source)
    body: list[cst.CSTNode] = []
    for statement in module.body:
        if not (isinstance(statement, cst.FunctionDef) and statement.decorators):
            body.append(statement)
            continue
        (decorator,) = statement.decorators
        expression = decorator.decorator
        name = statement.name.value
        if isinstance(expression, cst.Attribute) and expression.attr.value == "vjp":
            owner = module.code_for_node(expression.value)
            name = f"_{owner}_vjp"
            call = f"{owner}.vjp({name})\n"
        else:
            call = f"{name} = {module.code_for_node(expression)}({name})\n"
        body.append(statement.with_changes(decorators=[], name=cst.Name(name)))
        body.append(cst.parse_statement(call))
    return module.with_changes(body=body).code


def unwrap_in_is_builtin(source: str) -> str:
    old = 'code = getattr(entry.forward, "__code__", None)'
    if old not in source:
        raise SystemExit("undecorate_ops: registry.is_builtin has changed; update this script")
    return source.replace(
        old, 'code = getattr(__import__("inspect").unwrap(entry.forward), "__code__", None)')


def rewrite(path: Path, change: Callable[[str], str]) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    autograd = Path(sys.argv[1])
    for path in sorted((autograd / "ops").glob("*.py")):
        rewrite(path, undecorate)
    rewrite(autograd / "registry.py", unwrap_in_is_builtin)
