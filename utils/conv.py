"""2-D convolution from scratch in NumPy, with TensorFlow's layouts and semantics.

- :func:`conv2d_loop`: chapter 1's loop, one output at a time, for one 2-D
  image and one 2-D kernel. It is saved here from the chapter (a test checks
  that it is the same code as the chapter's cell), so that the tests and the
  benchmark check :func:`conv2d` against it.
- :func:`conv2d`: the vectorized version for batches, channels and filters,
  with stride, padding and dilation, as ``tf.nn.conv2d`` and Keras ``Conv2D``.

Layouts are TensorFlow's: images are NHWC ``(batch, height, width,
channels)`` and kernels HWIO ``(kernel_height, kernel_width, in_channels,
filters)``. Like every deep-learning framework, what is called convolution
here is cross-correlation: the kernel is not flipped.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import numeric_array, positive_pair
from .arithmetic import Padding, effective_kernel_size, padding_amounts_2d

__all__ = ["NHWC", "conv2d", "conv2d_loop"]

NHWC = "(batch, height, width, channels)"


def conv2d_loop(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The 'valid' convolution of a 2-D image with a 2-D kernel, one output at a time.

    out[i, j] = sum over u, v of image[i + u, j + v] * kernel[u, v]
    """
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i : i + kh, j : j + kw] * kernel)
    return out


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
    x, kernels, bias, stride, dilation, pads = _conv2d_arguments(
        x, kernels, bias, stride, padding, dilation
    )
    x_pad = np.pad(x, ((0, 0), *pads, (0, 0)))
    span = [effective_kernel_size(k, d) for k, d in zip(kernels.shape[:2], dilation)]
    # windows[b, i, j, c, u, v] = x_pad[b, i + u, j + v, c]: a view, no copy
    windows = sliding_window_view(x_pad, span, axis=(1, 2))
    # keep every stride-th window and every dilation-th cell of it
    windows = windows[:, :: stride[0], :: stride[1], :, :: dilation[0], :: dilation[1]]
    out = np.einsum("bijcuv,uvco->bijo", windows, kernels, optimize=True)
    return out if bias is None else out + bias


def _conv2d_arguments(
    x: np.ndarray,
    kernels: np.ndarray,
    bias: np.ndarray | None,
    stride: int | tuple[int, int],
    padding: Padding | tuple,
    dilation: int | tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple, tuple, tuple]:
    """Check the arguments of :func:`conv2d`; return them as arrays and pairs, with the pads.

    ``pads`` is ``((top, bottom), (left, right))``, the zeros ``padding`` asks for.
    Every error names the argument and what was expected.
    """
    x = numeric_array("x", x, 4, NHWC)
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
            raise ValueError(
                f"bias must have shape ({filters},), one per filter; got {bias.shape}"
            )

    pads = padding_amounts_2d(x.shape[1:3], (kh, kw), stride, padding, dilation)
    eff_h = effective_kernel_size(kh, dilation[0])
    eff_w = effective_kernel_size(kw, dilation[1])
    padded_h, padded_w = x.shape[1] + sum(pads[0]), x.shape[2] + sum(pads[1])
    if padded_h < eff_h or padded_w < eff_w:
        raise ValueError(
            f"kernels are larger than the padded input: they cover {eff_h}x{eff_w} pixels "
            f"(size {kh}x{kw}, dilation {dilation}) but the padded input is "
            f"{padded_h}x{padded_w} (x {x.shape[1]}x{x.shape[2]}, padding {padding!r})"
        )
    return x, kernels, bias, stride, dilation, pads
