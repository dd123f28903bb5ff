"""Tests of tinygrad_ae.models: the autoencoders against their equations, and fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tolerances import CLOSED_FORM_RTOL, FD_ATOL, FD_EPS, FD_RTOL

from tinygrad_ae import closed_form, models, nn, optim, strategies
from tinygrad_ae.autograd.engine import grad, topological_order
from tinygrad_ae.autograd.gradcheck import gradcheck
from tinygrad_ae.autograd.tensor import STATE, Tensor
from tinygrad_ae.data import load_array

# The paper's equations evaluated in numpy in the same order as the model: a few ulps.
EQUATION_RTOL = 1e-12
EQUATION_ATOL = 1e-12
# Closed-form gradients sum N terms in another order: scale the absolute part by the size
# of those terms (see P1 in docs/theory.md#test-tolerances), the relative part is
# tolerances.CLOSED_FORM_RTOL.
CLOSED_FORM_ATOL_PER_TERM = 1e-12

PARAM_NAMES = ("w1", "w2", "b1", "w3", "w4", "b2", "b3")
_samples = st.integers(1, 12)


def _correlated_data(n: int = 200, seed: int = 0) -> np.ndarray:
    """A tilted 2-D Gaussian cloud (variances 4 and 1 along ±30°), drawn with numpy alone."""
    angle = np.pi / 6
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    z = np.random.default_rng(seed).standard_normal((n, 2)) * [2.0, 1.0]
    return z @ rotation.T + [1.0, -0.5]


def _paper_equations(p: dict[str, float], X: np.ndarray) -> tuple[np.ndarray, ...]:
    """h, x̂1, x̂2 and L straight from the paper, in numpy."""
    x1, x2 = X[:, 0], X[:, 1]
    h = p["w1"] * x1 + p["w2"] * x2 + p["b1"]
    x_hat1 = p["w3"] * h + p["b2"]
    x_hat2 = p["w4"] * h + p["b3"]
    loss = np.sum((x1 - x_hat1) ** 2 + (x2 - x_hat2) ** 2) / len(X)
    return h, x_hat1, x_hat2, loss


def _state(model: nn.Module) -> dict[str, np.ndarray]:
    return model.state_dict()


def _assert_same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert list(a) == list(b)
    for key in a:
        assert a[key].tobytes() == b[key].tobytes(), key


# --- Autoencoder, LinearAutoencoder, mlp_autoencoder -----------------------------------

def test_autoencoder_names_its_parts_and_composes_them():
    encoder, decoder = nn.Linear(3, 2, rng=0), nn.Linear(2, 3, rng=1)
    model = models.Autoencoder(encoder, decoder)
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert [name for name, _ in model.named_parameters()] == [
        "encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"]
    np.testing.assert_array_equal(model.encode(x).data, encoder(x).data)
    np.testing.assert_array_equal(model(x).data, decoder(encoder(x)).data)
    np.testing.assert_array_equal(model.decode(np.ones((4, 2))).data, decoder(np.ones((4, 2))).data)
    with pytest.raises(TypeError, match="decoder must be an nn.Module .* got function"):
        models.Autoencoder(encoder, lambda z: z)  # type: ignore[arg-type]


@given(params=strategies.linear_ae_params(3, 2), n=_samples, data=st.data())
def test_linear_autoencoder_is_the_affine_formula(params, n, data):
    X = data.draw(strategies.arrays((n, 3)))
    model = models.LinearAutoencoder(3, 2)
    model.load_state_dict({"encoder.weight": params["W_e"], "encoder.bias": params["b_e"],
                           "decoder.weight": params["W_d"], "decoder.bias": params["b_d"]})
    expected = (X @ params["W_e"].T + params["b_e"]) @ params["W_d"].T + params["b_d"]
    np.testing.assert_allclose(model(X).data, expected, rtol=EQUATION_RTOL, atol=EQUATION_ATOL)


def test_linear_autoencoder_layout_and_options():
    model = models.LinearAutoencoder(5, 2, rng=0)
    assert model.W_e is model.encoder.weight and model.W_e.shape == (2, 5)
    assert model.W_d is model.decoder.weight and model.W_d.shape == (5, 2)
    assert model.b_e.shape == (2,) and model.b_d.shape == (5,)
    no_bias = models.LinearAutoencoder(5, 2, bias=False, rng=0)
    assert no_bias.b_e is None and [n for n, _ in no_bias.named_parameters()] == [
        "encoder.weight", "decoder.weight"]
    _assert_same_state(_state(models.LinearAutoencoder(5, 2, rng=3)),
                       _state(models.LinearAutoencoder(5, 2, rng=3)))
    with pytest.raises(ValueError, match="n_components must be a positive integer, got 0"):
        models.LinearAutoencoder(5, 0)


def test_mlp_autoencoder_mirrors_the_sizes_without_activation_on_the_code():
    model = models.mlp_autoencoder([64, 32, 8], rng=0)
    assert [type(m).__name__ for m in model.encoder] == ["Linear", "Tanh", "Linear"]
    assert [type(m).__name__ for m in model.decoder] == ["Linear", "Tanh", "Linear"]
    widths = [(m.in_features, m.out_features) for m in [*model.encoder, *model.decoder]
              if isinstance(m, nn.Linear)]
    assert widths == [(64, 32), (32, 8), (8, 32), (32, 64)]
    assert model.encode(np.zeros((3, 64))).shape == (3, 8)
    assert model(np.zeros((3, 64))).shape == (3, 64)


@pytest.mark.parametrize(("sizes", "activation", "final", "expected"), [
    ([4, 2], "tanh", None, (["Linear"], ["Linear"])),
    ([4, 3, 2, 1], "relu", None, (["Linear", "ReLU", "Linear", "ReLU", "Linear"],) * 2),
    ([4, 2], None, "sigmoid", (["Linear"], ["Linear", "Sigmoid"])),
    ([4, 3, 2], None, None, (["Linear", "Linear"],) * 2),
    ([4, 3, 2], "identity", "tanh", (["Linear", "Identity", "Linear"],
                                    ["Linear", "Identity", "Linear", "Tanh"])),
], ids=["no_hidden", "deep_relu", "final_sigmoid", "no_activation", "identity"])
def test_mlp_autoencoder_layer_structure(sizes, activation, final, expected):
    model = models.mlp_autoencoder(sizes, activation=activation, final_activation=final, rng=0)
    assert ([type(m).__name__ for m in model.encoder],
            [type(m).__name__ for m in model.decoder]) == expected


@pytest.mark.parametrize(("kwargs", "error", "pattern"), [
    (dict(sizes=[64]), ValueError, r"at least two layer widths.*got \[64\]"),
    (dict(sizes=[64, 0]), ValueError, r"sizes\[1\] must be a positive integer, got 0"),
    (dict(sizes="64,8"), TypeError, "sizes must be a list of layer widths"),
    (dict(sizes=[4, 2], activation="gelu"), ValueError,
     "activation must be one of 'tanh', 'relu', 'sigmoid', 'identity' or None, got 'gelu'"),
    (dict(sizes=[4, 2], final_activation="softmax"), ValueError,
     "final_activation must be one of"),
])
def test_mlp_autoencoder_errors(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        models.mlp_autoencoder(**kwargs)


def test_scopes_of_an_mlp_autoencoder():
    model = models.mlp_autoencoder([4, 3, 2], rng=0)
    x = np.ones((5, 4))
    loss = nn.mse_loss(model(x), x)
    layer_scopes = {t.scope for t in topological_order(loss) if t.op_name == "linear"}
    assert layer_scopes == {"encoder.0", "encoder.2", "decoder.0", "decoder.2"}
    assert {t.scope for t in topological_order(loss) if t.op_name == "tanh"} == {
        "encoder.1", "decoder.1"}
    assert model.decoder[0].weight.scope == "decoder.0"
    assert STATE.scope == ""


# --- PaperAutoencoder ----------------------------------------------------------------------

@given(params=strategies.paper_params(scale=3.0), n=_samples, data=st.data())
def test_paper_autoencoder_is_the_papers_equations(params, n, data):
    X = data.draw(strategies.arrays((n, 2), scale=10.0))
    model = models.PaperAutoencoder(**params)
    h, x_hat1, x_hat2, loss = _paper_equations(params, X)
    out = model(X)
    assert out.shape == (n, 2)
    np.testing.assert_allclose(out.data[:, 0], x_hat1, rtol=EQUATION_RTOL, atol=EQUATION_ATOL)
    np.testing.assert_allclose(out.data[:, 1], x_hat2, rtol=EQUATION_RTOL, atol=EQUATION_ATOL)
    assert model.loss(X).item() == pytest.approx(loss, rel=EQUATION_RTOL, abs=EQUATION_ATOL)
    assert nn.mse_loss(out, X).item() == pytest.approx(loss, rel=EQUATION_RTOL,
                                                        abs=EQUATION_ATOL)
    assert model.as_params() == {name: params[name] for name in PARAM_NAMES}


def test_paper_autoencoder_parameters_are_named_scalars_in_paper_order():
    model = models.PaperAutoencoder(seed=0)
    named = list(model.named_parameters())
    assert [name for name, _ in named] == list(PARAM_NAMES)
    assert all(p.name == name and p.shape == () for name, p in named)
    assert list(model.as_params()) == list(PARAM_NAMES)


def test_paper_autoencoder_random_init_is_seeded_and_uses_linear_bounds():
    _assert_same_state(_state(models.PaperAutoencoder(seed=4)),
                       _state(models.PaperAutoencoder(seed=4)))
    values = np.array([list(models.PaperAutoencoder(seed=s).as_params().values())
                       for s in range(200)])
    bounds = np.array([1 / math.sqrt(2)] * 3 + [1.0] * 4)   # Linear(2, 1), then Linear(1, 2)
    assert np.all(np.abs(values) <= bounds)
    assert np.all(np.abs(values).max(axis=0) > 0.9 * bounds)
    # A given value replaces its own draw and leaves the others as they were.
    partial = models.PaperAutoencoder(w3=5.0, seed=4).as_params()
    full = models.PaperAutoencoder(seed=4).as_params()
    assert partial["w3"] == 5.0 and all(partial[k] == full[k] for k in full if k != "w3")


def test_paper_graph_reads_like_the_paper():
    model = models.PaperAutoencoder(0.5, -0.2, 0.8, -0.6, 0.3, 0.2, -0.1)
    loss = model.loss(np.array([[1.0, 2.0], [0.5, -1.0]]))
    tensors = {t.name: t for t in topological_order(loss) if t.name}
    assert set(tensors) == {"x1", "x2", "h", "x̂1", "x̂2", "r1", "r2", "L", *PARAM_NAMES}
    scopes = {name: t.scope for name, t in tensors.items()}
    assert {scopes[n] for n in ("w1", "w2", "b1", "h")} == {"encoder"}
    assert {scopes[n] for n in ("w3", "w4", "b2", "b3", "x̂1", "x̂2")} == {"decoder"}
    assert scopes["L"] == "" and scopes["x1"] == ""
    # h's op and its inputs are what the paper writes: w1·x1 + w2·x2 + b1
    h = tensors["h"]
    assert h.op_name == "add" and h.parents[1] is model.b1
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    assert loss.item() == pytest.approx(_paper_equations(model.as_params(), X)[3],
                                        rel=EQUATION_RTOL)


def test_paper_scopes_follow_the_model_when_nested():
    holder = models.Autoencoder(models.PaperAutoencoder(seed=0), nn.Identity())
    loss = nn.mse_loss(holder(np.ones((3, 2))), np.ones((3, 2)))
    names = {t.name: t.scope for t in topological_order(loss) if t.name}
    assert names["h"] == "encoder.encoder" and names["w3"] == "encoder.decoder"


@pytest.mark.parametrize(("kwargs", "pattern"), [
    (dict(w1=float("nan")), "w1 must be finite, got nan"),
    (dict(b2=[1.0, 2.0]), r"b2 must be a single real number, got \[1.0, 2.0\]"),
    (dict(w4="big"), "w4 must be a single real number"),
])
def test_paper_autoencoder_rejects_bad_parameters(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        models.PaperAutoencoder(**kwargs)


@pytest.mark.parametrize("shape", [(5, 3), (2,), (0, 2)])
def test_paper_autoencoder_rejects_inputs_of_the_wrong_shape(shape):
    model = models.PaperAutoencoder(seed=0)
    with pytest.raises(ValueError, match=r"expects x of shape \(n_samples, 2\).*got shape"):
        model(np.ones(shape))
    with pytest.raises(ValueError, match=r"PaperAutoencoder.loss expects x of shape"):
        model.loss(np.ones(shape))


# --- gradients -----------------------------------------------------------------------------

@given(params=strategies.paper_params(), n=_samples, data=st.data())
def test_paper_loss_gradients_match_closed_form_and_central_differences(params, n, data):
    X = data.draw(strategies.arrays((n, 2)))
    model = models.PaperAutoencoder(**params)
    leaves = [getattr(model, name) for name in PARAM_NAMES]
    engine = dict(zip(PARAM_NAMES, (g.item() for g in grad(model.loss(X), leaves))))
    exact = closed_form.paper_partials(params, X)
    h, x_hat1, x_hat2, _ = _paper_equations(params, X)
    term_scale = (1 + np.abs(X).max()) * (1 + np.abs(h).max()) * (
        1 + np.abs(X[:, 0] - x_hat1).max() + np.abs(X[:, 1] - x_hat2).max()) * 10
    for name in PARAM_NAMES:
        assert engine[name] == pytest.approx(
            exact[name], rel=CLOSED_FORM_RTOL, abs=CLOSED_FORM_ATOL_PER_TERM * term_scale), name

    def loss_of(*values: Tensor) -> Tensor:
        for name, value in zip(PARAM_NAMES, values):
            setattr(model, name, value)
        return model.loss(X)

    assert gradcheck(loss_of, [Tensor(params[name]) for name in PARAM_NAMES],
                     eps=FD_EPS, atol=FD_ATOL, rtol=FD_RTOL)


@given(params=strategies.linear_ae_params(3, 2), n=_samples, data=st.data())
def test_linear_autoencoder_gradients_match_closed_form_and_central_differences(
        params, n, data):
    X = data.draw(strategies.arrays((n, 3)))
    model = models.LinearAutoencoder(3, 2)
    model.load_state_dict({"encoder.weight": params["W_e"], "encoder.bias": params["b_e"],
                           "decoder.weight": params["W_d"], "decoder.bias": params["b_d"]})
    nn.mse_loss(model(X), X).backward()
    exact = closed_form.linear_ae_grads(params["W_e"], params["b_e"], params["W_d"],
                                        params["b_d"], X)
    for key, p in (("W_e", model.W_e), ("b_e", model.b_e), ("W_d", model.W_d),
                   ("b_d", model.b_d)):
        np.testing.assert_allclose(p.grad, exact[key], rtol=CLOSED_FORM_RTOL, atol=1e-10,
                                   err_msg=key)

    def loss_of(W_e: Tensor, b_e: Tensor, W_d: Tensor, b_d: Tensor) -> Tensor:
        model.encoder.weight, model.encoder.bias = W_e, b_e
        model.decoder.weight, model.decoder.bias = W_d, b_d
        return nn.mse_loss(model(X), X)

    assert gradcheck(loss_of, [Tensor(params[k]) for k in ("W_e", "b_e", "W_d", "b_d")],
                     eps=FD_EPS, atol=FD_ATOL, rtol=FD_RTOL)


# --- fit -----------------------------------------------------------------------------------

def test_full_batch_gradient_descent_decreases_the_loss_monotonically():
    X = _correlated_data()
    model = models.LinearAutoencoder(2, 1, rng=0)
    history = models.fit(model, X, epochs=150, lr=0.01, progress=False)
    losses = np.array(history["loss"])
    assert len(losses) == 150 and history.epochs_run == 150 and not history.stopped_early
    assert np.all(np.diff(losses) < 0)
    # Each entry is the loss of the parameters before that epoch's step: the first is the
    # loss of the initial model.
    initial = models.LinearAutoencoder(2, 1, rng=0)
    assert losses[0] == pytest.approx(nn.mse_loss(initial(X), X).item(), rel=EQUATION_RTOL)
    assert "trained for 150 epochs" in history.message


def test_long_training_reaches_the_pca_bound():
    X = _correlated_data(100, seed=1)
    centred = X - X.mean(axis=0)
    bound = np.linalg.eigvalsh(centred.T @ centred / len(X))[0]   # the discarded eigenvalue
    model = models.LinearAutoencoder(2, 1, rng=2)
    models.fit(model, X, epochs=600, lr=0.05, progress=False)
    assert nn.mse_loss(model(X), X).item() == pytest.approx(bound, rel=1e-4)


def test_a_huge_learning_rate_raises_training_diverged_and_restores_parameters():
    X = _correlated_data()
    model = models.LinearAutoencoder(2, 1, rng=0)
    states = [_state(model)]                     # θ_0, then θ_e after each epoch's step

    def record(epoch, loss, model):
        states.append(_state(model))

    with pytest.raises(models.TrainingDiverged) as caught:
        models.fit(model, X, epochs=100, lr=50.0, callbacks=[record], progress=False)
    error = caught.value
    assert isinstance(error, RuntimeError)
    assert f"training diverged at epoch {error.epoch}" in str(error)
    assert "smaller learning rate (now 50)" in str(error)
    assert "parameters restored from the last finite step" in error.message
    assert error.lr == 50.0 and not math.isfinite(error.loss)
    assert error.history.epochs_run == error.epoch - 1 and error.history.stopped_early

    restored = _state(model)
    assert all(np.isfinite(v).all() for v in restored.values())
    with np.errstate(over="ignore", invalid="ignore"):
        finite = [s for s in states if math.isfinite(_linear_ae_loss(s, X))]
    _assert_same_state(restored, finite[-1])     # the last parameters with a finite loss


def _linear_ae_loss(state: dict[str, np.ndarray], X: np.ndarray) -> float:
    x_hat = ((X @ state["encoder.weight"].T + state["encoder.bias"]) @ state["decoder.weight"].T
             + state["decoder.bias"])
    return float(np.sum((X - x_hat) ** 2) / len(X))


def test_non_finite_loss_at_the_start_changes_nothing():
    model = models.LinearAutoencoder(2, 1, rng=0)
    before = _state(model)
    with pytest.raises(models.TrainingDiverged, match="at the initial parameters"):
        models.fit(model, np.full((4, 2), 1e200), epochs=3, progress=False)
    _assert_same_state(_state(model), before)


@pytest.mark.parametrize(("batch_size", "optimizer"), [(1, "sgd"), (16, "sgd"), (16, "adam"),
                                                       (7, None)])
def test_online_and_minibatch_training_reduce_the_loss(batch_size, optimizer):
    X = _correlated_data(60)
    model = models.LinearAutoencoder(2, 1, rng=0)
    lr = 0.01 if optimizer != "adam" else 0.05
    history = models.fit(model, X, epochs=8, batch_size=batch_size, optimizer=optimizer,
                         lr=lr, seed=0, progress=False)
    assert history["loss"][-1] < 0.7 * history["loss"][0]


def test_fit_accepts_an_optimizer_instance():
    X = _correlated_data(50)
    model = models.mlp_autoencoder([2, 3, 1], rng=0)
    opt = optim.Adam(model.parameters(), lr=0.02)
    history = models.fit(model, X, epochs=20, optimizer=opt, batch_size=10, progress=False)
    assert history["loss"][-1] < history["loss"][0]


def test_the_same_seed_gives_the_same_run():
    X = _correlated_data(40)
    runs = [models.fit(models.LinearAutoencoder(2, 1, rng=0), X, epochs=3, batch_size=8,
                       seed=seed, progress=False)["loss"] for seed in (5, 5, 6)]
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_fit_on_a_memmap(tmp_path):
    X = _correlated_data(64)
    np.save(tmp_path / "X.npy", X)
    on_disk = load_array(tmp_path / "X.npy")
    assert isinstance(on_disk, np.memmap)
    model = models.LinearAutoencoder(2, 1, rng=0)
    history = models.fit(model, on_disk, epochs=5, batch_size=16, seed=0, progress=False)
    assert history["loss"][-1] < history["loss"][0]


class _RowReader:
    """A sliceable X that remembers how many rows each read asked for (like an h5py set)."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array
        self.shape = array.shape
        self.reads: list[int] = []

    def __getitem__(self, index):
        rows = self._array[index]
        self.reads.append(len(rows))
        return rows


