"""The layers of a small CNN from scratch in NumPy, with TensorFlow's layouts and semantics.

- :func:`conv2d`: 2-D convolution, as ``tf.nn.conv2d`` and Keras ``Conv2D``;
- :func:`max_pool2d` and :func:`avg_pool2d`: pooling, as Keras ``MaxPool2D``
  and ``AveragePooling2D`` (including 'same' padding, whose padded cells are
  ignored);
- :func:`global_avg_pool2d`: the mean of each channel, as Keras
  ``GlobalAveragePooling2D``;
- :func:`flatten` and :func:`dense`: a feature map to a vector, then
  ``x @ weights + bias``, as Keras ``Flatten`` and ``Dense``.

Layouts are TensorFlow's: images are NHWC ``(batch, height, width,
channels)``, kernels are HWIO ``(kernel_height, kernel_width, in_channels,
out_channels)`` and dense weights are ``(in_features, units)``. Like every
deep-learning framework, what is called convolution here is
cross-correlation: the kernel is not flipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import numeric_array, positive_pair
from .arithmetic import Padding, effective_kernel_size, padding_amounts_2d, pool_output_size

__all__ = [
    "avg_pool2d",
    "conv2d",
    "dense",
    "flatten",
    "global_avg_pool2d",
    "max_pool2d",
]

NHWC = "(batch, height, width, channels)"


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


# --------------------------------------------------------------------------- pooling

POOL_PADDINGS = ("valid", "same")


def _pool_windows(
    x: np.ndarray,
    pool_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None,
    padding: str,
    fill: float | int | bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Check the arguments of a pooling function and gather its windows.

    Returns ``windows`` and ``counts``: ``windows[b, i, j, c, u, v]`` is
    ``x_pad[b, i*s_h + u, j*s_w + v, c]``, a strided view of ``x`` padded with
    ``fill`` as 'same' asks, and ``counts[i, j]`` is the number of *real*
    (not padded) cells in window ``(i, j)``.
    """
    x = numeric_array("x", x, 4, NHWC)
    if min(x.shape) == 0:
        raise ValueError(f"x must not have empty axes; got shape {x.shape}")
    pool = positive_pair("pool_size", pool_size)
    stride = pool if stride is None else positive_pair("stride", stride)
    if not isinstance(padding, str) or padding.lower() not in POOL_PADDINGS:
        raise ValueError(
            f"padding must be 'valid' or 'same' (the two Keras pooling modes); got {padding!r}"
        )
    padding = padding.lower()
    out_shape = []
    for axis, n, k, s in zip(("height", "width"), x.shape[1:3], pool, stride):
        try:
            out_shape.append(pool_output_size(n, k, s, padding))
        except ValueError as error:  # the pool does not fit a 'valid' input
            raise ValueError(
                f"the pool is larger than x along its {axis} axis: {error}. "
                f"Use a smaller pool_size or padding='same'"
            ) from None
    pads = padding_amounts_2d(x.shape[1:3], pool, stride, padding)  # same_padding's split

    # Real cells per window, axis by axis: window i covers the positions
    # [i*s - before, i*s - before + k) of the unpadded axis, clipped to [0, n).
    per_axis = []
    for n, k, s, (before, _), m in zip(x.shape[1:3], pool, stride, pads, out_shape):
        start = np.arange(m) * s - before
        per_axis.append(np.minimum(start + k, n) - np.maximum(start, 0))
    counts = np.outer(per_axis[0], per_axis[1])

    if any(pads[0] + pads[1]):
        x = np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=fill)
    windows = sliding_window_view(x, pool, axis=(1, 2))[:, :: stride[0], :: stride[1]]
    return windows, counts


