"""The main job end to end: `house-prices` trains, reports and saves; `--load` and `predict` reuse the model."""

import contextlib
import csv
import dataclasses
import json

import pytest

from micrograd_plus.__main__ import main
from micrograd_plus.datasets import load_windsor, make_houses, train_test_split
from micrograd_plus.demos.house_prices import (
    DEFAULT_HYPERPARAMETERS,
    MODEL_FORMAT,
    HousePriceModel,
    load_model,
    run_house_prices,
)
from micrograd_plus.engine import topological_order
from micrograd_plus.train import Hyperparameters
from micrograd_plus.viz.plots import format_amount
from micrograd_plus.viz.render import find_renderer

GRAPH_FILE = "prediction_graph.svg" if find_renderer() else "prediction_graph.dot"
OUTPUT_FILES = [
    "loss_curves.png", "predicted_vs_actual.png", "feature_importance.png", "model.json", GRAPH_FILE, "report.txt",
]  # fmt: skip


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """One short run of the command line (3 epochs, a linear neuron and a 2-unit MLP): its folder and output."""
    out = tmp_path_factory.mktemp("house_prices")
    capture = tmp_path_factory.mktemp("stdout") / "stdout.txt"
    with capture.open("w") as stdout, contextlib.redirect_stdout(stdout):
        code = main(["house-prices", "--epochs", "3", "--hidden", "2", "--out", str(out)])
    return out, code, capture.read_text()


def test_the_cli_run_writes_every_output_file(cli_run):
    out, code, _ = cli_run
    assert code == 0
    for name in OUTPUT_FILES:
        assert (out / name).stat().st_size > 0, name
    assert not list(out.glob(".*.tmp"))  # the atomic save leaves no temporary file behind


def test_the_report_compares_with_baselines_and_explains_every_weight(cli_run):
    out, _, printed = cli_run
    report = (out / "report.txt").read_text().strip()
    assert printed.strip().endswith(report)
    progress = printed.strip()[: -len(report)].strip().splitlines()
    # not a terminal: plain progress lines (every epoch of 3), no carriage returns
    assert "\r" not in printed
    assert progress[0] == "training the linear neuron" and progress[4] == "training the MLP 11-2-1 (tanh)"
    assert [line.split("  ")[0] for line in progress[1:4] + progress[5:]] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"] * 2
    for phrase in ("predict the training mean", "least squares (closed form)", "linear neuron", "MLP 11-2-1"):
        assert phrase in printed
    assert "lr=0.05  epochs=3  batch_size=all  hidden=[2]" in printed
    assert "linear neuron: 11 weights + 1 bias = 12 parameters" in printed
    assert "MLP 11-2-1 (tanh): 11x2 weights + 2 biases + 2x1 weights + 1 bias = 27 parameters" in printed
    table = printed.split("What the linear neuron learned")[1]
    for name in load_windsor().feature_names:
        assert f"  {name} " in table
    assert "per extra square foot of lot" in table and "for central air conditioning" in table


def test_the_saved_json_is_versioned_and_holds_everything_needed(cli_run):
    out, _, _ = cli_run
    saved = json.loads((out / "model.json").read_text())
    assert (saved["format"], saved["version"]) == (MODEL_FORMAT, 1)
    assert saved["feature_names"] == load_windsor().feature_names
    assert saved["hyperparameters"]["epochs"] == 3 and saved["hyperparameters"]["hidden"] == [2]
    assert set(saved["networks"]) == {"linear", "mlp"}
    assert len(saved["networks"]["mlp"]["state_dict"]) == 27
    assert len(saved["feature_scaling"]["mean"]) == 11 and len(saved["target_scaling"]["scale"]) == 1


