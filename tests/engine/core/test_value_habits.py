"""PyTorch's and micrograd's habits on a Value: backward's keywords, detach, requires_grad,
comparisons and conversions. Each either works with the meaning a learner expects or raises a
message that says what to write."""

from __future__ import annotations

import math

import pytest

from engine import Value
from engine.core.value import Parameter


def test_backward_takes_pytorchs_gradient_keyword():
    a = Value(2.0)
    (a * 5).backward(gradient=0.5)
    assert a.grad == 2.5
    b = Value(2.0)
    (b * 5).backward(0.5)
    assert b.grad == 2.5


def test_backward_keeps_the_older_grad_keyword_but_not_both():
    a = Value(2.0)
    (a * 5).backward(grad=0.5)
    assert a.grad == 2.5
    with pytest.raises(TypeError, match="both gradient= and grad="):
        (a * 5).backward(gradient=1.0, grad=0.5)


@pytest.mark.parametrize("retain", [True, False, None])
def test_backward_accepts_retain_graph_and_can_always_run_again(retain):
    a = Value(3.0)
    y = a * a
    y.backward(retain_graph=retain)
    y.backward(retain_graph=retain)
    assert a.grad == 12.0  # two passes of 2a, accumulated


def test_backward_checks_its_flags():
    y = Value(1.0) * 2
    with pytest.raises(TypeError, match="retain_graph"):
        y.backward(retain_graph="yes")
    with pytest.raises(TypeError, match="create_graph"):
        y.backward(create_graph=1)


def test_create_graph_is_backwards_third_argument_as_in_pytorch():
    a = Value(3.0)
    (a * a * a).backward(1.0, None, True)
    assert isinstance(a.grad, Value) and a.grad.data == 27.0


def test_detach_cuts_the_graph():
    a = Value(3.0)
    d = (a * 2).detach()
    assert d.data == 6.0 and d.parents == () and not d.requires_grad
    y = a * d
    y.backward()
    assert a.grad == 6.0  # d is a number to the pass: ∂(a·d)/∂a = d


def test_requires_grad_reads_as_pytorchs_flag():
    a = Value(1.0)
    assert a.requires_grad and Parameter(1.0).requires_grad and (a * 2).requires_grad
    constant = (a * 2).parents[1]
    assert not constant.requires_grad


def test_requires_grad_false_makes_a_leaf_a_constant_and_back():
    a = Value(0.0)
    assert a.requires_grad_(False) is a and not a.requires_grad
    # a constant with an infinite gradient is no error (PyTorch does not differentiate it)
    a.sqrt().backward()
    assert a.requires_grad_(True).requires_grad
    with pytest.raises(ZeroDivisionError):
        a.sqrt().backward()


def test_requires_grad_refuses_interior_nodes_and_bad_flags():
    y = Value(1.0) * 2
    with pytest.raises(RuntimeError, match="only leaves"):
        y.requires_grad_(False)
    with pytest.raises(TypeError, match="True or False"):
        Value(1.0).requires_grad_(0)


def test_retain_grad_is_accepted_and_interior_gradients_are_kept():
    a = Value(2.0)
    h = a * 3
    h.retain_grad()
    (h * h).backward()
    assert h.grad == 12.0


@pytest.mark.parametrize(("x", "y"), [(1.0, 3.0), (3.0, 1.0), (2.0, 2.0), (-0.5, 0.25)])
def test_comparisons_compare_the_numbers(x, y):
    a, b = Value(x), Value(y)
    for got, want in [
        (a < b, x < y),
        (a <= b, x <= y),
        (a > b, x > y),
        (a >= b, x >= y),
        (a < y, x < y),
        (a > y, x > y),
        (y < a, y < x),
        (y >= a, y >= x),
    ]:
        assert type(got) is bool and got == want


def test_max_and_min_return_a_value_and_the_gradient_flows_to_it():
    a, b = Value(1.0), Value(3.0)
    top = max(a, b)
    assert top is b and min(a, b) is a
    (top * 2).backward()
    assert (a.grad, b.grad) == (0.0, 2.0)  # as torch.max: the gradient goes to the largest


def test_sorted_and_sum_work_on_values():
    vs = [Value(3.0), Value(-1.0), Value(2.0)]
    assert [v.data for v in sorted(vs)] == [-1.0, 2.0, 3.0]
    total = sum(vs)
    total.backward()
    assert total.data == 4.0 and all(v.grad == 1.0 for v in vs)


def test_equality_is_identity_and_a_number_gets_a_message():
    a, b = Value(2.0), Value(2.0)
    assert a == a and a != b and b in [a, b] and len({a, b, a}) == 2
    with pytest.raises(TypeError, match=r"v\.data == 2\.0"):
        a == 2.0  # noqa: B015
    with pytest.raises(TypeError, match="v.data"):
        a != 2  # noqa: B015
    assert math.isclose(a.data, 2.0)


@pytest.mark.parametrize("convert", [int, round, float])
def test_conversions_say_what_to_write(convert):
    with pytest.raises(TypeError, match=r"v\.data"):
        convert(Value(2.5))


def test_comparison_with_a_non_number_names_it():
    with pytest.raises(TypeError, match="'a'"):
        Value(1.0) < "a"  # noqa: B015


def test_sqrt_at_zero_names_the_op_and_the_input_and_changes_nothing():
    x = Value(0.0)
    with pytest.raises(ZeroDivisionError) as info:
        x.sqrt().backward()
    text = str(info.value)
    assert "sqrt(x=0.0)" in text and "1/(2√x)" in text and "unlabelled input (data = 0.0)" in text
    assert x.grad == 0.0


def test_requires_grad_of_a_result_follows_its_leaves_as_in_pytorch():
    a = Value(1.0)
    a.requires_grad_(False)
    assert not (a * 3).requires_grad  # only constants below it
    assert (a * Value(2.0)).requires_grad


def test_not_equal_names_its_own_operator():
    with pytest.raises(TypeError, match=r"!= 2\.0.*v\.data != 2\.0"):
        Value(1.0) != 2.0  # noqa: B015


def test_micrograds_backward_closure_says_what_to_call():
    y = Value(2.0) * 3
    with pytest.raises(AttributeError, match=r"root\.backward\(\)"):
        y._backward()
