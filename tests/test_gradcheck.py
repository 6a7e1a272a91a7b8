"""gradcheck: passes correct derivatives and names the input and both numbers when one is wrong."""

import pytest

from micrograd_plus import GradcheckError, Value, gradcheck, numerical_grad
from micrograd_plus.gradcheck import analytical_grad


def wrong_square(a: Value) -> Value:
    """a**2 with a deliberately wrong local derivative (a instead of 2a)."""
    return Value(a.data**2, (a,), (a.data,), "bad**2")


def test_gradcheck_passes_a_correct_function():
    assert gradcheck(lambda a, b: (a * b).tanh() + a.exp() / b, [0.3, 1.7])


def test_gradcheck_names_the_input_and_both_numbers_on_mismatch():
    with pytest.raises(GradcheckError) as error:
        gradcheck(lambda a, b: wrong_square(a) * b, [3.0, 2.0])
    message = str(error.value)
    assert "input 0" in message
    assert "backward() gives 6 " in message  # a * b = 3 * 2
    assert "finite differences give 12 " in message  # d(a*a*b)/da = 2ab = 12


def test_numerical_and_analytical_grads_agree_with_calculus():
    f = lambda x, y: x * x * y + y.sin()
    assert numerical_grad(f, [1.5, 0.5]) == pytest.approx([2 * 1.5 * 0.5, 1.5**2 + 0.8775825618903728], rel=1e-8)
    assert analytical_grad(f, [1.5, 0.5]) == pytest.approx([1.5, 2.25 + 0.8775825618903728], rel=1e-14)


def test_gradcheck_accepts_a_single_number_and_values():
    assert gradcheck(lambda a: a.sigmoid(), 0.2)
    assert gradcheck(lambda a: a.sigmoid(), [Value(0.2)])


def test_gradcheck_rejects_a_function_that_returns_no_value():
    with pytest.raises(TypeError, match="must return a Value, got float"):
        gradcheck(lambda a: a.data * 2, [1.0])


def test_gradcheck_rejects_bad_inputs():
    with pytest.raises(TypeError, match="input 1"):
        gradcheck(lambda a, b: a * b, [1.0, "x"])
    with pytest.raises(TypeError, match="non-empty"):
        gradcheck(lambda: Value(1.0), [])


def test_gradcheck_rejects_a_step_that_is_not_positive():
    with pytest.raises(ValueError, match="eps must be a small positive number"):
        gradcheck(lambda a: a * a, [1.0], eps=0)


def test_gradcheck_catches_nan_gradients():
    nan_grad = lambda a: Value(a.data, (a,), (float("nan"),), "nan")
    with pytest.raises(GradcheckError, match="nan"):
        gradcheck(nan_grad, [1.0])