def _fold(
    ufunc: Callable[..., np.ndarray], windows: np.ndarray, dtype: np.dtype | None = None
) -> np.ndarray:
    """Reduce the two window axes of ``windows`` with ``ufunc`` (``np.maximum``, ``np.add``).

    The loop runs over the ``pool_h * pool_w`` offsets ``(u, v)`` of the
    window, never over pixels: each step combines one strided view, the
    ``(u, v)`` cell of every window at once, into the result in place. This
    is 2 to 5 times faster than ``windows.max(axis=(-2, -1))``, which NumPy
    evaluates as many tiny reductions over the few cells of each window.
    """
    pool_h, pool_w = windows.shape[-2:]
    out = windows[..., 0, 0].astype(dtype or windows.dtype, copy=True)
    for u in range(pool_h):
        for v in range(pool_w):
            if u or v:
                ufunc(out, windows[..., u, v], out=out)
    return out


def _lowest(dtype: np.dtype) -> float | int | bool:
    """The value that never wins a maximum: -inf, the smallest integer or False."""
    if np.issubdtype(dtype, np.inexact):
        return -np.inf
    if dtype == np.bool_:
        return False
    return np.iinfo(dtype).min


def max_pool2d(
    x: np.ndarray,
    pool_size: int | tuple[int, int] = 2,
    stride: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Max pooling of a batch of images, as Keras ``MaxPool2D``.

    For output position ``(i, j)`` and channel ``c``::

        y[b, i, j, c] = max_{u < p_h, v < p_w} x_pad[b, i*s_h + u, j*s_w + v, c]

    Each channel is pooled on its own. ``x_pad`` is ``x`` itself for
    ``padding="valid"``; for ``"same"`` it is ``x`` padded as TensorFlow does
    (:func:`utils.arithmetic.same_padding`: the smaller half before) with
    ``-inf`` (for integers, the smallest value of the dtype), so a padded
    cell never wins: the maximum is over the real cells of each window only.
    (Padding with zeros would be wrong: a window of negative numbers at the
    border would return 0.)

    Parameters
    ----------
    x : array of shape ``(batch, height, width, channels)``.
    pool_size : the window, an int or a ``(height, width)`` pair, each >= 1.
    stride : an int or a ``(height, width)`` pair; ``None`` (the default)
        means ``stride = pool_size``, as in Keras.
    padding : ``"valid"`` (no padding; the pool must fit in ``x``) or
        ``"same"`` (output size ``ceil(n / s)`` on each axis).

    Returns
    -------
    Array of shape ``(batch, out_height, out_width, channels)`` and the dtype
    of ``x``; see :func:`utils.arithmetic.pool_output_size`. Where Keras returns
    an empty output for a pool larger than a 'valid' input, this raises.
    """
    x = numeric_array("x", x, 4, NHWC)
    windows, _ = _pool_windows(x, pool_size, stride, padding, fill=_lowest(x.dtype))
    return _fold(np.maximum, windows)


def avg_pool2d(
    x: np.ndarray,
    pool_size: int | tuple[int, int] = 2,
    stride: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Average pooling of a batch of images, as Keras ``AveragePooling2D``.

    For output position ``(i, j)`` and channel ``c``::

        y[b, i, j, c] = (1 / N_ij) * sum_{(r, q) in W_ij} x[b, r, q, c]

    where ``W_ij`` is the set of *real* cells of window ``(i, j)`` (rows
    ``i*s_h - top ... i*s_h - top + p_h - 1`` and columns ``j*s_w - left ...
    j*s_w - left + p_w - 1`` that lie inside ``x``) and ``N_ij`` their number.
    For ``padding="valid"`` every window is inside ``x`` and ``N_ij = p_h * p_w``.
    For ``"same"``, ``top`` and ``left`` come from
    :func:`utils.arithmetic.same_padding` and a window at the border
    averages fewer cells: padded cells are not counted, as in TensorFlow.
    (Dividing by ``p_h * p_w`` instead would pull border averages towards 0.)

    Arguments as in :func:`max_pool2d`. Returns floats: the dtype of ``x`` if
    it is a float array, else float64.
    """
    x = numeric_array("x", x, 4, NHWC)
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    windows, counts = _pool_windows(x, pool_size, stride, padding, fill=0)
    # Sum in at least float32 (float16 sums drift), then divide by the real cells.
    sums = _fold(np.add, windows, np.promote_types(dtype, np.float32))
    return (sums / counts[:, :, None].astype(sums.dtype)).astype(dtype, copy=False)


def global_avg_pool2d(x: np.ndarray) -> np.ndarray:
    """The mean of each channel over height and width, as Keras ``GlobalAveragePooling2D``.

    ``y[b, c] = (1 / (H * W)) * sum_{r, q} x[b, r, q, c]``: shape
    ``(batch, channels)``. Returns the dtype of ``x`` if it is a float array,
    else float64.
    """
    x = numeric_array("x", x, 4, NHWC)
    if x.shape[1] == 0 or x.shape[2] == 0:
        raise ValueError(f"x must have at least one pixel; got shape {x.shape}")
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    return x.mean(axis=(1, 2), dtype=np.promote_types(dtype, np.float32)).astype(dtype)


# --------------------------------------------------------------------------- dense

ACTIVATIONS = (None, "linear", "relu", "softmax")


def flatten(x: np.ndarray) -> np.ndarray:
    """Each example as one vector, as Keras ``Flatten``.

    ``(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)`` in row-major order: for
    an NHWC feature map, ``y[b, (r * W + q) * C + c] = x[b, r, q, c]``, so the
    channels of one pixel stay next to each other.
    """
    array = np.asarray(x)
    if array.ndim == 0:
        raise ValueError("x must have a batch axis (at least 1-D); got a scalar")
    x = numeric_array("x", array, array.ndim, "(batch, ...)")
    return x.reshape(x.shape[0], math.prod(x.shape[1:]))


def _softmax(z: np.ndarray) -> np.ndarray:
    """``exp(z_k) / sum_j exp(z_j)`` over the last axis, computed stably.

    Subtracting the row maximum first changes nothing mathematically but
    keeps ``exp`` from overflowing.
    """
    z = np.asarray(z)
    z = z.astype(np.promote_types(z.dtype, np.float32), copy=False)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def dense(
    x: np.ndarray,
    weights: np.ndarray,
    bias: np.ndarray | None = None,
    activation: str | None = None,
) -> np.ndarray:
    """A fully connected layer, as Keras ``Dense``: ``y = activation(x @ weights + bias)``.

    For example ``b`` and unit ``k``::

        y[b, k] = activation(bias[k] + sum_f x[b, f] * weights[f, k])

    Parameters
    ----------
    x : array of shape ``(batch, in_features)``; :func:`flatten` a feature map first.
    weights : array of shape ``(in_features, units)``: Keras ``Dense``'s kernel.
    bias : optional array of shape ``(units,)``.
    activation : ``None`` or ``"linear"`` (none), ``"relu"`` (``max(z, 0)``) or
        ``"softmax"`` (``exp(z_k) / sum_j exp(z_j)`` over the units, computed
        stably).

    Returns
    -------
    Array of shape ``(batch, units)``.
    """
    array = np.asarray(x)
    x = numeric_array("x", array, array.ndim, "(batch, in_features)")  # the dtype
    if x.ndim != 2:
        raise ValueError(
            f"x must be a 2-D array (batch, in_features); got shape {x.shape} ({x.ndim}-D). "
            f"Use flatten(x) to turn each example into one vector first"
        )
    weights = numeric_array("weights", weights, 2, "(in_features, units)")
    if weights.shape[0] != x.shape[1]:
        raise ValueError(
            f"shape mismatch: x has {x.shape[1]} features (its last axis) but weights "
            f"expect {weights.shape[0]} (their first axis, in_features); weights must "
            f"have shape ({x.shape[1]}, units)"
        )
    units = weights.shape[1]
    if bias is not None:
        bias = numeric_array("bias", bias, 1, "(units,)")
        if bias.shape[0] != units:
            raise ValueError(f"bias must have shape ({units},), one per unit; got {bias.shape}")
    if activation is not None and not isinstance(activation, str):
        raise TypeError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")

    z = x @ weights
    if bias is not None:
        z = z + bias
    if activation == "relu":
        return np.maximum(z, 0)
    if activation == "softmax":
        return _softmax(z)
    return z
