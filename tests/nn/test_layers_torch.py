"""Dropout, Flatten, Unflatten, BatchNorm1d, LayerNorm, nn.init and Module.apply/buffers,
against PyTorch where it is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from param_ids import selectable_id

from tinygrad_ae import nn
from tinygrad_ae.autograd.tensor import Tensor
from tinygrad_ae.nn import init

# float64 on both sides; normalisation divides by a computed standard deviation, so a few
# ulps of the result's scale.
TORCH_RTOL = 1e-10
TORCH_ATOL = 1e-12
# float32: a few ulps of 1.2e-7 through mean, variance and a square root.
FLOAT32_RTOL = 1e-5
FLOAT32_ATOL = 1e-6


def _torch_tensor(torch, array, requires_grad=True):
    return torch.tensor(array, requires_grad=requires_grad)


def _values_and_grads_match(torch, ours_out, ours_inputs, torch_out, torch_inputs, upstream):
    """Compare outputs, then gradients of Σ upstream · out for every input."""
    np.testing.assert_allclose(ours_out.data, torch_out.detach().numpy(), rtol=TORCH_RTOL,
                               atol=TORCH_ATOL)
    (ours_out * upstream).sum().backward()
    (torch_out * _torch_tensor(torch, upstream, False)).sum().backward()
    for k, (a, b) in enumerate(zip(ours_inputs, torch_inputs)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=TORCH_RTOL, atol=TORCH_ATOL,
                                   err_msg=f"gradient of input {k}")


BATCHNORM_CASES = {
    "2d": dict(shape=(6, 3), settings=dict()),
    "3d": dict(shape=(4, 3, 5), settings=dict(momentum=0.3, eps=1e-3)),
    "cumulative": dict(shape=(5, 3), settings=dict(momentum=None)),
    "no-affine": dict(shape=(5, 3), settings=dict(affine=False)),
    "no-running-stats": dict(shape=(5, 3, 2), settings=dict(track_running_stats=False)),
}


@pytest.mark.parametrize("case", BATCHNORM_CASES.values(), ids=BATCHNORM_CASES.keys())
def test_batchnorm_matches_pytorch_in_training_and_evaluation(case):
    torch = pytest.importorskip("torch")
    shape, settings = case["shape"], case["settings"]
    ours = nn.BatchNorm1d(3, **settings)
    theirs = torch.nn.BatchNorm1d(3, dtype=torch.float64, **settings)
    rng = np.random.default_rng(0)
    if settings.get("affine", True):
        weight, bias = rng.standard_normal(3), rng.standard_normal(3)
        ours.weight.data[...], ours.bias.data[...] = weight, bias
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(weight))
            theirs.bias.copy_(torch.tensor(bias))
    for _ in range(3):                           # training: batch statistics, running update
        x = rng.standard_normal(shape) * 3 + 1
        upstream = rng.standard_normal(shape)
        xo, xt = Tensor(x, requires_grad=True), _torch_tensor(torch, x)
        _values_and_grads_match(torch, ours(xo), [xo], theirs(xt), [xt], upstream)
        if settings.get("affine", True):
            np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(),
                                       rtol=TORCH_RTOL, atol=TORCH_ATOL)
            ours.zero_grad()
            theirs.zero_grad()
    for name, buffer in theirs.named_buffers():
        np.testing.assert_allclose(ours.state_dict()[name], buffer.numpy(), rtol=TORCH_RTOL,
                                   err_msg=name)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    xo, xt = Tensor(x, requires_grad=True), _torch_tensor(torch, x)
    _values_and_grads_match(torch, ours(xo), [xo], theirs(xt), [xt], rng.standard_normal(shape))


def test_batchnorm_eval_uses_running_stats_so_samples_are_independent():
    bn = nn.BatchNorm1d(2)
    bn(Tensor(np.random.default_rng(0).standard_normal((8, 2))))
    bn.eval()
    x = np.random.default_rng(1).standard_normal((4, 2))
    together = bn(Tensor(x)).data
    alone = np.vstack([bn(Tensor(x[i:i + 1])).data for i in range(4)])
    np.testing.assert_allclose(together, alone)
    before = bn.running_mean.data.copy()
    bn(Tensor(x))
    np.testing.assert_array_equal(bn.running_mean.data, before)   # eval leaves them alone


def test_batchnorm_state_dict_round_trips_its_buffers():
    a, b = nn.BatchNorm1d(3), nn.BatchNorm1d(3)
    a(Tensor(np.random.default_rng(0).standard_normal((5, 3))))
    assert list(a.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"]
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b.running_var.data, a.running_var.data)
    assert b.num_batches_tracked.item() == 1
    assert [p.shape for p in b.parameters()] == [(3,), (3,)]   # buffers are not parameters


def test_batchnorm_float32_stays_float32():
    bn = nn.BatchNorm1d(3, dtype=np.float32)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32),
               requires_grad=True)
    out = bn(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    assert bn.running_var.dtype == np.float32
    assert bn.eval()(x).dtype == np.float32


@pytest.mark.parametrize(("make", "x", "pattern"), [
    (lambda: nn.BatchNorm1d(3), np.ones((4, 2)), r"expects inputs of shape \(N, 3\) or "
                                                 r"\(N, 3, L\), got shape \(4, 2\)"),
    (lambda: nn.BatchNorm1d(3), np.ones((1, 3)), "more than one value per channel"),
    (lambda: nn.LayerNorm((2, 3)), np.ones((4, 3, 2)), r"last axes have shape \(2, 3\)"),
], ids=["channels", "one-sample", "layernorm-shape"])
def test_normalisation_shape_errors(make, x, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()(Tensor(x))


@pytest.mark.parametrize(("normalized_shape", "shape", "settings"), [
    (4, (3, 4), dict()),
    ((3, 4), (2, 3, 4), dict(eps=1e-3)),
    (5, (2, 5), dict(elementwise_affine=False)),
    (5, (2, 5), dict(bias=False)),
], ids=["last-axis", "two-axes", "no-affine", "no-bias"])
def test_layernorm_matches_pytorch(normalized_shape, shape, settings):
    torch = pytest.importorskip("torch")
    ours = nn.LayerNorm(normalized_shape, **settings)
    theirs = torch.nn.LayerNorm(normalized_shape, dtype=torch.float64, **settings)
    rng = np.random.default_rng(2)
    for name, p in theirs.named_parameters():
        value = rng.standard_normal(tuple(p.shape))
        dict(ours.named_parameters())[name].data[...] = value
        with torch.no_grad():
            p.copy_(torch.tensor(value))
    x = rng.standard_normal(shape) * 2 + 0.5
    xo, xt = Tensor(x, requires_grad=True), _torch_tensor(torch, x)
    _values_and_grads_match(torch, ours(xo), [xo], theirs(xt), [xt], rng.standard_normal(shape))
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(dict(ours.named_parameters())[name].grad, p.grad.numpy(),
                                   rtol=TORCH_RTOL, atol=TORCH_ATOL)
    # Same in evaluation mode: layer norm has no running state.
    np.testing.assert_allclose(ours.eval()(Tensor(x)).data, theirs.eval()(xt).detach().numpy(),
                               rtol=TORCH_RTOL, atol=TORCH_ATOL)


def test_layernorm_float32_stays_float32():
    ln = nn.LayerNorm(3, dtype=np.float32)
    out = ln(Tensor(np.arange(6, dtype=np.float32).reshape(2, 3)))
    assert out.dtype == np.float32


# --- Dropout ----------------------------------------------------------------------------
def test_dropout_keeps_and_scales_as_pytorch_does():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    out = nn.Dropout(0.3, rng=0)(x)
    values = set(np.unique(out.data).tolist())
    assert values == {0.0, 1 / 0.7}
    kept = out.data != 0
    assert abs(kept.mean() - 0.7) < 0.01          # 10,000 draws: sd of the mean ≈ 0.005
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, kept / 0.7)   # gradient: the same mask and scale


def test_dropout_obeys_train_and_eval():
    layer = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Dropout(0.5, rng=1))
    x = Tensor(np.ones((4, 3)))
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer[0](x).data)
    layer.train()
    assert (layer(x).data == 0).any()


def test_dropout_is_seeded_by_rng_or_manual_seed():
    x = Tensor(np.ones(100))
    assert np.array_equal(nn.Dropout(rng=3)(x).data, nn.Dropout(rng=3)(x).data)
    nn.manual_seed(5)
    first = nn.Dropout()(x).data
    nn.manual_seed(5)
    assert np.array_equal(nn.Dropout()(x).data, first)
    layer = nn.Dropout(rng=3)
    assert not np.array_equal(layer(x).data, layer(x).data)   # a fresh mask per call


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_edge_probabilities(p):
    x = Tensor(np.full(4, 2.0), requires_grad=True)
    out = nn.Dropout(p)(x)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, np.full(4, 2.0 * (1 - p)))
    np.testing.assert_array_equal(x.grad, np.full(4, 1 - p))


def test_dropout_keeps_float32_and_rejects_bad_p():
    assert nn.Dropout(0.5, rng=0)(Tensor(np.ones(4, dtype=np.float32))).dtype == np.float32
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\], "
                                         r"got 1.5"):
        nn.Dropout(1.5)


# --- Flatten / Unflatten ----------------------------------------------------------------
@pytest.mark.parametrize(("start", "end", "shape"), [
    (1, -1, (2, 3, 4, 5)), (0, -1, (2, 3, 4)), (1, 2, (2, 3, 4, 5)), (-3, -2, (2, 3, 4, 5)),
], ids=["default", "all", "middle", "negative"])
def test_flatten_matches_pytorch(start, end, shape):
    torch = pytest.importorskip("torch")
    x = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    xo = Tensor(x, requires_grad=True)
    out = nn.Flatten(start, end)(xo)
    expected = torch.nn.Flatten(start, end)(torch.tensor(x))
    assert out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.data, expected.numpy())
    out.sum().backward()
    assert xo.grad.shape == shape


@pytest.mark.parametrize(("dim", "size", "shape"), [
    (1, (3, 4), (2, 12)), (-1, (2, -1), (5, 6)), (0, (2, 3), (6, 2)),
], ids=["middle", "inferred", "first"])
def test_unflatten_matches_pytorch_and_inverts_flatten(dim, size, shape):
    torch = pytest.importorskip("torch")
    x = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    out = nn.Unflatten(dim, size)(Tensor(x))
    expected = torch.nn.Unflatten(dim, size)(torch.tensor(x))
    np.testing.assert_array_equal(out.data, expected.numpy())
    assert nn.Flatten(0, -1)(out).shape == (x.size,)


def test_flatten_and_unflatten_errors():
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=2, end_dim=-1\) does not fit an "
                                         r"input with 2 axes"):
        nn.Flatten(2)(Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match="at most one -1"):
        nn.Unflatten(1, (-1, -1))


# --- init -------------------------------------------------------------------------------
@pytest.mark.parametrize(("nonlinearity", "param"), [
    ("linear", None), ("sigmoid", None), ("conv2d", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
])
def test_calculate_gain_matches_pytorch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


INITIALISERS = {
    "xavier_uniform": (init.xavier_uniform_, dict(gain=2.0), "uniform",
                       lambda fi, fo: 2.0 * math.sqrt(6 / (fi + fo))),
    "xavier_normal": (init.xavier_normal_, dict(gain=0.5), "normal",
                      lambda fi, fo: 0.5 * math.sqrt(2 / (fi + fo))),
    "kaiming_uniform": (init.kaiming_uniform_, dict(), "uniform",
                        lambda fi, fo: math.sqrt(2) * math.sqrt(3 / fi)),
    "kaiming_uniform_fan_out_relu": (init.kaiming_uniform_,
                                     dict(mode="fan_out", nonlinearity="relu"), "uniform",
                                     lambda fi, fo: math.sqrt(2) * math.sqrt(3 / fo)),
    "kaiming_normal_leaky": (init.kaiming_normal_, dict(a=0.1), "normal",
                             lambda fi, fo: math.sqrt(2 / 1.01) / math.sqrt(fi)),
}


@pytest.mark.parametrize(("fill", "settings", "kind", "scale"), INITIALISERS.values(),
                         ids=INITIALISERS.keys())
@pytest.mark.parametrize("shape", [(100, 60), (32, 16, 3, 3)], ids=["linear", "conv"])
def test_initialisers_have_pytorchs_distribution(fill, settings, kind, scale, shape):
    """Draws differ from PyTorch's, so compare the law: the bound for uniforms (all inside,
    the extremes near it) and the standard deviation for normals; and PyTorch's own draws
    with the same settings must fit the same law."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    receptive = math.prod(shape[2:])
    expected = scale(shape[1] * receptive, shape[0] * receptive)
    ours = fill(Tensor(np.empty(shape), requires_grad=True), **settings, rng=0).data
    theirs = getattr(torch.nn.init, fill.__name__)(torch.empty(shape, dtype=torch.float64),
                                                   **settings).numpy()
    for draws in (ours, theirs):
        if kind == "uniform":
            assert np.abs(draws).max() <= expected
            assert np.abs(draws).max() > 0.99 * expected      # ≥ 4,608 draws reach the edge
            assert draws.std() == pytest.approx(expected / math.sqrt(3), rel=0.05)
        else:
            assert draws.std() == pytest.approx(expected, rel=0.05)   # ≥ 4,608 draws: sd ≈ 1%
        assert abs(draws.mean()) < 0.1 * expected


