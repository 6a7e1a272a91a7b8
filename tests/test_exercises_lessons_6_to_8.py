"""Exercises of lessons 6-8: the reference passes, and known wrong answers get their own message."""

import math

import pytest

from micrograd_plus import Adam, mse_loss
from micrograd_plus.exercises import (
    FAILED,
    attention_weights,
    fine_tune,
    hyperparameters,
    model_selection,
    sweep_results,
    train_curve,
)
from micrograd_plus.exercises.finetune import scratch_loss
from micrograd_plus.exercises.hyperparameters import SWEEP_SEEDS
from micrograd_plus.nn import Layer


def failure(exercise, answer):
    result = exercise.check(answer)
    assert result.status == FAILED, result
    return result.message


# ---- model selection ---------------------------------------------------------------------------------


def best_by(split):
    return lambda results: min(results, key=lambda config: results[config][split])


@pytest.mark.parametrize(
    "answer, words",
    [
        (best_by("train"), "the lowest TRAINING loss"),
        (best_by("test"), "the lowest TEST loss. The test set must stay untouched"),
        (lambda r: max(r, key=lambda c: r[c]["validation"]), "the HIGHEST validation loss"),
        (
            lambda r: "lr=0.1 hidden=[64]",
            "picked lr=0.1 hidden=[64] (validation loss 0.5777), but lr=0.01 hidden=[4] has the lowest",
        ),
        (lambda r: "lr=1 hidden=[4]", "pick() returned 'lr=1 hidden=[4]', which is not one of the configurations"),
    ],
)
def test_model_selection_names_the_mistake(answer, words):
    assert words in failure(model_selection, answer)


def test_every_made_up_sweep_has_different_winners_by_train_validation_and_test():
    for seed in (0, *SWEEP_SEEDS):
        results = sweep_results(seed)
        winners = {min(results, key=lambda c: results[c][split]) for split in ("train", "validation", "test")}
        assert len(winners) == 3


# ---- hyperparameters: the judge trains the network itself -----------------------------------------------


@pytest.mark.parametrize(
    "choice, words",
    [
        ((0.01, []), "no hidden layer means a straight line"),
        ((0.001, [8]), "With lr = 0.01 it would be 0.0205: your learning rate is too small"),
        ((1.0, [8]), "With lr = 0.1 it would be 0.0176: your learning rate is too big"),
        ((1e300, [4]), "the numbers overflow a float in the first steps: it diverges"),
        ((0.03, [16, 16]), "hidden=[16, 16] gives 321 parameters; keep it to 100 or fewer"),
        ((0.03, [8.0]), "hidden should be a list of at most 3 layer sizes"),
        ((-0.1, [8]), "the learning rate must be positive, got -0.1"),
        (0.03, "return a pair (lr, hidden)"),
    ],
)
def test_hyperparameters_names_the_mistake(choice, words):
    assert words in failure(hyperparameters, choice)


def test_hyperparameters_passes_exactly_when_the_validation_loss_is_below_the_target():
    for choice in [(0.03, [8]), (0.01, [4])]:
        passed = hyperparameters.check(choice).passed
        assert passed == (train_curve(*choice)[1] < 0.025)


# ---- fine-tuning: freeze the hidden layer, beat training from scratch ------------------------------------


def train(model, xs, ys, lr=0.03, steps=200):
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = mse_loss([model(x) for x in xs], ys)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def frozen_body(model, xs, ys, **options):
    model.layers[0].freeze()
    train(model, xs, ys, **options)


def frozen_head(model, xs, ys):
    model.layers[1].freeze()
    train(model, xs, ys)


def new_head(model, xs, ys):
    model.layers[1] = Layer(10, 1, activation="linear", seed=1)
    frozen_body(model, xs, ys)


def everything_frozen(model, xs, ys):
    model.freeze()
    train(model, xs, ys)


def replaced_hidden_layer(model, xs, ys):
    model.layers[0] = Layer(1, 12, activation="tanh")


@pytest.mark.parametrize(
    "answer, words",
    [
        (train, "20 of the 20 hidden-layer parameters changed: five points are too few"),
        (frozen_head, "you trained the hidden layer and kept the output layer frozen"),
        (lambda m, xs, ys: frozen_body(m, xs, ys, lr=0.001, steps=5), "not better than training from scratch"),
        (everything_frozen, "no parameter changed"),
        (replaced_hidden_layer, "the model's parameters are not those of the pre-trained MLP(1, [10, 1])"),
    ],
    ids=["nothing frozen", "head frozen", "too little training", "all frozen", "layers replaced"],
)
def test_fine_tune_names_the_mistake(answer, words):
    assert words in failure(fine_tune, answer)


def test_a_new_head_on_the_frozen_body_also_beats_training_from_scratch():
    result = fine_tune.check(new_head)
    assert result.passed, result
    assert f"trained from scratch on the same five points: {scratch_loss():.4f}" in result.message


# ---- attention weights by hand ----------------------------------------------------------------------------


def scores(query, keys, scale):
    return [sum(q * k for q, k in zip(query, key)) * scale for key in keys]


def softmax_of(values):
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    return [e / sum(exps) for e in exps]


def naive_softmax(query, keys):
    exps = [math.exp(s) for s in scores(query, keys, 1 / math.sqrt(len(query)))]
    return [e / sum(exps) for e in exps]


@pytest.mark.parametrize(
    "answer, words",
    [
        (lambda q, ks: softmax_of(scores(q, ks, 1.0)), "you did not divide the scores by sqrt(d)"),
        (lambda q, ks: softmax_of(scores(q, ks, 1 / len(q))), "you divided the scores by d; divide by sqrt(d)"),
        (lambda q, ks: scores(q, ks, 1 / math.sqrt(len(q))), "these are the scaled scores; a softmax turns them"),
        (
            lambda q, ks: [s / sum(scores(q, ks, 1.0)) for s in scores(q, ks, 1.0)],
            "you divided the scores by their sum",
        ),
        (naive_softmax, "for a huge query (scores up to 1273), exp() overflowed"),
        (naive_softmax, "Subtract the largest score from every score before exp()"),
        (lambda q, ks: [0.5] * len(ks), "weights sum to 1.5, not 1"),
        (lambda q, ks: [1.0], "the weights for lesson 8's first query should hold 3 numbers, got 1"),
    ],
)
def test_attention_weights_names_the_mistake(answer, words):
    assert words in failure(attention_weights, answer)


def test_attention_weights_agree_with_the_library_on_lesson_8s_query():
    from micrograd_plus.attention import scaled_dot_product_attention

    query, keys = [1.0, 0.0], [[0.0, 0.0], [2.0, 2.0], [-1.0, 0.0]]
    _, weights = scaled_dot_product_attention([query], keys, [[1.0], [2.0], [3.0]])
    assert attention_weights.reference(query, keys) == pytest.approx([w.data for w in weights[0]], rel=1e-12)
