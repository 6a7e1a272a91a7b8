"""Loss functions against torch.nn.functional (float64): values and gradients."""

import pytest
import torch
import torch.nn.functional as F

from micrograd_plus import (
    Value,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_loss,
    mse_loss,
)

PREDICTIONS = [0.5, -1.25, 2.0, 0.0, -3.5]
TARGETS = [1.0, -1.0, 0.5, 0.25, -3.5]


def ours_and_grads(loss_fn, predictions, targets):
    values = [Value(p) for p in predictions]
    loss = loss_fn(values, targets)
    loss.backward()
    return loss.data, [v.grad for v in values]


def torch_and_grads(loss_fn, predictions, targets):
    tensor = torch.tensor(predictions, dtype=torch.float64, requires_grad=True)
    loss = loss_fn(tensor, torch.tensor(targets, dtype=torch.float64))
    loss.backward()
    return loss.item(), tensor.grad.tolist()


@pytest.mark.parametrize(
    "ours, theirs, targets",
    [
        (mse_loss, F.mse_loss, TARGETS),
        (l1_loss, F.l1_loss, TARGETS),
        (binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, [1.0, 0.0, 0.3, 1.0, 0.0]),
        (hinge_loss, lambda s, y: torch.relu(1 - y * s).mean(), [1, -1, -1, 1, 1]),
    ],
    ids=["mse", "l1", "bce_with_logits", "hinge"],
)
def test_loss_and_gradients_match_pytorch(ours, theirs, targets):
    data, grads = ours_and_grads(ours, PREDICTIONS, targets)
    torch_data, torch_grads = torch_and_grads(theirs, PREDICTIONS, targets)
    assert data == pytest.approx(torch_data, rel=1e-12)
    assert grads == pytest.approx(torch_grads, rel=1e-12, abs=1e-15)


def test_bce_with_logits_is_stable_and_exact_at_zero():
    x = Value(0.0)
    binary_cross_entropy_with_logits(x, 1.0).backward()
    assert x.grad == pytest.approx(-0.5)  # sigmoid(0) - 1
    huge = binary_cross_entropy_with_logits([Value(800.0), Value(-800.0)], [0.0, 1.0])
    assert huge.data == pytest.approx(800.0)


def test_cross_entropy_single_and_batch_match_pytorch():
    logits = [[2.0, -1.0, 0.5], [0.1, 0.2, 3.0], [1000.0, 999.0, -5.0]]
    targets = [0, 2, 1]
    values = [[Value(v) for v in row] for row in logits]
    loss = cross_entropy(values, targets)
    loss.backward()
    tensor = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    torch_loss = F.cross_entropy(tensor, torch.tensor(targets))
    torch_loss.backward()
    assert loss.data == pytest.approx(torch_loss.item(), rel=1e-12)
    assert [[v.grad for v in row] for row in values] == [
        pytest.approx(row, rel=1e-11, abs=1e-15) for row in tensor.grad.tolist()
    ]
    single = cross_entropy([Value(v) for v in logits[0]], 0)
    assert single.data == pytest.approx(F.cross_entropy(torch.tensor(logits[:1]), torch.tensor([0])).item())


def test_single_value_losses():
    assert mse_loss(Value(3.0), 1.0).data == 4.0
    assert l1_loss(Value(3.0), 1.0).data == 2.0


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: mse_loss([Value(1.0)], [1.0, 2.0]), ValueError, "1 predictions but 2 targets"),
        (lambda: mse_loss([], []), ValueError, "no predictions"),
        (lambda: mse_loss([Value(1.0)], 2.0), TypeError, "targets"),
        (lambda: hinge_loss([Value(1.0)], [0]), ValueError, r"\+1 or -1"),
        (lambda: binary_cross_entropy_with_logits([Value(1.0)], [2.0]), ValueError, r"\[0, 1\]"),
        (lambda: cross_entropy([Value(1.0), Value(2.0)], 2), ValueError, "class index"),
        (lambda: cross_entropy([[Value(1.0)]], [0, 1]), ValueError, "same length"),
    ],
    ids=["length", "empty", "targets_not_list", "hinge_label", "bce_target", "ce_index", "ce_batch"],
)
def test_bad_loss_inputs_are_named(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_value_targets_are_accepted_and_get_gradients_like_pytorch():
    prediction, target = Value(0.5), Value(2.0)
    mse_loss([prediction], [target]).backward()
    assert (prediction.grad, target.grad) == (-3.0, 3.0)  # d(p-t)^2/dt = -2(p-t)
    assert hinge_loss([Value(0.5)], [Value(1.0)]).data == 0.5


@pytest.mark.parametrize(
    "make, error, words",
    [
        (
            lambda: binary_cross_entropy_with_logits([Value(1.0)], ["a"]),
            TypeError,
            "sample 0 needs a number as prediction and target",
        ),
        (lambda: mse_loss([Value(1.0)], [None]), TypeError, r"target: Value\(data=1.0, grad=0.0\), None"),
        (lambda: hinge_loss([[Value(1.0)]], [1]), TypeError, r"target: \[Value\(data=1.0, grad=0.0\)\], 1"),
        (lambda: cross_entropy([], 0), ValueError, "no logits"),
    ],
    ids=["bce_str_target", "none_target", "hinge_list_score", "ce_empty"],
)
def test_bad_targets_are_named(make, error, words):
    with pytest.raises(error, match=words):
        make()
