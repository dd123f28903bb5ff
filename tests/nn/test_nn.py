"""Tests of tinygrad_ae.nn: parameter discovery, scopes, state, files, Linear, losses."""

from __future__ import annotations

import math
import os
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from param_ids import selectable_id
from tolerances import FD_ATOL, FD_EPS, FD_RTOL

from tinygrad_ae import nn, strategies
from tinygrad_ae.autograd.engine import topological_order
from tinygrad_ae.autograd.gradcheck import gradcheck
from tinygrad_ae.autograd.tensor import STATE, Tensor

# Same arithmetic on both sides, summed in possibly different orders: a few ulps.
SUM_RTOL = 1e-12


class _Block(nn.Module):
    """A hand-written module: a parameter, a list of layers, a tuple with a tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = Tensor(2.0, requires_grad=True)
        self.layers = [nn.Linear(3, 2, rng=0), nn.Tanh(), nn.Linear(2, 3, rng=1)]
        self.constant = Tensor(np.ones(3))                       # no grad: not a parameter
        self.extras = (Tensor(np.zeros(2), requires_grad=True), "not a tensor")

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x * self.scale


class _Outer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = _Block()
        self.head = nn.Sequential(nn.Linear(3, 1, rng=2), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.block(x))


def _snapshot(model: nn.Module) -> dict[str, np.ndarray]:
    return {name: p.data.copy() for name, p in model.named_parameters()}


def _assert_unchanged(model: nn.Module, before: dict[str, np.ndarray]) -> None:
    after = _snapshot(model)
    assert list(after) == list(before)
    for name in before:
        assert after[name].dtype == before[name].dtype
        assert after[name].tobytes() == before[name].tobytes(), name  # bit-identical


# --- discovery and names -------------------------------------------------------------------

def test_named_parameters_follow_assignment_order_through_lists_tuples_and_sequential():
    names = [name for name, _ in _Outer().named_parameters()]
    assert names == [
        "block.scale",
        "block.layers.0.weight", "block.layers.0.bias",
        "block.layers.2.weight", "block.layers.2.bias",
        "block.extras.0",
        "head.0.weight", "head.0.bias",
    ]


def test_parameters_match_named_parameters_and_skip_non_leaves_and_constants():
    model = _Outer()
    model.block.cached = model.block.scale * 3              # computed: not a parameter
    assert [id(p) for p in model.parameters()] == [id(p) for _, p in model.named_parameters()]
    assert all(p.requires_grad and p.is_leaf for p in model.parameters())
    assert len(model.parameters()) == 8


def test_named_modules_and_children():
    model = _Outer()
    assert [name for name, _ in model.named_modules()] == [
        "", "block", "block.layers.0", "block.layers.1", "block.layers.2",
        "head", "head.0", "head.1",
    ]
    assert [name for name, _ in model.named_children()] == ["block", "head"]
    assert list(model.modules())[0] is model


def test_shared_parameter_is_listed_once_under_its_first_name():
    first = nn.Linear(2, 2, rng=0)
    tied = nn.Sequential(first, nn.Tanh(), first)
    assert [name for name, _ in tied.named_parameters()] == ["0.weight", "0.bias"]


def test_reassigning_an_attribute_keeps_its_position():
    layer = nn.Linear(2, 2, rng=0)
    layer.weight = Tensor(np.zeros((2, 2)), requires_grad=True)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_a_list_appended_after_assignment_is_discovered():
    block = _Block()
    block.layers.append(nn.Linear(3, 3, rng=3))
    assert "layers.3.weight" in dict(block.named_parameters())


def test_a_layer_appended_later_gets_its_scope_on_the_next_call():
    block = _Block()
    block.layers.append(nn.Linear(3, 3, rng=3))
    out = block(Tensor(np.ones((2, 3))))
    scopes = {t.scope for t in topological_order(out) if t.op_name == "linear"}
    assert scopes == {"layers.0", "layers.2", "layers.3"}


def test_subclass_without_super_init_still_works():
    class Bare(nn.Module):
        def __init__(self) -> None:
            self.w = Tensor(1.0, requires_grad=True)

        def forward(self, x: Tensor) -> Tensor:
            return x * self.w

    bare = Bare()
    assert [name for name, _ in bare.named_parameters()] == ["w"]
    assert bare.training
    assert bare(Tensor(2.0)).item() == 2.0


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="must define forward"):
        nn.Module()(Tensor(1.0))


# --- scopes ------------------------------------------------------------------------------

def test_ops_record_the_dotted_path_of_the_module_running():
    model = _Outer()
    loss = model(Tensor(np.ones((4, 3)))).sum()
    scopes = {t.op_name: set() for t in topological_order(loss) if t.op_name}
    for t in topological_order(loss):
        if t.op_name:
            scopes[t.op_name].add(t.scope)
    assert scopes["linear"] == {"block.layers.0", "block.layers.2", "head.0"}
    assert scopes["tanh"] == {"block.layers.1"}
    assert scopes["sigmoid"] == {"head.1"}
    assert "block" in scopes["mul"]            # x * scale, in _Block.forward
    assert loss.scope == ""                    # made outside any module
    assert STATE.scope == ""


def test_parameters_carry_the_scope_of_the_module_that_owns_them():
    model = _Outer()
    assert {name: p.scope for name, p in model.named_parameters()} == {
        "block.scale": "block",
        "block.layers.0.weight": "block.layers.0", "block.layers.0.bias": "block.layers.0",
        "block.layers.2.weight": "block.layers.2", "block.layers.2.bias": "block.layers.2",
        "block.extras.0": "block",
        "head.0.weight": "head.0", "head.0.bias": "head.0",
    }


def test_paths_are_updated_when_a_module_is_nested_later():
    encoder = nn.Sequential(nn.Linear(2, 1, rng=0))
    assert encoder[0].path == "0"

    class Holder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, x: Tensor) -> Tensor:
            return self.encoder(x)

    Holder()
    assert encoder.path == "encoder" and encoder[0].path == "encoder.0"
    assert encoder[0].weight.scope == "encoder.0"


def test_scope_is_restored_when_forward_raises():
    model = nn.Sequential(nn.Linear(4, 2, rng=0))
    with pytest.raises(ValueError, match="expects inputs with 4 features"):
        model(Tensor(np.ones((3, 5))))
    assert STATE.scope == ""


# --- modes and gradients -------------------------------------------------------------------

def test_train_and_eval_reach_every_module():
    model = _Outer()
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_clears_every_parameter():
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Tanh(), nn.Linear(2, 1, rng=1))
    model(Tensor(np.ones((2, 3)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# --- state dicts ---------------------------------------------------------------------------

def test_state_dict_holds_copies_in_parameter_order():
    model = _Outer()
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    state["head.0.bias"][...] = 123.0
    assert not np.any(model.head[0].bias.data == 123.0)


def test_state_dict_round_trip_into_a_fresh_model_is_exact():
    source, target = _Outer(), _Outer()
    for p in source.parameters():
        p.data[...] = np.random.default_rng(5).standard_normal(p.shape)
    target.load_state_dict(source.state_dict())
    _assert_unchanged(target, _snapshot(source))


def test_load_state_dict_accepts_tensors_and_casts_to_the_parameter_dtype():
    model = nn.Linear(2, 1, dtype=np.float32, rng=0)
    model.load_state_dict({"weight": Tensor([[1.0, 2.0]]), "bias": np.array([3], dtype=np.int64)})
    assert model.weight.data.dtype == np.float32
    assert model.weight.data.tolist() == [[1.0, 2.0]] and model.bias.data.tolist() == [3.0]


def test_load_state_dict_copies_in_place_so_optimizers_keep_their_tensors():
    model = nn.Linear(2, 1, rng=0)
    array = model.weight.data
    model.load_state_dict({"weight": np.ones((1, 2)), "bias": np.zeros(1)})
    assert model.weight.data is array


def test_load_state_dict_non_strict_reports_skipped_keys():
    model = nn.Linear(2, 1, rng=0)
    result = model.load_state_dict({"weight": np.ones((1, 2)), "extra": np.ones(3)},
                                   strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert model.weight.data.tolist() == [[1.0, 1.0]]


def _state_with(change: str) -> dict:
    state = nn.Linear(3, 2, rng=1).state_dict()
    if change == "missing":
        del state["bias"]
    elif change == "unexpected":
        state["gamma"] = np.ones(2)
    elif change == "shape":
        state["weight"] = np.ones((3, 2))
    elif change == "nan":
        state["weight"][0, 1] = np.nan
    elif change == "inf":
        state["bias"][1] = -np.inf
    elif change == "strings":
        state["bias"] = np.array(["a", "b"])
    elif change == "complex":
        state["bias"] = np.ones(2, dtype=complex)
    elif change == "object":
        state["bias"] = {"not": "an array"}
    return state


@pytest.mark.parametrize(("change", "pattern"), [
    ("missing", r"missing key 'bias'.*shape \(2,\)"),
    ("unexpected", r"unexpected key 'gamma'(.|\n)*model's keys are: weight, bias"),
    ("shape", r"'weight': shape mismatch.*shape \(3, 2\).*shape \(2, 3\)"),
    ("nan", r"'weight': 1 of 6 values are NaN or infinite"),
    ("inf", r"'bias': 1 of 2 values are NaN or infinite"),
    ("strings", r"'bias': dtype <U1 is not a real number type"),
    ("complex", r"'bias': dtype complex128 is not a real number type"),
    ("object", r"'bias': dtype object is not a real number type"),
], ids=selectable_id)
def test_load_state_dict_rejects_bad_input_and_leaves_the_model_unchanged(change, pattern):
    model = nn.Linear(3, 2, rng=0)
    before = _snapshot(model)
    with pytest.raises(nn.StateDictError, match=pattern) as caught:
        model.load_state_dict(_state_with(change))
    assert "the model is unchanged" in str(caught.value)
    _assert_unchanged(model, before)


def test_load_state_dict_writes_nothing_when_a_later_key_is_bad():
    model = nn.Linear(3, 2, rng=0)
    before = _snapshot(model)
    state = {"weight": np.zeros((2, 3)), "bias": np.zeros(5)}    # weight fine, bias not
    with pytest.raises(nn.StateDictError, match=r"1 problem.*\n.*'bias'"):
        model.load_state_dict(state)
    _assert_unchanged(model, before)


def test_load_state_dict_lists_every_problem_at_once():
    model = nn.Linear(3, 2, rng=0)
    with pytest.raises(nn.StateDictError, match="3 problems") as caught:
        model.load_state_dict({"weight": np.full((2, 3), np.nan), "beta": np.ones(1)})
    message = str(caught.value)
    assert "missing key 'bias'" in message and "unexpected key 'beta'" in message
    assert "'weight': 6 of 6" in message


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="expected a mapping.*got list"):
        nn.Linear(2, 1, rng=0).load_state_dict([np.ones((1, 2))])


# --- files ---------------------------------------------------------------------------------

def test_save_then_load_is_bit_exact(tmp_path):
    for dtype in (np.float64, np.float32):
        source = nn.Sequential(nn.Linear(3, 2, dtype=dtype, rng=0), nn.Tanh(),
                               nn.Linear(2, 3, dtype=dtype, rng=1))
        path = source.save(tmp_path / "model.npz")
        target = nn.Sequential(nn.Linear(3, 2, dtype=dtype, rng=7), nn.Tanh(),
                               nn.Linear(2, 3, dtype=dtype, rng=8))
        assert target.load(path) is target
        _assert_unchanged(target, _snapshot(source))
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]        # no temporary left over


def test_save_writes_a_plain_npz_with_the_parameter_names(tmp_path):
    model = _Outer()
    model.save(tmp_path / "outer.npz")
    with np.load(tmp_path / "outer.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(name for name, _ in model.named_parameters())


def test_save_overwrites_atomically_and_keeps_the_file_mode(tmp_path):
    path = tmp_path / "model.npz"
    nn.Linear(2, 1, rng=0).save(path)
    os.chmod(path, 0o640)
    nn.Linear(2, 1, rng=1).save(path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert np.array_equal(nn.Linear(2, 1, rng=5).load(path).weight.data,
                          nn.Linear(2, 1, rng=1).weight.data)


def _write_bytes(path, payload: bytes):
    path.write_bytes(payload)
    return path


@pytest.mark.parametrize(("make_file", "pattern"), [
    (lambda p: _write_bytes(p, b"this is not a numpy archive at all"),
     "is not an .npz archive written by Module.save"),
    (lambda p: _write_bytes(p, b""), "is not an .npz archive written by Module.save"),
    (lambda p: _write_bytes(p, b"PK\x03\x04 a zip header and then junk"),
     "is not an .npz archive"),
    (lambda p: np.save(p.with_suffix(".npy"), np.ones(3)) or p.with_suffix(".npy"),
     r"holds a single array \(a .npy file\)"),
    (lambda p: np.savez(p, weight=np.ones((2, 2)), bias=np.ones(1)) or p,
     r"does not fit this Linear(.|\n)*'weight': shape mismatch.*\(2, 2\).*\(1, 2\)"),
    (lambda p: np.savez(p, weight=np.ones((1, 2))) or p, "missing key 'bias'"),
    (lambda p: np.savez(p, weight=np.ones((1, 2)), bias=np.ones(1), extra=np.ones(1)) or p,
     "unexpected key 'extra'"),
    (lambda p: np.savez(p, weight=np.array([[{}, {}]], dtype=object), bias=np.ones(1)) or p,
     "cannot read the array 'weight'"),
], ids=selectable_id)
def test_load_rejects_bad_files_naming_them_and_leaves_the_model_unchanged(
        tmp_path, make_file, pattern):
    path = make_file(tmp_path / "bad.npz")
    model = nn.Linear(2, 1, rng=0)
    before = _snapshot(model)
    with pytest.raises(nn.ModelFileError, match=pattern) as caught:
        model.load(path)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, ValueError)
    _assert_unchanged(model, before)


def test_load_of_a_truncated_archive_fails_cleanly(tmp_path):
    good = tmp_path / "good.npz"
    nn.Linear(20, 10, rng=0).save(good)
    truncated = _write_bytes(tmp_path / "cut.npz", good.read_bytes()[:-200])
    model = nn.Linear(20, 10, rng=1)
    before = _snapshot(model)
    with pytest.raises(nn.ModelFileError, match="cut.npz"):
        model.load(truncated)
    _assert_unchanged(model, before)


def test_load_of_a_missing_file_or_a_folder(tmp_path):
    model = nn.Linear(2, 1, rng=0)
    before = _snapshot(model)
    with pytest.raises(FileNotFoundError, match="no such file.*nothing.npz"):
        model.load(tmp_path / "nothing.npz")
    with pytest.raises(nn.ModelFileError, match="is a folder"):
        model.load(tmp_path)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("failing", ["os.replace", "np.savez", "os.fsync"])
def test_an_interrupted_save_keeps_the_old_file_and_leaves_no_temporary(
        tmp_path, monkeypatch, failing):
    path = tmp_path / "model.npz"
    nn.Linear(2, 1, rng=0).save(path)
    old_bytes = path.read_bytes()

    def boom(*args, **kwargs):
        if failing == "np.savez":
            args[0].write(b"PK partial archive")       # fail halfway through writing
        raise OSError("disk full")

    module, name = failing.split(".")
    monkeypatch.setattr(os if module == "os" else np, name, boom)
    with pytest.raises(OSError, match="disk full"):
        nn.Linear(2, 1, rng=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_into_a_missing_folder_or_under_a_reserved_name(tmp_path):
    with pytest.raises(FileNotFoundError, match="folder .* does not exist"):
        nn.Linear(2, 1, rng=0).save(tmp_path / "missing" / "model.npz")

    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.file = Tensor(1.0, requires_grad=True)

    with pytest.raises(ValueError, match="parameter named 'file'.*rename the attribute"):
        Odd().save(tmp_path / "odd.npz")
    assert os.listdir(tmp_path) == []


# --- Linear --------------------------------------------------------------------------------

@pytest.mark.parametrize(("in_features", "out_features"), [(1, 1), (3, 5), (64, 8)])
def test_linear_init_is_uniform_within_one_over_root_fan_in(in_features, out_features):
    bound = 1 / math.sqrt(in_features)
    layer = nn.Linear(in_features, out_features, rng=np.random.default_rng(4))
    expected = np.random.default_rng(4)
    weight = expected.uniform(-bound, bound, size=(out_features, in_features))
    bias = expected.uniform(-bound, bound, size=out_features)
    assert layer.weight.shape == (out_features, in_features) and layer.bias.shape == (out_features,)
    np.testing.assert_array_equal(layer.weight.data, weight)
    np.testing.assert_array_equal(layer.bias.data, bias)


def test_linear_init_fills_the_whole_interval():
    layer = nn.Linear(16, 1000, rng=0)               # bound 0.25, 16,000 draws
    values = layer.weight.data
    assert np.abs(values).max() <= 0.25
    assert values.max() > 0.249 and values.min() < -0.249
    assert abs(values.mean()) < 0.01


def test_manual_seed_and_rng_make_init_reproducible():
    nn.manual_seed(11)
    first = nn.Linear(3, 2).state_dict()
    nn.manual_seed(11)
    second = nn.Linear(3, 2).state_dict()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
    np.testing.assert_array_equal(nn.Linear(3, 2, rng=3).weight.data,
                                  nn.Linear(3, 2, rng=3).weight.data)
    with pytest.raises(TypeError, match="rng must be None, an int seed or a"):
        nn.Linear(3, 2, rng=1.5)  # type: ignore[arg-type]


@given(
    x=strategies.arrays(st.tuples(st.integers(1, 6), st.just(4)), scale=10.0),
    use_bias=st.booleans(),
)
def test_linear_computes_x_times_w_transpose_plus_b(x, use_bias):
    layer = nn.Linear(4, 3, bias=use_bias, rng=0)
    expected = x @ layer.weight.data.T + (layer.bias.data if use_bias else 0.0)
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=SUM_RTOL, atol=1e-12)


def test_linear_accepts_arrays_batches_and_float32():
    layer = nn.Linear(2, 3, dtype=np.float32, rng=0)
    assert layer.weight.dtype == np.float32
    assert layer(np.ones((5, 7, 2), dtype=np.float32)).shape == (5, 7, 3)
    assert layer(np.ones((5, 2), dtype=np.float32)).dtype == np.float32
    assert layer(np.ones(2, dtype=np.float32)).shape == (3,)


@pytest.mark.parametrize("shape", [(10, 3), (3,), (), (2, 4, 5)])
def test_linear_shape_errors_speak_in_features(shape):
    expected = (r"Linear\(4→2\) expects inputs with 4 features in the last axis, got shape "
                + re.escape(str(shape)))
    with pytest.raises(ValueError, match=expected):
        nn.Linear(4, 2, rng=0)(np.ones(shape))


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_linear_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        nn.Linear(bad, 2)


def test_linear_gradients_match_central_differences():
    layer = nn.Linear(3, 2, rng=0)
    x = np.random.default_rng(1).standard_normal((4, 3))

    def loss(weight: Tensor, bias: Tensor) -> Tensor:
        layer.weight, layer.bias = weight, bias
        return (layer(x).tanh() ** 2).sum()

    assert gradcheck(loss, [layer.weight, layer.bias], eps=FD_EPS, atol=FD_ATOL, rtol=FD_RTOL)


# --- Sequential and activations ----------------------------------------------------------

def test_sequential_is_indexable_sized_and_iterable():
    layers = [nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2]
    assert list(model[1:]) == layers[1:] and isinstance(model[1:], nn.Sequential)
    x = np.random.default_rng(0).standard_normal((5, 2))
    expected = layers[2](layers[1](layers[0](Tensor(x)))).data
    np.testing.assert_array_equal(model(x).data, expected)
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        model[3]


def test_a_module_attached_to_a_sequential_by_name_runs_in_order_as_in_pytorch():
    # PyTorch's Sequential runs every child in the order it was added, whatever its name.
    first, head = nn.Linear(2, 3, rng=0), nn.Tanh()
    model = nn.Sequential(first)
    model.head = head
    model.append(nn.Linear(3, 1, rng=1))
    assert len(model) == 3 and list(model) == [first, head, model[2]]
    assert [name for name, _ in model.named_children()] == ["0", "head", "2"]
    x = np.random.default_rng(0).standard_normal((5, 2))
    expected = model[2](np.tanh(first(Tensor(x)).data)).data
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-15)
    shared = nn.Linear(2, 2, rng=3)
    twice = nn.Sequential(shared, shared)  # one module under two names runs twice
    assert len(twice) == 2
    np.testing.assert_allclose(twice(x).data, shared(shared(Tensor(x))).data, rtol=1e-15)


def test_a_sequentials_list_attribute_runs_in_place_and_a_slice_keeps_the_names():
    first, last = nn.Linear(2, 3, rng=0), nn.Linear(3, 1, rng=1)
    model = nn.Sequential(first)
    model.blocks = [nn.Tanh(), last]  # children (they are trained), so they run too
    assert len(model) == 3 and list(model)[1:] == model.blocks
    x = np.random.default_rng(0).standard_normal((4, 2))
    expected = last(np.tanh(first(Tensor(x)).data)).data
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-15)
    # PyTorch keeps the children's names in a slice: seq[1:] of (0, 1, 2) holds 1 and 2
    three = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Tanh(), nn.Linear(3, 1, rng=1))
    assert sorted(three[1:].state_dict()) == ["2.bias", "2.weight"]
    assert [name for name, _ in three[1:].named_children()] == ["1", "2"]


def test_sequential_rejects_a_class_where_an_instance_belongs():
    expected = r"item 1 must be a Module, got ReLU; did you mean ReLU\(\)"
    with pytest.raises(TypeError, match=expected):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="item 0 must be a Module, got int"):
        nn.Sequential(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(("module", "reference"), [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.Tanh(), np.tanh),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Identity(), lambda x: x),
], ids=["relu", "tanh", "sigmoid", "identity"])
def test_activations_match_numpy(module, reference):
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(module(Tensor(x)).data, reference(x), rtol=SUM_RTOL)


def test_repr_looks_like_pytorch():
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Sequential(nn.Tanh(), nn.Identity()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=2, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): Tanh()\n"
        "    (1): Identity()\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Linear(1, 1, bias=False)) == "Linear(in_features=1, out_features=1, bias=False)"


# --- mse_loss ------------------------------------------------------------------------------

_shapes = st.one_of(
    st.tuples(st.integers(1, 6)),
    st.tuples(st.integers(1, 6), st.integers(1, 5)),
    st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)),
)


@given(data=st.data(), shape=_shapes)
def test_mse_loss_reductions_match_numpy(data, shape):
    x = data.draw(strategies.arrays(shape, scale=100.0))
    x_hat = data.draw(strategies.arrays(shape, scale=100.0))
    squared = (x - x_hat) ** 2
    per_sample = squared.reshape(shape[0], -1).sum(axis=1)
    expected = {"paper": per_sample.mean(), "mean": squared.mean(), "sum": squared.sum()}
    for reduction, value in expected.items():
        got = nn.mse_loss(Tensor(x_hat), x, reduction=reduction).item()
        assert got == pytest.approx(value, rel=SUM_RTOL, abs=1e-12), reduction


def test_mse_loss_default_is_the_papers_normalisation():
    x = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    x_hat = np.zeros_like(x)
    # (1/N) Σ_i ‖x_i − x̂_i‖² = (5 + 25 + 0) / 3, m = 2 times PyTorch's mean
    assert nn.mse_loss(Tensor(x_hat), x).item() == pytest.approx(10.0)
    assert nn.mse_loss(Tensor(x_hat), x, "mean").item() == pytest.approx(5.0)


def test_mse_loss_gradient_matches_central_differences():
    x = np.random.default_rng(0).standard_normal((4, 3))
    for reduction in nn.REDUCTIONS:
        assert gradcheck(lambda x_hat, r=reduction: nn.mse_loss(x_hat, x, r),
                         [Tensor(np.zeros((4, 3)))], eps=FD_EPS, atol=FD_ATOL, rtol=FD_RTOL)


def test_mse_loss_errors():
    with pytest.raises(ValueError, match="reduction must be one of 'paper', 'mean', 'sum', "
                                         "got 'avg'"):
        nn.mse_loss(Tensor([1.0]), [1.0], reduction="avg")
    with pytest.raises(ValueError, match=r"x_hat has shape \(4, 2\) but x has shape \(4, 1\)"):
        nn.mse_loss(Tensor(np.ones((4, 2))), np.ones((4, 1)))
    with pytest.raises(ValueError, match="empty"):
        nn.mse_loss(Tensor(np.ones((0, 2))), np.ones((0, 2)))
