"""Models saved by ``tinygrad-ae train --save``: the weights (``.npz``) and the
architecture (``.json``) written as one unit, and read back checked field by field.

Layer: models; imports ``nn``, the autoencoders and ``_files``.

The ``.json`` records the architecture (the ``train`` spec) and the SHA-256 of the
``.npz`` it belongs with. Loading checks the ``.json`` field by field, that the two belong
together, and the parameter count against the array headers of the ``.npz``, all before a
model is built; a malformed or hostile pair costs nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_ae._files import (
    clean_leftovers,
    folder_lock,
    sha256_of,
    write_together,
)
from tinygrad_ae.nn import manual_seed
from tinygrad_ae.nn.module import ModelFileError, npz_headers

from .autoencoders import LinearAutoencoder, mlp_autoencoder

__all__ = ["SavedModelError", "MODEL_FORMAT", "build_model", "parameter_count",
           "is_model_json", "is_saved_model", "save_trained", "load_trained"]

MODEL_FORMAT = "tinygrad-ae model"
"""The ``format`` of an architecture file."""


class SavedModelError(ValueError):
    """A saved model that cannot be loaded: missing, not a regular file, malformed,
    hostile, or a ``.npz`` and ``.json`` that do not belong together. The message names
    the file; several problems are listed one per line after the summary."""


def build_model(spec: dict[str, Any]) -> Any:
    """The autoencoder described by a ``train`` spec (features, code_dim, hidden,
    activation, seed).

    >>> build_model({"n_features": 3, "code_dim": 1, "hidden": [], "activation": "linear",
    ...              "seed": 0}).decoder.weight.shape
    (3, 1)
    """
    m, k, hidden = spec["n_features"], spec["code_dim"], list(spec["hidden"])
    if not hidden and spec["activation"] == "linear":
        return LinearAutoencoder(m, k, rng=spec.get("seed"))
    activation = None if spec["activation"] == "linear" else spec["activation"]
    manual_seed(spec.get("seed"))
    return mlp_autoencoder([m, *hidden, k], activation=activation)


def parameter_count(spec: dict[str, Any]) -> int:
    """How many numbers the autoencoder of a ``train`` spec holds: the weights and biases
    of every ``Linear`` of its encoder and its mirrored decoder.

    >>> parameter_count({"n_features": 4, "code_dim": 2, "hidden": [], "activation": "linear"})
    22
    """
    sizes = [int(spec["n_features"]), *(int(h) for h in spec["hidden"]), int(spec["code_dim"])]
    pairs = list(zip(sizes, sizes[1:]))
    return sum(a * b + b for a, b in pairs) + sum(a * b + a for a, b in pairs)


def is_model_json(path: Path) -> bool:
    """Whether ``path`` is an architecture file written by ``train --save``."""
    try:
        if not path.is_file() or path.stat().st_size > _MAX_JSON_BYTES:
            return False
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(content, dict) and content.get("format") == MODEL_FORMAT


def is_saved_model(path: Path) -> bool:
    """Whether ``path`` is a model ``.npz`` written by ``train --save``: its ``.json`` is
    ours and records this very content (0.1's records no checksum: trusted as a pair)."""
    spec_path = path.with_suffix(".json")
    if not is_model_json(spec_path):
        return False
    recorded = json.loads(spec_path.read_text(encoding="utf-8")).get("npz_sha256")
    try:
        return recorded is None or recorded == sha256_of(path)
    except OSError:
        return False


def save_trained(model: Any, spec: dict[str, Any], save: Path, version: str) -> None:
    """Write the weights (``save``) and the architecture (its ``.json``, which records the
    weights' SHA-256) as one unit: both new, or both as they were."""
    import hashlib
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **model.state_dict())
    weights = buffer.getvalue()
    architecture = json.dumps({"format": MODEL_FORMAT, "version": version, "model": spec,
                               "npz_sha256": hashlib.sha256(weights).hexdigest()}, indent=2)
    write_together({save: weights, save.with_suffix(".json"): architecture.encode("utf-8")},
                   may_replace=lambda path: (is_saved_model(path) if path.suffix == ".npz"
                                             else is_model_json(path)))


_MAX_JSON_BYTES = 1 << 20  # an architecture file is a few hundred bytes
_ACTIVATIONS = ("linear", "tanh", "relu", "sigmoid")


