"""The sliding window of a 2-D convolution, step by step, as a looping GIF.

Frame ``k`` is :func:`~utils.geometry.draw_convolution_geometry` at step
``k``: one frame per output position, ``out_h * out_w`` frames with
``out = floor((n + before + after - k_eff) / s) + 1`` per axis. A notebook
stores the GIF as ``image/gif``, which the static book shows as it is.

:func:`show_animation` returns the GIF as the output of a notebook cell.

Each frame is drawn by matplotlib's ``savefig`` and the GIF is written by
Pillow, both through their public APIs. Nothing here changes matplotlib's
global settings.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from matplotlib.figure import Figure
from PIL import Image as PILImage

from ._checks import positive_int
from .arithmetic import Padding
from .geometry import _draw, _geometry

if TYPE_CHECKING:
    from IPython.display import Image

__all__ = ["show_animation"]

GIF_DPI = 80  # dots per inch of the frames


def _frame(fig: Figure) -> PILImage.Image:
    """The figure as it is drawn now, at ``GIF_DPI``, reduced to 256 colours.

    Our frames have a few hundred colours at most, so the fast octree loses
    nothing visible; Pillow's default median cut, at write time, takes ten
    times longer.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="rgba", dpi=GIF_DPI)
    width, height = (int(inches * GIF_DPI) for inches in fig.get_size_inches())
    rgba = PILImage.frombuffer(
        "RGBA", (width, height), buffer.getbuffer(), "raw", "RGBA", 0, 1
    )
    return rgba.convert("RGB").quantize(256, method=PILImage.Quantize.FASTOCTREE)


def show_animation(
    n: int | tuple[int, int] = 5,
    kernel_size: int | tuple[int, int] = 3,
    stride: int | tuple[int, int] = 1,
    padding: Padding = "valid",
    dilation: int | tuple[int, int] = 1,
    *,
    interval_ms: int = 600,
) -> Image:
    """Every step of :func:`~utils.geometry.draw_convolution_geometry`, as a GIF that loops.

    Frame ``k`` shows output ``(k // out_w, k % out_w)`` with its window at
    padded cell ``(i*s, j*s)``; each frame lasts ``interval_ms`` milliseconds.
    The arguments are those of ``draw_convolution_geometry``. Returns an
    ``IPython.display.Image`` (``image/gif``): make it the last expression of
    the cell, and Jupyter shows it and the static book renders the stored
    GIF as it is. No figure is left open. Its ``.data`` are the bytes of the
    GIF, for example to write them to a ``.gif`` file.
    """
    from IPython.display import Image

    interval_ms = positive_int("interval_ms", interval_ms)
    g = _geometry(n, kernel_size, stride, padding, dilation)
    fig, _, scene = _draw(g, 0, pyplot=False)  # not a pyplot figure: nothing to close
    frames = []
    for step in range(g.steps):
        scene.show(step)
        frames.append(_frame(fig))
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=interval_ms,
        loop=0,  # forever
    )
    return Image(data=buffer.getvalue(), format="gif")
