"""Standardisation, the seeded train/test split, mini-batches, and weights back in real units."""

import random
import statistics

import pytest

from micrograd_plus.datasets import (
    Dataset,
    Standardizer,
    batches,
    linear_in_original_units,
    load_windsor,
    train_test_split,
)


def random_rows(n: int, width: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.gauss(100.0 * j, 1.0 + 10.0 * j) for j in range(width)] for _ in range(n)]


# ---- Standardizer ---------------------------------------------------------------------------------


def test_transform_gives_each_column_mean_0_and_population_std_1():
    X = random_rows(200, 4, seed=0)
    Z = Standardizer().fit_transform(X)
    for column in zip(*Z):
        assert statistics.fmean(column) == pytest.approx(0.0, abs=1e-12)
        assert statistics.pstdev(column) == pytest.approx(1.0, rel=1e-12)


def test_standardisation_round_trip_returns_the_original_rows():
    X = random_rows(50, 3, seed=1)
    scaler = Standardizer().fit(X)
    back = scaler.inverse_transform(scaler.transform(X))
    for row, original in zip(back, X):
        assert row == pytest.approx(original, rel=1e-12, abs=1e-9)


def test_target_round_trip_on_a_plain_list():
    y = [g[0] for g in random_rows(30, 1, seed=2)]
    scaler = Standardizer().fit_target(y)
    z = scaler.transform_target(y)
    assert statistics.fmean(z) == pytest.approx(0.0, abs=1e-12)
    assert statistics.pstdev(z) == pytest.approx(1.0, rel=1e-12)
    assert scaler.inverse_transform_target(z) == pytest.approx(y, rel=1e-12)


def test_test_rows_use_the_training_statistics():
    train, test = [[0.0], [2.0]], [[4.0]]
    scaler = Standardizer().fit(train)
    assert (scaler.mean, scaler.scale) == ([1.0], [1.0])
    assert scaler.transform(test) == [[3.0]]


def test_a_constant_column_is_shifted_not_divided_by_zero():
    scaler = Standardizer().fit([[5.0, 1.0], [5.0, 3.0]])
    assert scaler.scale == [1.0, 1.0]
    assert scaler.transform([[5.0, 2.0]]) == [[0.0, 0.0]]


def test_to_dict_and_from_dict_round_trip():
    scaler = Standardizer().fit(random_rows(20, 2, seed=3))
    again = Standardizer.from_dict(scaler.to_dict())
    assert (again.mean, again.scale) == (scaler.mean, scaler.scale)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"mean": [0.0]}, "keys 'mean' and 'scale'"),
        ({"mean": [0.0], "scale": [0.0]}, r"scale\[0\] is 0.0; every scale must be a positive number >= 1e-100"),
        ({"mean": "0", "scale": [1.0]}, "a Standardizer's 'mean' is a list of numbers, got '0'"),
        ({"mean": ["0"], "scale": [1.0]}, r"mean\[0\] must be a number, got str"),
        ({"mean": [1e101], "scale": [1.0]}, r"mean\[0\] is too large \(1e\+101\)"),
        ({"mean": [0.0], "scale": [1e-101]}, r"scale\[0\] is 1e-101; every scale must be a positive number >= 1e-100"),
    ],
)
def test_from_dict_rejects_bad_descriptions(data, message):
    with pytest.raises(ValueError, match=message):
        Standardizer.from_dict(data)


def test_an_unfitted_standardizer_says_to_call_fit():
    with pytest.raises(RuntimeError, match="not fitted yet; call fit"):
        Standardizer().transform([[1.0]])


def test_rows_of_the_wrong_width_are_refused():
    scaler = Standardizer().fit([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="fitted on 2 columns, got a row of 3"):
        scaler.transform([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="at least one row"):
        Standardizer().fit([])


# ---- train_test_split -------------------------------------------------------------------------------


def test_split_is_deterministic_for_a_seed_and_differs_across_seeds():
    houses = load_windsor()
    first_train, first_test = train_test_split(houses, 0.2, seed=7)
    again_train, again_test = train_test_split(houses, 0.2, seed=7)
    assert (first_train.X, first_train.y, first_test.y) == (again_train.X, again_train.y, again_test.y)
    assert train_test_split(houses, 0.2, seed=8)[1].y != first_test.y


def test_split_is_a_partition_of_the_rows_with_the_requested_sizes():
    data = Dataset([[float(i)] for i in range(101)], [float(i) for i in range(101)], ["i"], "y")
    train, test = train_test_split(data, test_fraction=0.25, seed=0)
    assert len(test) == round(101 * 0.25) and len(train) == 101 - len(test)
    assert sorted(train.y + test.y) == data.y


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5, True, "0.2"])
def test_split_rejects_fractions_outside_0_1(fraction):
    data = Dataset([[1.0]] * 10, [1.0] * 10, ["x"], "y")
    with pytest.raises(ValueError, match="test_fraction must be a number between 0 and 1"):
        train_test_split(data, fraction)


