"""Data sets: the bundled Windsor house sales, synthetic houses with known weights, toy sets."""

from .toy import make_moons

__all__ = ["make_moons"]
