"""The sliding window of a 2-D convolution, step by step, as a looping GIF.

Every frame is :func:`~utils.geometry.draw_convolution_geometry` at one
step, one frame per output position. A notebook stores the GIF as
``image/gif``, which the static book shows as it is.

- :func:`animate_convolution`: every step, as a matplotlib animation;
- :func:`to_gif` and :func:`show_animation`: that animation as a looping GIF.

Nothing here changes matplotlib's global settings.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation, PillowWriter
from PIL import Image as PILImage

from ._checks import positive_int
from .arithmetic import Padding
from .geometry import _draw, _geometry

if TYPE_CHECKING:
    from IPython.display import Image

__all__ = ["animate_convolution", "show_animation", "to_gif"]

GIF_DPI = 80


def animate_convolution(
    n: int | tuple[int, int] = 5,
    kernel_size: int | tuple[int, int] = 3,
    stride: int | tuple[int, int] = 1,
    padding: Padding = "valid",
    dilation: int | tuple[int, int] = 1,
    *,
    interval_ms: int = 600,
) -> FuncAnimation:
    """Every step of :func:`draw_convolution_geometry`, one frame per output position.

    There are ``out_h * out_w`` frames, with ``out = floor((n + before +
    after - k_eff) / s) + 1`` per axis (:func:`~utils.arithmetic.conv_output_size`);
    frame ``k`` is ``draw_convolution_geometry(..., step=k)``: the output
    ``(k // out_w, k % out_w)``, window at padded cell ``(i*s, j*s)``.
    Frames last ``interval_ms`` milliseconds. Keep the returned animation in
    a variable until it is shown or saved (see :func:`to_gif`).
    """
    interval_ms = positive_int("interval_ms", interval_ms)
    g = _geometry(n, kernel_size, stride, padding, dilation)
    fig, _, scene = _draw(g, 0, pyplot=False)
    return FuncAnimation(fig, scene.show, frames=g.steps, interval=interval_ms, repeat=True)


class _GifWriter(PillowWriter):
    """matplotlib's ``PillowWriter``, reducing each frame to 256 colours as it comes.

    Pillow would otherwise reduce the colours when it writes the GIF, with a
    median cut that takes ten times longer; our frames have a few hundred
    colours at most, so the fast octree loses nothing visible.
    """

    def grab_frame(self, **savefig_kwargs: Any) -> None:
        super().grab_frame(**savefig_kwargs)
        frame = self._frames[-1]
        if frame.mode == "RGB":
            self._frames[-1] = frame.quantize(256, method=PILImage.Quantize.FASTOCTREE)


def to_gif(animation: FuncAnimation) -> bytes:
    """The animation as the bytes of a GIF that loops forever.

    Written by matplotlib's ``PillowWriter`` (reducing each frame to 256
    colours as it is grabbed) at ``GIF_DPI`` dots per inch;
    each frame lasts the animation's interval (GIF stores hundredths of a
    second). The figure is left open: :func:`show_animation` closes it.
    """
    if not isinstance(animation, FuncAnimation):
        raise TypeError(f"animation must be a matplotlib FuncAnimation; got {animation!r}")
    interval_ms = animation._interval  # matplotlib keeps no public copy of it
    # PillowWriter writes int(1000 / fps) ms per frame; the 0.5 keeps that exact.
    writer = _GifWriter(fps=1000 / (interval_ms + 0.5))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "animation.gif"
        animation.save(path, writer=writer, dpi=GIF_DPI)
        return path.read_bytes()


def show_animation(
    n: int | tuple[int, int] = 5,
    kernel_size: int | tuple[int, int] = 3,
    stride: int | tuple[int, int] = 1,
    padding: Padding = "valid",
    dilation: int | tuple[int, int] = 1,
    *,
    interval_ms: int = 600,
) -> Image:
    """The sliding window of :func:`animate_convolution` as a GIF for a notebook.

    One frame per output position, ``out = floor((n + before + after - k_eff)
    / s) + 1`` per axis. The figure is closed, so Jupyter shows only the
    returned ``IPython.display.Image`` (``image/gif``), which the static book
    renders as it is. Make it the last expression of the cell.
    """
    from IPython.display import Image

    animation = animate_convolution(
        n, kernel_size, stride, padding, dilation, interval_ms=interval_ms
    )
    try:
        gif = to_gif(animation)
    finally:
        plt.close(animation._fig)
    return Image(data=gif, format="gif")
