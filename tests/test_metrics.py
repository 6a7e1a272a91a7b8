"""RMSE, R² and least squares, against PyTorch."""

import random

import pytest
import torch

from micrograd_plus.metrics import least_squares, r2_score, rmse


def test_rmse_and_r2_match_pytorch():
    rng = random.Random(0)
    actual = [rng.gauss(50, 10) for _ in range(30)]
    predicted = [a + rng.gauss(0, 4) for a in actual]
    a, p = torch.tensor(actual, dtype=torch.float64), torch.tensor(predicted, dtype=torch.float64)
    assert rmse(actual, predicted) == pytest.approx(torch.sqrt(torch.mean((a - p) ** 2)).item(), rel=1e-12)
    expected_r2 = 1 - torch.sum((a - p) ** 2) / torch.sum((a - a.mean()) ** 2)
    assert r2_score(actual, predicted) == pytest.approx(expected_r2.item(), rel=1e-12)
    assert r2_score(actual, [sum(actual) / len(actual)] * len(actual)) == pytest.approx(0.0, abs=1e-12)


def test_metrics_reject_mismatched_or_constant_inputs():
    with pytest.raises(ValueError, match="got 2 actual values but 1 predictions"):
        rmse([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="undefined when every actual value is the same"):
        r2_score([3.0, 3.0], [1.0, 2.0])


def test_least_squares_matches_pytorch_lstsq():
    rng = random.Random(1)
    X = [[rng.uniform(0, 5000), rng.randint(1, 5), float(rng.random() < 0.3)] for _ in range(80)]
    y = [3.5 * r[0] + 2000 * r[1] + 9000 * r[2] + rng.gauss(0, 3000) for r in X]
    weights, bias = least_squares(X, y)
    A = torch.tensor([row + [1.0] for row in X], dtype=torch.float64)
    solution = torch.linalg.lstsq(A, torch.tensor(y, dtype=torch.float64)[:, None]).solution.squeeze(1).tolist()
    assert weights + [bias] == pytest.approx(solution, rel=1e-8)


def test_least_squares_stays_finite_for_an_exact_copy_of_a_column():
    X = [[float(i), float(i)] for i in range(10)]
    y = [2.0 * i + 1.0 for i in range(10)]
    weights, bias = least_squares(X, y)
    fitted = [w0 * x0 + w1 * x1 + bias for (x0, x1), (w0, w1) in zip(X, [weights] * len(X))]
    assert fitted == pytest.approx(y, abs=1e-6)
