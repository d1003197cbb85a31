"""Plotting helpers for the chapters.

Every helper draws with matplotlib and returns ``(figure, axes)``; the
notebook cell calls ``plt.show()``. Nothing here changes global state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._checks import numeric_array, positive_int
from .conv import conv2d_loop

__all__ = [
    "contrast_limits",
    "show_array",
    "show_convolution_step",
    "show_feature_maps",
    "show_images",
]

#: Colour of the sliding window and of the output cell it produces.
WINDOW_COLOR = "#d62728"


def _grid(count: int, ncols: int, size: float) -> tuple[Figure, np.ndarray]:
    """A figure with ``count`` image axes in rows of ``ncols``; spare axes hidden."""
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size * ncols, size * nrows),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes


def _as_image_list(images: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    """Images as a list of 2-D (gray) or 3-D (RGB) arrays."""
    if isinstance(images, np.ndarray) and images.ndim == 4:
        images = list(images)
    elif isinstance(images, np.ndarray) and images.ndim in (2, 3):
        images = [images]
    result = []
    for i, image in enumerate(images):
        image = np.asarray(image)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.ndim == 2 or (image.ndim == 3 and image.shape[-1] == 3):
            result.append(image)
        else:
            raise ValueError(
                f"images[{i}] must be (height, width), (height, width, 1) or "
                f"(height, width, 3); got shape {image.shape}"
            )
    if not result:
        raise ValueError("images must contain at least one image")
    return result


def contrast_limits(image: np.ndarray, percent: float = 1.0) -> tuple[float, float]:
    """Display range of a single-channel image: its ``percent`` and ``100 - percent`` percentiles.

    A few extreme values (a bright edge, a ReLU map that is mostly zero) would
    otherwise squeeze everything else into one shade. Falls back to the full
    range when the percentiles coincide.
    """
    low, high = np.percentile(image, [percent, 100 - percent])
    if high <= low:
        low, high = float(np.min(image)), float(np.max(image))
    return float(low), float(high)


def show_images(
    images: np.ndarray | Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    size: float = 3.0,
    cmap: str = "gray",
    suptitle: str | None = None,
) -> tuple[Figure, np.ndarray]:
    """Show images side by side, in rows of ``ncols``.

    RGB images are shown as they are (values in [0, 1]); single-channel
    images in ``cmap``, each with its own :func:`contrast_limits`.
    """
    images = _as_image_list(images)
    if titles is not None and len(titles) != len(images):
        raise ValueError(
            f"titles must have one entry per image ({len(images)}); got {len(titles)}"
        )
    ncols = positive_int("ncols", ncols) if ncols is not None else min(len(images), 4)
    aspect = images[0].shape[0] / images[0].shape[1]
    fig, axes = _grid(len(images), ncols, size)
    fig.set_size_inches(
        size * ncols, size * aspect * math.ceil(len(images) / ncols) + 0.6
    )
    for i, (ax, image) in enumerate(zip(axes.flat, images)):
        if image.ndim == 3:
            ax.imshow(np.clip(image, 0, 1))
        else:
            low, high = contrast_limits(image)
            ax.imshow(image, cmap=cmap, vmin=low, vmax=high)
        if titles is not None:
            ax.set_title(titles[i])
    if suptitle:
        fig.suptitle(suptitle)
    return fig, axes


def show_feature_maps(
    maps: np.ndarray,
    *,
    channels: Sequence[int] | None = None,
    ncols: int = 8,
    size: float = 1.8,
    cmap: str = "gray",
    suptitle: str | None = None,
) -> tuple[Figure, np.ndarray]:
    """Show the channels of one feature map ``(height, width, channels)`` as images.

    A batch of one, ``(1, height, width, channels)``, is accepted too. Each
    channel gets its own :func:`contrast_limits`, so weak and strong responses
    are both visible; the title of each panel is its channel index.
    """
    maps = np.asarray(maps)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    maps = numeric_array("maps", maps, 3, "(height, width, channels)")
    channels = list(range(maps.shape[-1])) if channels is None else list(channels)
    for c in channels:
        if not 0 <= c < maps.shape[-1]:
            raise ValueError(f"channels must be in [0, {maps.shape[-1]}); got {c}")
    ncols = min(positive_int("ncols", ncols), len(channels))
    fig, axes = _grid(len(channels), ncols, size)
    aspect = maps.shape[0] / maps.shape[1]
    fig.set_size_inches(
        size * ncols, size * aspect * math.ceil(len(channels) / ncols) + 0.6
    )
    for ax, c in zip(axes.flat, channels):
        low, high = contrast_limits(maps[..., c])
        ax.imshow(maps[..., c], cmap=cmap, vmin=low, vmax=high)
        ax.set_title(f"channel {c}", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig, axes


def show_array(
    a: np.ndarray,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    fmt: str = "{:g}",
    cmap: str = "Blues",
    highlight: tuple[int, int, int, int] | None = None,
    color: str = WINDOW_COLOR,
    mask: np.ndarray | None = None,
) -> tuple[Figure, Axes]:
    """Draw a small 2-D array as a grid of cells with each number written in.

    ``highlight`` is a ``(row, col, height, width)`` box drawn around cells;
    ``mask`` (same shape as ``a``, boolean) leaves the cells where it is
    false blank, for example the outputs not computed yet.
    """
    a = numeric_array("a", a, 2, "(rows, columns)")
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.6 * a.shape[1] + 0.6, 0.6 * a.shape[0] + 0.6))
    else:
        fig = ax.figure
    shown = np.ma.masked_where(~mask, a) if mask is not None else a
    vmax = float(np.max(np.abs(a))) or 1.0
    signed = bool(np.min(a) < 0)
    if signed and cmap == "Blues":
        cmap = "RdBu_r"  # signed values: a diverging map, white at zero
    norm = plt.Normalize(-vmax if signed else 0.0, vmax)
    colormap = plt.get_cmap(cmap)
    ax.imshow(shown, cmap=colormap, norm=norm)
    for (r, c), value in np.ndenumerate(a):
        if mask is not None and not mask[r, c]:
            continue
        red, green, blue, _ = colormap(norm(value))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
        ax.text(
            c,
            r,
            fmt.format(value),
            ha="center",
            va="center",
            fontsize=10,
            color="white" if dark else "black",
        )
    # Cell borders as plain lines: a minor-tick grid costs a tick object per line.
    rows, cols = a.shape
    ax.hlines(np.arange(rows + 1) - 0.5, -0.5, cols - 0.5, color="0.6", linewidth=0.8)
    ax.vlines(np.arange(cols + 1) - 0.5, -0.5, rows - 0.5, color="0.6", linewidth=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    if highlight is not None:
        r, c, h, w = highlight
        ax.add_patch(
            Rectangle(
                (c - 0.5, r - 0.5), w, h, fill=False, edgecolor=color, linewidth=3
            )
        )
    if title:
        ax.set_title(title)
    return fig, ax


def _num(value: float) -> str:
    """A number for a formula: negative ones in parentheses."""
    return f"({value:g})" if value < 0 else f"{value:g}"


def show_convolution_step(
    x: np.ndarray, kernel: np.ndarray, row: int, col: int, *, stride: int = 1
) -> tuple[Figure, np.ndarray]:
    """One step of a 2-D convolution: the window on ``x``, the kernel, the output so far.

    Output cell ``(row, col)`` is ``sum(x[row*s : row*s + k_h, col*s : col*s + k_w] * kernel)``;
    the figure's title writes that sum out. Outputs after ``(row, col)`` in
    reading order are left blank.
    """
    x = numeric_array("x", x, 2, "(height, width)")
    kernel = numeric_array("kernel", kernel, 2, "(kernel_height, kernel_width)")
    stride = positive_int("stride", stride)
    kh, kw = kernel.shape
    oh = (x.shape[0] - kh) // stride + 1
    ow = (x.shape[1] - kw) // stride + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"kernel {kernel.shape} is larger than x {x.shape}")
    if not (0 <= row < oh and 0 <= col < ow):
        raise ValueError(
            f"(row, col) must index the {oh}x{ow} output; got ({row}, {col})"
        )
    top, left = row * stride, col * stride
    window = x[top : top + kh, left : left + kw]
    out = conv2d_loop(x, kernel)[::stride, ::stride]  # stride s keeps every s-th output
    done = np.arange(oh * ow).reshape(oh, ow) <= row * ow + col

    cell = 0.5  # inches per cell, the same in all three panels
    fig, axes = plt.subplots(
        1,
        3,
        figsize=(cell * (x.shape[1] + kw + ow) + 1.6, cell * x.shape[0] + 1.0),
        layout="constrained",
        gridspec_kw={"width_ratios": [x.shape[1], kw, ow]},
    )
    show_array(x, axes[0], title="input", highlight=(top, left, kh, kw))
    show_array(
        kernel,
        axes[1],
        title="kernel",
        cmap="Oranges" if kernel.min() >= 0 else "PuOr_r",
    )
    show_array(out, axes[2], title="output", mask=done, highlight=(row, col, 1, 1))
    terms = " + ".join(
        f"{_num(a)}·{_num(b)}" for a, b in zip(window.ravel(), kernel.ravel())
    )
    fig.suptitle(f"output[{row}, {col}] = {terms} = {out[row, col]:g}", fontsize=10)
    return fig, axes