def test_fit_reads_only_one_batch_of_rows_at_a_time():
    reader = _RowReader(_correlated_data(50))
    models.fit(models.LinearAutoencoder(2, 1, rng=0), reader, epochs=2, batch_size=8,
               progress=False)
    assert max(reader.reads) == 8 and sum(reader.reads) == 2 * 50


def test_callbacks_see_every_epoch_record_values_and_can_stop():
    X = _correlated_data(30)
    seen = []

    def watch(epoch, loss, model):
        seen.append((epoch, loss, model))
        if epoch % 2 == 0:
            return {"w_d": float(model.W_d.data[0, 0]), "even": True}
        return None

    def stopper(epoch, loss, model):
        return "stop" if epoch == 5 else None

    model = models.LinearAutoencoder(2, 1, rng=0)
    history = models.fit(model, X, epochs=10, lr=0.01, callbacks=[watch, stopper],
                         progress=False)
    assert [e for e, _, _ in seen] == [1, 2, 3, 4, 5]
    assert [loss for _, loss, _ in seen] == history["loss"]
    assert all(m is model for _, _, m in seen)
    assert history["even"] == [None, True, None, True, None]
    assert history["w_d"][1] is not None and history["w_d"][0] is None
    assert history.stopped_early and history.epochs_run == 5
    assert "stopped early at epoch 5 of 10 by stopper" in history.message


