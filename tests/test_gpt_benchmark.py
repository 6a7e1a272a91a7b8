"""The fused-vs-plain GPT benchmark: the plain version is the same model, so losses and gradients agree."""

import pytest

from benchmarks import gpt_fused
from micrograd_plus.gpt import GPT


def test_the_plain_gpt_is_the_same_model_as_the_fused_one():
    model = GPT(vocab_size=7, block_size=6, n_embd=8, n_head=2, n_layer=2, seed=1)
    tokens = [0, 3, 6, 1, 2, 0]
    fused = model.loss(tokens)
    fused.backward()
    fused_grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)  # 0.0, not None, for the embedding rows neither loss reaches
    plain = gpt_fused.plain_loss(model, tokens)
    plain.backward()
    assert plain.data == pytest.approx(fused.data, rel=1e-12)
    assert [p.grad for p in model.parameters()] == pytest.approx(fused_grads, rel=1e-9, abs=1e-12)


def test_both_versions_train_to_the_same_losses():
    fused = gpt_fused.train("fused", steps=4, batch_size=1).losses  # from step 3, rows unused in a step move too
    plain = gpt_fused.train("plain", steps=4, batch_size=1).losses
    assert fused[0] != fused[1]  # training moves the loss
    assert plain == pytest.approx(fused, rel=0, abs=gpt_fused.LOSS_TOLERANCE)
