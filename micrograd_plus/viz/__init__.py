"""Drawing: computation graphs with Graphviz, the backprop step-through, and matplotlib plots."""