def test_reloading_the_json_gives_the_same_predictions(tmp_path):
    hyperparameters = Hyperparameters(lr=0.05, epochs=2, batch_size=None, hidden=[3], seed=1)
    run = run_house_prices("windsor", hyperparameters=hyperparameters, out=tmp_path, quiet=True)
    again = load_model(tmp_path / "model.json")
    houses = load_windsor().X
    for network in ("linear", "mlp"):
        assert again.predict(houses, network) == run.model.predict(houses, network)  # bit for bit
    assert again.hyperparameters == hyperparameters


def test_load_reproduces_the_scores_without_training(cli_run, tmp_path):
    out, _, printed = cli_run
    code = main(["house-prices", "--load", str(out / "model.json"), "--out", str(tmp_path), "--quiet"])
    assert code == 0
    reloaded = (tmp_path / "report.txt").read_text()
    assert "Model loaded from" in reloaded and "trained in" not in reloaded
    scores = [line for line in printed.splitlines() if "(gradient descent)" in line or "baseline:" in line]
    assert len(scores) == 4
    assert scores == [line for line in reloaded.splitlines() if line in scores]


def test_predict_one_house_fills_missing_features_with_the_training_average(cli_run, capsys):
    out, _, _ = cli_run
    model = load_model(out / "model.json")
    code = main(["predict", "--model", str(out / "model.json"), "--house", "lotsize=5000", "bedrooms=3", "airco=yes"])
    assert code == 0
    printed = capsys.readouterr().out
    given = {"lotsize": 5000.0, "bedrooms": 3.0, "airco": 1.0}
    house = [given.get(name, mean) for name, mean in zip(model.feature_names, model.features.mean)]
    for network in ("linear", "mlp"):
        assert format_amount(model.predict([house], network)[0]) in printed
    assert "not given, so set to the training average: bathrms=" in printed


def test_predict_every_row_of_a_csv(cli_run, tmp_path, capsys):
    out, _, _ = cli_run
    model = load_model(out / "model.json")
    houses = load_windsor().X[:3]
    path = tmp_path / "new.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(model.feature_names)
        writer.writerows(houses)
    assert main(["predict", "--model", str(out / "model.json"), "--csv", str(path)]) == 0
    printed = capsys.readouterr().out
    for price in model.predict(houses, "linear") + model.predict(houses, "mlp"):
        assert format_amount(price) in printed


def test_the_price_graph_is_the_prediction_and_its_gradient_is_the_dollar_weight(tmp_path):
    run = run_house_prices(
        "synthetic", hyperparameters=Hyperparameters(lr=0.05, epochs=20, batch_size=None), out=tmp_path, quiet=True
    )
    model, house = run.model, run.test.X[0]
    price = model.price(house)
    assert price.data == pytest.approx(model.predict([house])[0], rel=1e-12)
    price.backward()
    inputs = {node.label: node for node in topological_order(price) if node.label in model.feature_names}
    weights, _ = model.linear_weights()
    for name, weight in zip(model.feature_names, weights):
        assert inputs[name].grad == pytest.approx(weight, rel=1e-9)  # d price / d feature = dollars per unit


def test_default_settings_match_least_squares_on_windsor(tmp_path):
    run = run_house_prices(hyperparameters=DEFAULT_HYPERPARAMETERS, out=tmp_path, quiet=True)
    assert (len(run.train), len(run.test)) == (437, 109)
    linear, ols = run.metrics["linear"], run.metrics["ols"]
    assert linear["test_r2"] >= ols["test_r2"] - 0.02
    weights, bias = run.model.linear_weights()
    assert weights == pytest.approx(ols["weights"], rel=0.05)
    assert f"quality target: test R² >= {ols['test_r2'] - 0.02:.3f} (least squares' {ols['test_r2']:.3f} - 0.02)" in (
        run.report
    )
    assert (
        f"linear neuron: test R² {linear['test_r2']:.3f} (+0.000 vs least squares): met, first at epoch" in run.report
    )


