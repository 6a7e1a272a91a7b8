"""The bundled names, the character tokenizer, the reference split and the bigram baseline."""

import math

import pytest

from micrograd_plus.datasets.names import (
    BOUNDARY,
    LONGEST_NAME,
    NAMES_FILE,
    VOCAB,
    VOCAB_SIZE,
    Bigram,
    decode,
    encode,
    load_names,
    split_names,
    uniform_loss,
)


@pytest.fixture(scope="module")
def names() -> list[str]:
    return load_names()


def test_the_bundled_names_are_the_documented_list_with_its_license(names):
    # the figures of ../shared/data/README.md, where the list comes from
    assert len(names) == 32_033
    assert sum(map(len, names)) == 196_113
    assert max(map(len, names)) == 15
    assert names[:3] == ["emma", "olivia", "ava"]
    notice = NAMES_FILE.with_name("names_LICENSE.txt").read_text()
    assert "MIT License" in notice and "Copyright (c) 2022 Andrej Karpathy" in notice


def test_tokens_are_26_letters_and_one_boundary_and_round_trip(names):
    assert VOCAB_SIZE == len(VOCAB) == 27 and VOCAB[BOUNDARY] == "."
    assert encode("ava") == [BOUNDARY, 1, 22, 1, BOUNDARY]
    assert all(decode(encode(name)) == name for name in names)


@pytest.mark.parametrize("bad", ["Ava", "jo-ann", "a.b", "zoë"])
def test_encode_refuses_anything_but_lowercase_letters(bad):
    with pytest.raises(ValueError, match="only hold the letters a-z"):
        encode(bad)


def test_load_names_refuses_a_file_without_names(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("\n")
    with pytest.raises(ValueError, match="holds no names"):
        load_names(path)


def test_the_split_is_seeded_90_10_and_covers_every_name_once(names):
    train, held_out = split_names(names)
    assert (len(train), len(held_out)) == (28_829, 3_204)
    assert sorted(train + held_out) == sorted(names)
    assert split_names(names) == (train, held_out)
    assert split_names(names, seed=1)[1] != held_out
    with pytest.raises(ValueError, match="fraction between 0 and 1"):
        split_names(names, held_out=1.0)


def test_the_bigram_counts_pairs_with_smoothing():
    # ".ab." and ".b." give the pairs (.,a) (a,b) (b,.) (.,b) (b,.); row "." saw a once and b once
    model = Bigram.fit(["ab", "b"], smoothing=0.1)
    start = model.probabilities[BOUNDARY]
    assert start[VOCAB.index("a")] == pytest.approx(1.1 / (2 + 2.7))
    assert start[VOCAB.index("z")] == pytest.approx(0.1 / (2 + 2.7))
    assert all(sum(row) == pytest.approx(1.0) for row in model.probabilities)
    expected = -(math.log(1.1 / 4.7) + math.log(2.1 / 4.7)) / 2  # ".b.": (.,b), then (b,.) seen twice of 2
    assert model.loss(["b"]) == pytest.approx(expected)


def test_the_bigram_and_uniform_guess_reproduce_the_reference_figures(names):
    train, held_out = split_names(names)
    model = Bigram.fit(train)
    assert round(model.loss(train), 3) == 2.455  # ../shared/data/README.md
    assert round(model.loss(held_out), 3) == 2.444
    assert round(uniform_loss(), 3) == 3.296
    with pytest.raises(ValueError, match="smoothing must be > 0"):
        Bigram.fit(train, smoothing=0.0)


def test_the_longest_bundled_name_is_the_one_the_gpt_demo_sizes_its_steps_by(names):
    assert max(len(name) for name in names) == LONGEST_NAME
