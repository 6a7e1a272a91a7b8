"""House data: the bundled Windsor sales, the CSV loader and its errors, synthetic houses with known weights."""

import csv
import math

import pytest

from micrograd_plus.datasets import Dataset, load_csv, load_features, load_windsor, make_houses
from micrograd_plus.datasets.dataset import check_number
from micrograd_plus.datasets.houses import DEFAULT_BIAS, DEFAULT_WEIGHTS, WINDSOR_PATH, parse_value
from micrograd_plus.metrics import least_squares, r2_score

WINDSOR_COLUMNS = [
    "price", "lotsize", "bedrooms", "bathrms", "stories", "driveway",
    "recroom", "fullbase", "gashw", "airco", "garagepl", "prefarea",
]  # fmt: skip


def write(tmp_path, text: str, name: str = "houses.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- the bundled Windsor data --------------------------------------------------------------------


def test_windsor_has_546_sales_and_the_11_documented_features():
    houses = load_windsor()
    assert len(houses) == 546
    assert houses.target_name == "price"
    assert houses.feature_names == WINDSOR_COLUMNS[1:]
    assert houses.true_weights is None


def test_windsor_cells_match_the_raw_file_with_yes_no_as_one_zero():
    houses = load_windsor()
    with WINDSOR_PATH.open(newline="") as file:
        raw = list(csv.DictReader(file))
    assert len(raw) == len(houses)
    for row, features, price in zip(raw, houses.X, houses.y):
        assert price == float(row["price"])
        for name, value in zip(houses.feature_names, features):
            expected = {"yes": 1.0, "no": 0.0}.get(row[name])
            assert value == (float(row[name]) if expected is None else expected)


def test_windsor_least_squares_reproduces_the_published_full_sample_r2():
    # data/README.md: OLS of price on the 11 features with an intercept has full-sample R² 0.673
    houses = load_windsor()
    weights, bias = least_squares(houses.X, houses.y)
    predicted = [sum(w * x for w, x in zip(weights, row)) + bias for row in houses.X]
    assert r2_score(houses.y, predicted) == pytest.approx(0.673, abs=0.0005)


# ---- load_csv: good files ------------------------------------------------------------------------


def test_load_csv_reads_words_as_numbers_in_any_case_and_skips_blank_lines(tmp_path):
    path = write(tmp_path, "price,pool,garden,rooms\n100,Yes,FALSE,3\n\n200,no,true,4.5\n")
    data = load_csv(path)
    assert data.feature_names == ["pool", "garden", "rooms"]
    assert data.X == [[1.0, 0.0, 3.0], [0.0, 1.0, 4.5]]
    assert data.y == [100.0, 200.0]


def test_load_csv_takes_the_chosen_target_and_features_in_the_given_order(tmp_path):
    path = write(tmp_path, "a,b,c,d\n1,2,3,4\n5,6,7,8\n")
    data = load_csv(path, target="c", features=["d", "a"])
    assert (data.target_name, data.feature_names) == ("c", ["d", "a"])
    assert data.X == [[4.0, 1.0], [8.0, 5.0]]
    assert data.y == [3.0, 7.0]


def test_load_csv_ignores_a_byte_order_mark_and_spaces_around_names(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffprice , size\n10, 2 \n".encode())
    data = load_csv(path)
    assert data.feature_names == ["size"]
    assert (data.X, data.y) == ([[2.0]], [10.0])


def test_load_features_reads_houses_without_a_price_column(tmp_path):
    path = write(tmp_path, "size,rooms\n50,2\n80,3\n")
    assert load_features(path, ["rooms", "size"]) == [[2.0, 50.0], [3.0, 80.0]]


# ---- load_csv: each bad file gets a specific error -----------------------------------------------


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at .*nope.csv.*; expected a CSV file of house sales"):
        load_csv(tmp_path / "nope.csv")


def test_a_folder_instead_of_a_file_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load_csv(tmp_path)


@pytest.mark.parametrize("text", ["", "\n\n  \n"], ids=["empty", "blank_lines"])
def test_empty_file_says_a_header_is_expected(tmp_path, text):
    with pytest.raises(ValueError, match="is empty; expected a header line"):
        load_csv(write(tmp_path, text))


def test_header_without_rows_asks_for_data(tmp_path):
    with pytest.raises(ValueError, match="has a header line but no data rows"):
        load_csv(write(tmp_path, "price,size\n"))


def test_missing_target_column_is_named_with_the_available_columns(tmp_path):
    with pytest.raises(ValueError) as error:
        load_csv(write(tmp_path, "cost,size,rooms\n1,2,3\n"), target="price")
    message = str(error.value)
    assert "no column 'price'" in message
    assert "cost, size, rooms" in message


def test_missing_feature_columns_are_named_with_the_available_columns(tmp_path):
    with pytest.raises(ValueError, match=r"no column\(s\) \['pool', 'view'\]; its columns are: price, size"):
        load_csv(write(tmp_path, "price,size\n1,2\n"), features=["size", "pool", "view"])


def test_non_numeric_cell_names_its_row_and_column(tmp_path):
    path = write(tmp_path, "price,size,rooms\n100,50,2\n200,big,3\n")
    with pytest.raises(ValueError) as error:
        load_csv(path)
    message = str(error.value)
    assert "row 2 (line 3)" in message
    assert "column 'size'" in message
    assert "'big' is not a number" in message


def test_non_numeric_target_cell_is_reported_too(tmp_path):
    with pytest.raises(ValueError, match=r"row 1 \(line 2\), column 'price': '\$100' is not a number"):
        load_csv(write(tmp_path, "price,size\n$100,50\n"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("price,size\n100,\n", "row 1 .*column 'size': the value is empty"),
        ("price,size\n100,nan\n", "column 'size': 'nan' is not a finite number"),
        ("price,size\n100,inf\n", "column 'size': 'inf' is not a finite number"),
        ("price,size\n100,50,7\n", "has 3 cells, but the header has 2 columns"),
        ("price,size\n100\n", "has 1 cells, but the header has 2 columns"),
        ("price,size,size\n1,2,3\n", r"more than once: \['size'\]"),
        ("price,,size\n1,2,3\n", "the header line of .* has an empty name at position 2; name every column"),
        ("price\n1\n", "no column besides the target"),
    ],
    ids=["empty_cell", "nan", "inf", "too_many_cells", "too_few_cells", "duplicate_column", "unnamed", "no_features"],
)
def test_malformed_rows_and_headers_get_specific_errors(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        load_csv(write(tmp_path, text))


def test_target_cannot_also_be_a_feature(tmp_path):
    with pytest.raises(ValueError, match="cannot also be a feature"):
        load_csv(write(tmp_path, "price,size\n1,2\n"), features=["size", "price"])


def test_features_given_as_one_string_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match=r"list of column names, got the string 'size'"):
        load_csv(write(tmp_path, "price,size\n1,2\n"), features="size")


# ---- Dataset ----------------------------------------------------------------------------------------


def test_subset_takes_rows_in_the_given_order_and_keeps_the_truth():
    data = Dataset([[1.0], [2.0], [3.0]], [10.0, 20.0, 30.0], ["x"], "y", {"x": 10.0}, 0.0)
    part = data.subset([2, 0])
    assert (part.X, part.y, len(part)) == ([[3.0], [1.0]], [30.0, 10.0], 2)
    assert (part.true_weights, part.true_bias) == ({"x": 10.0}, 0.0)
    part.X[0][0] = 99.0  # a copy: the original is untouched
    assert data.X[2] == [3.0]
    assert data.column("x") == [1.0, 2.0, 3.0]


def test_dataset_checks_its_shapes():
    with pytest.raises(ValueError, match="one target per row: got 2 rows and 1 targets"):
        Dataset([[1.0], [2.0]], [1.0], ["x"], "y")
    with pytest.raises(ValueError, match="row 1 of the Dataset has 2 values, but there are 1 feature names"):
        Dataset([[1.0], [2.0, 3.0]], [1.0, 2.0], ["x"], "y")


# ---- synthetic houses -------------------------------------------------------------------------------


def test_make_houses_is_seeded():
    assert make_houses(50, seed=3).X == make_houses(50, seed=3).X
    assert make_houses(50, seed=3).y == make_houses(50, seed=3).y
    assert make_houses(50, seed=3).y != make_houses(50, seed=4).y


def test_noise_free_synthetic_prices_are_exactly_the_true_weighted_sum():
    houses = make_houses(200, seed=1, noise=0.0)
    assert houses.true_weights == DEFAULT_WEIGHTS
    assert houses.true_bias == DEFAULT_BIAS
    for row, price in zip(houses.X, houses.y):
        expected = houses.true_bias + sum(houses.true_weights[n] * x for n, x in zip(houses.feature_names, row))
        assert price == pytest.approx(expected, rel=1e-12)


def test_weights_and_bias_override_the_defaults_by_name():
    houses = make_houses(100, seed=2, noise=0.0, weights={"lotsize": 10.0}, bias=-500.0)
    assert houses.true_weights == {**DEFAULT_WEIGHTS, "lotsize": 10.0}
    weights, bias = least_squares(houses.X, houses.y)
    assert weights[houses.feature_names.index("lotsize")] == pytest.approx(10.0, rel=1e-6)
    assert bias == pytest.approx(-500.0, abs=1e-3)


def test_the_noise_has_the_requested_standard_deviation():
    clean, noisy = make_houses(2000, seed=5, noise=0.0), make_houses(2000, seed=5, noise=3000.0)
    residuals = [b - a for a, b in zip(clean.y, noisy.y)]
    mean = sum(residuals) / len(residuals)
    std = math.sqrt(sum((r - mean) ** 2 for r in residuals) / len(residuals))
    assert std == pytest.approx(3000.0, rel=0.05)


def test_nonlinear_prices_are_beyond_any_weighted_sum():
    linear, nonlinear = make_houses(400, seed=0, noise=0.0), make_houses(400, seed=0, noise=0.0, nonlinear=True)
    assert nonlinear.true_weights is None and nonlinear.true_bias is None
    for data, expected_r2 in ((linear, 1.0), (nonlinear, None)):
        weights, bias = least_squares(data.X, data.y)
        r2 = r2_score(data.y, [sum(w * x for w, x in zip(weights, row)) + bias for row in data.X])
        if expected_r2 is None:
            assert r2 < 0.97  # a linear model cannot capture diminishing returns and interactions
        else:
            assert r2 == pytest.approx(expected_r2, abs=1e-9)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0}, r"n \(the number of houses\) must be a positive whole number, got 0"),
        ({"noise": -1.0}, "noise is a standard deviation"),
        ({"weights": {"pool": 5.0}}, "no feature 'pool'"),
    ],
)
def test_make_houses_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_houses(**kwargs)


