"""utils.arithmetic: padding amounts and output sizes along one axis."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from utils.arithmetic import (
    conv_output_size,
    effective_kernel_size,
    padding_amounts,
    same_padding,
)


def test_worked_examples():
    assert conv_output_size(5, 3) == 3  # n - f + 1
    assert conv_output_size(5, 3, padding=1) == 5  # n + 2p - f + 1
    assert conv_output_size(7, 3, stride=2) == 3  # (7 - 3) / 2 + 1
    assert conv_output_size(427, 3, stride=2, padding="same") == 214  # ceil(427 / 2)
    assert conv_output_size(5, 3, padding="full") == 7  # n + f - 1
    assert effective_kernel_size(3, dilation=2) == 5


@pytest.mark.parametrize(
    ("n", "k", "s", "expected"),
    [
        (5, 3, 1, (1, 1)),
        (5, 2, 1, (0, 1)),  # even kernel: the extra zero goes after
        (6, 3, 2, (0, 1)),  # s divides n: total = k - s
        (7, 3, 2, (1, 1)),  # otherwise: total = k - n mod s
        (8, 1, 2, (0, 0)),
        (5, 4, 3, (1, 1)),
    ],
)
def test_same_padding_cases(n, k, s, expected):
    assert same_padding(n, k, s) == expected


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 24),
    k=st.integers(1, 6),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
)
def test_same_padding_matches_tensorflow(n, k, s, d):
    if d > 1 and s > 1:
        s = 1  # TensorFlow's CPU kernels do not combine dilation with stride
    # An input that is a ramp shows where the zeros went: compare values, not just shapes.
    x = np.arange(1, n + 1, dtype=np.float32).reshape(1, n, 1, 1)
    x = np.repeat(x, 2, axis=2)
    kernel = np.random.default_rng(n * 100 + k).standard_normal((k, 1, 1, 1)).astype(np.float32)
    expected = tf.nn.conv2d(x, kernel, (s, 1), "SAME", dilations=(d, 1)).numpy()
    before, after = same_padding(n, k, s, d)
    explicit = [[0, 0], [before, after], [0, 0], [0, 0]]
    actual = tf.nn.conv2d(x, kernel, (s, 1), explicit, dilations=(d, 1)).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)
    assert actual.shape[1] == conv_output_size(n, k, s, "same", d) == -(-n // s)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0, "kernel_size": 3}, ValueError, "n must be a positive int"),
        ({"n": -4, "kernel_size": 3}, ValueError, "n must be"),
        ({"n": 5, "kernel_size": 0}, ValueError, "kernel_size"),
        ({"n": 5, "kernel_size": 3, "stride": 0}, ValueError, "stride"),
        ({"n": 5, "kernel_size": 3, "dilation": 0}, ValueError, "dilation"),
        ({"n": 5, "kernel_size": 3, "padding": "middle"}, ValueError, "padding must be one of"),
        ({"n": 5, "kernel_size": 3, "padding": -1}, ValueError, "padding"),
        ({"n": 5, "kernel_size": 3, "padding": 1.5}, TypeError, "padding"),
        ({"n": 2, "kernel_size": 3}, ValueError, "kernel_size does not fit"),
        ({"n": 5, "kernel_size": 3, "dilation": 3}, ValueError, "covers 7 positions"),
        ({"n": 5.0, "kernel_size": 3}, TypeError, "n must be a positive int"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        conv_output_size(**kwargs)


def test_padding_forms():
    assert padding_amounts(5, 3, padding="VALID") == (0, 0)
    assert padding_amounts(5, 3, padding=2) == (2, 2)
    assert padding_amounts(5, 3, padding=(0, 2)) == (0, 2)
    assert padding_amounts(5, 3, padding="full", dilation=2) == (4, 4)
