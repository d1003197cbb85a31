"""An interactive explorer of convolution geometry: sliders for ``n, f, s, p, d``.

:func:`conv_explorer` redraws :func:`~utils.geometry.draw_convolution_geometry`
and writes out the output size ``floor((n + 2p - d(f - 1) - 1) / s) + 1``
whenever a slider moves (it needs ipywidgets and a live kernel);
:func:`explorer_state` is the same picture as a static figure, for the book.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from ._checks import non_negative_int, positive_int
from .arithmetic import conv_output_size
from .geometry import _draw, _geometry
from .plotting import WINDOW_COLOR

if TYPE_CHECKING:
    from ipywidgets import VBox

__all__ = ["conv_explorer", "explorer_state"]


def _formula(n: int, f: int, s: int, p: int, d: int) -> tuple[str, bool]:
    """The output size formula with the numbers filled in, and whether the kernel fits.

    When it does not fit, the text ends with the error of ``conv_output_size``.
    """
    symbols = "floor((n + 2p - d(f - 1) - 1) / s) + 1"
    numbers = f"floor(({n} + 2·{p} - {d}·({f} - 1) - 1) / {s}) + 1"
    try:
        size = conv_output_size(n, f, stride=s, padding=p, dilation=d)
    except ValueError as error:
        return f"{symbols} = {numbers} ≤ 0\n{error}", False
    return f"{symbols} = {numbers} = {size}", True


def _explorer_figure(
    n: int, f: int, s: int, p: int, d: int, pyplot: bool = False
) -> Figure:
    """The first window, and a red dot in the cell where each window starts."""
    g = _geometry(n, f, s, p, d)
    fig, axes, _ = _draw(g, 0, pyplot=pyplot)
    starts = np.array([g.window_origin(k) for k in range(g.steps)]) + 0.5
    axes[0].plot(starts[:, 1], starts[:, 0], "o", color=WINDOW_COLOR, ms=4, zorder=6)
    axes[0].lines[-1].set_gid("window-starts")
    return fig


def explorer_state(
    n: int = 7,
    kernel_size: int = 3,
    stride: int = 2,
    padding: int = 1,
    dilation: int = 1,
) -> Figure:
    """What :func:`conv_explorer` shows for these slider values, as a static figure.

    For the static book: the first window, a red dot where each window starts,
    and the title with the output size ``floor((n + 2p - d(f - 1) - 1) / s) + 1``
    worked out. Raises the error of ``conv_output_size`` when the kernel does
    not fit.
    """
    formula, fits = _formula(n, kernel_size, stride, padding, dilation)
    if not fits:
        raise ValueError(formula.splitlines()[-1])
    return _explorer_figure(n, kernel_size, stride, padding, dilation, pyplot=True)


def conv_explorer(
    n: int = 7,
    kernel_size: int = 3,
    stride: int = 2,
    padding: int = 1,
    dilation: int = 1,
) -> VBox:
    """Sliders for ``n, f, s, p, d`` that redraw the geometry and the output size.

    The output size is ``floor((n + 2p - d(f - 1) - 1) / s) + 1``
    (:func:`~utils.arithmetic.conv_output_size`, with ``p`` zeros per side);
    the text under the sliders writes it out with the numbers filled in.
    The picture is :func:`~utils.geometry.draw_convolution_geometry` at the first step, with a
    red dot where each window starts: one dot per output position. When the
    kernel does not fit, the text is the error of ``conv_output_size``
    instead. Returns an ``ipywidgets.VBox`` (sliders, text, picture); the
    first five children of its first child are the sliders.
    """
    import ipywidgets as widgets

    values = {
        "n": positive_int("n", n),
        "f": positive_int("kernel_size", kernel_size),
        "s": positive_int("stride", stride),
        "p": non_negative_int("padding", padding),
        "d": positive_int("dilation", dilation),
    }
    ranges = {"n": (1, 12), "f": (1, 7), "s": (1, 4), "p": (0, 4), "d": (1, 4)}
    labels = {
        "n": "input size",
        "f": "kernel size",
        "s": "stride",
        "p": "zeros per side",
        "d": "dilation",
    }
    sliders = {
        name: widgets.IntSlider(
            value=values[name],
            min=low,
            max=max(high, values[name]),
            description=name,
            tooltip=labels[name],
            continuous_update=False,
        )
        for name, (low, high) in ranges.items()
    }
    text = widgets.HTML()
    picture = widgets.Image(format="png")

    def update(change: Any = None) -> None:
        args = {name: slider.value for name, slider in sliders.items()}
        formula, fits = _formula(**args)
        text.value = "<pre style='margin: 0'>" + html.escape(formula) + "</pre>"
        if not fits:
            picture.layout.display = "none"
            return
        fig = _explorer_figure(**args)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=96)
        picture.value = buffer.getvalue()
        picture.layout.display = None

    for slider in sliders.values():
        slider.observe(update, names="value")
    update()
    return widgets.VBox([widgets.VBox(list(sliders.values())), text, picture])
