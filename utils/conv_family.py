"""The relatives of the convolution, from scratch in NumPy, with Keras's layouts.

- :func:`depthwise_conv2d`: each input channel convolved with its own filters,
  as Keras ``DepthwiseConv2D``;
- :func:`separable_conv2d`: a depthwise convolution, then a 1x1 convolution
  that mixes the channels, as Keras ``SeparableConv2D``;
- :func:`conv2d_transpose_loop`: chapter 8's loop, in which each input value
  scatters a scaled copy of the kernel into the output (saved here from the
  chapter, which a test checks, so that the tests can use it);
- :func:`conv2d_transpose`: the same scatter for batches and channels, with
  stride, padding, output padding and dilation, as Keras ``Conv2DTranspose``.

Images are NHWC ``(batch, height, width, channels)``. Kernels are in Keras's
layouts: ``(kernel_height, kernel_width, in_channels, depth_multiplier)`` for a
depthwise convolution and ``(kernel_height, kernel_width, filters,
in_channels)`` for a transposed one, which is the layout of the convolution it
transposes (:func:`utils.conv.conv2d` from ``filters`` to ``in_channels``).
"""

from __future__ import annotations

import numpy as np

from ._checks import numeric_array, positive_pair
from .arithmetic import padding_amounts_2d, transposed_output_size
from .conv import NHWC, conv2d

__all__ = [
    "conv2d_transpose",
    "conv2d_transpose_loop",
    "depthwise_conv2d",
    "separable_conv2d",
]


def depthwise_conv2d(
    x: np.ndarray,
    kernels: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int | tuple[int, int] = 1,
    padding: str | int | tuple = "valid",
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Depthwise convolution: every channel filtered on its own, as ``DepthwiseConv2D``.

    With ``M`` filters per channel (the depth multiplier), output channel
    ``c * M + m`` is channel ``c`` convolved with ``kernels[:, :, c, m]``::

        y[b, i, j, c*M + m] = bias[c*M + m]
            + sum_{u, v} x_pad[b, i*s_h + u*d_h, j*s_w + v*d_w, c] * kernels[u, v, c, m]

    No output mixes two input channels. ``kernels`` has shape
    ``(kernel_height, kernel_width, in_channels, depth_multiplier)``, ``bias``
    ``(in_channels * depth_multiplier,)``; the other arguments are those of
    :func:`utils.conv.conv2d`, which convolves each channel.
    """
    x = numeric_array("x", x, 4, NHWC)
    kernels = numeric_array(
        "kernels",
        kernels,
        4,
        "(kernel_height, kernel_width, in_channels, depth_multiplier)",
    )
    if kernels.shape[2] != x.shape[3]:
        raise ValueError(
            f"channel mismatch: x has {x.shape[3]} channels (its last axis) but kernels "
            f"have filters for {kernels.shape[2]} (their third axis, in_channels)"
        )
    out = np.concatenate(
        [
            conv2d(x[..., [c]], kernels[:, :, [c]], None, stride, padding, dilation)
            for c in range(x.shape[3])
        ],
        axis=-1,
    )
    if bias is None:
        return out
    bias = numeric_array("bias", bias, 1, "(in_channels * depth_multiplier,)")
    if bias.shape != out.shape[-1:]:
        raise ValueError(
            f"bias must have shape ({out.shape[-1]},), one per output channel "
            f"(in_channels * depth_multiplier); got {bias.shape}"
        )
    return out + bias


def separable_conv2d(
    x: np.ndarray,
    depthwise_kernels: np.ndarray,
    pointwise_kernels: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int | tuple[int, int] = 1,
    padding: str | int | tuple = "valid",
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Depthwise-separable convolution, as Keras ``SeparableConv2D``.

    A :func:`depthwise_conv2d` (space, each channel alone; it takes the
    stride, padding and dilation), then a 1x1 :func:`utils.conv.conv2d`
    (channels, each pixel alone) with the bias::

        y = conv2d(depthwise_conv2d(x, depthwise_kernels, ...), pointwise_kernels) + bias

    ``depthwise_kernels`` has shape ``(kernel_height, kernel_width,
    in_channels, depth_multiplier)`` and ``pointwise_kernels`` ``(1, 1,
    in_channels * depth_multiplier, filters)``.
    """
    pointwise_kernels = numeric_array(
        "pointwise_kernels",
        pointwise_kernels,
        4,
        "(1, 1, in_channels * depth_multiplier, filters)",
    )
    if pointwise_kernels.shape[:2] != (1, 1):
        raise ValueError(
            "pointwise_kernels must be 1x1: shape (1, 1, in_channels * "
            f"depth_multiplier, filters); got {pointwise_kernels.shape}"
        )
    depthwise = depthwise_conv2d(x, depthwise_kernels, None, stride, padding, dilation)
    return conv2d(depthwise, pointwise_kernels, bias)


# Saved in utils/conv_family.py, where the tests use it.
def conv2d_transpose_loop(
    image: np.ndarray, kernel: np.ndarray, stride: int = 1
) -> np.ndarray:
    """The 'valid' transposed convolution of a 2-D image: each input scatters the kernel.

    out[i * stride + u, j * stride + v] += image[i, j] * kernel[u, v]
    """
    kh, kw = kernel.shape
    h, w = image.shape
    out = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw))
    for i in range(h):
        for j in range(w):
            rows = slice(i * stride, i * stride + kh)
            cols = slice(j * stride, j * stride + kw)
            out[rows, cols] += image[i, j] * kernel
    return out


