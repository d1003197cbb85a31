"""utils.conv: conv2d against TensorFlow, against chapter 1's loop (conv2d_loop) and SciPy;
conv2d_backward against tf.GradientTape and the definition of a gradient."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from utils.arithmetic import padding_amounts
from utils.conv import conv2d, conv2d_backward, conv2d_loop


def reference_conv2d(x, kernels, stride, pads, dilation):
    """The definition, built from chapter 1's loop (slow, obviously right).

    Padding adds zeros around x; dilation d spreads the kernel's weights d cells
    apart with zeros between them; the channels' convolutions add up; and
    stride s keeps every s-th output of the stride-1 convolution.
    """
    (sh, sw), (dh, dw) = stride, dilation
    x = np.pad(x, ((0, 0), *pads, (0, 0)))
    kh, kw, channels, filters = kernels.shape
    dilated = np.zeros(((kh - 1) * dh + 1, (kw - 1) * dw + 1, channels, filters))
    dilated[::dh, ::dw] = kernels
    return np.stack(
        [
            np.stack(
                [
                    sum(
                        conv2d_loop(image[:, :, c], dilated[:, :, c, o])
                        for c in range(channels)
                    )
                    for o in range(filters)
                ],
                axis=-1,
            )[::sh, ::sw]
            for image in x
        ]
    )


def test_conv2d_loop_hand_example():
    """The 5x5 example of chapter 1, worked out by hand: -5 = 3 + 1 + 2 - 1 - 8 - 2."""
    x = np.array(
        [
            [3, 0, 1, 2, 7],
            [1, 5, 8, 9, 3],
            [2, 7, 2, 5, 1],
            [0, 1, 3, 1, 7],
            [4, 2, 1, 6, 2],
        ]
    )
    kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    np.testing.assert_array_equal(
        conv2d_loop(x, kernel), [[-5, -4, 0], [-10, -2, 2], [0, -2, -4]]
    )
    assert conv2d_loop(x, np.ones((1, 1))).shape == (5, 5)
    assert conv2d_loop(x, np.ones((5, 5))).item() == x.sum()


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
        padding, per_axis = (
            "same",
            ("same", "same"),
        )  # the kernel must fit the padded input
    pads = tuple(
        padding_amounts(n, k, s, p, d)
        for n, k, s, p, d in zip((h, w), (kh, kw), (sh, sw), per_axis, (dh, dw))
    )
    batch, c_in, c_out = (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 4)),
    )
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
        named = tf.nn.conv2d(
            x, kernels, stride, padding.upper(), dilations=dilation
        ).numpy()
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
        actual,
        reference_conv2d(x, kernels, stride, pads, dilation),
        rtol=1e-9,
        atol=1e-9,
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
    assert (
        conv2d(x, np.ones((3, 3, 2, 4), np.float32), padding="same").dtype == np.float32
    )


X = np.zeros((1, 5, 5, 3))
K = np.zeros((3, 3, 3, 2))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: conv2d(np.zeros((5, 5, 3)), K), ValueError, r"x must be a 4-D array"),
        (
            lambda: conv2d(X, np.zeros((3, 3, 3))),
            ValueError,
            r"kernels must be a 4-D array",
        ),
        (
            lambda: conv2d(X, np.zeros((3, 3, 1, 2))),
            ValueError,
            r"channel mismatch.*3 channels",
        ),
        (
            lambda: conv2d(X, np.zeros((7, 3, 3, 2))),
            ValueError,
            r"kernels are larger than the padded input",
        ),
        (
            lambda: conv2d(X, K, dilation=3),
            ValueError,
            r"kernels are larger than the padded input",
        ),
        (lambda: conv2d(X, K, stride=0), ValueError, r"stride must be a positive int"),
        (
            lambda: conv2d(X, K, stride=(1, -2)),
            ValueError,
            r"stride\[1\] must be a positive int",
        ),
        (
            lambda: conv2d(X, K, dilation=0),
            ValueError,
            r"dilation must be a positive int",
        ),
        (lambda: conv2d(X, K, stride=1.5), TypeError, r"stride must be a positive int"),
        (
            lambda: conv2d(X, K, padding="SAMEISH"),
            ValueError,
            r"padding must be one of",
        ),
        (
            lambda: conv2d(X, K, padding=-1),
            ValueError,
            r"padding must be a non-negative int",
        ),
        (
            lambda: conv2d(X, K, padding=(1, 2)),
            ValueError,
            r"\(\(top, bottom\), \(left, right\)\)",
        ),
        (
            lambda: conv2d(X, K, bias=np.zeros(3)),
            ValueError,
            r"bias must have shape \(2,\)",
        ),
        (
            lambda: conv2d(np.array([[[["a"]]]]), K),
            TypeError,
            r"x must be a numeric array",
        ),
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


def tape_gradients(x, kernels, grad_output, stride, pads, dilation):
    """TensorFlow's gradients of conv2d, padded by tf.pad, by tf.GradientTape.

    tf.nn.convolution, not tf.nn.conv2d: the CPU gradient of tf.nn.conv2d refuses
    dilation > 1, while tf.nn.convolution dilates by rearranging the input.
    """
    x, kernels = tf.constant(x), tf.constant(kernels)
    with tf.GradientTape() as tape:
        tape.watch([x, kernels])
        x_pad = tf.pad(x, [[0, 0], list(pads[0]), list(pads[1]), [0, 0]])
        y = tf.nn.convolution(x_pad, kernels, stride, "VALID", dilations=dilation)
    return [g.numpy() for g in tape.gradient(y, [x, kernels], grad_output)]


@settings(max_examples=200, deadline=None)
@given(conv_configs(), st.integers(0, 2**16))
def test_conv2d_backward_equals_gradient_tape(config, seed):
    x, kernels, stride, padding, pads, dilation = config
    y = conv2d(x, kernels, stride=stride, padding=padding, dilation=dilation)
    grad_output = np.random.default_rng(seed).standard_normal(y.shape)
    grad_x, grad_kernels = conv2d_backward(
        x, kernels, grad_output, stride, padding, dilation
    )
    expected_x, expected_kernels = tape_gradients(
        x, kernels, grad_output, stride, pads, dilation
    )
    assert grad_x.shape == x.shape and grad_kernels.shape == kernels.shape
    assert grad_x.dtype == grad_kernels.dtype == np.float64
    np.testing.assert_allclose(grad_x, expected_x, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grad_kernels, expected_kernels, rtol=1e-9, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(conv_configs(allow_stride_with_dilation=True), st.integers(0, 2**16))
def test_conv2d_backward_is_the_adjoint(config, seed):
    """Where TensorFlow's CPU refuses (stride and dilation together), use the
    definition: y is linear in x and in kernels, so for any grad_output g,
    sum(g * y) = sum(grad_x * x) = sum(grad_kernels * kernels)."""
    x, kernels, stride, padding, pads, dilation = config
    y = reference_conv2d(x, kernels, stride, pads, dilation)
    g = np.random.default_rng(seed).standard_normal(y.shape)
    grad_x, grad_kernels = conv2d_backward(x, kernels, g, stride, padding, dilation)
    assert grad_x.shape == x.shape and grad_kernels.shape == kernels.shape
    np.testing.assert_allclose(np.sum(grad_x * x), np.sum(g * y), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        np.sum(grad_kernels * kernels), np.sum(g * y), rtol=1e-9, atol=1e-9
    )
    # and each entry is a derivative: nudging one input value changes sum(g * y) by it
    r, q = (np.array(x.shape[1:3]) - 1) // 2
    nudged = x.copy()
    nudged[0, r, q, 0] += 1.0
    change = np.sum(g * reference_conv2d(nudged, kernels, stride, pads, dilation))
    np.testing.assert_allclose(
        change - np.sum(g * y), grad_x[0, r, q, 0], rtol=1e-9, atol=1e-9
    )


def test_conv2d_backward_by_hand():
    """1-D in a 2-D array: x = [1, 2, 3, 4], k = [1, 10], y = [21, 32, 43].

    dL/dx[r] = sum_i g[i] * k[r - i]: the full correlation of g with the flipped
    kernel [10, 1]; dL/dk[u] = sum_i x[i + u] * g[i].
    """
    x = np.array([1.0, 2, 3, 4])[None, None, :, None]
    k = np.array([1.0, 10])[None, :, None, None]
    np.testing.assert_array_equal(conv2d(x, k)[0, 0, :, 0], [21, 32, 43])
    g = np.array([1.0, 0, 2])[None, None, :, None]
    grad_x, grad_k = conv2d_backward(x, k, g)
    np.testing.assert_array_equal(grad_x[0, 0, :, 0], [1, 10, 2, 20])
    np.testing.assert_array_equal(grad_k[0, :, 0, 0], [1 + 6, 2 + 8])
    # stride 2: y = [21, 43], and its gradient lands where those windows were
    grad_x, grad_k = conv2d_backward(x, k, np.array([1.0, 2])[None, None, :, None], 2)
    np.testing.assert_array_equal(grad_x[0, 0, :, 0], [1, 10, 2, 20])
    np.testing.assert_array_equal(grad_k[0, :, 0, 0], [7, 10])


def test_conv2d_backward_keeps_float32():
    x = np.ones((1, 6, 6, 2), np.float32)
    k = np.ones((3, 3, 2, 4), np.float32)
    g = np.ones((1, 3, 3, 4), np.float32)
    grad_x, grad_k = conv2d_backward(x, k, g, stride=2, padding="same")
    assert grad_x.dtype == grad_k.dtype == np.float32


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: conv2d_backward(X, K, np.zeros((1, 5, 5, 2))),
            ValueError,
            r"grad_output must have the shape of the forward output "
            r"\(batch, out_height, out_width, filters\) = \(1, 3, 3, 2\); "
            r"got \(1, 5, 5, 2\)",
        ),
        (
            lambda: conv2d_backward(X, K, np.zeros((1, 3, 3, 2)), padding="same"),
            ValueError,
            r"= \(1, 5, 5, 2\); got \(1, 3, 3, 2\)",
        ),
        (
            lambda: conv2d_backward(X, K, np.zeros((1, 3, 3, 2)), stride=2),
            ValueError,
            r"= \(1, 2, 2, 2\); got \(1, 3, 3, 2\)",
        ),
        (
            lambda: conv2d_backward(X, K, np.zeros((3, 3, 2))),
            ValueError,
            r"grad_output must be a 4-D array",
        ),
        (
            lambda: conv2d_backward(X, K, np.full((1, 3, 3, 2), "a")),
            TypeError,
            r"grad_output must be a numeric array",
        ),
        (
            lambda: conv2d_backward(X, np.zeros((3, 3, 1, 2)), np.zeros((1, 3, 3, 2))),
            ValueError,
            r"channel mismatch",
        ),
        (
            lambda: conv2d_backward(X, K, np.zeros((1, 3, 3, 2)), stride=0),
            ValueError,
            r"stride must be a positive int",
        ),
    ],
)
def test_conv2d_backward_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
