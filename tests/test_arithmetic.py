"""utils.arithmetic: padding amounts and output sizes, proven against Keras.

The property tests run well over a thousand random configurations (even
kernels, strides larger than the kernel, dilation, inputs just as large as
the kernel) through Keras Conv2D, ZeroPadding2D, MaxPool2D, AveragePooling2D,
Conv2DTranspose and tf.nn.conv2d with explicit padding, and through
utils.conv.conv2d.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from utils.arithmetic import (
    conv_output_shape,
    conv_output_size,
    effective_kernel_size,
    padding_amounts,
    padding_amounts_2d,
    pool_output_shape,
    pool_output_size,
    same_padding,
    transposed_output_size,
)
from utils.conv import conv2d
from utils.layers import apply, conv2d_layer


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
    kernel = (
        np.random.default_rng(n * 100 + k)
        .standard_normal((k, 1, 1, 1))
        .astype(np.float32)
    )
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
        (
            {"n": 5, "kernel_size": 3, "padding": "middle"},
            ValueError,
            "padding must be one of",
        ),
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


# --- The formulas against what Keras and TensorFlow really do ---------------------------


@st.composite
def geometries(draw):
    """Sizes near the kernel, even kernels, strides above the kernel size, dilation."""
    kh, kw = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    dilation = draw(st.sampled_from([(1, 1), (1, 1), (2, 1), (1, 3), (2, 2)]))
    if dilation == (1, 1):
        stride = (
            draw(st.integers(1, 7)),
            draw(st.integers(1, 7)),
        )  # may exceed the kernel
    else:
        stride = (1, 1)  # TensorFlow's CPU kernels do not combine stride and dilation
    eff = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
    h = draw(st.integers(eff[0], eff[0] + 12))  # from exactly the kernel size upwards
    w = draw(st.integers(eff[1], eff[1] + 12))
    return (h, w), (kh, kw), stride, dilation


@settings(max_examples=1000, deadline=None)
@given(
    geometry=geometries(),
    padding=st.sampled_from(["valid", "same"]),
    seed=st.integers(0, 999),
)
def test_conv_arithmetic_matches_keras_conv2d(geometry, padding, seed):
    size, kernel_size, stride, dilation = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, *size, 2)).astype(np.float32)
    kernels = rng.standard_normal((*kernel_size, 2, 2)).astype(np.float32)
    layer = conv2d_layer(kernels, stride=stride, padding=padding, dilation=dilation)
    expected = apply(layer, x)  # what Keras Conv2D computes
    assert expected.shape[1:3] == conv_output_shape(
        size, kernel_size, stride, padding, dilation
    )
    pads = padding_amounts_2d(size, kernel_size, stride, padding, dilation)
    explicit = tf.nn.conv2d(
        x, kernels, stride, [[0, 0], *pads, [0, 0]], dilations=dilation
    )
    np.testing.assert_allclose(explicit.numpy(), expected, rtol=1e-5, atol=1e-5)
    ours = conv2d(x, kernels, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


@settings(max_examples=300, deadline=None)
@given(
    geometry=geometries(),
    padding=st.one_of(
        st.sampled_from(["full"]),
        st.integers(0, 3),
        st.tuples(
            st.tuples(st.integers(0, 3), st.integers(0, 3)),
            st.tuples(st.integers(0, 3), st.integers(0, 3)),
        ),
    ),
)
def test_explicit_padding_matches_zeropadding2d_then_valid(geometry, padding):
    size, kernel_size, stride, dilation = geometry
    pads = padding_amounts_2d(size, kernel_size, stride, padding, dilation)
    kernels = np.ones((*kernel_size, 1, 1), np.float32)
    model = keras.Sequential(
        [
            keras.layers.ZeroPadding2D(pads),
            conv2d_layer(kernels, stride=stride, dilation=dilation),
        ]
    )
    x = np.random.default_rng(0).standard_normal((1, *size, 1)).astype(np.float32)
    expected = apply(model, x)
    assert expected.shape[1:3] == conv_output_shape(
        size, kernel_size, stride, padding, dilation
    )
    ours = conv2d(x, kernels, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


@settings(max_examples=400, deadline=None)
@given(
    size=st.tuples(st.integers(1, 20), st.integers(1, 20)),
    pool=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    stride=st.one_of(st.none(), st.tuples(st.integers(1, 6), st.integers(1, 6))),
    padding=st.sampled_from(["valid", "same"]),
)
def test_pool_arithmetic_matches_keras_pooling(size, pool, stride, padding):
    if padding == "valid" and (size[0] < pool[0] or size[1] < pool[1]):
        with pytest.raises(ValueError, match="pool_size does not fit"):
            pool_output_shape(size, pool, stride, padding)
        return
    x = np.random.default_rng(0).standard_normal((1, *size, 1)).astype(np.float32)
    expected_shape = pool_output_shape(size, pool, stride, padding)
    for layer in (keras.layers.MaxPool2D, keras.layers.AveragePooling2D):
        out = apply(layer(pool_size=pool, strides=stride, padding=padding), x)
        assert out.shape[1:3] == expected_shape, layer.__name__
    if (
        padding == "same"
    ):  # the split: pad with -inf where same_padding says, then 'valid'
        steps = pool if stride is None else stride
        pads = [same_padding(n, k, s) for n, k, s in zip(size, pool, steps)]
        padded = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=-np.inf)
        valid = tf.nn.max_pool2d(padded, pool, steps, "VALID").numpy()
        keras_max = apply(keras.layers.MaxPool2D(pool, stride, padding="same"), x)
        np.testing.assert_array_equal(valid, keras_max)


def test_strict_explains_the_remainder():
    assert conv_output_size(7, 3, stride=2, strict=True) == 3  # (7 - 3) / 2 exact
    with pytest.raises(
        ValueError, match=r"stride 2 does not divide .* = 3 \(remainder 1;"
    ):
        conv_output_size(6, 3, stride=2, strict=True)
    assert conv_output_size(6, 3, stride=2) == 2  # Keras floors
    # It suggests removing zeros only when there are some to remove.
    with pytest.raises(ValueError, match=r"add 1 in total padding"):
        conv_output_size(6, 3, stride=2, strict=True)
    with pytest.raises(ValueError, match=r"add 1 or remove 1 in total padding"):
        conv_output_size(6, 3, stride=2, padding=1, strict=True)
    with pytest.raises(ValueError, match="remainder 1"):
        pool_output_size(427, 3, strict=True)  # (427 - 3) / 3 = 141 remainder 1
    assert pool_output_size(427, 2) == 213  # (427 - 2) // 2 + 1


def test_two_dimensional_forms():
    assert conv_output_shape((427, 640), 3, stride=2, padding="same") == (214, 320)
    assert conv_output_shape(5, (3, 1), padding=((1, 1), (0, 0))) == (5, 5)
    assert pool_output_shape((427, 640), 2) == (213, 320)
    assert padding_amounts_2d((5, 6), 2, stride=(1, 2), padding="same") == (
        (0, 1),
        (0, 0),
    )
    with pytest.raises(ValueError, match=r"\(\(top, bottom\), \(left, right\)\)"):
        conv_output_shape(5, 3, padding=(1, 2))
    with pytest.raises(
        ValueError, match=r"kernel_size must be an int or a \(height, width\)"
    ):
        conv_output_shape(5, (3, 3, 3))


# --- Transposed convolutions ------------------------------------------------------------


def test_transposed_worked_examples():
    assert transposed_output_size(2, 3, stride=2) == 5  # (2 - 1) * 2 + 3
    assert transposed_output_size(4, 3, 2, "same") == 8  # n * s
    assert transposed_output_size(4, 3, 2, "same", output_padding=0) == 7  # 6 + 1 + 0
    assert transposed_output_size(4, 4, 2, "same", output_padding=1) == 7  # 6 + 0 + 1
    assert transposed_output_size(4, 1, 3) == 12  # (4 - 1) * 3 + max(1, 3)
    assert transposed_output_size(4, 3, 2, "valid", output_padding=1) == 10
    assert transposed_output_size(5, 3, dilation=2) == 9  # 4 + k_eff 5


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0, "kernel_size": 3}, ValueError, "n must be a positive int"),
        ({"n": 4, "kernel_size": 0}, ValueError, "kernel_size"),
        ({"n": 4, "kernel_size": 3, "stride": 0}, ValueError, "stride"),
        (
            {"n": 4, "kernel_size": 3, "padding": "full"},
            ValueError,
            "'valid' or 'same'",
        ),
        ({"n": 4, "kernel_size": 3, "padding": 1}, ValueError, "'valid' or 'same'"),
        (
            {"n": 4, "kernel_size": 3, "stride": 2, "output_padding": 2},
            ValueError,
            "smaller than the stride 2",
        ),
        (
            {"n": 4, "kernel_size": 3, "output_padding": -1},
            ValueError,
            "output_padding must be a non-negative int",
        ),
        (
            {"n": 4, "kernel_size": 3, "stride": 2, "output_padding": 1.0},
            TypeError,
            "output_padding",
        ),
        (
            {
                "n": 4,
                "kernel_size": 2,
                "stride": 2,
                "padding": "same",
                "output_padding": 0,
            },
            ValueError,
            "makes 3 outputs, not n = 4",
        ),
    ],
)
def test_transposed_bad_input_names_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        transposed_output_size(**kwargs)


@st.composite
def transposed_geometries(draw):
    """Kernels even and odd, strides above the kernel, every output_padding, dilation."""
    n, k = draw(st.integers(1, 9)), draw(st.integers(1, 6))
    padding = draw(st.sampled_from(["valid", "same"]))
    dilation = draw(st.sampled_from([1, 1, 1, 2, 3]))
    stride = 1 if dilation > 1 else draw(st.integers(1, 5))  # Keras refuses both
    output_padding = draw(st.sampled_from([None, *range(stride)]))
    return n, k, stride, padding, output_padding, dilation


@settings(max_examples=300, deadline=None)
@given(transposed_geometries())
def test_transposed_size_matches_keras_conv2d_transpose(geometry):
    n, k, s, padding, output_padding, d = geometry
    # The width is a 1x1 kernel at stride 1 on one pixel: the height is the test.
    width_padding = None if output_padding is None else (output_padding, 0)
    layer = keras.layers.Conv2DTranspose(
        1, (k, 1), (s, 1), padding, output_padding=width_padding, dilation_rate=(d, 1)
    )
    x = np.ones((1, n, 1, 1), np.float32)
    try:
        size = transposed_output_size(n, k, s, padding, output_padding, d)
    except ValueError:
        # Only 'same' with an even kernel span and output_padding=0: TensorFlow refuses.
        assert padding == "same" and ((k - 1) * d + 1) % 2 == 0 and output_padding == 0
        with pytest.raises(tf.errors.InvalidArgumentError):
            layer(x)
        return
    if d == 1:
        assert layer(x).shape[1] == size
    else:  # TensorFlow's CPU kernel refuses dilation: Keras's own shape arithmetic
        assert layer.compute_output_shape(x.shape)[1] == size
    # The transposed convolution goes the convolution's way back: n again.
    assert conv_output_size(size, k, s, padding, d) == n


def test_output_padding_must_be_below_the_stride_in_keras_too():
    with pytest.raises(ValueError, match="output_padding"):
        keras.layers.Conv2DTranspose(1, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="smaller than the stride"):
        transposed_output_size(4, 3, 2, output_padding=2)


def test_tensorflow_refuses_the_size_transposed_output_size_refuses():
    # 'same', even kernel, output_padding=0: Keras's formula says (4 - 1) * 2 = 6, but
    # the convolution of 6 makes 3 outputs, so TensorFlow cannot go back from 4.
    layer = keras.layers.Conv2DTranspose(
        1, 2, strides=2, padding="same", output_padding=0
    )
    assert layer.compute_output_shape((1, 4, 4, 1))[1] == 6
    with pytest.raises(tf.errors.InvalidArgumentError):
        layer(np.ones((1, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="output_padding >= 1"):
        transposed_output_size(4, 2, 2, "same", output_padding=0)
