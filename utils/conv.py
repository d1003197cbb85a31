"""Convolution from scratch in NumPy, with TensorFlow's layout and semantics.

Layouts are TensorFlow's: images are NHWC ``(batch, height, width,
channels)`` and kernels are HWIO ``(kernel_height, kernel_width,
in_channels, out_channels)``. Like every deep-learning framework, what is
called convolution here is cross-correlation: the kernel is not flipped.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import numeric_array, positive_pair
from .arithmetic import Padding, effective_kernel_size, padding_amounts_2d

__all__ = ["conv2d"]


def conv2d(
    x: np.ndarray,
    kernels: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int | tuple[int, int] = 1,
    padding: Padding | tuple = "valid",
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """2-D convolution (cross-correlation) of a batch of images, as ``tf.nn.conv2d``.

    For output position ``(i, j)`` and filter ``o``::

        y[b, i, j, o] = bias[o] + sum_{u, v, c} x_pad[b, i*s_h + u*d_h, j*s_w + v*d_w, c]
                                                * kernels[u, v, c, o]

    where ``x_pad`` is ``x`` with zeros added as ``padding`` asks.

    Parameters
    ----------
    x : array of shape ``(batch, height, width, in_channels)``.
    kernels : array of shape ``(kernel_height, kernel_width, in_channels, filters)``.
    bias : optional array of shape ``(filters,)``.
    stride, dilation : an int or a ``(height, width)`` pair, each >= 1.
    padding : ``"valid"``, ``"same"``, ``"full"``, zeros per side as an int, or
        ``((top, bottom), (left, right))``.

    Returns
    -------
    Array of shape ``(batch, out_height, out_width, filters)``; see
    :func:`utils.arithmetic.conv_output_size`.

    The work is vectorized: a strided *view* gathers every window (no copy,
    no Python loop over pixels) and one ``einsum`` multiplies and sums them.
    """
    x = numeric_array("x", x, 4, "(batch, height, width, channels)")
    kernels = numeric_array(
        "kernels", kernels, 4, "(kernel_height, kernel_width, in_channels, filters)"
    )
    kh, kw, k_in, filters = kernels.shape
    if k_in != x.shape[3]:
        raise ValueError(
            f"channel mismatch: x has {x.shape[3]} channels (its last axis) but kernels "
            f"expect {k_in} (their third axis, in_channels)"
        )
    if min(kernels.shape) == 0 or min(x.shape) == 0:
        raise ValueError(
            f"x and kernels must not have empty axes; got x {x.shape}, kernels {kernels.shape}"
        )
    stride = positive_pair("stride", stride)
    dilation = positive_pair("dilation", dilation)
    if bias is not None:
        bias = numeric_array("bias", bias, 1, "(filters,)")
        if bias.shape[0] != filters:
            raise ValueError(f"bias must have shape ({filters},), one per filter; got {bias.shape}")

    (top, bottom), (left, right) = padding_amounts_2d(
        x.shape[1:3], (kh, kw), stride, padding, dilation
    )
    eff_h = effective_kernel_size(kh, dilation[0])
    eff_w = effective_kernel_size(kw, dilation[1])
    padded_h, padded_w = x.shape[1] + top + bottom, x.shape[2] + left + right
    if padded_h < eff_h or padded_w < eff_w:
        raise ValueError(
            f"kernels are larger than the padded input: they cover {eff_h}x{eff_w} pixels "
            f"(size {kh}x{kw}, dilation {dilation}) but the padded input is "
            f"{padded_h}x{padded_w} (x {x.shape[1]}x{x.shape[2]}, padding {padding!r})"
        )

    x_pad = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    # windows[b, i, j, c, u, v] = x_pad[b, i*s_h + u*d_h, j*s_w + v*d_w, c]
    windows = sliding_window_view(x_pad, (eff_h, eff_w), axis=(1, 2))
    windows = windows[:, :: stride[0], :: stride[1], :, :: dilation[0], :: dilation[1]]
    out = np.einsum("bijcuv,uvco->bijo", windows, kernels, optimize=True)
    if bias is not None:
        out = out + bias
    return out
