"""Optimizers with PyTorch's update rules: the base class with parameter groups and state
dicts, then SGD, Adam and AdamW (simplest first; RMSprop and Adagrad are in ``adaptive``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from tinygrad_ae.autograd.tensor import Tensor
from tinygrad_ae.nn import Module, StateDictError

ParamGroup = dict[str, Any]
"""One parameter group: ``{"params": [Tensor, ...], "lr": ..., <hyperparameters>}``."""

ParamsLike = Iterable[Tensor] | Iterable[Mapping[str, Any]]
"""What an optimizer accepts: Tensors, or dicts that each hold ``"params"`` and overrides."""


def _check_number(owner: str, name: str, value: float, low: float, high: float = math.inf,
                  low_inclusive: bool = True, high_inclusive: bool = True) -> float:
    """``value`` as a float inside the interval, or a ValueError in the user's terms."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__}")
    number = float(value)
    above = number >= low if low_inclusive else number > low
    below = number <= high if high_inclusive else number < high
    if not (math.isfinite(number) and above and below):
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive and math.isfinite(high) else ")"
        upper = f"{high:g}" if math.isfinite(high) else "∞"
        raise ValueError(f"{owner}: {name} must be in {left}{low:g}, {upper}{right}, "
                         f"got {value!r}")
    return number


def _check_betas(owner: str, betas: Any) -> tuple[float, float]:
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}") from None
    return (_check_number(owner, "betas[0]", beta1, 0.0, 1.0, high_inclusive=False),
            _check_number(owner, "betas[1]", beta2, 0.0, 1.0, high_inclusive=False))