def test_the_quality_target_epoch_is_the_first_whose_model_reaches_it(tmp_path):
    run = run_house_prices(hyperparameters=DEFAULT_HYPERPARAMETERS, out=tmp_path / "full", quiet=True)
    epoch, target = run.metrics["linear"]["target_epoch"], round(run.metrics["ols"]["test_r2"] - 0.02, 3)
    assert 1 < epoch < DEFAULT_HYPERPARAMETERS.epochs
    # retrain from scratch for exactly `epoch` and `epoch - 1` epochs: the same seeded run, cut short
    cut = [dataclasses.replace(DEFAULT_HYPERPARAMETERS, epochs=n) for n in (epoch, epoch - 1)]
    at, before = (run_house_prices(hyperparameters=h, out=tmp_path / str(h.epochs), quiet=True) for h in cut)
    assert round(at.metrics["linear"]["test_r2"], 3) >= target > round(before.metrics["linear"]["test_r2"], 3)


def test_quiet_synthetic_run_prints_nothing_and_reports_the_true_weights(tmp_path, capsys):
    assert main(["house-prices", "--data", "synthetic", "--epochs", "1", "--quiet", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""
    assert "true weight" in (tmp_path / "report.txt").read_text()


def test_a_csv_of_your_own_with_another_target(tmp_path):
    houses = make_houses(60, seed=3)
    path = tmp_path / "mine.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["cost", *houses.feature_names])
        writer.writerows([price, *row] for price, row in zip(houses.y, houses.X))
    out = tmp_path / "out"
    args = ["house-prices", "--data", str(path), "--target", "cost", "--epochs", "2", "--quiet", "--out", str(out)]
    assert main(args) == 0
    assert "predicting 'cost'" in (out / "report.txt").read_text()
    assert load_model(out / "model.json").target_name == "cost"


def test_the_split_is_the_documented_seeded_split(tmp_path):
    run = run_house_prices(hyperparameters=Hyperparameters(epochs=1, seed=4), out=tmp_path, quiet=True)
    train, test = train_test_split(load_windsor(), 0.2, seed=4)
    assert (run.train.y, run.test.y) == (train.y, test.y)


# ---- errors: one clear line, exit code 2 -------------------------------------------------------------


@pytest.fixture
def saved_model(cli_run):
    return json.loads((cli_run[0] / "model.json").read_text())


def write_json(tmp_path, data) -> str:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: json.dumps(m)[:200], "is not valid JSON"),
        (
            lambda m: {"format": "keras", "weights": []},
            "is not a micrograd_plus model .*: its format is 'keras', expected 'micrograd_plus.model'",
        ),
        (lambda m: [1, 2, 3], "is not a micrograd_plus model .*: it holds a JSON list, not an object"),
        (lambda m: {**m, "version": 99}, r"\(field version\): it is 99; this program reads version 1"),
        (
            lambda m: {k: v for k, v in m.items() if k != "feature_scaling"},
            "is not a usable house-price model: it has no field 'feature_scaling'",
        ),
        (
            lambda m: {**m, "networks": {"linear": {**m["networks"]["linear"], "state_dict": {}}}},
            r"damaged model file \(field networks.linear.arguments\): .* 12 parameters, but the state_dict holds 0",
        ),
        (
            lambda m: m["networks"]["linear"]["state_dict"].pop("layers.0.neurons.0.b") and m,
            r"damaged model file \(field networks.linear.arguments\): .*state_dict holds 11",
        ),
        (
            lambda m: {**m, "networks": {**m["networks"], "linear": {**m["networks"]["linear"], "class": "os.system"}}},
            r"\(field networks.linear.class\): 'os.system' is not a class this reader builds \(MLP\)",
        ),
    ],
    ids=["truncated", "foreign", "not_a_dict", "version", "no_scaling", "empty_state_dict", "missing_key", "class"],
)
def test_corrupt_or_foreign_json_is_refused_with_the_reason(tmp_path, saved_model, change, message, capsys):
    path = write_json(tmp_path, change(saved_model))
    with pytest.raises(ValueError, match=message):
        load_model(path)
    assert main(["predict", "--model", path, "--house", "lotsize=5000"]) == 2
    assert "micrograd-plus predict: error:" in capsys.readouterr().err


