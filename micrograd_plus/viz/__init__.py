"""Drawing: computation graphs with Graphviz, the backprop step-through, and matplotlib plots.

The plots live in `micrograd_plus.viz.plots`, imported on demand so that `import micrograd_plus`
does not load matplotlib.
"""

from .graph import DEFAULT_MAX_NODES, Graph, draw_dot, draw_graph
from .stepthrough import StepThrough, backward_steps

__all__ = ["DEFAULT_MAX_NODES", "Graph", "draw_graph", "draw_dot", "StepThrough", "backward_steps"]