def test_split_refuses_to_leave_a_part_empty():
    data = Dataset([[1.0], [2.0]], [1.0, 2.0], ["x"], "y")
    with pytest.raises(ValueError, match="each part needs at least one"):
        train_test_split(data, 0.1)


# ---- batches ------------------------------------------------------------------------------------------


def test_batches_cover_every_index_once_with_the_last_batch_smaller():
    groups = batches(10, 4, random.Random(0))
    assert [len(g) for g in groups] == [4, 4, 2]
    assert sorted(i for g in groups for i in g) == list(range(10))


def test_batches_shuffle_with_the_rng_and_keep_order_without_it():
    assert batches(5, 2) == [[0, 1], [2, 3], [4]]
    assert batches(20, 5, random.Random(1)) == batches(20, 5, random.Random(1))
    assert batches(20, 5, random.Random(1)) != batches(20, 5)


@pytest.mark.parametrize("size", [0, -1, 2.5, True])
def test_batches_rejects_a_bad_batch_size(size):
    with pytest.raises(ValueError, match="batch_size must be a positive whole number"):
        batches(10, size)


# ---- linear_in_original_units ------------------------------------------------------------------------


def test_real_unit_weights_give_the_same_predictions_as_the_standardised_model():
    X = random_rows(40, 3, seed=4)
    y = [3.0 * row[0] - 2.0 * row[1] + 0.5 * row[2] + 7.0 for row in X]
    features, target = Standardizer().fit(X), Standardizer().fit_target(y)
    rng = random.Random(5)
    w_std, b_std = [rng.uniform(-1, 1) for _ in range(3)], rng.uniform(-1, 1)
    weights, bias = linear_in_original_units(w_std, b_std, features, target)
    by_scaling = target.inverse_transform_target(
        [sum(w * z for w, z in zip(w_std, row)) + b_std for row in features.transform(X)]
    )
    direct = [sum(w * x for w, x in zip(weights, row)) + bias for row in X]
    assert direct == pytest.approx(by_scaling, rel=1e-10)


def test_standardise_puts_a_dataset_on_the_training_scales():
    from micrograd_plus.datasets import make_houses, standardise

    train, test = train_test_split(make_houses(n=60, seed=3), test_fraction=0.25, seed=0)
    features, target = Standardizer().fit(train.X), Standardizer().fit_target(train.y)
    scaled = standardise(test, features, target)
    assert scaled.X == features.transform(test.X)
    assert scaled.y == target.transform_target(test.y)
    assert scaled.feature_names == test.feature_names
    assert target.inverse_transform_target(scaled.y) == pytest.approx(test.y, rel=1e-12)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"mean": [0.0, float("nan")], "scale": [1.0, 1.0]}, r"mean\[1\] is not a finite number \(it is nan\)"),
        ({"mean": [float("inf")], "scale": [1.0]}, r"mean\[0\] is not a finite number \(it is inf\)"),
        ({"mean": [0.0], "scale": [float("nan")]}, r"scale\[0\] is not a finite number \(it is nan\)"),
        ({"mean": [0.0, 1.0], "scale": [1.0, float("inf")]}, r"scale\[1\] is not a finite number \(it is inf\)"),
    ],
)
def test_standardizer_rejects_non_finite_numbers_naming_the_field(data, message):
    with pytest.raises(ValueError, match=message):
        Standardizer.from_dict(data)
    with pytest.raises(ValueError, match=message):
        Standardizer(data["mean"], data["scale"])


@pytest.mark.parametrize("huge", [1e300, -1e300, float("nan"), float("inf")])
def test_standardizer_fit_names_the_column_that_overflows_instead_of_an_overflow_traceback(huge):
    rows = [[1.0, huge, 3.0], [2.0, -huge if huge == huge else huge, 4.0]]
    scaler = Standardizer()
    with pytest.raises(ValueError, match=r"column 1 \(counting from 0\) holds NaN, infinite, or values too large"):
        scaler.fit(rows)
    assert scaler.mean is None  # a failed fit leaves it unfitted, not half fitted