def test_a_csv_that_is_not_utf8_names_the_file_and_says_to_save_it_as_utf8(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("price,größe\n1,2\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1.csv' is not UTF-8 text .*save it as 'CSV UTF-8'"):
        load_csv(path)


def test_absurd_magnitudes_are_refused_by_the_csv_parser(tmp_path):
    with pytest.raises(ValueError, match=r"row 1 \(line 2\), column 'size': '1e300' is too large"):
        load_csv(write(tmp_path, "price,size\n1,1e300\n"))
    assert load_csv(write(tmp_path, "price,size\n1,-1e100\n")).X == [[-1e100]]  # the limit itself is accepted


@pytest.mark.parametrize(
    "text, value", [("5000", 5000.0), (" YES ", 1.0), ("no", 0.0), ("True", 1.0), ("false", 0.0), ("-2.5e3", -2500.0)]
)
def test_parse_value_reads_numbers_and_yes_no_words(text, value):
    assert parse_value(text) == value


@pytest.mark.parametrize(
    "text, message", [("", "empty"), ("big", "'big' is not a number"), ("nan", "not a finite"), ("2e200", "too large")]
)
def test_parse_value_refuses_what_is_not_a_value(text, message):
    with pytest.raises(ValueError, match=message):
        parse_value(text)


@pytest.mark.parametrize(
    "value, message",
    [
        ("1.5", "x must be a number, got str: '1.5'"),
        (True, "x must be a number, got bool: True"),
        (None, "x must be a number, got NoneType"),
        (float("nan"), r"x is not a finite number \(it is nan\)"),
        (float("-inf"), r"x is not a finite number \(it is -inf\)"),
        (-1e101, r"x is too large \(-1e\+101\)"),
        (10**400, r"x is too large \(a whole number of 401 digits\)"),
        (-(10**400), r"x is too large \(a whole number of 401 digits\)"),
    ],
)
def test_the_one_number_check_refuses_what_no_file_should_hold(value, message):
    with pytest.raises(ValueError, match=message):
        check_number(value, "x")


def test_the_one_number_check_accepts_finite_numbers_up_to_the_limit():
    assert [check_number(v, "x") for v in (0, -3, 2.5, 1e100, -1e100, 10**20)] == [0.0, -3.0, 2.5, 1e100, -1e100, 1e20]
