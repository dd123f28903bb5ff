"""Test ids that can be passed back to pytest on the command line.

pytest escapes a backslash or a non-ASCII character in a parameter's id (``\\(`` for a
regex's ``\\(``), and the escaped node id then matches no test when given as an argument.
mutmut runs each mutant's tests by node id, so such a test is never run and every mutant
it covers is reported as a timeout. ``ids=selectable_id`` keeps ids to letters, digits,
``_`` and ``-``.
"""

from __future__ import annotations

import re

__all__ = ["selectable_id"]


def selectable_id(value: object) -> str | None:
    """A string parameter's id with every run of other characters turned into one ``-``;
    None (pytest's default id) for anything else.

    >>> selectable_id(r"shape \\(2,\\) but target")
    'shape-2-but-target'
    >>> selectable_id(3) is None
    True
    """
    if not isinstance(value, str):
        return None
    return re.sub(r"[^A-Za-z0-9_]+", "-", value).strip("-")