class _GroupSetting:
    """A hyperparameter read and written through ``param_groups``: ``opt.lr`` is the value
    every group shares, and ``opt.lr = 0.01`` sets it (checked) in every group."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, optimizer: Optimizer | None, owner: type | None = None) -> Any:
        if optimizer is None:
            return self
        values = [group[self.name] for group in optimizer.param_groups]
        if any(value != values[0] for value in values[1:]):
            raise ValueError(
                f"{type(optimizer).__name__}: {self.name} differs between the parameter "
                f"groups ({values}); read optimizer.param_groups[i][{self.name!r}] instead"
            )
        return values[0]

    def __set__(self, optimizer: Optimizer, value: Any) -> None:
        checked = [optimizer._check_group({**group, self.name: value})
                   for group in optimizer.param_groups]
        # NOTE: every group is checked before any is changed.
        for group, new in zip(optimizer.param_groups, checked):
            group[self.name] = new[self.name]


class Optimizer:
    """Base class: parameter groups, gradient clearing and state dicts.

    ``params`` is an iterable of Tensors (``model.parameters()``), or of dicts, each with
    ``"params"`` (Tensors) and any hyperparameters that differ from the constructor's, as in
    PyTorch. Every parameter must be a leaf that requires grad, and appear once.
    ``param_groups`` is the list of those dicts, completed with the defaults; a scheduler or
    the user may change ``group["lr"]`` between steps. ``opt.lr`` (and every other
    hyperparameter) reads the value all groups share and sets it in all of them.

    State (moment estimates, momentum buffers, step counts) is kept per parameter, in the
    order the groups list them; ``state_dict()`` exports it in PyTorch's layout.

    A subclass passes its default hyperparameters as a dict (PyTorch's signature), or just
    the learning rate as 0.1's subclasses do, and defines ``step()``.

    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step(); opt.zero_grad()
    >>> w.data, w.grad
    (array([0.8, 1.6]), None)
    """

    _STATE: ClassVar[tuple[tuple[str, str], ...]] = ()
    """(PyTorch's state key, our attribute holding one entry per parameter)."""

    lr = _GroupSetting()

    def __init__(self, params: ParamsLike, defaults: Mapping[str, Any] | float) -> None:
        name = type(self).__name__
        if not isinstance(defaults, Mapping):  # 0.1's signature: Optimizer(params, lr)
            defaults = {"lr": defaults}
        if isinstance(params, Module):
            raise TypeError(f"{name}: pass model.parameters(), not the model itself")
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be a list of Tensors; wrap a single "
                            f"tensor as [tensor]")
        self.defaults: dict[str, Any] = dict(defaults)
        self.param_groups: list[ParamGroup] = []
        self.params: list[Tensor] = []
        items = list(params)
        if not items:
            raise ValueError(f"{name}: got an empty parameter list; does the model have "
                             f"parameters (Tensors created with requires_grad=True)?")
        groups = items if isinstance(items[0], Mapping) else [{"params": items}]
        for group in groups:
            if not isinstance(group, Mapping):
                raise TypeError(f"{name}: params mixes parameter-group dicts with "
                                f"{type(group).__name__}; pass all Tensors or all dicts")
            self.add_param_group(group)

    # --- groups ---------------------------------------------------------------------------
    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group: a dict with ``"params"`` and optional hyperparameter overrides.

        >>> a, b = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
        >>> opt = SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [group["lr"] for group in opt.param_groups]
        [0.1, 0.01]
        """
        name = type(self).__name__
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry, got keys "
                             f"{sorted(param_group)}")
        unknown = sorted(set(param_group) - set(self.defaults) - {"params", "initial_lr"})
        if unknown:
            raise ValueError(f"{name}: unknown hyperparameter(s) {unknown} in a parameter "
                             f"group; valid ones: {', '.join(self.defaults)}")
        raw = param_group["params"]
        params = [raw] if isinstance(raw, Tensor) else list(raw)
        if not params:
            raise ValueError(f"{name}: parameter group {len(self.param_groups)} is empty")
        seen = {id(p): i for i, p in enumerate(self.params)}
        for p in params:
            i = len(self.params)
            label = f"parameter {i}" + (f" ({p.name!r})" if isinstance(p, Tensor) and p.name
                                        else "")
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: {label} is a {type(p).__name__}, not a Tensor")
            if not p.requires_grad:
                raise ValueError(f"{name}: {label} does not require grad, so it would never "
                                 f"move; create it with Tensor(..., requires_grad=True)")
            if not p.is_leaf:
                raise ValueError(f"{name}: {label} was computed by the op '{p.op_name}', so "
                                 f"it is not a leaf; optimize the tensors it was computed from")
            if id(p) in seen:
                raise ValueError(f"{name}: {label} is the same Tensor as parameter "
                                 f"{seen[id(p)]}; pass each parameter once")
            seen[id(p)] = i
            self.params.append(p)
        group = self._check_group({**self.defaults, **param_group})
        group["params"] = params
        self.param_groups.append(group)
        for _, attribute in self._STATE:
            getattr(self, attribute).extend(self._initial_state(attribute, p) for p in params)

    def _check_group(self, group: ParamGroup) -> ParamGroup:
        """The group with every hyperparameter checked (and normalised), or an error."""
        checked = dict(group)
        checked["lr"] = _check_number(type(self).__name__, "lr", group["lr"], 0.0,
                                      low_inclusive=False)
        return checked

    def _initial_state(self, attribute: str, param: Tensor) -> Any:
        """A parameter's state before its first step (0 for counts, None for arrays)."""
        return 0 if attribute == "_steps" else None

    def _groups_with_gradients(self) -> Iterator[tuple[ParamGroup, int, Tensor, np.ndarray]]:
        """(group, index, parameter, gradient) for every parameter that has a gradient."""
        i = 0
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    yield group, i, p, p.grad
                i += 1

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: ``grad = None`` (PyTorch's default), or with
        ``set_to_none=False`` fill existing gradients with zeros.

        >>> w = Tensor([1.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1)
        >>> w.grad = np.array([3.0]); opt.zero_grad(set_to_none=False); w.grad
        array([0.])
        """
        for p in self.params:
            if set_to_none or p.grad is None:
                p.grad = None
            elif p.grad.flags.writeable:
                p.grad.fill(0)
            else:
                p.grad = np.zeros_like(p.data)

    def step(self) -> None:
        """Move every parameter that has a gradient one step."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    # --- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A copy of the optimizer's state in PyTorch's layout.

        ``{"state": {index: {key: value}}, "param_groups": [{hyperparameters, "params":
        [indices]}]}``: parameters are numbered in group order; only parameters that have
        state appear in ``"state"``. Arrays are copies, so later steps do not change it.

        >>> w = Tensor([1.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> w.grad = np.array([2.0]); opt.step()
        >>> opt.state_dict()
        {'state': {0: {'momentum_buffer': array([2.])}}, 'param_groups': [{'lr': 0.1, \
'momentum': 0.9, 'weight_decay': 0.0, 'dampening': 0.0, 'nesterov': False, 'params': [0]}]}
        """
        state: dict[int, dict[str, Any]] = {}
        for i in range(len(self.params)):
            entry = {}
            for key, attribute in self._STATE:
                value = getattr(self, attribute)[i]
                if value is not None and not (attribute == "_steps" and value == 0):
                    entry[key] = value if attribute == "_steps" else np.array(value, copy=True)
            if entry:
                state[i] = entry
        groups, start = [], 0
        for group in self.param_groups:
            settings = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            settings["params"] = list(range(start, start + len(group["params"])))
            start += len(group["params"])
            groups.append(settings)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and state saved by :meth:`state_dict` (ours, or
        PyTorch's with the same keys and with tensors turned into arrays).

        Everything is checked first: the number of groups and of parameters in each, the
        hyperparameter names and values, and each state array's shape. Any problem raises
        :class:`~tinygrad_ae.nn.StateDictError` listing them all, and the optimizer is left
        unchanged. Arrays are copied (cast to each parameter's dtype).

        >>> w = Tensor([1.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1)
        >>> opt.load_state_dict({"state": {}, "param_groups": []})
        Traceback (most recent call last):
        ...
        tinygrad_ae.nn.module.StateDictError: load_state_dict: 1 problem, the optimizer is \
unchanged:
          - the state dict has 0 parameter groups but the optimizer has 1
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            got = (sorted(state_dict) if isinstance(state_dict, Mapping)
                   else type(state_dict).__name__)
            raise TypeError(f"{name}.load_state_dict: expected a dict with the keys 'state' "
                            f"and 'param_groups' (from optimizer.state_dict()), got {got}")
        problems: list[str] = []
        saved_groups = list(state_dict["param_groups"])
        new_groups: list[ParamGroup] = []
        if len(saved_groups) != len(self.param_groups):
            problems.append(f"the state dict has {len(saved_groups)} parameter groups but the "
                            f"optimizer has {len(self.param_groups)}")
        for k, (saved, ours) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, Mapping):
                problems.append(f"param_groups[{k}] is a {type(saved).__name__}, not a dict")
                continue
            size = len(saved.get("params", ()))
            if size != len(ours["params"]):
                problems.append(f"param_groups[{k}] holds {size} parameters in the state "
                                f"dict but {len(ours['params'])} in the optimizer")
            keys = set(saved) - {"params"}
            missing = sorted(set(self.defaults) - keys)
            unexpected = sorted(keys - set(self.defaults) - {"initial_lr"})
            if missing or unexpected:
                problems.append(f"param_groups[{k}]: missing hyperparameters {missing}, "
                                f"unexpected {unexpected}; {name} expects "
                                f"{', '.join(self.defaults)}")
                continue
            try:
                # A schedule may have brought lr to 0 (cosine annealing to eta_min=0): the
                # constructor refuses that, a saved state may hold it.
                lr = _check_number(name, "lr", saved["lr"], 0.0)
                group = self._check_group({**{key: saved[key] for key in keys}, "lr": 1.0})
                group["lr"] = lr
            except (TypeError, ValueError) as error:
                problems.append(f"param_groups[{k}]: {error}")
                continue
            group["params"] = ours["params"]
            new_groups.append(group)
        arrays: dict[tuple[int, str], Any] = {}
        fields = dict(self._STATE)
        for raw_index, entry in dict(state_dict["state"]).items():
            if (not isinstance(raw_index, (int, np.integer))
                    or not 0 <= raw_index < len(self.params)):
                problems.append(f"state for parameter {raw_index!r}, but the optimizer has "
                                f"parameters 0 to {len(self.params) - 1}")
                continue
            index = int(raw_index)
            param = self.params[index]
            if not isinstance(entry, Mapping):
                problems.append(f"state[{index}] is a {type(entry).__name__}, not a dict")
                continue
            for key, value in entry.items():
                if key not in fields:
                    problems.append(f"state[{index}]: unexpected key {key!r}; {name} keeps "
                                    f"{', '.join(fields)}")
                elif fields[key] == "_steps":
                    try:
                        step = float(np.asarray(value))
                    except (TypeError, ValueError):
                        step = math.nan
                    if not (step >= 0 and step == int(step)):
                        problems.append(f"state[{index}]['step'] must be a whole number >= 0, "
                                        f"got {value!r}")
                    else:
                        arrays[index, key] = int(step)
                else:
                    array = np.asarray(value)
                    if array.shape != param.shape:
                        problems.append(f"state[{index}][{key!r}] has shape {array.shape} but "
                                        f"the parameter has shape {param.shape}")
                    arrays[index, key] = np.array(array, dtype=param.data.dtype)
        if problems:
            head = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
            raise StateDictError(f"load_state_dict: {head}, the optimizer is unchanged:\n"
                                 + "\n".join(f"  - {p}" for p in problems))
        # NOTE: nothing is written before this line, so a failed load changes nothing.
        for ours, group in zip(self.param_groups, new_groups):
            ours.clear()
            ours.update(group)
        self._reset_state()
        for (index, key), value in arrays.items():
            getattr(self, fields[key])[index] = value

    def _reset_state(self) -> None:
        """Forget all per-parameter state (before loading a state dict)."""
        for _, attribute in self._STATE:
            setattr(self, attribute, [self._initial_state(attribute, p) for p in self.params])

    # --- printing -------------------------------------------------------------------------
    _SHOWN_WHEN_ON: ClassVar[tuple[str, ...]] = ()
    """Switches that the repr names only when they are on (added after 0.1's reprs)."""

    def __repr__(self) -> str:
        def settings(group: ParamGroup) -> str:
            return ", ".join(f"{key}={_format(group[key])}" for key in self.defaults
                             if key not in self._SHOWN_WHEN_ON or group[key])
        if len(self.param_groups) == 1:
            return f"{type(self).__name__}({settings(self.param_groups[0])})"
        lines = [f"  group {k}: {settings(g)}" for k, g in enumerate(self.param_groups)]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _format(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_format(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov and weight decay.

    PyTorch's rule, for each parameter p with gradient g:

        g ← g + weight_decay · p
        b ← g on the first step, else momentum · b + (1 − dampening) · g   (if momentum > 0)
        g ← g + momentum · b if nesterov, else b                           (if momentum > 0)
        p ← p − lr · g

    >>> w = Tensor(1.0, requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).backward(); opt.step()   # ∂(w²)/∂w = 2w
    >>> round(w.item(), 6)        # 1 − 0.2 = 0.8, then b = 0.9·2 + 1.6 = 3.4: 0.8 − 0.34
    0.46
    """

    _STATE = (("momentum_buffer", "_buffers"),)
    momentum = _GroupSetting()
    dampening = _GroupSetting()
    weight_decay = _GroupSetting()
    nesterov = _GroupSetting()

    def __init__(self, params: ParamsLike, lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False) -> None:
        self._buffers: list[np.ndarray | None] = []
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      dampening=dampening, nesterov=nesterov))

    def _check_group(self, group: ParamGroup) -> ParamGroup:
        checked = super()._check_group(group)
        checked["momentum"] = _check_number("SGD", "momentum", group["momentum"], 0.0)
        checked["weight_decay"] = _check_number("SGD", "weight_decay", group["weight_decay"],
                                                0.0)
        checked["dampening"] = _check_number("SGD", "dampening", group["dampening"], 0.0, 1.0)
        checked["nesterov"] = bool(group["nesterov"])
        if checked["nesterov"] and (checked["momentum"] == 0 or checked["dampening"] != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")
        return checked

    def step(self) -> None:
        for group, i, p, g in self._groups_with_gradients():
            lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
            if decay:
                g = g + decay * p.data
            if momentum:
                buffer = self._buffers[i]
                if buffer is None:
                    buffer = self._buffers[i] = np.array(g, dtype=p.data.dtype)
                else:
                    buffer *= momentum
                    # Without dampening, g is added as it is: no scaled copy of it.
                    dampening = group["dampening"]
                    buffer += (1.0 - dampening) * g if dampening else g
                g = g + momentum * buffer if group["nesterov"] else buffer
            p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's rule, for each parameter p with gradient g at step t:

        g ← g + weight_decay · p
        m ← β1 m + (1 − β1) g,        v ← β2 v + (1 − β2) g²
        m̂ = m / (1 − β1ᵗ),            v̂ = v / (1 − β2ᵗ)
        p ← p − lr · m̂ / (√v̂ + eps)

    with m = v = 0 before the first step. The first step moves every entry by about lr.
    With ``amsgrad=True`` (Reddi et al.) the denominator uses the largest v so far,
    v_max ← max(v_max, v), in place of v, so the step size never grows back.

    >>> w = Tensor([1.0, -3.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(6)
    array([ 0.9, -2.9])
    """

    _STATE = (("step", "_steps"), ("exp_avg", "_first"), ("exp_avg_sq", "_second"),
              ("max_exp_avg_sq", "_max_second"))
    _DECOUPLED = False  # AdamW: weight decay shrinks p directly instead of adding to g
    _SHOWN_WHEN_ON = ("amsgrad",)
    betas = _GroupSetting()
    eps = _GroupSetting()
    weight_decay = _GroupSetting()
    amsgrad = _GroupSetting()

    def __init__(self, params: ParamsLike, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        self._steps: list[int] = []
        self._first: list[np.ndarray | None] = []
        self._second: list[np.ndarray | None] = []
        self._max_second: list[np.ndarray | None] = []
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))
        self._scratch: list[np.ndarray | None] = [None] * len(self.params)
        # m, v, g and a scratch array for all parameters end to end; _first[i] and
        # _second[i] are then views of the first two (see _step_all_at_once).
        self._flat: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def _check_group(self, group: ParamGroup) -> ParamGroup:
        owner = type(self).__name__
        checked = super()._check_group(group)
        checked["betas"] = _check_betas(owner, group["betas"])
        checked["eps"] = _check_number(owner, "eps", group["eps"], 0.0)
        checked["weight_decay"] = _check_number(owner, "weight_decay", group["weight_decay"],
                                                0.0)
        checked["amsgrad"] = bool(group["amsgrad"])
        return checked

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        super().add_param_group(param_group)
        if hasattr(self, "_scratch"):  # a group added after construction
            self._scratch.extend([None] * (len(self.params) - len(self._scratch)))
            self._flat = None

    def _reset_state(self) -> None:
        super()._reset_state()
        self._flat = None

    def step(self) -> None:
        if self._step_all_at_once():
            return
        for group, i, p, g in self._groups_with_gradients():
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            decay = group["weight_decay"]
            if decay and self._DECOUPLED:
                p.data *= 1.0 - lr * decay
            elif decay:
                g = g + decay * p.data
            m, v, scratch = self._first[i], self._second[i], self._scratch[i]
            if m is None or v is None:
                m = self._first[i] = np.zeros_like(p.data)
                v = self._second[i] = np.zeros_like(p.data)
            if scratch is None:
                scratch = self._scratch[i] = np.empty_like(p.data)
            v_max = None
            if group["amsgrad"]:
                v_max = self._max_second[i]
                if v_max is None:
                    v_max = self._max_second[i] = np.zeros_like(p.data)
            self._steps[i] += 1
            p.data -= self._update(g, m, v, scratch, self._steps[i], lr, beta1, beta2, eps,
                                   v_max)

    @staticmethod
    def _update(g: np.ndarray, m: np.ndarray, v: np.ndarray, scratch: np.ndarray, t: int,
                lr: float, beta1: float, beta2: float, eps: float,
                v_max: np.ndarray | None = None) -> np.ndarray:
        """Move m and v (and v_max, for AMSGrad) in place and return the step to subtract
        from p (in ``scratch``). Every product goes through ``scratch``, so a step makes
        no temporary arrays."""
        m *= beta1
        m += np.multiply(g, 1.0 - beta1, out=scratch)                 # m ← β1 m + (1 − β1) g
        v *= beta2
        v += np.multiply(np.multiply(g, g, out=scratch), 1.0 - beta2, out=scratch)
        if v_max is not None:
            np.maximum(v_max, v, out=v_max)
        # PyTorch's arrangement: lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps).
        denominator = np.sqrt(v if v_max is None else v_max, out=scratch)
        denominator /= math.sqrt(1.0 - beta2 ** t)
        denominator += eps
        update = np.divide(m, denominator, out=scratch)
        update *= lr / (1.0 - beta1 ** t)
        return update

    def _step_all_at_once(self) -> bool:
        """Step every parameter with one set of array operations over all of them end to
        end, as PyTorch's "foreach" Adam does: the same arithmetic, element by element,
        as one step per parameter, but a dozen numpy calls in all instead of a dozen per
        parameter (most of the time of a small model's step). Done when there is one
        parameter group, every parameter has a gradient, all share a dtype and a step
        count, and there is neither L2 weight decay nor AMSGrad; returns False, having
        done nothing, otherwise."""
        params = self.params
        if len(self.param_groups) != 1 or any(p.grad is None for p in params):
            return False
        group = self.param_groups[0]
        lr, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], \
            group["weight_decay"]
        if (decay and not self._DECOUPLED) or group["amsgrad"]:
            return False
        dtype = params[0].data.dtype
        if any(p.data.dtype != dtype for p in params) or min(self._steps) != max(self._steps):
            return False
        if self._flat is None:
            size = sum(p.data.size for p in params)
            self._flat = (np.zeros(size, dtype), np.zeros(size, dtype), np.empty(size, dtype),
                          np.empty(size, dtype))
            start = 0
            for i, p in enumerate(params):
                stop = start + p.data.size
                # Moments made one parameter at a time (or loaded) move into the flat arrays.
                for flat, moments in ((self._flat[0], self._first), (self._flat[1],
                                                                      self._second)):
                    view = flat[start:stop].reshape(p.data.shape)
                    if moments[i] is not None:
                        view[...] = moments[i]
                    moments[i] = view
                start = stop
        m, v, g, scratch = self._flat
        np.concatenate([p.grad.reshape(-1) for p in params], out=g)  # type: ignore[union-attr]
        if decay:  # decoupled (AdamW): p ← p (1 − lr·λ) before the Adam step
            for p in params:
                p.data *= 1.0 - lr * decay
        self._steps = [t + 1 for t in self._steps]
        update = self._update(g, m, v, scratch, self._steps[0], lr, beta1, beta2, eps)
        start = 0
        for p in params:
            stop = start + p.data.size
            p.data -= update[start:stop].reshape(p.data.shape)
            start = stop
        return True


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch's rule:

        p ← p · (1 − lr · weight_decay)
        then Adam's step with g unchanged (no L2 term added to the gradient)

    so decay does not pass through the adaptive scaling. PyTorch's defaults, including
    weight_decay = 0.01.

    >>> w = Tensor([1.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = np.array([0.0]); opt.step()      # no gradient signal: only the decay acts
    >>> w.data
    array([0.95])
    """

    _DECOUPLED = True

    def __init__(self, params: ParamsLike, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)
