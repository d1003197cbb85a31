"""Pooling from scratch in NumPy, with TensorFlow's layouts and semantics.

- :func:`max_pool2d_loop`: chapter 4's loop, one output at a time, for one
  2-D image (saved here from the chapter, like :func:`utils.conv.conv2d_loop`);
- :func:`max_pool2d` and :func:`avg_pool2d`: the vectorized versions for
  NHWC batches, as Keras ``MaxPooling2D`` and ``AveragePooling2D``, including
  'same' padding, whose padded cells are ignored;
- :func:`global_avg_pool2d`: the mean of each channel, as Keras
  ``GlobalAveragePooling2D``;
- :func:`max_pool2d_backward` and :func:`avg_pool2d_backward`: their
  gradients with respect to ``x`` (the chapter on gradients), as
  ``tf.GradientTape`` computes them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import numeric_array, positive_pair
from .arithmetic import padding_amounts_2d, pool_output_size
from .conv import NHWC, _grad_output_array

__all__ = [
    "avg_pool2d",
    "avg_pool2d_backward",
    "global_avg_pool2d",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_loop",
]

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
    pads = padding_amounts_2d(
        x.shape[1:3], pool, stride, padding
    )  # same_padding's split

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


def max_pool2d_loop(image: np.ndarray, size: int = 2) -> np.ndarray:
    """Max pooling of a 2-D image in size x size windows at stride size, one output at a time.

    out[i, j] = max over u, v < size of image[i * size + u, j * size + v]
    """
    out = np.zeros((image.shape[0] // size, image.shape[1] // size))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = image[
                i * size : (i + 1) * size, j * size : (j + 1) * size
            ].max()
    return out


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


def max_pool2d_backward(
    x: np.ndarray,
    grad_output: np.ndarray,
    pool_size: int | tuple[int, int] = 2,
    stride: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """The gradient of a loss with respect to :func:`max_pool2d`'s input.

    ``grad_output[b, i, j, c]`` is dL/dy[b, i, j, c]. Only the winner of each
    window, the cell that gave ``y[b, i, j, c]``, changes ``y`` when it moves, so
    the whole of ``grad_output[b, i, j, c]`` goes to it and the other cells get 0::

        dL/dx[b, r, q, c] = sum over the windows (i, j) that (r, q) wins
                            of grad_output[b, i, j, c]

    Overlapping windows (stride < pool_size) that share a winner add up. A
    tie goes to the window's first maximum in row-major order (top row first,
    then left to right), as TensorFlow's CPU kernel picks it; a padded cell
    never wins. Arguments as in :func:`max_pool2d`; ``grad_output`` has the
    shape of its output. ``x`` must not hold NaN or infinities, whose maxima
    are ambiguous. Returns an array of the shape of ``x``.
    """
    x = numeric_array("x", x, 4, NHWC)
    if not np.isfinite(x).all():
        raise ValueError("x must be finite (no NaN or infinity) to pick each maximum")
    windows, _ = _pool_windows(x, pool_size, stride, padding, fill=_lowest(x.dtype))
    grad_output = _grad_output_array(grad_output, windows.shape[:4], "channels")
    # cells[b, i, j, c, u * pool_w + v]: the cells of window (i, j), row by row
    cells = windows.reshape(*windows.shape[:4], -1)
    winner = cells.argmax(axis=-1)[..., None]  # first maximum: TensorFlow's CPU rule
    reads = _pixels_read(x.shape, pool_size, stride, padding)
    winner_pixel = np.take_along_axis(reads, winner, axis=-1)[..., 0]
    return _add_to_pixels(x.shape, winner_pixel, grad_output)


def avg_pool2d_backward(
    x: np.ndarray,
    grad_output: np.ndarray,
    pool_size: int | tuple[int, int] = 2,
    stride: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """The gradient of a loss with respect to :func:`avg_pool2d`'s input.

    ``y[b, i, j, c]`` is the mean of the ``N_ij`` real cells of window ``(i, j)``,
    so each of them gets an equal share of its gradient::

        dL/dx[b, r, q, c] = sum over the windows (i, j) that hold (r, q)
                            of grad_output[b, i, j, c] / N_ij

    Arguments as in :func:`avg_pool2d`; ``grad_output`` has the shape of its
    output. Returns an array of the shape of ``x`` (the values of ``x`` do not
    matter, only its shape).
    """
    x = numeric_array("x", x, 4, NHWC)
    windows, counts = _pool_windows(x, pool_size, stride, padding, fill=0)
    grad_output = _grad_output_array(grad_output, windows.shape[:4], "channels")
    each = grad_output / counts[:, :, None].astype(grad_output.dtype)  # a cell's share
    reads = _pixels_read(x.shape, pool_size, stride, padding)
    share = np.broadcast_to(each[..., None], reads.shape)  # the same for every cell
    return _add_to_pixels(x.shape, reads, share)


def _pixels_read(
    shape: tuple[int, ...],
    pool_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None,
    padding: str,
) -> np.ndarray:
    """Which pixel of ``x`` each window cell reads, as a number; -1 for a padded cell.

    Number the pixels of an array of shape ``shape`` in order and lay out the
    windows of those numbers: ``reads[b, i, j, c, u * pool_w + v]`` is the number
    of the pixel that cell ``(u, v)`` of window ``(i, j)`` reads, for channel ``c``
    of image ``b``.
    """
    pixel = np.arange(np.prod(shape)).reshape(shape)
    reads, _ = _pool_windows(pixel, pool_size, stride, padding, fill=-1)
    return reads.reshape(*reads.shape[:4], -1)


def _add_to_pixels(
    shape: tuple[int, ...], reads: np.ndarray, share: np.ndarray
) -> np.ndarray:
    """Add each ``share`` to the pixel numbered ``reads`` (same shape), skipping -1.

    ``np.bincount`` adds the shares that land on the same pixel, as those of
    overlapping windows do. Returns an array of ``shape`` and the dtype of ``share``.
    """
    real = reads >= 0
    total = np.bincount(reads[real], weights=share[real], minlength=np.prod(shape))
    return total.reshape(shape).astype(share.dtype, copy=False)
