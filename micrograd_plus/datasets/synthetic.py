"""Synthetic houses like Windsor's, priced by known weights (or by known non-linear rules) plus noise.

With known true weights a trained linear neuron can be checked against the truth; the non-linear prices
have effects no single neuron can represent, which an MLP's hidden layer can learn.
"""

import math
import random

from ..nn import check_count
from .dataset import Dataset

__all__ = ["make_houses", "DEFAULT_WEIGHTS", "DEFAULT_BIAS"]

# The synthetic houses' true prices: dollars per unit of each feature, and the base price.
DEFAULT_WEIGHTS = {
    "lotsize": 4.0,  # $ per square foot of lot
    "bedrooms": 2500.0,  # $ per bedroom
    "bathrms": 14000.0,  # $ per full bathroom
    "stories": 6500.0,  # $ per story
    "airco": 12500.0,  # $ for central air conditioning
    "prefarea": 9500.0,  # $ for a preferred neighbourhood
    "garagepl": 4500.0,  # $ per garage place
}
DEFAULT_BIAS = 5000.0


def make_houses(
    n: int = 500,
    seed: int = 0,
    noise: float = 5000.0,
    weights: dict[str, float] | None = None,
    bias: float | None = None,
    nonlinear: bool = False,
) -> Dataset:
    """`n` synthetic houses like Windsor's, priced by known weights plus Gaussian noise (std `noise` dollars).

    Linear (the default): price = bias + sum(weight * feature) + noise, with the weights of DEFAULT_WEIGHTS
    (dollars per unit; `weights` overrides any of them by name) and bias DEFAULT_BIAS; the result carries
    them as `true_weights` and `true_bias`, so a trained linear neuron can be checked against the truth.

    nonlinear=True prices the same houses with effects no single neuron can represent: a lot's value
    levels off (weight * 5000 * tanh(lotsize / 5000)), bedrooms past the third add nothing, air
    conditioning is worth more on bigger lots, and a preferred neighbourhood multiplies the whole price
    by 1.5. There is then no single true weight per feature, so `true_weights` is None.
    """
    check_count("n (the number of houses)", n)
    if not noise >= 0.0:
        raise ValueError(f"noise is a standard deviation in dollars and must be >= 0, got {noise!r}")
    true_weights = dict(DEFAULT_WEIGHTS)
    for name, weight in (weights or {}).items():
        if name not in DEFAULT_WEIGHTS:
            raise ValueError(f"make_houses has no feature {name!r}; its features are {list(DEFAULT_WEIGHTS)}")
        true_weights[name] = float(weight)
    true_bias = DEFAULT_BIAS if bias is None else float(bias)
    rng = random.Random(seed)
    names = list(DEFAULT_WEIGHTS)
    X, y = [], []
    for _ in range(n):
        house = _draw_house(rng)
        price_of = _nonlinear_price if nonlinear else _linear_price
        X.append([house[name] for name in names])
        y.append(price_of(house, true_weights, true_bias) + rng.gauss(0.0, noise))
    if nonlinear:
        return Dataset(X, y, names, "price")
    return Dataset(X, y, names, "price", true_weights, true_bias)


def _draw_house(rng: random.Random) -> dict[str, float]:
    # independent draws with roughly Windsor's spread of each feature
    lotsize = min(max(math.exp(rng.gauss(math.log(4800.0), 0.4)), 1500.0), 16000.0)
    return {
        "lotsize": float(round(lotsize, -1)),
        "bedrooms": float(rng.choices([1, 2, 3, 4, 5], [2, 25, 55, 16, 2])[0]),
        "bathrms": float(rng.choices([1, 2, 3], [77, 21, 2])[0]),
        "stories": float(rng.choices([1, 2, 3, 4], [42, 44, 7, 7])[0]),
        "airco": float(rng.random() < 0.32),
        "prefarea": float(rng.random() < 0.23),
        "garagepl": float(rng.choices([0, 1, 2, 3], [55, 23, 20, 2])[0]),
    }


def _linear_price(house: dict[str, float], weights: dict[str, float], bias: float) -> float:
    return bias + sum(weights[name] * value for name, value in house.items())


def _nonlinear_price(house: dict[str, float], weights: dict[str, float], bias: float) -> float:
    price = (
        bias
        + weights["lotsize"] * 5000.0 * math.tanh(house["lotsize"] / 5000.0)  # diminishing returns
        + weights["bedrooms"] * min(house["bedrooms"], 3.0)  # a fourth bedroom adds nothing
        + weights["bathrms"] * house["bathrms"]
        + weights["stories"] * house["stories"]
        + weights["airco"] * house["airco"] * house["lotsize"] / 5000.0  # worth more in a bigger house
        + weights["garagepl"] * house["garagepl"]
    )
    return price * (1.5 if house["prefarea"] else 1.0)  # the neighbourhood scales everything
