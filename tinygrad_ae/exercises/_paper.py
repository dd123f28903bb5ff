"""The paper's exercises: the seven partials of the 2-1-2 network and the matrix gradients
of the linear autoencoder, graded against the hand-derived closed forms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

from tinygrad_ae import strategies
from tinygrad_ae.theory import closed_form

from ._common import Exercise, Grade

__all__ = ["PAPER_EXERCISES", "grade_closed_form"]

# Both sides are exact formulas in float64 over at most 3 samples of order-one numbers.
ATOL, RTOL = 1e-8, 1e-6

PAPER_EXERCISES = [
    Exercise(
        name="paper", title="the seven partials of the paper's 2-1-2 network",
        kind="closed_form", function="partials", signature="(params, X)",
        formula="h = w1·x1 + w2·x2 + b1, x̂ = (w3·h + b2, w4·h + b3), "
                "L = (1/N) Σ_i ‖x_i − x̂_i‖²",
        hint="w1, w2 and b1 reach L along TWO paths, through x̂1 and through x̂2: add both; "
             "∂L/∂x̂_ij = −(2/N)(x_ij − x̂_ij) is a component, not the norm ‖x_i − x̂_i‖",
        body="""
import numpy as np


def partials(params, X):
    \"\"\"The exact ∂L/∂w1 … ∂L/∂b3 of the 2-1-2 network.

    params: a dict of seven floats, keys w1, w2, b1, w3, w4, b2, b3.
    X: a numpy array of shape (N, 2), one sample per row (x1 = X[:, 0], x2 = X[:, 1]).
    Return a dict with the same seven keys, each a float.

        h  = w1·x1 + w2·x2 + b1
        x̂1 = w3·h + b2,   x̂2 = w4·h + b3
        L  = (1/N) Σ_i ((x_i1 − x̂_i1)² + (x_i2 − x̂_i2)²)
    \"\"\"
    raise NotImplementedError("write the seven partials")
""",
    ),
    Exercise(
        name="linear_ae", title="the matrix gradients of the linear autoencoder",
        kind="closed_form", function="grads", signature="(W_e, b_e, W_d, b_d, X)",
        formula="H = X W_eᵀ + b_e, X̂ = H W_dᵀ + b_d, L = (1/N) Σ_i ‖x_i − x̂_i‖²",
        hint="with G = ∂L/∂X̂ = −(2/N)(X − X̂): ∂L/∂W_d = Gᵀ H, ∂L/∂b_d = Σ_rows G, and the "
             "code's gradient G W_d gives ∂L/∂W_e = (G W_d)ᵀ X; check each shape",
        body="""
import numpy as np


def grads(W_e, b_e, W_d, b_d, X):
    \"\"\"Exact gradients of L = (1/N) Σ_i ‖x_i − x̂_i‖² for x̂ = W_d (W_e x + b_e) + b_d.

    Shapes: W_e (k, m), b_e (k,), W_d (m, k), b_d (m,), X (N, m), samples as rows.
    Return a dict with keys "W_e", "b_e", "W_d", "b_d", each shaped like its parameter.
    \"\"\"
    raise NotImplementedError("write the four gradients")
