"""utils.conv against TensorFlow and Keras: conv2d (also a per-pixel reference and SciPy),
pooling, flatten and dense."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import event, given, settings
from hypothesis import strategies as st
from scipy import signal

from utils.arithmetic import padding_amounts
from utils.conv import (
    avg_pool2d,
    conv2d,
    dense,
    flatten,
    global_avg_pool2d,
    max_pool2d,
)


def reference_conv2d(x, kernels, stride, pads, dilation):
    """The definition, one output pixel at a time (slow, obviously right)."""
    (sh, sw), (dh, dw) = stride, dilation
    (top, bottom), (left, right) = pads
    x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, _, filters = kernels.shape
    oh = (x.shape[1] - (kh - 1) * dh - 1) // sh + 1
    ow = (x.shape[2] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, filters))
    for i in range(oh):
        for j in range(ow):
            patch = x[
                :,
                i * sh : i * sh + (kh - 1) * dh + 1 : dh,
                j * sw : j * sw + (kw - 1) * dw + 1 : dw,
            ]
            out[:, i, j] = np.tensordot(patch, kernels, axes=([1, 2, 3], [0, 1, 2]))
    return out


@st.composite
def conv_configs(draw, allow_stride_with_dilation=False):
    """Random shapes, strides, dilations and paddings (every form conv2d accepts)."""
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    if not allow_stride_with_dilation and max(dh, dw) > 1:
        sh = sw = 1  # TensorFlow's CPU conv2d rejects stride > 1 with dilation > 1
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same", "full"]),
            st.integers(0, 3),
            st.tuples(
                st.tuples(st.integers(0, 3), st.integers(0, 3)),
                st.tuples(st.integers(0, 3), st.integers(0, 3)),
            ),
        )
    )
    eff_h, eff_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    # n from just below the kernel (only fits with padding) to a few times its size
    h = draw(st.integers(max(1, eff_h - 2), eff_h + 9))
    w = draw(st.integers(max(1, eff_w - 2), eff_w + 9))
    per_axis = padding if isinstance(padding, tuple) else (padding, padding)
    if any(
        n + sum(padding_amounts(n, k, s, p, d)) < eff
        for n, k, s, p, d, eff in zip(
            (h, w), (kh, kw), (sh, sw), per_axis, (dh, dw), (eff_h, eff_w)
        )
    ):
        padding, per_axis = "same", ("same", "same")  # the kernel must fit the padded input
    pads = tuple(
        padding_amounts(n, k, s, p, d)
        for n, k, s, p, d in zip((h, w), (kh, kw), (sh, sw), per_axis, (dh, dw))
    )
    batch, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, h, w, c_in))
    kernels = rng.standard_normal((kh, kw, c_in, c_out))
    return x, kernels, (sh, sw), padding, pads, (dh, dw)


@settings(max_examples=300, deadline=None)
@given(conv_configs())
def test_conv2d_equals_tensorflow(config):
    x, kernels, stride, padding, pads, dilation = config
    explicit = [[0, 0], list(pads[0]), list(pads[1]), [0, 0]]
    expected = tf.nn.conv2d(x, kernels, stride, explicit, dilations=dilation).numpy()
    if padding in ("valid", "same"):  # TensorFlow's own names give the same numbers
        named = tf.nn.conv2d(x, kernels, stride, padding.upper(), dilations=dilation).numpy()
        np.testing.assert_allclose(named, expected, rtol=1e-10, atol=1e-10)
    actual = conv2d(x, kernels, stride=stride, padding=padding, dilation=dilation)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(conv_configs(allow_stride_with_dilation=True))
def test_conv2d_equals_the_definition(config):
    x, kernels, stride, padding, pads, dilation = config
    actual = conv2d(x, kernels, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(
        actual, reference_conv2d(x, kernels, stride, pads, dilation), rtol=1e-9, atol=1e-9
    )


def test_hand_example_and_bias():
    x = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]])
    k = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]])
    out = conv2d(x[None, :, :, None], k[:, :, None, None])
    np.testing.assert_array_equal(out[0, :, :, 0], [[15, 16], [6, 15]])
    assert out.dtype.kind == "i"  # integers in, integers out
    with_bias = conv2d(x[None, :, :, None], k[:, :, None, None], bias=np.array([3]))
    np.testing.assert_array_equal(with_bias[0, :, :, 0], [[18, 19], [9, 18]])


def test_is_cross_correlation_not_flipped_convolution():
    rng = np.random.default_rng(0)
    image, kernel = rng.standard_normal((9, 8)), rng.standard_normal((3, 2))
    ours = conv2d(image[None, :, :, None], kernel[:, :, None, None])[0, :, :, 0]
    np.testing.assert_allclose(ours, signal.correlate2d(image, kernel, mode="valid"))
    flipped = signal.convolve2d(image, kernel[::-1, ::-1], mode="valid")
    np.testing.assert_allclose(ours, flipped)
    assert not np.allclose(ours, signal.convolve2d(image, kernel, mode="valid"))


def test_float32_stays_float32():
    x = np.ones((1, 6, 6, 2), np.float32)
    assert conv2d(x, np.ones((3, 3, 2, 4), np.float32), padding="same").dtype == np.float32


X = np.zeros((1, 5, 5, 3))
K = np.zeros((3, 3, 3, 2))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: conv2d(np.zeros((5, 5, 3)), K), ValueError, r"x must be a 4-D array"),
        (lambda: conv2d(X, np.zeros((3, 3, 3))), ValueError, r"kernels must be a 4-D array"),
        (lambda: conv2d(X, np.zeros((3, 3, 1, 2))), ValueError, r"channel mismatch.*3 channels"),
        (
            lambda: conv2d(X, np.zeros((7, 3, 3, 2))),
            ValueError,
            r"kernels are larger than the padded input",
        ),
        (lambda: conv2d(X, K, dilation=3), ValueError, r"kernels are larger than the padded input"),
        (lambda: conv2d(X, K, stride=0), ValueError, r"stride must be a positive int"),
        (lambda: conv2d(X, K, stride=(1, -2)), ValueError, r"stride\[1\] must be a positive int"),
        (lambda: conv2d(X, K, dilation=0), ValueError, r"dilation must be a positive int"),
        (lambda: conv2d(X, K, stride=1.5), TypeError, r"stride must be a positive int"),
        (lambda: conv2d(X, K, padding="SAMEISH"), ValueError, r"padding must be one of"),
        (lambda: conv2d(X, K, padding=-1), ValueError, r"padding must be a non-negative int"),
        (lambda: conv2d(X, K, padding=(1, 2)), ValueError, r"\(\(top, bottom\), \(left, right\)\)"),
        (lambda: conv2d(X, K, bias=np.zeros(3)), ValueError, r"bias must have shape \(2,\)"),
        (lambda: conv2d(np.array([[[["a"]]]]), K), TypeError, r"x must be a numeric array"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_runs_on_a_full_photo_quickly():
    import time

    x = np.random.default_rng(0).random((1, 427, 640, 3), dtype=np.float32)
    kernels = np.ones((3, 3, 3, 8), np.float32)
    start = time.perf_counter()
    out = conv2d(x, kernels, padding="same")
    assert out.shape == (1, 427, 640, 8)
    assert time.perf_counter() - start < 1.0


# --------------------------------------------------------------------------- pooling


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
        with pytest.raises(ValueError, match="pool_size"):  # Keras returns an empty output
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
    avg_expected = [[-12 / 4, -9 / 2], [-15 / 2, -9 / 1]]  # divided by the real cells only

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
    np.testing.assert_allclose(zero_padded.mean(axis=(1, 3)), [[-3, -2.25], [-3.75, -2.25]])
    assert not np.allclose(zero_padded.mean(axis=(1, 3)), avg_expected)


def test_pooling_hand_example_and_dtypes():
    x = np.array([[1, 3, 2, 9], [5, 4, 0, 1], [7, 1, 6, 8], [2, 2, 3, 4]])[None, :, :, None]
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
    st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 12), st.integers(1, 4)),
    st.integers(0, 2**16),
)
def test_global_avg_pool2d_equals_keras(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)
    expected = keras.layers.GlobalAveragePooling2D()(x).numpy()
    actual = global_avg_pool2d(x)
    assert actual.shape == (shape[0], shape[3])
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- flatten, dense


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1:UserWarning")  # 1 unit
@settings(max_examples=120, deadline=None)
@given(
    batch=st.integers(1, 3),
    feature_shape=st.one_of(
        st.tuples(st.integers(1, 20)),  # already vectors
        st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 4)),  # a feature map
    ),
    units=st.integers(1, 6),
    activation=st.sampled_from([None, "relu", "softmax"]),
    use_bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_flatten_dense_equals_keras(batch, feature_shape, units, activation, use_bias, seed):
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
    np.testing.assert_array_equal(dense(x, w, np.array([0.5, 0.0, 0.0])), [[1.5, -2.0, 0.0]])
    np.testing.assert_array_equal(dense(x, w, activation="relu"), [[1.0, 0.0, 0.0]])
    big = dense(np.array([[1000.0, 1001.0]]), np.eye(2), activation="softmax")
    np.testing.assert_allclose(big, [[1 / (1 + np.e), np.e / (1 + np.e)]])  # no overflow
    np.testing.assert_allclose(dense(x, w, activation="softmax").sum(axis=1), 1.0)


P = np.zeros((1, 4, 5, 2))
F = np.zeros((2, 6))
W = np.zeros((6, 3))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: max_pool2d(np.zeros((4, 5, 2))), ValueError, r"x must be a 4-D array"),
        (lambda: avg_pool2d(np.zeros((1, 1, 4, 5, 2))), ValueError, r"x must be a 4-D array"),
        (lambda: global_avg_pool2d(np.zeros((4, 5))), ValueError, r"x must be a 4-D array"),
        (lambda: max_pool2d(np.zeros((1, 0, 5, 2))), ValueError, r"x must not have empty axes"),
        (lambda: max_pool2d(P, 0), ValueError, r"pool_size must be a positive int"),
        (lambda: avg_pool2d(P, 2.0), TypeError, r"pool_size must be a positive int"),
        (lambda: max_pool2d(P, (2, 0)), ValueError, r"pool_size\[1\] must be a positive int"),
        (lambda: max_pool2d(P, (2, 2, 2)), ValueError, r"pool_size must be an int or a \(height"),
        (lambda: avg_pool2d(P, 2, 0), ValueError, r"stride must be a positive int"),
        (lambda: max_pool2d(P, 2, (1, "2")), TypeError, r"stride\[1\] must be a positive int"),
        (lambda: max_pool2d(P, 5), ValueError, r"height axis.*pool_size does not fit"),
        (lambda: avg_pool2d(P, (1, 6)), ValueError, r"width axis.*pool_size does not fit"),
        (lambda: max_pool2d(P, padding="full"), ValueError, r"padding must be 'valid' or 'same'"),
        (lambda: avg_pool2d(P, padding=1), ValueError, r"padding must be 'valid' or 'same'"),
        (lambda: max_pool2d(np.full((1, 2, 2, 1), "a")), TypeError, r"x must be a numeric array"),
        (lambda: flatten(3.0), ValueError, r"x must have a batch axis"),
        (lambda: flatten([["a"]]), TypeError, r"x must be a numeric array"),
        (lambda: dense(P, W), ValueError, r"x must be a 2-D array.*flatten"),
        (lambda: dense(F, np.zeros(6)), ValueError, r"weights must be a 2-D array"),
        (lambda: dense(F, np.zeros((5, 3))), ValueError, r"x has 6 features.*weights expect 5"),
        (lambda: dense(F, W, np.zeros(4)), ValueError, r"bias must have shape \(3,\)"),
        (lambda: dense(F, W, np.zeros((1, 3))), ValueError, r"bias must be a 1-D array"),
        (lambda: dense(F, W, activation="tanh"), ValueError, r"activation must be one of"),
        (lambda: dense(F, W, activation=np.tanh), TypeError, r"activation must be one of"),
        (lambda: dense([["a"]], W), TypeError, r"x must be a numeric array"),
    ],
)
def test_pool_and_dense_bad_input_names_the_argument(call, error, match):
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