def test_initialisers_fill_in_place_keep_dtype_and_follow_manual_seed():
    w = Tensor(np.empty((3, 4), dtype=np.float32), requires_grad=True)
    array = w.data
    for fill in (init.xavier_uniform_, init.kaiming_normal_, init.zeros_, init.ones_):
        assert fill(w) is w and w.data is array and w.data.dtype == np.float32
    assert init.constant_(w, 0.25).data.tolist() == [[0.25] * 4] * 3
    nn.manual_seed(1)
    first = init.normal_(Tensor(np.empty(5)), std=2.0).data.copy()
    nn.manual_seed(1)
    np.testing.assert_array_equal(init.normal_(Tensor(np.empty(5)), std=2.0).data, first)
    np.testing.assert_array_equal(init.uniform_(Tensor(np.empty(5)), rng=4).data,
                                  init.uniform_(Tensor(np.empty(5)), rng=4).data)


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda: init.xavier_uniform_(Tensor(np.empty(3))), ValueError,
     r"at least 2 dimensions \(out, in, ...\), got shape \(3,\)"),
    (lambda: init.kaiming_uniform_(Tensor(np.empty((2, 2))), mode="fan"), ValueError,
     "mode must be 'fan_in' or 'fan_out'"),
    (lambda: init.calculate_gain("swish"), ValueError, "unsupported nonlinearity 'swish'"),
    (lambda: init.normal_(np.empty(2)), TypeError, "expected a Tensor"),
    (lambda: init.uniform_(Tensor(np.empty(2)), 1, 0), ValueError, "needs a <= b"),
], ids=["fans", "mode", "gain", "not-tensor", "bounds"])
def test_init_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# --- Module.apply, children, modules, buffers -------------------------------------------
def test_apply_visits_children_first_then_self():
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sequential(nn.Tanh(), nn.Dropout()))
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "Tanh", "Dropout", "Sequential", "Sequential"]
    assert [type(m).__name__ for m in model.children()] == ["Linear", "Sequential"]
    assert len(list(model.modules())) == 5


