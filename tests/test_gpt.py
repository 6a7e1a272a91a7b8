"""The tiny GPT: forward and every parameter gradient against PyTorch float64 with the same weights; names,
counts, saving, causality, sampling and bad input."""

import gc
import json
import math
import random

import pytest
import torch
import torch.nn.functional as F

from micrograd_plus.engine import no_gc
from micrograd_plus.gpt import GPT, parameter_groups, sample
from micrograd_plus.gpt_functional import rms_norm

RTOL = 1e-10
ATOL = 1e-12
TINY = dict(vocab_size=7, block_size=6, n_embd=8, n_head=2, n_layer=2)  # two layers: the blocks really stack


def tensors(model: GPT) -> dict[str, torch.Tensor]:
    """Each parameter group of `model` as a float64 tensor that requires grad (the same numbers)."""
    groups = {}
    for name, value in model.named_parameters():
        group, row, column = name.rsplit(".", 2)
        groups.setdefault(group, {})[(int(row), int(column))] = value.data
    out = {}
    for group, cells in groups.items():
        rows, columns = max(r for r, _ in cells) + 1, max(c for _, c in cells) + 1
        numbers = [[cells[(r, c)] for c in range(columns)] for r in range(rows)]
        out[group] = torch.tensor(numbers, dtype=torch.float64, requires_grad=True)
    return out


def torch_logits(w: dict[str, torch.Tensor], tokens: list[int], n_head: int, n_layer: int) -> torch.Tensor:
    """The same GPT written with torch functions (not micrograd_plus.torch_models): a reference of its own."""
    T = len(tokens)
    norm = lambda x: F.rms_norm(x, (x.shape[-1],), eps=1e-5)
    x = norm(w["wte"][torch.tensor(tokens)] + w["wpe"][:T])
    for i in range(n_layer):
        p = f"layers.{i}."
        h = norm(x)
        q, k, v = (
            F.linear(h, w[p + name]).view(T, n_head, -1).transpose(0, 1) for name in ("attn.wq", "attn.wk", "attn.wv")
        )
        heads = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (n_head, T, head_dim)
        x = x + F.linear(heads.transpose(0, 1).reshape(T, -1), w[p + "attn.wo"])
        x = x + F.linear(F.relu(F.linear(norm(x), w[p + "mlp.fc1"])), w[p + "mlp.fc2"])
    return F.linear(x, w["lm_head"])


@pytest.mark.parametrize(
    "config, tokens", [(TINY, [0, 3, 6, 1, 2, 0, 5]), ({}, [0, 5, 13, 13, 1, 0])], ids=["tiny", "default"]
)
def test_gpt_matches_pytorch_forward_loss_and_every_parameter_gradient(config, tokens):
    model = GPT(**config, seed=3)
    logits = model(tokens[:-1])
    loss = model.loss(tokens)
    loss.backward()

    w = tensors(model)
    t_logits = torch_logits(w, tokens[:-1], model.n_head, model.n_layer)
    t_loss = F.cross_entropy(t_logits, torch.tensor(tokens[1:]))
    t_loss.backward()

    assert [[v.data for v in row] for row in logits] == [
        pytest.approx(r, rel=RTOL, abs=ATOL) for r in t_logits.tolist()
    ]
    assert loss.data == pytest.approx(t_loss.item(), rel=RTOL)
    for name, value in model.named_parameters():
        group, row, column = name.rsplit(".", 2)
        assert value.grad == pytest.approx(w[group].grad[int(row), int(column)].item(), rel=1e-8, abs=1e-12), name


def test_a_batch_is_one_graph_with_each_token_weighed_once_and_floats_give_the_same_loss():
    model = GPT(**TINY, seed=4)
    batch = [[0, 3, 6, 1, 0], [0, 2, 0], [0, 5, 5, 4, 2, 1, 0]]
    loss = model.batch_loss(batch)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    counts = [len(tokens) - 1 for tokens in batch]
    one_by_one = [model.loss(tokens) * (count / sum(counts)) for tokens, count in zip(batch, counts)]
    total = sum(one_by_one[1:], one_by_one[0])
    total.backward()
    assert loss.data == pytest.approx(total.data, rel=1e-13)
    assert grads == pytest.approx([p.grad for p in model.parameters()], rel=1e-9, abs=1e-14)
    assert model.evaluate(batch) == loss.data  # the same float operations, without a graph


def test_the_fused_graph_holds_no_reference_cycles():
    # the nodes with many outputs reach their outputs' gradients through cells, never through the outputs:
    # reference counting frees a step's graph at once, with the cyclic collector off
    model = GPT(**TINY, seed=2)
    batch = [[0, 3, 6, 0], [0, 1, 2, 0]]
    with no_gc():
        model.batch_loss(batch).backward()  # a first step, as in training
        gc.collect()
        loss = model.batch_loss(batch)
        loss.backward()
        del loss
        assert gc.collect() == 0


