"""2-D convolution from scratch in NumPy, with TensorFlow's layouts and semantics.

- :func:`conv2d_loop`: chapter 1's loop, one output at a time, for one 2-D
  image and one 2-D kernel. It is saved here from the chapter (a test checks
  that it is the same code as the chapter's cell), so that the tests and the
  benchmark check :func:`conv2d` against it.
- :func:`conv2d`: the vectorized version for batches, channels and filters,
  with stride, padding and dilation, as ``tf.nn.conv2d`` and Keras ``Conv2D``.
- :func:`conv2d_backward`: its gradients with respect to the input and the
  kernels, each computed by :func:`conv2d` itself (the chapter on gradients).

Layouts are TensorFlow's: images are NHWC ``(batch, height, width,
channels)`` and kernels HWIO ``(kernel_height, kernel_width, in_channels,
filters)``. Like every deep-learning framework, what is called convolution
here is cross-correlation: the kernel is not flipped.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import numeric_array, positive_pair
from .arithmetic import (
    Padding,
    conv_output_shape,
    effective_kernel_size,
    padding_amounts_2d,
)

__all__ = ["NHWC", "conv2d", "conv2d_backward", "conv2d_loop"]

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


def conv2d_backward(
    x: np.ndarray,
    kernels: np.ndarray,
    grad_output: np.ndarray,
    stride: int | tuple[int, int] = 1,
    padding: Padding | tuple = "valid",
    dilation: int | tuple[int, int] = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """The gradients of a loss with respect to :func:`conv2d`'s input and kernels.

    ``grad_output[b, i, j, o]`` is dL/dy[b, i, j, o] for ``y = conv2d(x, kernels,
    stride=stride, padding=padding, dilation=dilation)`` (the bias's gradient is
    just ``grad_output.sum(axis=(0, 1, 2))``). With ``g`` the *dilated* output
    gradient, ``grad_output`` at every stride-th place of the stride-1 output
    and 0 between (``g[b, i*s_h, j*s_w, o] = grad_output[b, i, j, o]``)::

        dL/dx_pad[b, r, q, c] = sum_{u, v, o} g_full[b, r + u*d_h, q + v*d_w, o]
                                              * kernels[k_h-1-u, k_w-1-v, c, o]
        dL/dkernels[u, v, c, o] = sum_{b, i, j} x_pad[b, i + u*d_h, j + v*d_w, c]
                                                * g[b, i, j, o]

    where ``g_full`` is ``g`` with ``(k - 1) * d`` zeros on every side: the input
    gradient is the 'full' correlation of ``g`` with the flipped kernel (its
    in and out channels swapped), cropped to ``x`` by removing the padding;
    the kernel gradient is the correlation of the padded input with ``g``.

    Arguments as in :func:`conv2d`; ``grad_output`` must have the shape of its
    output. Returns ``(grad_x, grad_kernels)``, of the shapes of ``x`` and
    ``kernels``.
    """
    x, kernels, grad_output, stride, dilation, pads = _conv2d_backward_arguments(
        x, kernels, grad_output, stride, padding, dilation
    )
    x_pad = np.pad(x, ((0, 0), *pads, (0, 0)))
    # 1. A stride-s output is every s-th output of the stride-1 convolution, so
    #    its gradient is grad_output at every s-th place of that output, 0 between.
    rows, cols = conv_output_shape(
        x_pad.shape[1:3], kernels.shape[:2], 1, "valid", dilation
    )
    g = np.zeros((x.shape[0], rows, cols, kernels.shape[3]), grad_output.dtype)
    g[:, :: stride[0], :: stride[1]] = grad_output
    # 2. Input gradient: the 'full' correlation of g with the flipped kernel (in
    #    and out channels swapped), then the padding cut off.
    flipped = kernels[::-1, ::-1].transpose(0, 1, 3, 2)
    grad_x_pad = conv2d(g, flipped, padding="full", dilation=dilation)
    (top, _), (left, _) = pads
    grad_x = grad_x_pad[:, top : top + x.shape[1], left : left + x.shape[2]]
    # 3. Kernel gradient: the correlation of x_pad with g, where the batch plays
    #    the channels (conv2d sums over them) and the channels play the batch.
    grad_k = conv2d(
        x_pad.transpose(3, 1, 2, 0), g.transpose(1, 2, 0, 3), stride=dilation
    )
    return grad_x, grad_k.transpose(1, 2, 0, 3)


def _conv2d_backward_arguments(
    x: np.ndarray,
    kernels: np.ndarray,
    grad_output: np.ndarray,
    stride: int | tuple[int, int],
    padding: Padding | tuple,
    dilation: int | tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple, tuple, tuple]:
    """Check the arguments of :func:`conv2d_backward` as :func:`conv2d` does.

    Returns ``x, kernels, grad_output, stride, dilation, pads``; ``grad_output``
    must have the shape of the forward output.
    """
    x, kernels, _, stride, dilation, pads = _conv2d_arguments(
        x, kernels, None, stride, padding, dilation
    )
    out = conv_output_shape(x.shape[1:3], kernels.shape[:2], stride, pads, dilation)
    expected = (x.shape[0], *out, kernels.shape[3])
    grad_output = _grad_output_array(grad_output, expected, "filters")
    return x, kernels, grad_output, stride, dilation, pads


def _grad_output_array(
    grad_output: np.ndarray, expected: tuple[int, ...], last_axis: str
) -> np.ndarray:
    """``grad_output`` as a numeric array, or an error naming the expected shape.

    A layer's output gradient has the shape of its output ``(batch,
    out_height, out_width, last_axis)``, which ``expected`` gives.
    """
    layout = f"(batch, out_height, out_width, {last_axis})"
    grad_output = numeric_array("grad_output", grad_output, 4, layout)
    if grad_output.shape != tuple(expected):
        raise ValueError(
            f"grad_output must have the shape of the forward output {layout} = "
            f"{tuple(expected)}; got {grad_output.shape}"
        )
    return grad_output
