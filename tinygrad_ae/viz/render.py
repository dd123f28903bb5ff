"""render: a drawing written to a file, with a clear error when Graphviz is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import graphviz

from tinygrad_ae._files import write_atomically

from ._format import FORMATS, GraphvizNotFound

# --- render -------------------------------------------------------------------------------

_INSTALL_HINT = (
    "install Graphviz and render again: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz` "
    "(`pip install graphviz` alone installs only the Python package, not the dot program)"
)


def _with_suffix(path: Path, fmt: str) -> Path:
    """``path`` with the suffix of ``fmt``: a known picture suffix is replaced, anything
    else (``decoder.0``) is kept and the suffix appended."""
    if path.suffix.lower().lstrip(".") in FORMATS:
        return path.with_suffix(f".{fmt}")
    return path.with_name(f"{path.name}.{fmt}")


def render(graph: graphviz.Digraph | graphviz.Graph, path: str | os.PathLike[str],
           format: str = "svg") -> Path:
    """Draw ``graph`` into ``path`` with that format's suffix (``svg``, ``png``, ``pdf``),
    or write its DOT source (``format="dot"``); return the path written.

    The file is written atomically (a temporary file in the same folder, then a rename),
    and missing folders are made. Without Graphviz's ``dot`` program the DOT source is
    still written, to ``<path>.dot``, and :class:`GraphvizNotFound` says how to install
    Graphviz.

    >>> from tinygrad_ae.viz import draw_graph
    >>> import tempfile, os
    >>> from tinygrad_ae import Tensor
    >>> x = Tensor(1.0, requires_grad=True, name="x")
    >>> folder = tempfile.mkdtemp()
    >>> written = render(draw_graph(x.tanh()), os.path.join(folder, "tanh"), format="dot")
    >>> written.name, written.read_text().startswith("digraph")
    ('tanh.dot', True)
    """
    fmt = str(format).lower()
    if fmt not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}, got {format!r}")
    base = Path(path)
    target = _with_suffix(base, fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        write_atomically(target, graph.source.encode("utf-8"))
        return target
    dot_path = _with_suffix(base, "dot")
    if shutil.which("dot") is None:
        write_atomically(dot_path, graph.source.encode("utf-8"))
        raise GraphvizNotFound(
            f"render: the Graphviz program 'dot' is not on PATH, so {target} was not drawn; "
            f"its DOT source is in {dot_path}. To draw it, {_INSTALL_HINT}"
        )
    try:
        picture = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        write_atomically(dot_path, graph.source.encode("utf-8"))
        raise GraphvizNotFound(
            f"render: Graphviz's 'dot' could not be run, so {target} was not drawn; its "
            f"DOT source is in {dot_path}. To draw it, {_INSTALL_HINT}"
        ) from None
    write_atomically(target, picture)
    return target
