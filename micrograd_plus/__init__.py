"""micrograd_plus: a scalar automatic-differentiation engine for learning how neural networks work.

from micrograd_plus import Value, MLP, SGD, mse_loss
"""

from .attention import SelfAttention, scaled_dot_product_attention
from .engine import Value, no_gc
from .functional import add_all, dot, linear, logsumexp, softmax
from .gpt import GPT
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .losses import binary_cross_entropy_with_logits, cross_entropy, hinge_loss, l1_loss, mse_loss
from .nn import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, Optimizer
from .train import History, Hyperparameters, fit
from .viz import StepThrough, backward_steps, draw_dot, draw_graph

__version__ = "0.1.0"

__all__ = [
    "Value",
    "no_gc",
    "linear",
    "dot",
    "add_all",
    "logsumexp",
    "softmax",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "mse_loss",
    "l1_loss",
    "hinge_loss",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "Optimizer",
    "SGD",
    "Adam",
    "gradcheck",
    "numerical_grad",
    "GradcheckError",
    "scaled_dot_product_attention",
    "SelfAttention",
    "GPT",
    "Hyperparameters",
    "History",
    "fit",
    "draw_graph",
    "draw_dot",
    "StepThrough",
    "backward_steps",
    "__version__",
]