def test_missing_model_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at .*absent.json.* written by `micrograd-plus house-prices`"):
        load_model(tmp_path / "absent.json")


@pytest.mark.parametrize(
    "house, message",
    [
        (["pool=1"], "the model has no feature 'pool'; its features are: lotsize, bedrooms"),
        (["lotsize=big"], "argument --house: lotsize=big: 'big' is not a number"),
        (["lotsize"], "argument --house: expected NAME=VALUE pairs such as lotsize=5000"),
    ],
)
def test_predict_reports_bad_house_arguments(cli_run, capsys, house, message):
    assert main(["predict", "--model", str(cli_run[0] / "model.json"), "--house", *house]) == 2
    assert message in capsys.readouterr().err


def test_too_few_rows_are_refused_before_training(tmp_path, capsys):
    path = tmp_path / "tiny.csv"
    path.write_text("price,size\n100,50\n200,70\n150,60\n")
    assert main(["house-prices", "--data", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "3 rows are too few" in capsys.readouterr().err


def test_a_bad_csv_stops_the_job_with_the_loader_message(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("price,size\n100,50\n200,large\n")
    assert main(["house-prices", "--data", str(path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "micrograd-plus house-prices: error:" in error and "row 2 (line 3), column 'size'" in error


# ---- the reviewer's bugs, one test each --------------------------------------------------------------


def write_csv(path, header, rows):
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def test_constant_feature_column_is_refused_naming_it(tmp_path, capsys):
    houses = make_houses(60, seed=3)
    path = write_csv(tmp_path / "c.csv", ["price", "lot", "b"], [[p, row[0], 7] for p, row in zip(houses.y, houses.X)])
    assert main(["house-prices", "--data", path, "--epochs", "1", "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "the feature column(s) 'b' have the same value in every row of" in error and "Remove them" in error
    assert not (tmp_path / "out").exists()  # refused before training: no outputs


def test_constant_feature_column_in_the_training_split_only_is_refused_naming_the_seed(tmp_path):
    houses = make_houses(20, seed=3)
    train, test = train_test_split(houses, 0.2, seed=0)
    flag = [[1.0 if row in test.X[:1] else 0.0] for row in houses.X]  # 1 only in one test row
    path = write_csv(
        tmp_path / "c.csv", ["price", "lot", "flag"], [[p, r[0], *f] for p, r, f in zip(houses.y, houses.X, flag)]
    )
    with pytest.raises(ValueError, match=r"'flag' have the same value in every training row \(the split with seed 0\)"):
        run_house_prices(path, hyperparameters=Hyperparameters(epochs=1), out=tmp_path / "out", quiet=True)


def test_huge_learning_rate_diverging_on_the_test_set_is_one_clear_line(tmp_path, capsys):
    assert main(["house-prices", "--lr", "1e300", "--epochs", "2", "--quiet", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "error: training diverged at epoch 1" in error and "Lower the learning rate" in error
    assert "Traceback" not in error


def test_guarded_catches_arithmetic_error_and_the_csv_refuses_absurd_magnitudes(tmp_path, capsys, monkeypatch):
    houses = make_houses(20, seed=3)
    path = write_csv(tmp_path / "h.csv", ["price", "lot"], [[p, row[0] * 1e300] for p, row in zip(houses.y, houses.X)])
    assert main(["house-prices", "--data", path, "--epochs", "1", "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "row 1 (line 2), column 'lot': " in error and "is too large" in error
    import micrograd_plus.demos.house_prices as house_prices

    def overflow(*args, **kwargs):
        raise OverflowError("math range error")

    monkeypatch.setattr(house_prices, "run_house_prices", overflow)
    assert main(["house-prices", "--epochs", "1", "--out", str(tmp_path / "out")]) == 2
    assert "error: a calculation overflowed (math range error); rescale the data" in capsys.readouterr().err


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda m: m["networks"]["linear"]["state_dict"].update({"layers.0.neurons.0.w.3": float("nan")}),
            r"\(field networks.linear.state_dict\): the value of 'layers.0.neurons.0.w.3' is not a finite number",
        ),
        (
            lambda m: m["feature_scaling"]["mean"].__setitem__(2, float("nan")),
            r"\(field feature_scaling\): mean\[2\] is not a finite number \(it is nan\)",
        ),
        (
            lambda m: m["target_scaling"]["scale"].__setitem__(0, float("inf")),
            r"\(field target_scaling\): scale\[0\] is not a finite number \(it is inf\)",
        ),
        (
            lambda m: m["networks"]["mlp"]["history"]["train_loss"].append(float("nan")),
            r"\(field networks.mlp.history\): train_loss\[3\] is not a finite number",
        ),
    ],
    ids=["nan_weight", "nan_mean", "infinite_scale", "nan_history"],
)
def test_nan_in_a_saved_model_is_refused_naming_the_field(tmp_path, saved_model, change, message, capsys):
    change(saved_model)
    path = write_json(tmp_path, saved_model)  # json.dumps writes NaN and Infinity, and json.loads reads them back
    with pytest.raises(ValueError, match="model.json' is a damaged model file .*" + message):
        load_model(path)
    assert main(["predict", "--model", path, "--house", "lotsize=5000"]) == 2
    assert "cannot convert" not in capsys.readouterr().err


def test_constant_target_is_refused_before_training(tmp_path, capsys):
    houses = make_houses(30, seed=3)
    path = write_csv(tmp_path / "flat.csv", ["price", "lot"], [[5, row[0]] for row in houses.X])
    assert main(["house-prices", "--data", path, "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert f"every row of 'price' in {path} has the same value (5.0); there is nothing to learn" in captured.err
    assert "training the" not in captured.out


def test_csv_that_is_not_utf8_is_named_with_how_to_fix_it(tmp_path, capsys):
    path = tmp_path / "latin1.csv"
    path.write_bytes("price,größe\n".encode("latin-1") + b"".join(b"%d,%d\n" % (i, i * i) for i in range(20)))
    assert main(["house-prices", "--data", str(path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "latin1.csv' is not UTF-8 text" in error and "save it as 'CSV UTF-8'" in error


@pytest.mark.parametrize("option", [["--epochs", "5"], ["--lr", "0.1"], ["--target", "price"], ["--seed", "3"]])
def test_load_refuses_training_options_it_would_ignore(cli_run, tmp_path, option, capsys):
    model = str(cli_run[0] / "model.json")
    assert main(["house-prices", "--load", model, *option, "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert f"{option[0]} would be ignored" in error and "leave out --load" in error
    with pytest.raises(ValueError, match="do not pass hyperparameters with load"):
        run_house_prices(load=model, hyperparameters=Hyperparameters(), out=tmp_path, quiet=True)


def test_load_on_other_data_does_not_claim_the_same_split(cli_run, tmp_path):
    windsor = load_windsor()
    path = write_csv(
        tmp_path / "part.csv", ["price", *windsor.feature_names], [[p, *r] for p, r in zip(windsor.y[:100], windsor.X)]
    )
    model = str(cli_run[0] / "model.json")
    report = run_house_prices(path, load=model, out=tmp_path / "out", quiet=True).report
    assert "same split" not in report and "not on these 100 rows: the split differs" in report
    assert (
        "same data, same split, same predictions" in run_house_prices(load=model, out=tmp_path / "o", quiet=True).report
    )


def test_predict_house_refuses_a_feature_given_twice_and_reads_values_like_the_csv_loader(cli_run, capsys):
    model = str(cli_run[0] / "model.json")
    assert main(["predict", "--model", model, "--house", "lotsize=5000", "lotsize=6000"]) == 2
    assert (
        "--house gives lotsize twice (lotsize=5000 and lotsize=6000); give each feature once" in capsys.readouterr().err
    )
    assert main(["predict", "--model", model, "--house", "airco=YES", "lotsize=1e300"]) == 2
    assert "argument --house: lotsize=1e300: '1e300' is too large" in capsys.readouterr().err  # the CSV loader's
    assert main(["predict", "--model", model, "--house", "airco=True", "driveway=no"]) == 0
    assert "House: driveway=0 airco=1" in capsys.readouterr().out


def test_a_run_that_fails_while_writing_leaves_no_file_and_names_no_temporary_one(tmp_path, monkeypatch, capsys):
    import micrograd_plus.demos.house_prices as house_prices

    def disk_full(*args, path, **kwargs):
        path.write_bytes(b"half a picture")
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(house_prices, "plot_feature_importance", disk_full)
    out = tmp_path / "new" / "out"
    assert main(["house-prices", "--epochs", "1", "--quiet", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert f"--out '{out}': could not write the output files (No space left on device)" in error
    assert ".staging" not in error and ".tmp" not in error
    assert list(tmp_path.iterdir()) == []  # not even the folders made for it
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "model.json").write_text("an older model")
    assert main(["house-prices", "--epochs", "1", "--quiet", "--out", str(tmp_path / "kept")]) == 2
    assert [path.name for path in (tmp_path / "kept").iterdir()] == ["model.json"]
    assert (tmp_path / "kept" / "model.json").read_text() == "an older model"


def test_default_hyperparameters_are_copied_not_shared(tmp_path, monkeypatch):
    import micrograd_plus.demos.house_prices as house_prices

    before = DEFAULT_HYPERPARAMETERS.to_dict()
    run = run_house_prices("synthetic", hyperparameters=DEFAULT_HYPERPARAMETERS, out=tmp_path, quiet=True)
    assert (
        run.model.hyperparameters == DEFAULT_HYPERPARAMETERS
        and run.model.hyperparameters is not DEFAULT_HYPERPARAMETERS
    )
    run.model.hyperparameters.epochs = 7
    run.model.hyperparameters.hidden.append(4)
    assert DEFAULT_HYPERPARAMETERS.to_dict() == before
    short = Hyperparameters(epochs=1)  # hyperparameters=None means the defaults: a copy of them, too
    monkeypatch.setattr(house_prices, "DEFAULT_HYPERPARAMETERS", short)
    run = run_house_prices("synthetic", out=tmp_path, quiet=True)
    assert run.model.hyperparameters == short and run.model.hyperparameters is not short


def test_the_model_class_lives_in_house_model_and_house_prices_still_exports_it():
    from micrograd_plus.demos import house_model
    from micrograd_plus.saved_model import SavedModel

    assert HousePriceModel is house_model.HousePriceModel and load_model is house_model.load_model
    assert issubclass(HousePriceModel, SavedModel)  # one model format for every demo


def test_the_prediction_graph_has_a_caption_and_names_every_box(cli_run):
    out, _, report = cli_run
    source = (out / GRAPH_FILE).read_text(encoding="utf-8")
    # the caption says what the grads mean and which house it is
    assert "grad = d(predicted price)/d(box)" in source
    assert "The house: lotsize " in source
    # the MLP (the main network of this run) draws its standardised inputs with their names
    for name in ("lotsize standardised", "airco standardised", "price standardised"):
        assert name in source, name
    # the fixed scaling constants (means, stds) are not learned: no grad to show
    run = run_house_prices(
        "synthetic", hyperparameters=Hyperparameters(lr=0.05, epochs=2, batch_size=None), out=out / "again", quiet=True
    )
    price = run.model.price(run.test.X[0])
    constants = [node for node in topological_order(price) if node.label.startswith(("std ", "-mean ", "mean "))]
    assert len(constants) == 2 * len(run.model.feature_names) + 2
    assert all(not node.requires_grad for node in constants)


# ---- a model file is data, never a pointer to other files; what it does not record is said to be unknown ------


def test_a_path_in_a_model_file_is_never_read_only_the_path_the_user_names(tmp_path, capsys):
    windsor = load_windsor()
    mine = write_csv(
        tmp_path / "mine.csv", ["price", *windsor.feature_names], [[p, *r] for p, r in zip(windsor.y, windsor.X)]
    )
    assert main(["house-prices", "--data", mine, "--epochs", "1", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    model = json.loads((tmp_path / "a" / "model.json").read_text())
    secret = tmp_path / "secret.txt"
    secret.write_text("price,lotsize\nroot:x:0:0:root,1\n")  # what /etc/passwd would show
    model["data"]["source"] = str(secret)
    path = write_json(tmp_path, model)
    assert main(["house-prices", "--load", path, "--out", str(tmp_path / "b")]) == 2
    error = capsys.readouterr().err
    assert "root:x" not in error and f"was trained on the CSV file '{secret}'; name it with --data" in error
    model["data"]["source"] = str((tmp_path / "mine.csv").resolve())
    path = write_json(tmp_path, model)
    report = run_house_prices(mine, load=path, out=tmp_path / "c", quiet=True).report  # the file the user names
    assert "same data, same split, same predictions" in report


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m.update(hyperparameters={}), r"\(field hyperparameters\) missing hyperparameters \['activation'"),
        (lambda m: m["data"].update(test_fraction=1.5), r"\(field data.test_fraction\) expected a fraction .* got 1.5"),
        (lambda m: m["data"].update(rows=0), r"\(field data.rows\) expected a whole number of rows >= 1, got 0"),
        (lambda m: m["data"].update(source=""), r"\(field data.source\) expected the data's name"),
        (lambda m: m["data"].update(city="Windsor"), r"\(field data\) unknown fields \['city'\]"),
    ],
    ids=["no_hyperparameters", "test_fraction", "rows", "source", "unknown"],
)
def test_damaged_hyperparameters_and_data_are_refused_naming_the_file_and_the_field(
    tmp_path, saved_model, change, message
):
    change(saved_model)
    with pytest.raises(ValueError, match=r"model.json' is not a usable house-price model: " + message):
        load_model(write_json(tmp_path, saved_model))


def test_a_loaded_model_without_its_data_record_says_the_split_is_unknown_and_a_recorded_fraction_is_used(
    tmp_path, saved_model
):
    del saved_model["data"]
    report = run_house_prices(load=write_json(tmp_path, saved_model), out=tmp_path / "a", quiet=True).report
    assert "None" not in report and "does not record data.source, data.rows, data.test_fraction" in report
    assert "is unknown" in report and "same split" not in report
    saved_model["data"] = {"source": "windsor", "rows": 546, "test_fraction": 0.3}
    run = run_house_prices(load=write_json(tmp_path, saved_model), out=tmp_path / "b", quiet=True)
    assert len(run.test) == 164 and "same data, same split" in run.report  # the split it records: 30% of 546


def test_a_gpt_model_given_to_predict_or_house_prices_is_named_with_the_command_that_reads_it(tmp_path, capsys):
    from micrograd_plus.demos.gpt import GPTConfig, save_gpt
    from micrograd_plus.gpt import GPT

    config = GPTConfig(n_embd=4, n_head=1)
    path = str(save_gpt(tmp_path / "model.json", GPT(**config.model_arguments()), config))
    for argv in (["predict", "--model", path, "--house", "lotsize=5000"], ["house-prices", "--load", path]):
        assert main([*argv, *(["--out", str(tmp_path / "out")] if argv[0] == "house-prices" else [])]) == 2
        error = capsys.readouterr().err
        assert "damaged" not in error and error.count("\n") == 1
        assert f"'{path}' is a GPT model (written by `micrograd-plus gpt`), not a house-price model" in error
        assert f"`micrograd-plus gpt --load {path}`" in error