""",
    ),
]


@dataclass
class _Wrong(Exception):
    """A wrong answer on one case: which quantity, the case, both values, what we saw."""

    quantity: str
    case: dict[str, Any]
    expected: Any = None
    actual: Any = None
    problem: str = ""


@st.composite
def _paper_case(draw: Any) -> dict[str, Any]:
    params = draw(strategies.paper_params(scale=2.0))
    n_samples = draw(st.integers(1, 3))
    return {"params": params, "X": draw(strategies.arrays((n_samples, 2)))}


@st.composite
def _linear_case(draw: Any) -> dict[str, Any]:
    m = draw(st.integers(2, 3))
    k = draw(st.integers(1, m - 1))
    n_samples = draw(st.integers(1, 3))
    return {**draw(strategies.linear_ae_params(m, k)),
            "X": draw(strategies.arrays((n_samples, m)))}


def _compare(name: str, expected: Any, got: Any, case: dict[str, Any]) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    try:
        if got is None:
            raise TypeError
        actual = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(name, case, expected, None, f"your ∂L/∂{name} is "
                     f"{type(got).__name__}, not a number or an array") from None
    if not np.isfinite(actual).all():
        raise _Wrong(name, case, expected, actual, f"your ∂L/∂{name} is not finite")
    if actual.shape != expected.shape:
        raise _Wrong(name, case, expected, actual, f"it has shape {actual.shape}, but "
                     f"{name} has shape {expected.shape}")
    if not np.allclose(actual, expected, atol=ATOL, rtol=RTOL):
        raise _Wrong(name, case, expected, actual)


def _check_paper(student: Callable[..., Any], case: dict[str, Any]) -> None:
    params, X = case["params"], case["X"]
    expected = closed_form.paper_partials(params, X)
    answer = _call(student, case, dict(params), X.copy())
    for name in closed_form.PARAM_NAMES:
        if name not in answer:
            raise _Wrong(name, case, expected[name], None, "your dict has no key "
                         f"{name!r}")
        _compare(name, expected[name], answer[name], case)


def _check_linear(student: Callable[..., Any], case: dict[str, Any]) -> None:
    names = ("W_e", "b_e", "W_d", "b_d")
    W_e, b_e, W_d, b_d = (case[n] for n in names)
    expected = closed_form.linear_ae_grads(W_e, b_e, W_d, b_d, case["X"])
    answer = _call(student, case, *(case[n].copy() for n in (*names, "X")))
    for name in names:
        if name not in answer:
            raise _Wrong(name, case, expected[name], None, f"your dict has no key {name!r}")
        _compare(name, expected[name], answer[name], case)


def _call(student: Callable[..., Any], case: dict[str, Any], *args: Any) -> Mapping[str, Any]:
    try:
        answer = student(*args)
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - the student's code: report, do not crash
        raise _Wrong("", case, problem=f"your function raised {type(err).__name__}: "
                                       f"{err}") from None
    if not isinstance(answer, Mapping):
        raise _Wrong("", case, problem=f"your function must return a dict, got "
                                       f"{type(answer).__name__}")
    return answer


def _search(check: Callable[[dict[str, Any]], None], strategy: st.SearchStrategy[Any],
            max_examples: int) -> _Wrong | None:
    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              verbosity=Verbosity.quiet, phases=(Phase.explicit, Phase.generate, Phase.shrink))
    @given(strategy)
    def run(case: dict[str, Any]) -> None:
        check(case)

    try:
        run()
    except _Wrong as wrong:
        return wrong
    return None


def grade_closed_form(exercise: Exercise, student: Callable[..., Any],
                      picture: str | Path | None, max_examples: int) -> Grade:
    """Search for the smallest case where the student's formulas differ from the closed
    forms; describe it, diagnose the usual mistakes, and draw it."""
    paper = exercise.name == "paper"
    wrong = _search((lambda case: _check_paper(student, case)) if paper else
                    (lambda case: _check_linear(student, case)),
                    _paper_case() if paper else _linear_case(), max_examples)
    if wrong is None:
        return Grade(exercise.name, True, f"✓ {exercise.name}: all gradients right on "
                     f"{max_examples} random cases.")
    text = _describe(exercise, wrong, student)
    written = None
    if picture is not None and wrong.quantity:
        written = _draw(exercise, wrong, picture)
        if written is not None:
            text += f"\n  Picture: {written}"
    return Grade(exercise.name, False, text, wrong, written)


def _number(value: Any) -> str:
    array = np.asarray(value, dtype=np.float64)
    array = array + 0.0  # -0 prints as 0
    if array.ndim == 0:
        return f"{float(array):.6g}"
    return np.array2string(array, precision=4, separator=", ", max_line_width=70).replace(
        "\n", " ")


def _describe(exercise: Exercise, wrong: _Wrong, student: Callable[..., Any]) -> str:
    case = wrong.case
    X = np.asarray(case["X"])
    n_samples = X.shape[0]
    samples = "one sample" if n_samples == 1 else f"{n_samples} samples"
    lines = [f"✗ {exercise.name}: " + (f"your ∂L/∂{wrong.quantity} is wrong."
                                        if wrong.quantity else "your function fails.")]
    lines.append(f"  The smallest case where it goes wrong: {samples},")
    lines.append(f"    X = {_number(X)}")
    if exercise.name == "paper":
        params = case["params"]
        lines.append("    " + ", ".join(f"{k} = {params[k]:g}" for k in
                                          closed_form.PARAM_NAMES))
    else:
        for name in ("W_e", "b_e", "W_d", "b_d"):
            lines.append(f"    {name} = {_number(case[name])}")
    if wrong.problem:
        lines.append(f"  Problem: {wrong.problem}.")
    if wrong.actual is not None and not wrong.problem:
        lines.append(f"  The right ∂L/∂{wrong.quantity}: {_number(wrong.expected)}")
        lines.append(f"  {'Yours:':<{len(wrong.quantity) + 14}} {_number(wrong.actual)}")
        diagnosis = _diagnose(exercise, wrong, student)
        if diagnosis:
            lines.append(f"  What it looks like: {diagnosis}.")
    if exercise.name == "paper" and wrong.quantity:
        lines.append("  The chain rule, path by path:")
        lines.extend("    " + line for line in _chain_rule(case, wrong.quantity).splitlines())
    lines.append(f"  Remember: {exercise.formula}.")
    lines.append(f"  Hint: {exercise.hint}.")
    return "\n".join(lines)


def _random_like(case: dict[str, Any], seed: int) -> dict[str, Any]:
    """A case of the same shapes with random order-one values: the small counterexample
    may fit several wrong formulas at once (zeros do), random values tell them apart."""
    rng = np.random.default_rng(seed)
    if "params" in case:
        return {"params": {k: float(rng.uniform(-2, 2)) for k in closed_form.PARAM_NAMES},
                "X": rng.uniform(-2, 2, size=(2, 2))}
    return {k: rng.uniform(-1.5, 1.5, size=np.shape(v)) for k, v in case.items()}


def _truth(exercise: Exercise, case: dict[str, Any], name: str) -> np.ndarray:
    if exercise.name == "paper":
        return np.asarray(closed_form.paper_partials(case["params"], case["X"])[name])
    names = ("W_e", "b_e", "W_d", "b_d")
    W_e, b_e, W_d, b_d = (case[n] for n in names)
    return np.asarray(closed_form.linear_ae_grads(W_e, b_e, W_d, b_d, case["X"])[name])


def _candidates(exercise: Exercise, name: str
                ) -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """Wrong formulas students (and the paper) write, each with what to call it."""
    found: list[tuple[str, Callable[[dict[str, Any]], Any]]] = []
    if exercise.name == "paper":
        def printed(key: str) -> Callable[[dict[str, Any]], Any]:
            return lambda case: closed_form.paper_printed_partials(case["params"],
                                                                   case["X"])[key]
        norm = "multiplies by the norm ‖x_i − x̂_i‖ where each residual component belongs"
        if name == "w1":
            found.append((f"the paper's printed ∂L/∂w1, which {norm}", printed("w1")))
            found.append(("the paper's final ∂L/∂w1: x1 and x2 swapped in a second term "
                          "that has no source in the chain rule", printed("w1_final")))
        if name == "b1":
            found.append((f"the paper's printed ∂L/∂b1, which {norm} and drops the path "
                          f"through x̂2", printed("b1")))
        if name == "w3":
            found.append((f"the paper's printed ∂L/∂w3, which {norm} and gives b1 the wrong "
                          f"sign", printed("w3")))
        if name == "b2":
            found.append(("the paper's ∂L/∂x̂1, written with the norm ‖x_i − x̂_i‖ instead "
                          "of the component x_i1 − x̂_i1", printed("dL_dxhat1")))
        if name in ("w1", "w2", "b1"):
            def one_path(path: int) -> Callable[[dict[str, Any]], Any]:
                return lambda case: _single_paths(case, name)[path]
            for path in (0, 1):
                found.append(("only one of the two paths (through x̂1 or through x̂2); add "
                              "the other", one_path(path)))

    def truth(case: dict[str, Any]) -> np.ndarray:
        return _truth(exercise, case, name)

    found.append(("the transpose of the right gradient", lambda case: truth(case).T))
    found.append(("the right value with the wrong sign (the residual is x − x̂, so "
                  "∂L/∂x̂ = −2(x − x̂)/N)", lambda case: -truth(case)))
    found.append(("half the right value: the factor 2 of the square is missing",
                  lambda case: truth(case) / 2))
    found.append(("twice the right value", lambda case: truth(case) * 2))
    found.append(("N times the right value: the 1/N of the mean is missing",
                  lambda case: truth(case) * len(case["X"])))
    return found


def _diagnose(exercise: Exercise, wrong: _Wrong, student: Callable[..., Any]) -> str:
    """Name the wrong formula the student's answer agrees with, on the counterexample
    and on three random cases; empty when none fits."""
    name = wrong.quantity
    cases = [wrong.case, *(_random_like(wrong.case, seed) for seed in range(3))]
    answers = []
    for case in cases:
        try:
            if exercise.name == "paper":
                answer = student(dict(case["params"]), np.array(case["X"]))
            else:
                answer = student(*(np.array(case[n]) for n in ("W_e", "b_e", "W_d", "b_d",
                                                              "X")))
            answers.append(np.asarray(answer[name], dtype=np.float64))
        except Exception:  # noqa: BLE001 - no diagnosis for an answer that cannot run
            return ""
    for words, formula in _candidates(exercise, name):
        try:
            if all(np.shape(a) == np.shape(formula(c)) and np.allclose(
                    a, formula(c), atol=ATOL, rtol=RTOL) for a, c in zip(answers, cases)):
                return words
        except (TypeError, ValueError, KeyError):
            continue
    return ""


def _single_paths(case: dict[str, Any], name: str) -> list[float]:
    """∂L/∂name along each single path, for the encoder parameters (two paths each)."""
    if name not in ("w1", "w2", "b1"):
        return []
    p, X = case["params"], np.asarray(case["X"], dtype=np.float64)
    h = p["w1"] * X[:, 0] + p["w2"] * X[:, 1] + p["b1"]
    r1 = X[:, 0] - (p["w3"] * h + p["b2"])
    r2 = X[:, 1] - (p["w4"] * h + p["b3"])
    dh = {"w1": X[:, 0], "w2": X[:, 1], "b1": np.ones(len(X))}[name]
    scale = -2.0 / len(X)
    return [float(scale * np.sum(p["w3"] * r1 * dh)), float(scale * np.sum(p["w4"] * r2 * dh))]


def _paper_graph(case: dict[str, Any]) -> tuple[Any, Any]:
    from tinygrad_ae.autograd.tensor import Tensor
    from tinygrad_ae.models import PaperAutoencoder

    model = PaperAutoencoder(**case["params"])
    return model, model.loss(Tensor(np.asarray(case["X"], dtype=np.float64)))


def _chain_rule(case: dict[str, Any], name: str) -> str:
    from tinygrad_ae.viz import chain_rule

    _, loss = _paper_graph(case)
    return str(chain_rule(loss, name))


def _draw(exercise: Exercise, wrong: _Wrong, path: str | Path) -> Path | None:
    """The loss graph with every path from the wrong parameter in red, and its edge into
    the first op labelled with the student's value beside the right one."""
    from tinygrad_ae.autograd.tensor import Tensor
    from tinygrad_ae.testing._picture import mark_edge, write_picture
    from tinygrad_ae.viz import draw_graph

    case = wrong.case
    if exercise.name == "paper":
        model, loss = _paper_graph(case)
        target = getattr(model, wrong.quantity)
    else:
        tensors = {n: Tensor(case[n], requires_grad=True, name=n)
                   for n in ("W_e", "b_e", "W_d", "b_d")}
        X = Tensor(np.asarray(case["X"], dtype=np.float64), name="X")
        code = X @ tensors["W_e"].T + tensors["b_e"]
        code.name = "H"
        x_hat = code @ tensors["W_d"].T + tensors["b_d"]
        x_hat.name = "X̂"
        residual = X - x_hat
        loss = (residual * residual).sum() / X.shape[0]
        loss.name = "L"
        target = tensors[wrong.quantity]
    graph = draw_graph(loss, highlight=target, show_values=True)
    lines = [f"✗ your ∂L/∂{wrong.quantity} = {_number(wrong.actual)}"
             if wrong.actual is not None else f"✗ ∂L/∂{wrong.quantity}",
             f"right: {_number(wrong.expected)} (the sum over the red paths)"]
    mark_edge(graph, loss, target, lines)
    return write_picture(graph, path)
