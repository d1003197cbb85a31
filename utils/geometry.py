"""Sliding-window pictures of a 2-D convolution: the window on the padded input.

The classic pictures of Dumoulin and Visin's *A guide to convolution
arithmetic* (no padding, 'same', 'full', stride, dilation), drawn by our own
code from the functions of :mod:`utils.arithmetic`, so the pictures and the
tested formulas cannot disagree. Along each axis:

- a dilated kernel covers ``k_eff = d(k - 1) + 1`` input positions
  (:func:`~utils.arithmetic.effective_kernel_size`);
- the input gets ``before`` and ``after`` zeros
  (:func:`~utils.arithmetic.padding_amounts`);
- the output has ``floor((n + before + after - k_eff) / s) + 1`` positions
  (:func:`~utils.arithmetic.conv_output_size`);
- output position ``i`` reads the padded input cells ``i*s + a*d`` for
  ``a = 0, ..., k - 1``: its window starts at padded cell ``i*s``.

Cells are in padded-input coordinates: cell ``(row, col)`` of the padded
input is the unit square with its top-left corner at ``x = col, y = row``.
:func:`draw_convolution_geometry` draws one step; :mod:`utils.animation`
turns every step into a GIF and :mod:`utils.explorer` puts sliders on it.
Nothing here changes matplotlib's global settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._checks import non_negative_int, positive_pair
from .arithmetic import (
    Padding,
    conv_output_size,
    effective_kernel_size,
    padding_amounts,
)
from .plotting import WINDOW_COLOR

__all__ = ["draw_convolution_geometry"]

CELL_INCHES = 0.4  # side of one cell, the same in both panels

INPUT_COLOR = "#c6dbef"  # light blue, as utils.plotting's "Blues"
INPUT_EDGE = "#4a84b8"
PADDING_EDGE = "0.55"
OUTPUT_DONE = "#99d8c9"  # teal: computed outputs
OUTPUT_CURRENT = "#2ca25f"  # the output being computed (outlined in WINDOW_COLOR)
OUTPUT_EDGE = "#2a7f6f"
PENDING_EDGE = "0.7"

_MARGIN = 0.12  # cells of blank space around each grid, so outlines are not clipped
_SIDE, _GAP, _TOP, _BOTTOM = 0.2, 0.55, 0.85, 0.12  # inches around and between panels


@dataclass(frozen=True)
class _Geometry:
    """Sizes of one 2-D convolution, per axis as ``(height, width)`` pairs."""

    n: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[
        tuple[int, int], tuple[int, int]
    ]  # (before, after) for rows, then columns
    k_eff: tuple[int, int]
    out: tuple[int, int]

    @property
    def padded(self) -> tuple[int, int]:
        return tuple(n + b + a for n, (b, a) in zip(self.n, self.pad))

    @property
    def steps(self) -> int:
        return self.out[0] * self.out[1]

    def window_origin(self, step: int) -> tuple[int, int]:
        """Padded-input ``(row, col)`` where the window of output ``step`` starts."""
        i, j = divmod(step, self.out[1])
        return i * self.stride[0], j * self.stride[1]

    def covered(self, step: int) -> Iterator[tuple[int, int]]:
        """Padded-input cells ``(row, col)`` the kernel reads for output ``step``."""
        top, left = self.window_origin(step)
        for a in range(self.kernel[0]):
            for b in range(self.kernel[1]):
                yield top + a * self.dilation[0], left + b * self.dilation[1]


def _geometry(
    n: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any
) -> _Geometry:
    """Check the arguments and compute every size with :mod:`utils.arithmetic`."""
    n = positive_pair("n", n)
    kernel = positive_pair("kernel_size", kernel_size)
    stride = positive_pair("stride", stride)
    dilation = positive_pair("dilation", dilation)
    axes = range(2)
    pad = tuple(
        padding_amounts(n[a], kernel[a], stride[a], padding, dilation[a]) for a in axes
    )
    out = tuple(
        conv_output_size(n[a], kernel[a], stride[a], padding, dilation[a]) for a in axes
    )
    k_eff = tuple(effective_kernel_size(kernel[a], dilation[a]) for a in axes)
    return _Geometry(n, kernel, stride, dilation, pad, k_eff, out)


def _pair_text(pair: tuple[int, int]) -> str:
    """``5`` for a square size ``(5, 5)``, else ``5×7``."""
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


def _title(g: _Geometry) -> str:
    """Two lines: the arguments, then the output size (with its formula when all is square)."""
    rows, cols = g.pad
    pad = f"{rows}" if rows == cols else f"{rows} rows, {cols} cols"
    first = (
        f"n={_pair_text(g.n)}, kernel={_pair_text(g.kernel)}, stride={_pair_text(g.stride)}, "
        f"dilation={_pair_text(g.dilation)}, padding (before, after)={pad}"
    )
    second = f"output {g.out[0]}×{g.out[1]}"
    if rows == cols and all(
        v[0] == v[1] for v in (g.n, g.kernel, g.stride, g.dilation)
    ):
        (before, after), k, d, k_eff = rows, g.kernel[0], g.dilation[0], g.k_eff[0]
        second += f":  ⌊({g.n[0]} + {before} + {after} − {k_eff}) / {g.stride[0]}⌋ + 1 = {g.out[0]}"
        if d > 1:
            second += f",  k_eff = {d}·({k} − 1) + 1 = {k_eff}"
    return f"{first}\n{second}"


def _panel_inches(g: _Geometry) -> tuple[tuple[float, float], tuple[float, float]]:
    """``(width, height)`` in inches of the input and the output panel."""
    (ph, pw), (oh, ow) = g.padded, g.out
    return (
        ((pw + 2 * _MARGIN) * CELL_INCHES, (ph + 2 * _MARGIN) * CELL_INCHES),
        ((ow + 2 * _MARGIN) * CELL_INCHES, (oh + 2 * _MARGIN) * CELL_INCHES),
    )


def _new_figure(
    g: _Geometry, title: str, pyplot: bool = True
) -> tuple[Figure, Axes, Axes]:
    """A figure sized so that cells are squares of ``CELL_INCHES`` in both panels.

    With ``pyplot=False`` the figure is not registered with pyplot: Jupyter
    does not show it, and its canvas does not redraw on its own (GIF frames
    are then drawn once each, not twice).
    """
    (in_w, in_h), (out_w, out_h) = _panel_inches(g)
    content_w, content_h = in_w + _GAP + out_w, max(in_h, out_h)
    height = _TOP + content_h + _BOTTOM
    size = (content_w + 2 * _SIDE, height)
    fig = plt.figure(figsize=size) if pyplot else Figure(figsize=size)
    suptitle = fig.suptitle(title, fontsize=10, y=1 - 0.08 / height, va="top")
    # Widen the figure when the title is wider than the grids.
    title_w = suptitle.get_window_extent().width / fig.dpi
    width = (
        max(content_w, title_w + 0.2) + 2 * _SIDE
    )  # + 0.2: text widths vary with dpi
    fig.set_size_inches(width, height)
    left = (width - content_w) / 2

    def rect(x: float, w: float, h: float) -> list[float]:
        y = _BOTTOM + (content_h - h) / 2  # panels centred vertically
        return [x / width, y / height, w / width, h / height]

    ax_in = fig.add_axes(rect(left, in_w, in_h))
    ax_out = fig.add_axes(rect(left + in_w + _GAP, out_w, out_h))
    fig.text(
        (left + in_w + _GAP / 2) / width,
        (_BOTTOM + content_h / 2) / height,
        "→",
        ha="center",
        va="center",
        fontsize=16,
        color="0.4",
    )
    return fig, ax_in, ax_out


def _cells(cells: list[tuple[int, int]], **style: Any) -> PatchCollection:
    """Unit squares at padded-input ``(row, col)`` cells, drawn as one collection."""
    squares = [Rectangle((c, r), 1, 1) for r, c in cells]
    return PatchCollection(squares, linewidth=0.8, **style)


class _Scene:
    """The two panels of one convolution; :meth:`show` moves the window to a step.

    The grids are drawn once, each as one collection of squares (gids
    ``"input"``, ``"padding"``, ``"output"``). A step moves the window
    (``"window"``), the shaded cells (``"covered"``) and the output outline
    (``"current"``), and recolours the output cells.
    """

    def __init__(self, g: _Geometry, ax_in: Axes, ax_out: Axes) -> None:
        self.g = g
        (ph, pw), (oh, ow) = g.padded, g.out
        (top, _), (left, _) = g.pad
        for ax, (h, w) in ((ax_in, (ph, pw)), (ax_out, (oh, ow))):
            ax.set_xlim(-_MARGIN, w + _MARGIN)
            ax.set_ylim(h + _MARGIN, -_MARGIN)  # row 0 at the top
            ax.set_aspect("equal")
            ax.axis("off")
        grid = [(r, c) for r in range(ph) for c in range(pw)]
        inside = [
            top <= r < top + g.n[0] and left <= c < left + g.n[1] for r, c in grid
        ]
        ax_in.add_collection(
            _cells(
                [cell for cell, i in zip(grid, inside) if i],
                facecolor=INPUT_COLOR,
                edgecolor=INPUT_EDGE,
                gid="input",
            ),
            autolim=False,
        )
        ax_in.add_collection(
            _cells(
                [cell for cell, i in zip(grid, inside) if not i],
                facecolor="white",
                edgecolor=PADDING_EDGE,
                linestyle="--",
                gid="padding",
            ),
            autolim=False,
        )
        self.covered = [
            ax_in.add_patch(
                Rectangle(
                    (0, 0), 1, 1, facecolor=WINDOW_COLOR, alpha=0.4, lw=0, gid="covered"
                )
            )
            for _ in range(g.kernel[0] * g.kernel[1])
        ]
        outline = {
            "fill": False,
            "edgecolor": WINDOW_COLOR,
            "lw": 2.5,
            "zorder": 5,
            "clip_on": False,
        }
        self.window = ax_in.add_patch(
            Rectangle((0, 0), g.k_eff[1], g.k_eff[0], gid="window", **outline)
        )
        self.outputs = _cells(
            [(i, j) for i in range(oh) for j in range(ow)], gid="output"
        )
        ax_out.add_collection(self.outputs, autolim=False)
        self.current = ax_out.add_patch(
            Rectangle((0, 0), 1, 1, gid="current", **outline)
        )
        pad = " (dashed: zeros)" if ph * pw > g.n[0] * g.n[1] else ""
        # An explicit y spares matplotlib from placing the titles at every frame.
        ax_in.set_title(f"input {g.n[0]}×{g.n[1]}{pad}", fontsize=9, y=1)
        ax_out.set_title(f"output {oh}×{ow}", fontsize=9, y=1)

    def show(self, step: int | None) -> None:
        """Show output position ``step`` (reading order); ``None`` hides the window."""
        visible = step is not None
        for patch in [self.window, self.current, *self.covered]:
            patch.set_visible(visible)
        order = np.arange(self.g.steps)
        if visible:
            top, left = self.g.window_origin(step)
            self.window.set_xy((left, top))
            for patch, (r, c) in zip(self.covered, self.g.covered(step)):
                patch.set_xy((c, r))
            i, j = divmod(step, self.g.out[1])
            self.current.set_xy((j, i))
        done = order < step if visible else np.ones(self.g.steps, bool)
        face = np.where(
            done, OUTPUT_DONE, np.where(order == step, OUTPUT_CURRENT, "white")
        )
        self.outputs.set_facecolor(list(face))
        self.outputs.set_edgecolor(
            [OUTPUT_EDGE if f != "white" else PENDING_EDGE for f in face]
        )


def _check_step(g: _Geometry, step: Any) -> int | None:
    if step is None:
        return None
    step = non_negative_int("step", step)
    if step >= g.steps:
        raise ValueError(
            f"step must be in [0, {g.steps}) for the {g.out[0]}×{g.out[1]} output "
            f"(one step per output position); got {step}"
        )
    return step


def _draw(
    g: _Geometry, step: int | None, pyplot: bool = True
) -> tuple[Figure, np.ndarray, _Scene]:
    """The figure of :func:`draw_convolution_geometry`, plus its scene for animating."""
    step = _check_step(g, step)
    fig, ax_in, ax_out = _new_figure(g, _title(g), pyplot)
    scene = _Scene(g, ax_in, ax_out)
    scene.show(step)
    return fig, np.array([ax_in, ax_out], dtype=object), scene


def draw_convolution_geometry(
    n: int | tuple[int, int] = 5,
    kernel_size: int | tuple[int, int] = 3,
    stride: int | tuple[int, int] = 1,
    padding: Padding = "valid",
    dilation: int | tuple[int, int] = 1,
    *,
    step: int | None = 0,
) -> tuple[Figure, np.ndarray]:
    """One step of a 2-D convolution: the window on the padded input, the output so far.

    Left panel: the padded input grid, ``n + before + after`` cells per axis
    (input cells blue, padding cells white with a dashed outline). The kernel
    of output position ``step`` (reading order, ``i, j = divmod(step, out_w)``)
    reads the cells ``(i*s + a*d, j*s + b*d)`` for ``a, b < kernel_size``:
    those are shaded (with dilation only they, not the gaps), and its window,
    ``k_eff = d(k - 1) + 1`` cells wide, is outlined in red from ``(i*s, j*s)``.
    Right panel: the output grid, ``floor((n + before + after - k_eff) / s) + 1``
    cells per axis; outputs before ``step`` are filled, the current one is
    outlined in red. ``step=None`` shows no window, all outputs filled.

    Each of ``n``, ``kernel_size``, ``stride`` and ``dilation`` is an int or a
    ``(height, width)`` pair. ``padding`` is anything
    :func:`~utils.arithmetic.padding_amounts` accepts ('valid', 'same',
    'full', zeros per side, or a ``(before, after)`` pair), applied to each
    axis. Every size comes from :mod:`utils.arithmetic`.

    The figure (square cells of the same size in both panels) has a title
    with ``n``, kernel, stride, dilation, the ``(before, after)`` padding per
    axis and the output size. Returns ``(figure, array([input_axes, output_axes]))``.
    """
    fig, axs, _ = _draw(_geometry(n, kernel_size, stride, padding, dilation), step)
    return fig, axs