def test_apply_initialises_like_pytorch_users_write_it():
    def reset(module):
        if isinstance(module, nn.Linear):
            init.xavier_uniform_(module.weight, rng=0)
            init.zeros_(module.bias)
    model = nn.Sequential(nn.Linear(4, 3, rng=1), nn.ReLU(), nn.Linear(3, 2, rng=1))
    model.apply(reset)
    assert not model[0].bias.data.any() and not model[2].bias.data.any()


def test_buffers_are_saved_and_loaded_but_not_trained(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3, rng=0), nn.BatchNorm1d(3))
    model(Tensor(np.random.default_rng(0).standard_normal((6, 3))))
    assert [name for name, _ in model.named_buffers()] == [
        "1.running_mean", "1.running_var", "1.num_batches_tracked"]
    assert len(model.parameters()) == 4
    path = model.save(tmp_path / "model.npz")
    fresh = nn.Sequential(nn.Linear(3, 3, rng=1), nn.BatchNorm1d(3)).load(path)
    np.testing.assert_array_equal(fresh[1].running_mean.data, model[1].running_mean.data)
    with pytest.raises(nn.StateDictError, match="missing key '1.running_var'"):
        fresh.load_state_dict({k: v for k, v in model.state_dict().items()
                               if k != "1.running_var"})


