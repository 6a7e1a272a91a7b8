"""First names for the tiny GPT: the bundled list, a character tokenizer, the reference split, a bigram model.

`names.txt` holds 32,033 lowercase first names (a-z only) from karpathy/makemore (MIT License, Copyright (c) 2022
Andrej Karpathy; see names_LICENSE.txt beside it), compiled from the US Social Security Administration's public
baby-name records. A name is read as tokens: the boundary token "." (id 0), its letters (ids 1-26), and "." again,
so a model learns where names start and where they end.
"""

import math
import random
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..files import read_input

__all__ = [
    "VOCAB",
    "BOUNDARY",
    "VOCAB_SIZE",
    "LONGEST_NAME",
    "load_names",
    "encode",
    "decode",
    "split_names",
    "Bigram",
    "uniform_loss",
]

NAMES_FILE = Path(__file__).with_name("names.txt")
VOCAB = "." + string.ascii_lowercase  # token id -> character; "." marks where a name starts and ends
BOUNDARY = 0
VOCAB_SIZE = len(VOCAB)  # 27
LONGEST_NAME = 15  # letters in the longest bundled name: a training step reads at most 16 positions of one
_LETTER_IDS = {letter: index for index, letter in enumerate(VOCAB) if index != BOUNDARY}


def load_names(path: str | Path = NAMES_FILE) -> list[str]:
    """The names in `path` (default: the bundled 32,033), one per line, in file order; each checked to be a-z."""
    names = read_input(path, "a file of names, one per line").decode("utf-8").split()
    if not names:
        raise ValueError(f"{str(path)!r} holds no names; expected one lowercase name per line")
    for name in names:
        encode(name)  # raises on a character outside a-z, naming it
    return names


def encode(name: str) -> list[int]:
    """The token ids of `name` between two boundaries: encode("ava") == [0, 1, 22, 1, 0]."""
    try:
        return [BOUNDARY, *(_LETTER_IDS[letter] for letter in name), BOUNDARY]
    except KeyError:
        bad = next(character for character in name if character not in _LETTER_IDS)
        raise ValueError(f"names may only hold the letters a-z, got {bad!r} in {name!r}") from None


def decode(tokens: Sequence[int]) -> str:
    """The letters of `tokens`, boundaries left out: decode([0, 1, 22, 1, 0]) == "ava"."""
    return "".join(VOCAB[token] for token in tokens if token != BOUNDARY)


def split_names(names: Sequence[str], held_out: float = 0.1, seed: int = 0) -> tuple[list[str], list[str]]:
    """(training names, held-out names): shuffled with random.Random(seed), the first 90% train.

    The defaults give the reference split of the data README (28,829 training and 3,204 held-out names).
    """
    if not 0.0 < held_out < 1.0:
        raise ValueError(f"held_out must be a fraction between 0 and 1 (e.g. 0.1 for 10%), got {held_out!r}")
    shuffled = list(names)
    random.Random(seed).shuffle(shuffled)
    n_train = int((1.0 - held_out) * len(shuffled))
    return shuffled[:n_train], shuffled[n_train:]


def uniform_loss() -> float:
    """The loss of guessing every token with the same probability 1/27: ln 27 = 3.296."""
    return math.log(VOCAB_SIZE)


@dataclass
class Bigram:
    """The previous token predicts the next: probabilities are counts, fitted in closed form (no gradient descent).

    P(next | previous) = (count(previous, next) + smoothing) / (count(previous) + 27 * smoothing). The smoothing
    gives every pair a small chance, so a pair never seen in training does not cost an infinite loss.
    """

    probabilities: list[list[float]]  # probabilities[previous][next]

    @classmethod
    def fit(cls, names: Sequence[str], smoothing: float = 0.1) -> "Bigram":
        """Count every (previous, next) pair in `names` and normalise each row."""
        if not smoothing > 0.0:
            raise ValueError(f"smoothing must be > 0 (e.g. 0.1) so unseen pairs keep a chance, got {smoothing!r}")
        counts = [[smoothing] * VOCAB_SIZE for _ in range(VOCAB_SIZE)]
        for name in names:
            tokens = encode(name)
            for previous, following in zip(tokens, tokens[1:]):
                counts[previous][following] += 1.0
        return cls([[count / sum(row) for count in row] for row in counts])

    def loss(self, names: Sequence[str]) -> float:
        """Mean negative log-likelihood per predicted token (natural log) on `names`."""
        total, count = 0.0, 0
        for name in names:
            tokens = encode(name)
            for previous, following in zip(tokens, tokens[1:]):
                total -= math.log(self.probabilities[previous][following])
                count += 1
        return total / count
