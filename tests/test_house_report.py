"""The house-price report's verdicts, each read off the numbers printed beside it (constructed scores, every branch)."""

import pytest

from micrograd_plus.demos.house_report import mlp_verdict, quality_verdicts


def scores(train_r2: float, test_r2: float, target_epoch: int | None = None, parameters: int = 105) -> dict:
    return {"train_r2": train_r2, "test_r2": test_r2, "target_epoch": target_epoch, "parameters": parameters}


@pytest.mark.parametrize(
    "mlp, linear, verdict",
    [
        (
            scores(0.80, 0.70),
            scores(0.67, 0.65),
            "The MLP beats the linear neuron on the test rows (R² 0.700 vs 0.650)",
        ),
        (scores(0.81, 0.655), scores(0.67, 0.650), "about the same as the linear neuron on the test rows (R² 0.655"),
        (scores(0.60, 0.640), scores(0.67, 0.650), "about the same"),  # 0.010 below: within, even if worse on train
        (scores(0.811, 0.511), scores(0.674, 0.655), "fits the training rows better than the linear neuron (R² 0.811"),
        (scores(0.132, 0.121), scores(0.243, 0.180), "scores worse than the linear neuron on the test rows (R² 0.121"),
        (
            scores(0.243, 0.121),
            scores(0.243, 0.180),
            "scores worse",
        ),  # as good on train, worse on test: not overfitting
    ],
    ids=["beats", "same", "same_within_margin", "overfits", "worse_on_both", "equal_train"],
)
def test_the_mlp_verdict_follows_from_the_train_and_test_r2_printed_beside_it(mlp, linear, verdict):
    text = " ".join(mlp_verdict({"mlp": mlp, "linear": linear}))
    assert verdict in text
    if "worse" in verdict:
        assert "(R² 0.121 vs 0.180) and the training rows" in text and "undertrained" in text
        assert "about the same" not in text and "overfitting" not in text
    assert mlp_verdict({"linear": linear}) == []  # no MLP, no verdict


def test_a_test_r2_10_thousandths_better_counts_as_the_same_as_printed_not_as_stored():
    text = " ".join(mlp_verdict({"mlp": scores(0.7, 0.6604), "linear": scores(0.7, 0.6496)}))  # 0.660 vs 0.650
    assert "about the same" in text and "(R² 0.660 vs 0.650, within 0.01)" in text


LABELS = {"linear": "linear neuron", "mlp": "MLP 11-8-1 (tanh)"}


def test_each_network_gets_its_own_quality_verdict_named_and_read_off_its_final_score():
    metrics = {"ols": scores(0.674, 0.655), "linear": scores(0.674, 0.655, 12), "mlp": scores(0.811, 0.511, 30)}
    elapsed = {"linear": [0.01 * epoch for epoch in range(1, 101)], "mlp": [0.03 * epoch for epoch in range(1, 101)]}
    lines = quality_verdicts(LABELS, metrics, elapsed)
    assert lines == [
        "  quality target: test R² >= 0.635 (least squares' 0.655 - 0.02)",
        "    linear neuron: test R² 0.655 (+0.000 vs least squares): met, first at epoch 12 (0.12 s into training)",
        "    MLP 11-8-1 (tanh): test R² 0.511 (-0.144 vs least squares): missed; reached at epoch 30 (0.90 s), then "
        "fell below",
    ]


def test_a_network_that_never_reached_the_target_and_a_loaded_model_without_epochs():
    metrics = {"ols": scores(0.674, 0.655), "linear": scores(0.243, 0.180), "mlp": scores(0.9, 0.6351)}
    never = quality_verdicts(LABELS, metrics, {"linear": [0.1] * 20, "mlp": [0.1] * 20})
    assert never[1].endswith("missed; not reached in any of the 20 epochs")
    assert never[2].endswith("(-0.020 vs least squares): met")  # 0.635 as printed: on the target, so met
    loaded = quality_verdicts(LABELS, metrics, {})  # a loaded model: no training times to speak of
    assert loaded[1].endswith("(-0.475 vs least squares): missed") and loaded[2].endswith(": met")