def test_register_buffer_errors():
    m = nn.Module()
    m.thing = 3
    with pytest.raises(ValueError, match="already has an attribute 'thing'"):
        m.register_buffer("thing", np.zeros(1))
    with pytest.raises(ValueError, match="requires grad, so it would be a parameter"):
        m.register_buffer("w", Tensor(1.0, requires_grad=True))


def test_module_zero_grad_can_fill_zeros():
    layer = nn.Linear(2, 1, rng=0)
    layer(Tensor([[1.0, 2.0]])).sum().backward()
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is not None and not layer.weight.grad.any()


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda: nn.BatchNorm1d(0), ValueError, "BatchNorm1d: num_features must be a positive "
                                            "integer, got 0"),
    (lambda: nn.BatchNorm1d(3, eps=0), ValueError, "BatchNorm1d: eps must be > 0"),
    (lambda: nn.BatchNorm1d(3, momentum=1.5), ValueError,
     r"momentum must be in \[0, 1\] or None"),
    (lambda: nn.LayerNorm(()), ValueError, "normalized_shape must name at least one axis"),
    (lambda: nn.LayerNorm(3, eps=-1), ValueError, "LayerNorm: eps must be > 0"),
    (lambda: nn.Unflatten(3, (2, 2))(Tensor(np.ones((2, 4)))), ValueError,
     r"dim 3 is out of range for an input of shape \(2, 4\)"),
    (lambda: nn.Unflatten(1, (3, -1))(Tensor(np.ones((2, 4)))), ValueError,
     r"axis 1 of the input has size 4, which cannot be split into \(3, -1\)"),
    (lambda: init.kaiming_normal_(Tensor(np.empty((0, 3))), mode="fan_out"), ValueError,
     r"cannot initialise a tensor with a zero fan_out \(shape \(0, 3\)\)"),
    (lambda: init.normal_(Tensor(np.empty(2)), std=-1), ValueError, "std must be >= 0"),
    (lambda: init.calculate_gain("leaky_relu", "steep"), ValueError,
     "the leaky_relu slope must be a number"),
    (lambda: nn.Module().register_buffer("not a name", np.zeros(1)), ValueError,
     "the name must be an identifier"),
    (lambda: nn.dropout(Tensor(np.ones(2)), p=-0.1), ValueError,
     r"dropout: p must be a probability in \[0, 1\]"),
], ids=selectable_id)
def test_more_errors_in_the_users_terms(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_init_refuses_integer_tensors_by_name():
    t = Tensor(np.zeros(2))
    t.data = np.zeros(2, dtype=np.int64)            # only reachable by assigning .data
    with pytest.raises(TypeError, match="zeros_: can only fill floating-point tensors"):
        init.zeros_(t)
