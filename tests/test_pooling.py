"""utils.pooling: max, average and global average pooling against Keras and chapter 4's loop."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from utils.pooling import avg_pool2d, global_avg_pool2d, max_pool2d, max_pool2d_loop


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