def test_a_callback_may_raise_stop_iteration_and_a_single_callable_is_accepted():
    def patience(epoch, loss, model):
        if epoch == 2:
            raise StopIteration("loss plateaued")

    history = models.fit(models.LinearAutoencoder(2, 1, rng=0), _correlated_data(20),
                         epochs=9, callbacks=patience, progress=False)
    assert history.epochs_run == 2 and "patience: loss plateaued" in history.message


@pytest.mark.parametrize(("result", "error", "pattern"), [
    (True, TypeError, "returned True; return None, a dict of values to record, or 'stop'"),
    ({"loss": 1.0}, ValueError, "returned the key 'loss'"),
])
def test_callback_results_are_checked(result, error, pattern):
    with pytest.raises(error, match=pattern):
        models.fit(models.LinearAutoencoder(2, 1, rng=0), _correlated_data(20), epochs=2,
                   callbacks=[lambda e, l, m: result], progress=False)


def test_history_is_a_mapping_with_a_helpful_key_error():
    history = models.fit(models.LinearAutoencoder(2, 1, rng=0), _correlated_data(10),
                         epochs=2, progress=False)
    assert list(history) == ["loss"] and dict(history)["loss"] == history["loss"]
    assert history.final_loss == history["loss"][-1]
    with pytest.raises(KeyError, match="history has no 'lr'; recorded: loss"):
        history["lr"]
    assert repr(history).startswith("History(epochs_run=2, final_loss=")


