"""Small 2-D classification sets made from a seeded random.Random (plain floats, no numpy)."""

import math
import random

__all__ = ["make_moons"]


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half-moons: n points [x, y] with labels -1 (upper moon) and +1 (lower moon).

    The same recipe as ../shared/bench/w1.py, so benchmarks and lessons see identical points.
    """
    if n < 4 or n % 2:
        raise ValueError(f"make_moons needs an even n >= 4, got {n!r}")
    rng = random.Random(seed)
    half = n // 2
    points, labels = [], []
    for i in range(n):
        t = math.pi * (i % half) / (half - 1)
        if i < half:
            x, y, label = math.cos(t), math.sin(t), -1
        else:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), 1
        points.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        labels.append(label)
    return points, labels
