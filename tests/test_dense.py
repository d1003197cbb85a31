"""utils.dense: flatten and dense against Keras and chapter 5's loop."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils.dense import dense, dense_loop, flatten


@pytest.mark.filterwarnings(
    "ignore:You are using a softmax over axis -1:UserWarning"
)  # 1 unit
@settings(max_examples=120, deadline=None)
@given(
    batch=st.integers(1, 3),
    feature_shape=st.one_of(
        st.tuples(st.integers(1, 20)),  # already vectors
        st.tuples(
            st.integers(1, 6), st.integers(1, 6), st.integers(1, 4)
        ),  # a feature map
    ),
    units=st.integers(1, 6),
    activation=st.sampled_from([None, "relu", "softmax"]),
    use_bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_flatten_dense_equals_keras(
    batch, feature_shape, units, activation, use_bias, seed
):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *feature_shape), dtype=np.float32)
    in_features = int(np.prod(feature_shape))
    weights = rng.standard_normal((in_features, units), dtype=np.float32)
    bias = rng.standard_normal(units, dtype=np.float32) if use_bias else None
    model = keras.Sequential(
        [
            keras.Input(feature_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(units, activation=activation, use_bias=use_bias),
        ]
    )
    model.layers[-1].set_weights([weights, bias] if use_bias else [weights])

    flat = flatten(x)
    np.testing.assert_array_equal(flat, model.layers[0](x).numpy())
    actual = dense(flat, weights, bias, activation)
    assert actual.shape == (batch, units)
    np.testing.assert_allclose(actual, model(x).numpy(), rtol=1e-5, atol=1e-5)


def test_flatten_order_is_row_major_channels_last():
    x = np.arange(2 * 2 * 3).reshape(1, 2, 2, 3)  # x[0, r, q, c] = (r * 2 + q) * 3 + c
    np.testing.assert_array_equal(flatten(x)[0], np.arange(12))
    np.testing.assert_array_equal(flatten(np.zeros((0, 2, 3))).shape, (0, 6))


def test_dense_activations_and_stable_softmax():
    x = np.array([[1.0, -2.0]])
    w = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    np.testing.assert_array_equal(
        dense(x, w, np.array([0.5, 0.0, 0.0])), [[1.5, -2.0, 0.0]]
    )
    np.testing.assert_array_equal(dense(x, w, activation="relu"), [[1.0, 0.0, 0.0]])
    big = dense(np.array([[1000.0, 1001.0]]), np.eye(2), activation="softmax")
    np.testing.assert_allclose(
        big, [[1 / (1 + np.e), np.e / (1 + np.e)]]
    )  # no overflow
    np.testing.assert_allclose(dense(x, w, activation="softmax").sum(axis=1), 1.0)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 12), st.integers(1, 6), st.integers(0, 2**16))
def test_dense_equals_the_loop(in_features, units, seed):
    rng = np.random.default_rng(seed)
    x, bias = rng.standard_normal(in_features), rng.standard_normal(units)
    weights = rng.standard_normal((in_features, units))
    np.testing.assert_allclose(
        dense(x[None], weights, bias)[0], dense_loop(x, weights, bias)
    )


def test_dense_loop_hand_example():
    x, weights = np.array([1.0, -2.0]), np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    np.testing.assert_array_equal(
        dense_loop(x, weights, np.array([0.5, 0.0, 0.0])), [1.5, -2, 0]
    )


F = np.zeros((2, 6))
W = np.zeros((6, 3))
P = np.zeros((1, 4, 5, 2))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: flatten(3.0), ValueError, r"x must have a batch axis"),
        (lambda: flatten([["a"]]), TypeError, r"x must be a numeric array"),
        (lambda: dense(P, W), ValueError, r"x must be a 2-D array.*flatten"),
        (lambda: dense(F, np.zeros(6)), ValueError, r"weights must be a 2-D array"),
        (
            lambda: dense(F, np.zeros((5, 3))),
            ValueError,
            r"x has 6 features.*weights expect 5",
        ),
        (lambda: dense(F, W, np.zeros(4)), ValueError, r"bias must have shape \(3,\)"),
        (
            lambda: dense(F, W, np.zeros((1, 3))),
            ValueError,
            r"bias must be a 1-D array",
        ),
        (
            lambda: dense(F, W, activation="tanh"),
            ValueError,
            r"activation must be one of",
        ),
        (
            lambda: dense(F, W, activation=np.tanh),
            TypeError,
            r"activation must be one of",
        ),
        (lambda: dense([["a"]], W), TypeError, r"x must be a numeric array"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
