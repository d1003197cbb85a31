"""utils.conv_family: depthwise, separable and transposed convolutions, proven against Keras.

Keras's DepthwiseConv2D, SeparableConv2D and Conv2DTranspose run in float64 here,
so the from-scratch versions must agree to 1e-9 on random configurations. The
transposed convolution is also checked where Keras cannot go (dilation, and
dilation with stride): against utils.conv.conv2d_backward's input gradient, and
against the identity that defines a transpose, <conv(y), x> = <y, transposed(x)>.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils.arithmetic import conv_output_shape, transposed_output_size
from utils.conv import conv2d, conv2d_backward
from utils.conv_family import (
    conv2d_transpose,
    conv2d_transpose_loop,
    depthwise_conv2d,
    separable_conv2d,
)


def run(layer: keras.layers.Layer, x: np.ndarray, weights: list) -> np.ndarray:
    """The float64 Keras layer with the given weights, on x."""
    layer.build(x.shape)
    layer.set_weights(weights)
    return keras.ops.convert_to_numpy(layer(x))


# --- Depthwise and separable --------------------------------------------------------------


def test_depthwise_by_hand():
    x = np.zeros((1, 3, 3, 2))
    x[0, :, :, 0] = 1
    x[0, :, :, 1] = np.arange(9).reshape(3, 3)
    kernels = np.zeros((3, 3, 2, 2))
    kernels[:, :, 0, 0] = 1  # channel 0, filter 0: the sum of the window
    kernels[1, 1, 1, 0] = 1  # channel 1, filter 0: the centre
    kernels[0, 0, 1, 1] = -1  # channel 1, filter 1: minus the top-left corner
    out = depthwise_conv2d(x, kernels, bias=np.array([0.0, 0.5, 0.0, 0.0]))
    # Output channels in Keras's order c * M + m: (c0 m0, c0 m1, c1 m0, c1 m1).
    np.testing.assert_array_equal(out[0, 0, 0], [9.0, 0.5, 4.0, -0.0])


@st.composite
def depthwise_configs(draw):
    k = draw(st.integers(1, 4))
    dilation = draw(st.sampled_from([1, 1, 2]))
    stride = 1 if dilation > 1 else draw(st.integers(1, 3))  # Keras refuses both
    padding = draw(st.sampled_from(["valid", "same"]))
    span = (k - 1) * dilation + 1
    h, w = draw(st.integers(span, span + 6)), draw(st.integers(span, span + 6))
    channels, multiplier = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 2)), h, w, channels))
    kernels = rng.standard_normal((k, k, channels, multiplier))
    bias = rng.standard_normal(channels * multiplier)
    return x, kernels, bias, stride, padding, dilation, rng


@settings(max_examples=80, deadline=None)
@given(depthwise_configs())
def test_depthwise_equals_keras(config):
    x, kernels, bias, stride, padding, dilation, _ = config
    layer = keras.layers.DepthwiseConv2D(
        kernels.shape[0],
        stride,
        padding,
        depth_multiplier=kernels.shape[3],
        dilation_rate=dilation,
        dtype="float64",
    )
    expected = run(layer, x, [kernels, bias])
    actual = depthwise_conv2d(x, kernels, bias, stride, padding, dilation)
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(depthwise_configs(), st.integers(1, 4))
def test_separable_equals_keras(config, filters):
    x, kernels, _, stride, padding, dilation, rng = config
    pointwise = rng.standard_normal(
        (1, 1, kernels.shape[2] * kernels.shape[3], filters)
    )
    bias = rng.standard_normal(filters)
    layer = keras.layers.SeparableConv2D(
        filters,
        kernels.shape[0],
        stride,
        padding,
        depth_multiplier=kernels.shape[3],
        dilation_rate=dilation,
        dtype="float64",
    )
    expected = run(layer, x, [kernels, pointwise, bias])
    actual = separable_conv2d(x, kernels, pointwise, bias, stride, padding, dilation)
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-9)


def test_depthwise_is_a_standard_convolution_with_a_block_diagonal_kernel():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 7, 3))
    kernels = rng.standard_normal((3, 3, 3, 2))
    full = np.zeros((3, 3, 3, 6))  # filter c * 2 + m reads channel c only
    for c in range(3):
        full[:, :, c, 2 * c : 2 * c + 2] = kernels[:, :, c]
    np.testing.assert_allclose(
        depthwise_conv2d(x, kernels, stride=2, padding="same"),
        conv2d(x, full, stride=2, padding="same"),
        rtol=1e-12,
        atol=1e-12,
    )


# --- Transposed ----------------------------------------------------------------------------


def test_transposed_by_hand():
    small = np.array([[1.0, 2.0], [3.0, 4.0]])
    expected = np.array(
        [
            [1, 1, 3, 2, 2],
            [1, 1, 3, 2, 2],
            [4, 4, 10, 6, 6],
            [3, 3, 7, 4, 4],
            [3, 3, 7, 4, 4],
        ]
    )
    np.testing.assert_array_equal(
        conv2d_transpose_loop(small, np.ones((3, 3)), 2), expected
    )
    out = conv2d_transpose(small[None, :, :, None], np.ones((3, 3, 1, 1)), stride=2)
    np.testing.assert_array_equal(out[0, :, :, 0], expected)


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    k=st.integers(1, 4),
    s=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_transposed_loop_equals_the_vectorised_version(h, w, k, s, seed):
    if s > k:
        s = k  # beyond the kernel, Keras's 'valid' output grows by s - k zeros
    rng = np.random.default_rng(seed)
    image, kernel = rng.standard_normal((h, w)), rng.standard_normal((k, k))
    vectorised = conv2d_transpose(
        image[None, :, :, None], kernel[:, :, None, None], None, s
    )
    np.testing.assert_allclose(
        conv2d_transpose_loop(image, kernel, s), vectorised[0, :, :, 0], atol=1e-12
    )


@st.composite
def transposed_configs(draw, keras_can_run: bool = True):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = draw(st.sampled_from(["valid", "same"]))
    dilation = (
        (1, 1) if keras_can_run else draw(st.sampled_from([(1, 1), (2, 1), (2, 3)]))
    )
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    output_padding = draw(st.sampled_from([None, "some"]))
    if output_padding == "some":
        output_padding = tuple(draw(st.integers(0, s - 1)) for s in stride)
        for axis, (size, d) in enumerate(zip(k, dilation)):
            if padding == "same" and ((size - 1) * d + 1) % 2 == 0:
                # no size exists for output_padding 0 (see transposed_output_size)
                output_padding = tuple(
                    max(op, 1) if a == axis else op
                    for a, op in enumerate(output_padding)
                )
        if any(op >= s for op, s in zip(output_padding, stride)):
            output_padding = None
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    c_in, filters = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x = rng.standard_normal((draw(st.integers(1, 2)), h, w, c_in))
    kernels = rng.standard_normal((*k, filters, c_in))
    bias = rng.standard_normal(filters)
    return x, kernels, bias, stride, padding, output_padding, dilation


@settings(max_examples=150, deadline=None)
@given(transposed_configs())
def test_transposed_equals_keras(config):
    x, kernels, bias, stride, padding, output_padding, _ = config
    layer = keras.layers.Conv2DTranspose(
        kernels.shape[2],
        kernels.shape[:2],
        stride,
        padding,
        output_padding=output_padding,
        dtype="float64",
    )
    expected = run(layer, x, [kernels, bias])
    actual = conv2d_transpose(x, kernels, bias, stride, padding, output_padding)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(transposed_configs(keras_can_run=False))
def test_transposed_is_the_gradient_and_the_adjoint_of_the_convolution(config):
    x, kernels, _, stride, padding, output_padding, dilation = config
    out = conv2d_transpose(x, kernels, None, stride, padding, output_padding, dilation)
    sizes = [
        transposed_output_size(n, k, s, padding, op, d)
        for n, k, s, op, d in zip(
            x.shape[1:3],
            kernels.shape[:2],
            stride,
            output_padding or (None, None),
            dilation,
        )
    ]
    assert out.shape == (x.shape[0], *sizes, kernels.shape[2])
    # The convolution from the output's size comes back to x's size ...
    assert conv_output_shape(
        sizes, kernels.shape[:2], stride, padding, dilation
    ) == tuple(x.shape[1:3])
    # ... its input gradient, for the output gradient x, is the transposed convolution ...
    y = np.random.default_rng(0).standard_normal(out.shape)
    grad_y, _ = conv2d_backward(y, kernels, x, stride, padding, dilation)
    np.testing.assert_allclose(out, grad_y, rtol=1e-9, atol=1e-9)
    # ... and <conv(y), x> = <y, transposed(x)>: the transposed convolution is C^T.
    forward = conv2d(y, kernels, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(
        np.sum(forward * x), np.sum(y * out), rtol=1e-9, atol=1e-9
    )


def test_transposed_keeps_float64_and_integers_give_floats():
    x = np.arange(4).reshape(1, 2, 2, 1)
    assert conv2d_transpose(x, np.ones((2, 2, 1, 1), int)).dtype == np.float64
    assert (
        conv2d_transpose(x.astype(np.float32), np.ones((2, 2, 1, 1), np.float32)).dtype
        == np.float32
    )


# --- Errors that name the argument ---------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: depthwise_conv2d(np.ones((4, 4, 3)), np.ones((3, 3, 3, 1))),
            ValueError,
            "x must be a 4-D array",
        ),
        (
            lambda: depthwise_conv2d(np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 1))),
            ValueError,
            "channel mismatch: x has 3 channels",
        ),
        (
            lambda: depthwise_conv2d(
                np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 2)), np.ones(2)
            ),
            ValueError,
            r"bias must have shape \(4,\)",
        ),
        (
            lambda: separable_conv2d(
                np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 1)), np.ones((3, 3, 2, 4))
            ),
            ValueError,
            "pointwise_kernels must be 1x1",
        ),
        (
            lambda: conv2d_transpose(np.ones((1, 4, 4, 2)), np.ones((3, 3, 5, 3))),
            ValueError,
            "x has 2 channels but kernels are for 3",
        ),
        (
            lambda: conv2d_transpose(
                np.ones((1, 4, 4, 2)), np.ones((3, 3, 5, 2)), np.ones(2)
            ),
            ValueError,
            r"bias must have shape \(5,\)",
        ),
        (
            lambda: conv2d_transpose(
                np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), stride=2, output_padding=2
            ),
            ValueError,
            "output_padding must be smaller than the stride 2",
        ),
        (
            lambda: conv2d_transpose(
                np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), output_padding=(0, 0, 0)
            ),
            ValueError,
            "output_padding must be None, an int or a",
        ),
        (
            lambda: conv2d_transpose(
                np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), padding="full"
            ),
            ValueError,
            "padding must be 'valid' or 'same'",
        ),
        (
            lambda: conv2d_transpose(
                np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), stride=0
            ),
            ValueError,
            "stride must be a positive int",
        ),
        (
            lambda: conv2d_transpose(np.ones((1, 0, 4, 1)), np.ones((3, 3, 1, 1))),
            ValueError,
            r"x \(1, 0, 4, 1\), kernels \(3, 3, 1, 1\): n must be a positive int",
        ),
        (
            lambda: conv2d_transpose(np.ones((1, 4, 4, 1)), np.ones((0, 3, 1, 1))),
            ValueError,
            "kernel_size must be a positive int",
        ),
        (
            lambda: conv2d_transpose(np.array([["a"]]), np.ones((3, 3, 1, 1))),
            TypeError,
            "x must be a numeric array",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