def _spec_problems(content: Any) -> list[str]:
    """Every problem of a parsed architecture file, field by field (empty when valid)."""
    if not isinstance(content, dict):
        return [f"it holds a JSON {type(content).__name__}, not an object"]
    problems = []
    if content.get("format") != MODEL_FORMAT:
        problems.append(f"'format' is {content.get('format')!r}, not {MODEL_FORMAT!r}")
    if "npz_sha256" in content and not isinstance(content["npz_sha256"], str):
        problems.append("'npz_sha256' is not a string")
    spec = content.get("model")
    if not isinstance(spec, dict):
        return problems + ["'model' is missing or not an object"]

    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    m: Any = spec.get("n_features")
    k: Any = spec.get("code_dim")
    hidden = spec.get("hidden")
    if not (whole(m) and m >= 2):
        problems.append(f"'n_features' must be an integer of at least 2, got {m!r}")
    if not (whole(k) and k >= 1 and (not whole(m) or k < m)):
        problems.append(f"'code_dim' must be an integer from 1 to n_features - 1, got {k!r}")
    if not (isinstance(hidden, list) and all(whole(h) and h >= 1 for h in hidden)):
        problems.append(f"'hidden' must be a list of positive integers, got "
                        f"{str(hidden)[:60]}")
    if spec.get("activation") not in _ACTIVATIONS:
        problems.append(f"'activation' must be one of {', '.join(_ACTIVATIONS)}, got "
                        f"{str(spec.get('activation'))[:60]!r}")
    seed: Any = spec.get("seed")
    if not (seed is None or (whole(seed) and seed >= 0)):
        problems.append(f"'seed' must be an integer of 0 or more, or null, got "
                        f"{str(seed)[:60]}")
    return problems


def load_trained(path: str | os.PathLike[str]) -> Any:
    """Rebuild a model saved by ``tinygrad-ae train --save PATH``: read PATH's ``.json``
    architecture beside it, check it field by field and against the shapes stored in PATH
    (read from the array headers alone), and only then build the model and load the
    weights. Any problem raises :class:`SavedModelError`, several listed one per line."""
    path = Path(path)
    spec_path = path.with_suffix(".json")
    clean_leftovers(path.resolve().parent)  # finishes a save that was killed half way
    if not path.exists():
        raise SavedModelError(f"{path} does not exist; train and save a model with "
                         f"'tinygrad-ae train DATA --save {path.name}'")
    if not path.is_file():
        raise SavedModelError(f"{path} is not a regular file (a folder, a pipe or a device); "
                         f"name a .npz written by 'tinygrad-ae train --save'")
    with folder_lock(path.resolve().parent, shared=True):  # never half of a pair being saved
        return _load_pair(path, spec_path)


def _load_pair(path: Path, spec_path: Path) -> Any:
    where = (f"{spec_path} (the architecture of {path}, written by "
             f"'tinygrad-ae train --save')")
    try:
        if not spec_path.is_file():
            raise SavedModelError(f"{where} is missing or not a regular file")
        if spec_path.stat().st_size > _MAX_JSON_BYTES:
            raise SavedModelError(f"{where} is {spec_path.stat().st_size:,} bytes, far larger than "
                             f"an architecture file; it is not one")
        content = json.loads(spec_path.read_text(encoding="utf-8"))
    except SavedModelError:
        raise
    except (OSError, UnicodeDecodeError) as err:
        raise SavedModelError(f"{where} cannot be read: {getattr(err, 'strerror', None) or err}"
                         ) from None
    except (ValueError, RecursionError) as err:
        raise SavedModelError(f"{where} is not valid JSON ({str(err)[:80]})") from None
    problems = _spec_problems(content)
    if problems:
        head = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        raise SavedModelError(f"{where} has {head}:" + "".join(f"\n  - {p}" for p in problems))
    spec = content["model"]
    recorded = content.get("npz_sha256")
    if recorded is not None and recorded != sha256_of(path):
        raise SavedModelError(f"{path} and {spec_path} do not belong together (the weights are "
                         f"not the ones this architecture file was saved with); save the "
                         f"model again with 'tinygrad-ae train --save'")
    try:
        headers = npz_headers(path)
    except ModelFileError as err:
        raise SavedModelError(str(err).splitlines()[0]) from None
    stored = sum(int(np.prod(shape)) for shape, _ in headers.values())
    expected = parameter_count(spec)
    if stored != expected:
        raise SavedModelError(f"{spec_path} describes a model of {expected:,} parameters, but "
                         f"{path} holds {stored:,} numbers; they do not belong together")
    model = build_model(spec)
    try:
        model.load(path)
    except (ValueError, OSError) as err:
        raise SavedModelError(str(err)) from None
    return model