def test_progress_false_prints_nothing_and_true_shows_the_loss(capsys):
    X = _correlated_data(20)
    models.fit(models.LinearAutoencoder(2, 1, rng=0), X, epochs=3, progress=False)
    assert capsys.readouterr() == ("", "")
    models.fit(models.LinearAutoencoder(2, 1, rng=0), X, epochs=3, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "loss=" in captured.err and "3/3" in captured.err


def test_other_losses():
    X = _correlated_data(20)
    for loss in ("mean", "sum", lambda x_hat, x: ((x_hat - x) ** 2).mean()):
        history = models.fit(models.LinearAutoencoder(2, 1, rng=0), X, epochs=3, lr=0.001,
                             loss=loss, progress=False)
        assert history["loss"][-1] < history["loss"][0]


_ONE_ROW_MODEL = models.LinearAutoencoder(2, 1, rng=0)


@pytest.mark.parametrize(("kwargs", "error", "pattern"), [
    (dict(epochs=0), ValueError, "epochs must be a positive integer, got 0"),
    (dict(epochs=2.5), ValueError, "epochs must be a positive integer"),
    (dict(lr=0.0), ValueError, "lr must be a positive number, got 0.0"),
    (dict(lr=-1), ValueError, "lr must be a positive number"),
    (dict(batch_size=11), ValueError,
     r"batch_size must be None \(full batch\) or an integer from 1 to the number of "
     r"samples \(10\), got 11"),
    (dict(batch_size=0), ValueError, "batch_size must be None"),
    (dict(optimizer="adamw"), ValueError, "optimizer must be 'sgd' or 'adam'.*got 'adamw'"),
    (dict(optimizer=optim.SGD(_ONE_ROW_MODEL.parameters(), lr=0.1), lr=0.5), ValueError,
     "the optimizer already has its learning rate"),
    (dict(optimizer=optim.SGD(models.LinearAutoencoder(2, 1).parameters(), lr=0.1)),
     ValueError, "the optimizer holds none of the model's parameters"),
    (dict(loss="l1"), ValueError, "loss must be one of 'paper', 'mean', 'sum'"),
    (dict(callbacks=[3]), TypeError, r"callbacks\[0\] is a int, not a function"),
    (dict(X=np.ones(10)), ValueError, r"X must be 2-D.*got shape \(10,\)"),
    (dict(X=np.array([[1.0, np.nan]] * 10)), ValueError, "X contains NaN or infinity"),
    (dict(X=np.array([[1.0, np.inf]] * 10), batch_size=2), ValueError,
     "X contains NaN or infinity"),
    (dict(model=lambda x: x), TypeError, "model must be an nn.Module, got function"),
])
def test_fit_rejects_bad_arguments_before_training(kwargs, error, pattern):
    arguments = dict(model=_ONE_ROW_MODEL, X=np.ones((10, 2)), epochs=3, progress=False)
    arguments.update(kwargs)
    before = _state(_ONE_ROW_MODEL)
    with pytest.raises(error, match=pattern):
        models.fit(**arguments)
    _assert_same_state(_state(_ONE_ROW_MODEL), before)


def test_paper_autoencoder_keeps_float32():
    PaperAutoencoder = models.PaperAutoencoder
    model = PaperAutoencoder(w1=0.5, w2=-0.2, w3=0.8, w4=-0.6, b1=0.3, b2=0.2, b3=-0.1)
    for name in PaperAutoencoder.PARAM_NAMES:
        setattr(model, name, Tensor(np.float32(getattr(model, name).data), requires_grad=True,
                                    name=name))
    x = np.ones((3, 2), dtype=np.float32)
    assert model(x).dtype == np.float32 and model.loss(x).dtype == np.float32
