"""utils.pooling: max, average and global average pooling against Keras and chapter 4's loop;
their gradients against tf.GradientTape."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import event, given, settings
from hypothesis import strategies as st

from utils.pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    global_avg_pool2d,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_loop,
)


@st.composite
def pool_configs(draw):
    """Random NHWC float32 inputs, pool sizes, strides (None, or 1-5 per axis) and paddings."""
    pool = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 5), st.integers(1, 5))))
    padding = draw(st.sampled_from(["valid", "same"]))
    h, w = draw(st.integers(1, 15)), draw(st.integers(1, 15))
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((batch, h, w, channels), dtype=np.float32)
    return x, pool, stride, padding


def check_pool_against_keras(ours, keras_layer, config):
    x, pool, stride, padding = config
    if padding == "valid" and (pool[0] > x.shape[1] or pool[1] > x.shape[2]):
        event("valid pool larger than x: error checked")
        with pytest.raises(
            ValueError, match="pool_size"
        ):  # Keras returns an empty output
            ours(x, pool, stride, padding)
        return
    event("compared with Keras")
    expected = keras_layer(pool_size=pool, strides=stride, padding=padding)(x).numpy()
    actual = ours(x, pool, stride, padding)
    assert actual.shape == expected.shape
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)


@settings(max_examples=450, deadline=None)
@given(pool_configs())
def test_max_pool2d_equals_keras(config):
    check_pool_against_keras(max_pool2d, keras.layers.MaxPool2D, config)


@settings(max_examples=450, deadline=None)
@given(pool_configs())
def test_avg_pool2d_equals_keras(config):
    check_pool_against_keras(avg_pool2d, keras.layers.AveragePooling2D, config)


def test_same_padding_is_ignored_not_zero():
    """3x3 input, pool 2, stride 2, 'same': same_padding(3, 2, 2) = (0, 1), so the
    windows of the last row and column hang over one padded row or column."""
    x = -np.arange(1.0, 10.0, dtype=np.float32).reshape(1, 3, 3, 1)
    # [[-1 -2 -3]
    #  [-4 -5 -6]    windows: {-1 -2 -4 -5} {-3 -6}
    #  [-7 -8 -9]]            {-7 -8}       {-9}
    max_expected = [[-1, -3], [-7, -9]]
    avg_expected = [
        [-12 / 4, -9 / 2],
        [-15 / 2, -9 / 1],
    ]  # divided by the real cells only

    max_ours = max_pool2d(x, 2, 2, "same")[0, :, :, 0]
    avg_ours = avg_pool2d(x, 2, 2, "same")[0, :, :, 0]
    np.testing.assert_array_equal(max_ours, max_expected)
    np.testing.assert_allclose(avg_ours, avg_expected)
    assert not (max_ours == 0).any()  # a padded 0 never wins

    # The same numbers as Keras ...
    np.testing.assert_array_equal(
        keras.layers.MaxPool2D(2, padding="same")(x)[0, :, :, 0], max_expected
    )
    np.testing.assert_allclose(
        keras.layers.AveragePooling2D(2, padding="same")(x)[0, :, :, 0], avg_expected
    )

    # ... and not what zero padding would give: 0 wins the border maxima, and
    # dividing every sum by 4 pulls the border averages towards 0.
    zero_padded = np.pad(x[0, :, :, 0], ((0, 1), (0, 1))).reshape(2, 2, 2, 2)
    np.testing.assert_array_equal(zero_padded.max(axis=(1, 3)), [[-1, 0], [0, 0]])
    np.testing.assert_allclose(
        zero_padded.mean(axis=(1, 3)), [[-3, -2.25], [-3.75, -2.25]]
    )
    assert not np.allclose(zero_padded.mean(axis=(1, 3)), avg_expected)


def test_pooling_hand_example_and_dtypes():
    x = np.array([[1, 3, 2, 9], [5, 4, 0, 1], [7, 1, 6, 8], [2, 2, 3, 4]])[
        None, :, :, None
    ]
    np.testing.assert_array_equal(max_pool2d(x)[0, :, :, 0], [[5, 9], [7, 8]])
    np.testing.assert_array_equal(avg_pool2d(x)[0, :, :, 0], [[3.25, 3], [3, 5.25]])
    np.testing.assert_array_equal(max_pool2d(x, 3, 1)[0, :, :, 0], [[7, 9], [7, 8]])
    assert max_pool2d(x).dtype == x.dtype  # integers in, integers out
    assert avg_pool2d(x).dtype == np.float64
    assert max_pool2d(x, padding="same").dtype == x.dtype
    x32 = x.astype(np.float32)
    assert max_pool2d(x32).dtype == avg_pool2d(x32).dtype == np.float32
    assert global_avg_pool2d(x32).dtype == np.float32
    # channels are pooled one by one
    two_channels = max_pool2d(np.concatenate([x, -x], axis=3))[0]
    np.testing.assert_array_equal(two_channels[:, :, 0], [[5, 9], [7, 8]])
    np.testing.assert_array_equal(two_channels[:, :, 1], [[-1, 0], [-1, -3]])


@settings(max_examples=100, deadline=None)
@given(
    st.tuples(
        st.integers(1, 3), st.integers(1, 12), st.integers(1, 12), st.integers(1, 4)
    ),
    st.integers(0, 2**16),
)
def test_global_avg_pool2d_equals_keras(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)
    expected = keras.layers.GlobalAveragePooling2D()(x).numpy()
    actual = global_avg_pool2d(x)
    assert actual.shape == (shape[0], shape[3])
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 4), st.integers(1, 13), st.integers(1, 13), st.integers(0, 2**16))
def test_max_pool2d_equals_the_loop(size, h, w, seed):
    image = np.random.default_rng(seed).standard_normal((max(h, size), max(w, size)))
    expected = max_pool2d_loop(image, size)
    np.testing.assert_array_equal(
        max_pool2d(image[None, :, :, None], size)[0, :, :, 0], expected
    )


def test_max_pool2d_loop_hand_example():
    image = np.array([[1, 3, 2, 9], [5, 4, 0, 1], [7, 1, 6, 8], [2, 2, 3, 4]])
    np.testing.assert_array_equal(max_pool2d_loop(image), [[5, 9], [7, 8]])
    np.testing.assert_array_equal(
        max_pool2d_loop(image[:3, :3]), [[5]]
    )  # floor(3 / 2) = 1


P = np.zeros((1, 4, 5, 2))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: max_pool2d(np.zeros((4, 5, 2))), ValueError, r"x must be a 4-D array"),
        (
            lambda: avg_pool2d(np.zeros((1, 1, 4, 5, 2))),
            ValueError,
            r"x must be a 4-D array",
        ),
        (
            lambda: global_avg_pool2d(np.zeros((4, 5))),
            ValueError,
            r"x must be a 4-D array",
        ),
        (
            lambda: max_pool2d(np.zeros((1, 0, 5, 2))),
            ValueError,
            r"x must not have empty axes",
        ),
        (lambda: max_pool2d(P, 0), ValueError, r"pool_size must be a positive int"),
        (lambda: avg_pool2d(P, 2.0), TypeError, r"pool_size must be a positive int"),
        (
            lambda: max_pool2d(P, (2, 0)),
            ValueError,
            r"pool_size\[1\] must be a positive int",
        ),
        (
            lambda: max_pool2d(P, (2, 2, 2)),
            ValueError,
            r"pool_size must be an int or a \(height",
        ),
        (lambda: avg_pool2d(P, 2, 0), ValueError, r"stride must be a positive int"),
        (
            lambda: max_pool2d(P, 2, (1, "2")),
            TypeError,
            r"stride\[1\] must be a positive int",
        ),
        (lambda: max_pool2d(P, 5), ValueError, r"height axis.*pool_size does not fit"),
        (
            lambda: avg_pool2d(P, (1, 6)),
            ValueError,
            r"width axis.*pool_size does not fit",
        ),
        (
            lambda: max_pool2d(P, padding="full"),
            ValueError,
            r"padding must be 'valid' or 'same'",
        ),
        (
            lambda: avg_pool2d(P, padding=1),
            ValueError,
            r"padding must be 'valid' or 'same'",
        ),
        (
            lambda: max_pool2d(np.full((1, 2, 2, 1), "a")),
            TypeError,
            r"x must be a numeric array",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_max_pool2d_on_a_full_feature_map_quickly():
    import time

    x = np.random.default_rng(0).random((1, 427, 640, 32), dtype=np.float32)
    max_pool2d(x)  # warm-up
    start = time.perf_counter()
    out = max_pool2d(x)
    assert out.shape == (1, 213, 320, 32)
    assert time.perf_counter() - start < 0.5


@st.composite
def pool_gradient_configs(draw):
    """Float64 inputs (half of them small integers, so that windows tie), pools that
    fit, strides below the pool (overlapping windows) or above, 'valid' or 'same'."""
    pool = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 5), st.integers(1, 5))))
    padding = draw(st.sampled_from(["valid", "same"]))
    h, w = draw(st.integers(pool[0], 12)), draw(st.integers(pool[1], 12))
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    shape = (batch, h, w, channels)
    if draw(st.booleans()):
        x = rng.integers(-2, 3, shape).astype(np.float64)
    else:
        x = rng.standard_normal(shape)
    return x, pool, stride, padding, rng


def check_pool_gradient(ours, keras_layer, config):
    x, pool, stride, padding, rng = config
    layer = keras_layer(
        pool_size=pool, strides=stride, padding=padding, dtype="float64"
    )
    x_tensor = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tensor)
        y = layer(x_tensor)
    grad_output = rng.standard_normal(y.shape)
    expected = tape.gradient(y, x_tensor, tf.constant(grad_output)).numpy()
    actual = ours(x, grad_output, pool, stride, padding)
    assert actual.shape == x.shape and actual.dtype == np.float64
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)
    overlap = stride is not None and (stride[0] < pool[0] or stride[1] < pool[1])
    event("overlapping windows" if overlap else "windows apart")


@settings(max_examples=300, deadline=None)
@given(pool_gradient_configs())
def test_max_pool2d_backward_equals_gradient_tape(config):
    check_pool_gradient(max_pool2d_backward, keras.layers.MaxPool2D, config)


@settings(max_examples=200, deadline=None)
@given(pool_gradient_configs())
def test_avg_pool2d_backward_equals_gradient_tape(config):
    check_pool_gradient(avg_pool2d_backward, keras.layers.AveragePooling2D, config)


def test_max_pool2d_backward_by_hand():
    """Ties go to the first maximum in row-major order; overlapping windows add up."""
    x = np.array([[1, 5, 5, 0], [5, 2, 5, 1], [0, 5, 5, 3], [1, 1, 3, 3.0]])
    x = x[None, :, :, None]
    ones = np.ones((1, 2, 2, 1))
    np.testing.assert_array_equal(
        max_pool2d_backward(x, ones)[0, :, :, 0],
        [[0, 1, 1, 0], [0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]],
    )
    # 3x3 windows at stride 1: the top-left two windows both pick (0, 1)
    np.testing.assert_array_equal(
        max_pool2d_backward(x, ones, 3, 1)[0, :, :, 0],
        [[0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
    )
    # 'same' padding with negative values: a padded cell never wins
    grad = max_pool2d_backward(-np.ones((1, 3, 3, 1)), ones, 2, 2, "same")
    np.testing.assert_array_equal(grad[0, :, :, 0], [[1, 0, 1], [0, 0, 0], [1, 0, 1]])


def test_avg_pool2d_backward_by_hand():
    """Each real cell of a window gets grad / (its real cells): 1/4, 1/2, 1/2, 1."""
    grad = avg_pool2d_backward(
        np.zeros((1, 3, 3, 1)), np.ones((1, 2, 2, 1)), 2, 2, "same"
    )
    np.testing.assert_array_equal(
        grad[0, :, :, 0], [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.5, 0.5, 1]]
    )
    # overlapping 2x2 windows at stride 1 on 3x3: the centre is in all four
    grad = avg_pool2d_backward(np.zeros((1, 3, 3, 1)), np.ones((1, 2, 2, 1)), 2, 1)
    np.testing.assert_array_equal(
        grad[0, :, :, 0] * 4, [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    )


@pytest.mark.parametrize("backward", [max_pool2d_backward, avg_pool2d_backward])
def test_pool_backward_keeps_float32(backward):
    x = np.ones((1, 4, 4, 2), np.float32)
    assert backward(x, np.ones((1, 2, 2, 2), np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: max_pool2d_backward(P, np.zeros((1, 4, 5, 2))),
            ValueError,
            r"grad_output must have the shape of the forward output "
            r"\(batch, out_height, out_width, channels\) = \(1, 2, 2, 2\); "
            r"got \(1, 4, 5, 2\)",
        ),
        (
            lambda: avg_pool2d_backward(P, np.zeros((1, 2, 2, 2)), 2, 1, "same"),
            ValueError,
            r"= \(1, 4, 5, 2\); got \(1, 2, 2, 2\)",
        ),
        (
            lambda: max_pool2d_backward(P, np.zeros((2, 2, 2))),
            ValueError,
            r"grad_output must be a 4-D array",
        ),
        (
            lambda: max_pool2d_backward(
                np.full((1, 4, 5, 2), np.nan), np.zeros((1, 2, 2, 2))
            ),
            ValueError,
            r"x must be finite",
        ),
        (
            lambda: avg_pool2d_backward(P, np.zeros((1, 2, 2, 2)), padding="full"),
            ValueError,
            r"padding must be 'valid' or 'same'",
        ),
        (
            lambda: max_pool2d_backward(P, np.zeros((1, 2, 2, 2)), 5),
            ValueError,
            r"height axis.*pool_size does not fit",
        ),
    ],
)
def test_pool_backward_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
