"""The numbers that judge a regressor, shared by the demos and the plots: RMSE, R², and least squares.

Least squares is the baseline every trained model is compared with: the best weighted sum of the
features, found in closed form instead of by gradient descent.
"""

import math
from collections.abc import Sequence

__all__ = ["rmse", "r2_score", "least_squares"]


def rmse(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Root mean squared error, in the target's units: the typical size of a prediction's miss."""
    _check_pair(actual, predicted, "rmse")
    return math.sqrt(sum((a - p) ** 2 for a, p in zip(actual, predicted)) / len(actual))


def r2_score(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """R², the coefficient of determination: 1 - SS_residual / SS_total (1 is perfect, 0 is the mean's score)."""
    _check_pair(actual, predicted, "r2_score")
    mean = sum(actual) / len(actual)
    total = sum((a - mean) ** 2 for a in actual)
    if total == 0.0:
        raise ValueError("r2_score is undefined when every actual value is the same; use rmse instead")
    return 1.0 - sum((a - p) ** 2 for a, p in zip(actual, predicted)) / total


def _check_pair(actual: Sequence[float], predicted: Sequence[float], name: str) -> None:
    if len(actual) != len(predicted):
        raise ValueError(f"{name}: got {len(actual)} actual values but {len(predicted)} predictions; they must match")
    if not actual:
        raise ValueError(f"{name}: got no values")


def least_squares(X: Sequence[Sequence[float]], y: Sequence[float]) -> tuple[list[float], float]:
    """Ordinary least squares with an intercept, in closed form: the weights and bias minimising the squared error.

    Solves the normal equations (A^T A) w = A^T y by Gaussian elimination with partial pivoting, on
    centred and scaled columns (a far better conditioned system), then maps the answer back to the data's
    units. A vanishing ridge (1e-10 per row) keeps the answer finite if two columns are exactly collinear.
    """
    if len(X) != len(y) or not X:
        raise ValueError(f"least_squares needs one target per row and at least one row, got {len(X)} and {len(y)}")
    n, width = len(X), len(X[0])
    x_mean = [sum(row[j] for row in X) / n for j in range(width)]
    x_scale = [math.sqrt(sum((row[j] - x_mean[j]) ** 2 for row in X) / n) or 1.0 for j in range(width)]
    y_mean = sum(y) / n
    Z = [[(row[j] - x_mean[j]) / x_scale[j] for j in range(width)] for row in X]
    gram = [[sum(z[i] * z[j] for z in Z) for j in range(width)] for i in range(width)]
    for i in range(width):
        gram[i][i] += 1e-10 * n
    rhs = [sum(z[i] * (target - y_mean) for z, target in zip(Z, y)) for i in range(width)]
    solution = _solve(gram, rhs)
    weights = [w / s for w, s in zip(solution, x_scale)]
    return weights, y_mean - sum(w * m for w, m in zip(weights, x_mean))


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """x with matrix @ x = rhs, by Gaussian elimination with partial pivoting (matrix is square)."""
    size = len(rhs)
    rows = [list(row) + [b] for row, b in zip(matrix, rhs)]  # the augmented matrix [A | b]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))  # the largest pivot limits rounding error
        if rows[pivot][col] == 0.0:
            raise ValueError("least_squares: the system is singular; some feature is constant or a copy of another")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, size):
            factor = rows[r][col] / rows[col][col]
            for c in range(col, size + 1):
                rows[r][c] -= factor * rows[col][c]
    solution = [0.0] * size
    for r in reversed(range(size)):  # back substitution
        known = sum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = (rows[r][size] - known) / rows[r][r]
    return solution
