"""Drawing: computation graphs with Graphviz, the backprop step-through, and matplotlib plots.

draw_graph / draw_dot return a graphviz.Digraph (our Graph), drawn by the system's dot or graphviz-pure.
The plots live in `micrograd_plus.viz.plots`, imported on demand so that `import micrograd_plus`
does not load matplotlib.
"""

from .graph import DEFAULT_MAX_NODES, Graph, draw_dot, draw_graph
from .render import DrawingTooBigError, RendererNotFoundError
from .steps import backward_steps
from .stepthrough import StepThrough

__all__ = [
    "DEFAULT_MAX_NODES",
    "Graph",
    "draw_graph",
    "draw_dot",
    "StepThrough",
    "backward_steps",
    "DrawingTooBigError",
    "RendererNotFoundError",
]
