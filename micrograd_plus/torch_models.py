"""Our MLP and our GPT written in PyTorch, layer for layer, with the same parameter names.

This module imports torch at the top, so only torch_bridge imports it, and only when asked (PyTorch is
optional). torch_source() prints these classes for a learner to read beside gpt.py and nn.py. Where ours
hold one Value per number, these hold one tensor per group: our `layers.0.attn.wq.3.7` is
`layers.0.attn.wq.weight[3, 7]` here, and a whole batch of sequences runs at once.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda x: x}


class MLP(nn.Module):
    """Linear layers with biases; every layer but the last is followed by the activation."""

    def __init__(self, nin, nouts, activation="relu"):
        super().__init__()
        sizes = [nin, *nouts]
        self.layers = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes, sizes[1:]))
        self.activation = activation

    def forward(self, x):  # x: (batch, nin) -> (batch, nouts[-1])
        for layer in self.layers[:-1]:
            x = ACTIVATIONS[self.activation](layer(x))
        return self.layers[-1](x)


def rms_norm(x):
    """x / sqrt(mean(x**2) + eps) over the last dimension, with no learned gain (as in our GPT)."""
    return F.rms_norm(x, (x.shape[-1],), eps=1e-5)


class CausalSelfAttention(nn.Module):
    """n_head heads; position i reads positions 0..i, weighted by softmax(q·k / sqrt(head_dim))."""

    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head, self.head_dim = n_head, n_embd // n_head
        self.wq = nn.Linear(n_embd, n_embd, bias=False)
        self.wk = nn.Linear(n_embd, n_embd, bias=False)
        self.wv = nn.Linear(n_embd, n_embd, bias=False)
        self.wo = nn.Linear(n_embd, n_embd, bias=False)

    def forward(self, x):  # x: (batch, T, n_embd)
        B, T, C = x.shape
        # (B, T, C) -> (B, n_head, T, head_dim): each head sees its own slice of the columns
        q, k, v = (w(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2) for w in (self.wq, self.wk, self.wv))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)  # (B, n_head, T, T)
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal=1)
        weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)  # causal: no weight on later keys
        heads = (weights @ v).transpose(1, 2).reshape(B, T, C)  # the heads side by side again
        return self.wo(heads)


class FeedForward(nn.Module):
    """relu(x fc1^T) fc2^T at each position: widen to 4 * n_embd and back."""

    def __init__(self, n_embd):
        super().__init__()
        self.fc1 = nn.Linear(n_embd, 4 * n_embd, bias=False)
        self.fc2 = nn.Linear(4 * n_embd, n_embd, bias=False)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class Block(nn.Module):
    """x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, n_embd, n_head):
        super().__init__()
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.mlp = FeedForward(n_embd)

    def forward(self, x):
        x = x + self.attn(rms_norm(x))
        return x + self.mlp(rms_norm(x))


class GPT(nn.Module):
    """Token and position embeddings, the blocks, and logits for the next token at every position."""

    def __init__(self, vocab_size=27, block_size=16, n_embd=16, n_head=4, n_layer=1):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.layers = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)

    def forward(self, tokens):  # tokens: (batch, T) whole numbers -> logits (batch, T, vocab_size)
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = rms_norm(self.wte(tokens) + self.wpe(positions))
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(x)
