"""Pictures of the chain rule: draw_graph, draw_network, chain_rule, backward_steps, render.

Layer: the top of the engine stack. Imports numpy, the ``graphviz`` package, and ``tensor``
and ``engine`` of ours (each op's registry entry, from ``ops``, is reached through the tensor
it made); models are recognised by duck typing (``hasattr``), so ``nn`` and ``models`` are
never imported. viz *reads* the graph and never changes it: no
``.grad`` is written and no node is recorded (gradients shown in a drawing come from
:func:`tinygrad_ae.engine.grad`, which touches no ``.grad``).

Every drawing is a ``graphviz.Digraph``: pure data whose DOT text (``graph.source``) is what
the tests read. Only :func:`render` runs Graphviz (``dot`` lays out computational graphs;
network diagrams come with every node pinned, for ``neato``). In Jupyter a Digraph
shows itself inline as the last value of a cell (it has ``_repr_mimebundle_``; that also
needs ``dot``).

Node ids are positions in :func:`tinygrad_ae.engine.topological_order`, never ``id()``:
tensor number i is ``t<i>`` and the op that made it ``op<i>``, so one model always draws the
same DOT text. A tensor without a ``name`` is shown by that id (``t7``); an unnamed constant
number is written on its op by its value (``÷ 3``). Every formula on an edge is the op's
registered partial (``ops.Op.local_partial``) written in the tensors' own names: the op
table is the one source of every formula a student sees.

>>> from tinygrad_ae import Tensor
>>> w = Tensor(0.5, requires_grad=True, name="w")
>>> x = Tensor(2.0, name="x")
>>> y = w * x
>>> y.name = "y"
>>> print(chain_rule(y, "w"))
∂y/∂w = x
      = 2
"""

from __future__ import annotations

from ._format import (  # noqa: F401
    FORMATS,
    GraphvizNotFound,
)
from .chain_rule import (  # noqa: F401
    ChainRule,
    ChainTerm,
    Edge,
    chain_rule,
)
from .graph import (  # noqa: F401
    draw_graph,
)
from .network import (  # noqa: F401
    draw_network,
)
from .render import (  # noqa: F401
    render,
)
from .steps import (  # noqa: F401
    BackwardSteps,
    Step,
    backward_steps,
)

__all__ = [
    'draw_graph', 'draw_network', 'chain_rule', 'render', 'ChainRule', 'ChainTerm', 'Edge',
    'GraphvizNotFound', 'FORMATS', 'backward_steps', 'BackwardSteps', 'Step',
]