def conv2d_transpose(
    x: np.ndarray,
    kernels: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int | tuple[int, int] = 1,
    padding: str = "valid",
    output_padding: int | tuple[int, int] | None = None,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Transposed convolution of a batch of images, as Keras ``Conv2DTranspose``.

    Every input value scatters a copy of the kernel, scaled by it, into an
    output that is then cropped by the padding of the convolution it transposes::

        full[b, i*s_h + u*d_h, j*s_w + v*d_w, f] += x[b, i, j, c] * kernels[u, v, f, c]
        y = full[:, top : top + out_height, left : left + out_width] + bias

    ``out_height`` and ``out_width`` are
    :func:`utils.arithmetic.transposed_output_size`; ``top`` and ``left`` are
    the zeros ``padding`` ('valid' or 'same') adds before a convolution of that
    size, which then has ``x``'s size: ``y`` is the gradient of that
    convolution with respect to its input, for the output gradient ``x``.

    ``kernels`` has shape ``(kernel_height, kernel_width, filters,
    in_channels)``, ``bias`` ``(filters,)``. The loop runs over the
    ``kernel_height * kernel_width`` cells of the kernel, not over pixels: each
    step adds one cell's contribution for every input at once.
    """
    x, kernels, bias, stride, dilation, out_size = _conv2d_transpose_arguments(
        x, kernels, bias, stride, padding, output_padding, dilation
    )
    (top, bottom), (left, right) = padding_amounts_2d(
        out_size, kernels.shape[:2], stride, padding, dilation
    )
    (sh, sw), (dh, dw), (_, h, w, _) = stride, dilation, x.shape
    padded = (out_size[0] + top + bottom, out_size[1] + left + right)
    full = np.zeros(
        (x.shape[0], *padded, kernels.shape[2]),
        dtype=np.result_type(x, kernels, np.float32),
    )
    for u in range(kernels.shape[0]):
        for v in range(kernels.shape[1]):
            rows = slice(u * dh, u * dh + (h - 1) * sh + 1, sh)
            cols = slice(v * dw, v * dw + (w - 1) * sw + 1, sw)
            full[:, rows, cols] += x @ kernels[u, v].T  # (b, h, w, c) -> (b, h, w, f)
    out = full[:, top : top + out_size[0], left : left + out_size[1]]
    return out if bias is None else out + bias


def _conv2d_transpose_arguments(
    x: np.ndarray,
    kernels: np.ndarray,
    bias: np.ndarray | None,
    stride: int | tuple[int, int],
    padding: str,
    output_padding: int | tuple[int, int] | None,
    dilation: int | tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple, tuple, tuple[int, int]]:
    """Check :func:`conv2d_transpose`'s arguments; return them with the output size.

    Every error names the argument and what was expected.
    """
    x = numeric_array("x", x, 4, NHWC)
    kernels = numeric_array(
        "kernels", kernels, 4, "(kernel_height, kernel_width, filters, in_channels)"
    )
    if kernels.shape[3] != x.shape[3]:
        raise ValueError(
            f"x has {x.shape[3]} channels but kernels are for {kernels.shape[3]}: their "
            "last axis, in_channels, must match x's last axis"
        )
    stride = positive_pair("stride", stride)
    dilation = positive_pair("dilation", dilation)
    if output_padding is None or isinstance(output_padding, (int, np.integer)):
        output_padding = (output_padding, output_padding)
    elif not isinstance(output_padding, (tuple, list)) or len(output_padding) != 2:
        raise ValueError(
            "output_padding must be None, an int or a (height, width) pair; "
            f"got {output_padding!r}"
        )
    try:
        out_size = tuple(
            transposed_output_size(n, k, s, padding, op, d)
            for n, k, s, op, d in zip(
                x.shape[1:3], kernels.shape[:2], stride, output_padding, dilation
            )
        )
    except (TypeError, ValueError) as error:  # say which sizes the axis came from
        raise type(error)(f"x {x.shape}, kernels {kernels.shape}: {error}") from None
    if bias is not None:
        bias = numeric_array("bias", bias, 1, "(filters,)")
        if bias.shape != kernels.shape[2:3]:
            raise ValueError(
                f"bias must have shape ({kernels.shape[2]},), one per filter; "
                f"got {bias.shape}"
            )
    return x, kernels, bias, stride, dilation, out_size