def test_the_score_drawn_for_the_lesson_is_the_one_the_attention_node_computed():
    model = GPT(**TINY, seed=6)
    tokens = [0, 4, 2, 6]
    model(tokens)
    attention = model.layers[0].attn
    xs = [rms_norm(x) for x in model.embed(tokens)]  # what the first block's attention reads
    head, i = 1, 3
    scores = [attention.score(xs[i], xs[j], head).data for j in range(i + 1)]
    exps = [math.exp(s - max(scores)) for s in scores]
    assert [e / sum(exps) for e in exps] == pytest.approx(attention.last_weights[head][i][: i + 1], rel=1e-12)


def test_named_parameters_come_in_tensor_like_groups_and_count_like_the_reference():
    model = GPT()
    assert parameter_groups(model) == {
        "wte": (27, 16),
        "wpe": (16, 16),
        "layers.0.attn.wq": (16, 16),
        "layers.0.attn.wk": (16, 16),
        "layers.0.attn.wv": (16, 16),
        "layers.0.attn.wo": (16, 16),
        "layers.0.mlp.fc1": (64, 16),
        "layers.0.mlp.fc2": (16, 64),
        "lm_head": (27, 16),
    }
    sizes = parameter_groups(model).values()
    assert model.num_parameters() == sum(math.prod(shape) for shape in sizes) == len(model.state_dict())
    assert "layers.1.attn.wq" in parameter_groups(GPT(n_layer=2))


@pytest.mark.parametrize("arguments", [{}, TINY, dict(vocab_size=3, block_size=2, n_embd=6, n_head=3, n_layer=3)])
def test_count_parameters_counts_what_the_constructor_makes_without_making_it(arguments):
    assert GPT.count_parameters(arguments) == GPT(**arguments).num_parameters()
    assert GPT.count_parameters({"n_embd": 0}) is None and GPT.count_parameters({"n_layer": "2"}) is None


def test_state_dict_survives_json_and_rebuilds_the_same_model():
    model = GPT(**TINY, seed=1)
    text = json.dumps({"arguments": model.constructor_arguments(), "state_dict": model.state_dict()})
    saved = json.loads(text)
    copy = GPT(**saved["arguments"], seed=2)  # other initial weights, then overwritten
    copy.load_state_dict(saved["state_dict"])
    tokens = [0, 1, 2, 3, 0]
    assert copy.loss(tokens).data == model.loss(tokens).data


def test_a_position_never_sees_the_tokens_after_it():
    model = GPT(**TINY, seed=0)
    first = model([0, 3, 4, 5])
    changed = model([0, 3, 1, 2])
    assert [[v.data for v in row] for row in first[:2]] == [[v.data for v in row] for row in changed[:2]]
    assert [v.data for v in first[2]] != [v.data for v in changed[2]]
    for head in model.layers[0].attn.last_weights:
        for i, row in enumerate(head):
            assert sum(row) == pytest.approx(1.0, rel=1e-12)
            assert row[i + 1 :] == [0.0] * (len(row) - i - 1)


def test_sampling_is_seeded_and_near_zero_temperature_is_greedy():
    model = GPT(**TINY, seed=5)
    assert sample(model, random.Random(0), 1.0) == sample(model, random.Random(0), 1.0)
    greedy, tokens = [], [0]
    while len(tokens) < model.block_size:
        logits = [v.data for v in model(tokens)[-1]]
        token = logits.index(max(logits))
        if token == 0:
            break
        greedy.append(token)
        tokens.append(token)
    assert sample(model, random.Random(1), 1e-6) == greedy
    assert sample(model, random.Random(1), 1e-320) == greedy  # logits / 1e-320 overflow: the max goes first
    assert sample(model, random.Random(1), 5e-324) == greedy  # the smallest float above 0
    assert len(sample(model, random.Random(2), 50.0)) <= model.block_size - 1


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(n_embd=10, n_head=4), "multiple of n_head"),
        (dict(n_layer=0), "n_layer must be a positive whole number"),
        (dict(block_size=2.5), "block_size must be a positive whole number"),
    ],
)
def test_bad_sizes_are_refused_with_the_reason(arguments, message):
    with pytest.raises(ValueError, match=message):
        GPT(**arguments)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m([0] * 7), "reads 1 to 6 tokens"),
        (lambda m: m([]), "reads 1 to 6 tokens"),
        (lambda m: m([0, 7]), r"whole numbers in 0..6, got 7"),
        (lambda m: m([0, 1.0]), r"whole numbers in 0..6, got 1.0"),
        (lambda m: m.loss([3]), "at least 2 tokens"),
        (lambda m: sample(m, random.Random(0), 0.0), "temperature must be a number > 0"),
        (lambda m: m.batch_loss([]), "the batch is empty; give at least one sequence of 2 or more tokens"),
        (lambda m: m.evaluate([]), "the batch is empty; give at least one sequence of 2 or more tokens"),
    ],
)
def test_bad_input_is_refused_with_the_reason(call, message):
    with pytest.raises(ValueError, match=message):
        call(GPT(**TINY))


def test_a_name_given_as_text_is_refused_with_the_way_to_encode_it():
    with pytest.raises(TypeError, match=r"not text: pass encode\('emma'\)"):
        GPT()("emma")
