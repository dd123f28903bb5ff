"""Module's state and files at the edges: the exact wording of load errors (path, model
type, problem count, the list of keys only when keys are missing or unexpected), a
non-strict load that skips a missing key and still loads the rest, buffers under a
prefix, and modules called on plain arrays."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_ae import nn
from tinygrad_ae.autograd.tensor import Tensor


def test_forward_left_undefined_names_the_module_class():
    class Encoder(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match=r"^Encoder must define forward\(\.\.\.\)$"):
        Encoder()(Tensor([1.0]))


def test_one_problem_is_counted_in_the_singular_and_no_key_list_without_key_problems():
    expected = ("load_state_dict: 1 problem, the model is unchanged:\n"
                "  - 'bias': shape mismatch, the state dict has shape (5,) but the model's "
                "parameter has shape (2,)")
    with pytest.raises(nn.StateDictError, match=f"^{re.escape(expected)}$"):
        nn.Linear(3, 2, rng=0).load_state_dict({"weight": np.zeros((2, 3)), "bias": np.zeros(5)})


def test_a_model_without_state_lists_its_keys_as_none():
    expected = ("load_state_dict: 1 problem, the model is unchanged:\n"
                "  - unexpected key 'a'\n"
                "  the model's keys are: (none)")
    with pytest.raises(nn.StateDictError, match=f"^{re.escape(expected)}$"):
        nn.Tanh().load_state_dict({"a": np.zeros(1)})


def test_a_value_numpy_cannot_read_is_named_with_its_type():
    ragged = [[1.0], [1.0, 2.0]]
    with pytest.raises(nn.StateDictError, match=r"  - 'weight': cannot be read as an array "
                                                r"\(list\)$"):
        nn.Linear(2, 2, rng=0).load_state_dict({"weight": ragged, "bias": np.zeros(2)})


def test_non_strict_load_skips_a_missing_key_and_loads_the_ones_after_it():
    model = nn.Linear(2, 2, rng=0)
    weight = model.weight.data.copy()
    skipped = model.load_state_dict({"bias": np.array([5.0, 6.0])}, strict=False)
    assert skipped == (["weight"], [])
    assert model.bias.data.tolist() == [5.0, 6.0]
    np.testing.assert_array_equal(model.weight.data, weight)


def test_named_buffers_take_a_prefix_and_skip_a_deleted_buffer():
    model = nn.Sequential(nn.BatchNorm1d(2))
    assert [name for name, _ in model.named_buffers("net")] == [
        "net.0.running_mean", "net.0.running_var", "net.0.num_batches_tracked"]
    holder = nn.Module()
    holder.register_buffer("count", np.zeros(1))
    del holder.count
    assert list(holder.named_buffers()) == []


@pytest.mark.parametrize("make", [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.Flatten],
                         ids=lambda make: make.__name__)
def test_modules_accept_numpy_arrays(make):
    x = np.array([[-1.0, 0.5]])
    np.testing.assert_array_equal(make()(x).data, make()(Tensor(x)).data)


def _saved(tmp_path, **arrays):
    path = tmp_path / "model.npz"
    np.savez(path, **arrays)
    return path


def test_load_of_a_folder_names_the_folder(tmp_path):
    expected = f"load: {str(tmp_path)!r} is a folder, not a file saved by Module.save"
    with pytest.raises(nn.ModelFileError, match=f"^{re.escape(expected)}$"):
        nn.Linear(2, 1, rng=0).load(tmp_path)


def test_load_lists_the_models_keys_when_a_key_is_missing(tmp_path):
    path = _saved(tmp_path, weight=np.ones((1, 2)))
    with pytest.raises(nn.ModelFileError, match=r"missing key 'bias'.*\n  the model's keys are: "
                                                r"weight, bias$") as caught:
        nn.Linear(2, 1, rng=0).load(path)
    assert str(caught.value).startswith(f"load: {str(path)!r} does not fit this Linear: ")


def test_load_of_values_the_headers_cannot_show_names_the_path_and_the_model(tmp_path):
    path = _saved(tmp_path, weight=np.array([[np.nan, 1.0]]), bias=np.ones(1))
    with pytest.raises(nn.ModelFileError) as caught:
        nn.Linear(2, 1, rng=0).load(path)
    message = str(caught.value)
    assert message.startswith(f"load: {str(path)!r} does not fit this Linear: load_state_dict: "
                              f"1 problem")
    assert "'weight': 1 of 2 values are NaN or infinite" in message


def test_load_of_a_member_damaged_after_its_header_names_the_array_and_the_path(tmp_path):
    # a member long enough that reading its header does not reach its end (and its CRC)
    path = _saved(tmp_path, weight=np.ones((1, 4096)), bias=np.ones(1))
    raw = bytearray(path.read_bytes())
    start = raw.index(b"\x93NUMPY")                      # the first member's .npy header
    header_length = int.from_bytes(raw[start + 8:start + 10], "little")
    raw[start + 10 + header_length + 8 * 4096 - 1] ^= 0xFF   # its last data byte
    path.write_bytes(bytes(raw))
    with pytest.raises(nn.ModelFileError, match=r"^load: cannot read the array '(weight|bias)' "
                                                + re.escape(f"from {str(path)!r}; the file may "
                                                            f"be corrupt (BadZipFile: ")):
        nn.Linear(4096, 1, rng=0).load(path)


def test_a_child_held_under_two_names_is_one_child():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Tanh()
            self.second = self.first

    assert [name for name, _ in Twice().named_children()] == ["first"]


def test_parameters_are_named_by_their_path_renamed_when_nested_and_a_users_name_stays():
    layer = nn.Linear(2, 1, rng=0)
    assert (layer.weight.name, layer.bias.name) == ("weight", "bias")
    nn.Sequential(nn.Tanh(), layer)
    assert (layer.weight.name, layer.bias.name) == ("1.weight", "1.bias")
    gain = Tensor(1.0, requires_grad=True)
    gain.name = "gain"                                  # the user's choice, before assignment
    holder = nn.Module()
    holder.scale, holder.gain = Tensor(1.0, requires_grad=True), gain
    assert (holder.scale.name, holder.gain.name) == ("scale", "gain")


def test_a_name_the_user_sets_after_automatic_naming_is_kept_when_nested():
    # It was overwritten: "1.bias", because the tensor had been named automatically once.
    layer = nn.Linear(2, 1, rng=0)
    layer.bias.name = "offset"
    nn.Sequential(nn.Tanh(), layer)
    assert layer.bias.name == "offset"
    assert layer.weight.name == "1.weight"   # the automatic name still follows the path
