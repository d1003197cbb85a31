"""utils.animation: the sliding-window pictures draw what utils.arithmetic (and Keras) compute."""

from __future__ import annotations

import base64
import io
import itertools

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from PIL import Image

from utils.animation import (
    CELL_INCHES,
    GIF_DPI,
    OUTPUT_CURRENT,
    OUTPUT_DONE,
    _explorer_figure,
    animate_convolution,
    conv_explorer,
    draw_convolution_geometry,
    show_animation,
    to_gif,
)
from utils.arithmetic import conv_output_size


def by_gid(ax, gid):
    """The patches and collections of ``ax`` with this gid."""
    return [a for a in [*ax.patches, *ax.collections] if a.get_gid() == gid]


def cells(collection):
    """``(row, col)`` of each unit square of a collection (its paths are in data units)."""
    return [tuple(int(v) for v in p.vertices.min(axis=0)[::-1]) for p in collection.get_paths()]


def output_states(ax):
    """'done', 'current' or 'pending' for each output cell, in reading order."""
    (outputs,) = by_gid(ax, "output")
    names = {to_rgba(OUTPUT_DONE): "done", to_rgba(OUTPUT_CURRENT): "current"}
    return [names.get(tuple(face), "pending") for face in outputs.get_facecolors()]


def gif_frames(data):
    """The GIF, and each of its frames as an RGB array."""
    image = Image.open(io.BytesIO(data))
    frames = []
    for k in range(image.n_frames):
        image.seek(k)
        frames.append(np.asarray(image.convert("RGB")))
    return image, frames


def keras_output_size(n, k, stride=1, dilation=1, conv_padding="valid", zeros=None):
    """Output height and width of a real Keras Conv2D (after ZeroPadding2D ``zeros``)."""
    layers = [keras.Input((n, n, 1))]
    if zeros is not None:
        layers.append(keras.layers.ZeroPadding2D((zeros, zeros)))
    layers.append(
        keras.layers.Conv2D(1, k, strides=stride, padding=conv_padding, dilation_rate=dilation)
    )
    out = keras.Sequential(layers)(np.zeros((1, n, n, 1), "float32"))
    return tuple(out.shape[1:3])


# (arguments of animate_convolution, how Keras does the same: Conv2D padding, ZeroPadding2D)
CASES = [
    ({"n": 4, "kernel_size": 3}, {"conv_padding": "valid"}),
    ({"n": 5, "kernel_size": 3, "padding": "same"}, {"conv_padding": "same"}),
    ({"n": 5, "kernel_size": 2, "stride": 2, "padding": "same"}, {"conv_padding": "same"}),
    ({"n": 4, "kernel_size": 3, "padding": "full"}, {"zeros": (2, 2)}),
    ({"n": 5, "kernel_size": 3, "stride": 2, "padding": 1}, {"zeros": (1, 1)}),
    ({"n": 7, "kernel_size": 3, "dilation": 2}, {"conv_padding": "valid"}),
    ({"n": 4, "kernel_size": 3, "padding": (0, 2)}, {"zeros": (0, 2)}),
]


@pytest.mark.parametrize(("kwargs", "keras_way"), CASES)
def test_one_gif_frame_per_output_position_as_in_keras(kwargs, keras_way):
    keras_kwargs = {k: kwargs[k] for k in ("stride", "dilation") if k in kwargs}
    out = keras_output_size(kwargs["n"], kwargs["kernel_size"], **keras_kwargs, **keras_way)
    args = [kwargs.get(k, d) for k, d in (("stride", 1), ("padding", "valid"), ("dilation", 1))]
    size = conv_output_size(kwargs["n"], kwargs["kernel_size"], *args)
    assert out == (size, size)
    animation = animate_convolution(**kwargs, interval_ms=100)
    assert f"output {size}×{size}" in animation._fig._suptitle.get_text()
    image, frames = gif_frames(to_gif(animation))
    assert image.n_frames == len(frames) == size * size
    # the window moves at every frame: no two consecutive frames are the same
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(frames))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": 5, "kernel_size": 3, "stride": 2, "padding": 1},
        {"n": 7, "kernel_size": 3, "dilation": 2},
        {
            "n": (5, 7),
            "kernel_size": (3, 2),
            "stride": (1, 2),
            "padding": "same",
            "dilation": (2, 1),
        },
    ],
)
def test_window_sits_at_i_s_j_s_at_every_step(kwargs):
    kh, kw = np.broadcast_to(kwargs["kernel_size"], 2)
    sh, sw = np.broadcast_to(kwargs.get("stride", 1), 2)
    dh, dw = np.broadcast_to(kwargs.get("dilation", 1), 2)
    fig, (ax_in, ax_out) = draw_convolution_geometry(**kwargs, step=0)
    out_h = int(np.max(np.array(cells(by_gid(ax_out, "output")[0]))[:, 0])) + 1
    out_w = len(output_states(ax_out)) // out_h
    plt.close(fig)
    for k in range(out_h * out_w):
        i, j = divmod(k, out_w)
        fig, (ax_in, ax_out) = draw_convolution_geometry(**kwargs, step=k)
        (window,) = by_gid(ax_in, "window")
        assert window.get_xy() == (j * sw, i * sh)  # (x, y) = (col, row) of the padded input
        assert (window.get_height(), window.get_width()) == ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
        covered = {(p.get_y(), p.get_x()) for p in by_gid(ax_in, "covered")}
        expected = {(i * sh + a * dh, j * sw + b * dw) for a in range(kh) for b in range(kw)}
        assert covered == expected
        (current,) = by_gid(ax_out, "current")
        assert current.get_xy() == (j, i)
        assert output_states(ax_out) == ["done"] * k + ["current"] + ["pending"] * (
            out_h * out_w - k - 1
        )
        plt.close(fig)


@pytest.mark.parametrize("d", [2, 3])
def test_dilation_shades_only_the_kernel_cells_d_apart(d):
    _, (ax_in, _) = draw_convolution_geometry(9, 3, dilation=d, step=1)
    covered = by_gid(ax_in, "covered")
    assert len(covered) == 3**2 and all(p.get_visible() for p in covered)
    rows = sorted({p.get_y() for p in covered})
    cols = sorted({p.get_x() for p in covered})
    assert np.diff(rows).tolist() == [d, d] and np.diff(cols).tolist() == [d, d]
    assert cols[0] == 1  # step 1 is output (0, 1): stride 1, window starts at column 1
    (window,) = by_gid(ax_in, "window")
    assert window.get_width() == window.get_height() == 2 * d + 1


@pytest.mark.parametrize(
    ("n", "k", "padding", "before", "after"),
    [
        (5, 3, "valid", 0, 0),
        (5, 3, "same", 1, 1),
        (5, 2, "same", 0, 1),  # even kernel: the extra zero goes after
        (5, 3, "full", 2, 2),
        (4, 3, 2, 2, 2),
        (4, 3, (0, 2), 0, 2),
    ],
)
def test_padding_cells_surround_the_input(n, k, padding, before, after):
    fig, (ax_in, _) = draw_convolution_geometry(n, k, padding=padding)
    (inputs,) = by_gid(ax_in, "input")
    (zeros,) = by_gid(ax_in, "padding")
    side = n + before + after
    assert len(zeros.get_paths()) == side**2 - n**2
    assert sorted(cells(inputs)) == [
        (r, c) for r in range(before, before + n) for c in range(before, before + n)
    ]
    assert set(cells(inputs)) | set(cells(zeros)) == {
        (r, c) for r in range(side) for c in range(side)
    }
    if side > n:  # padding cells: white, dashed outline
        assert tuple(zeros.get_facecolor()[0]) == to_rgba("white")
        assert zeros.get_linestyle()[0][1] is not None
    assert f"padding (before, after)=({before}, {after})" in fig._suptitle.get_text()


def test_title_states_every_argument_and_the_output_size():
    fig, _ = draw_convolution_geometry(7, 3, dilation=2)
    assert fig._suptitle.get_text() == (
        "n=7, kernel=3, stride=1, dilation=2, padding (before, after)=(0, 0)\n"
        "output 3×3:  ⌊(7 + 0 + 0 − 5) / 1⌋ + 1 = 3,  k_eff = 2·(3 − 1) + 1 = 5"
    )
    fig, _ = draw_convolution_geometry((5, 7), (3, 2), (1, 2), "same", (2, 1))
    assert fig._suptitle.get_text() == (
        "n=5×7, kernel=3×2, stride=1×2, dilation=2×1, "
        "padding (before, after)=(2, 2) rows, (0, 1) cols\noutput 5×4"
    )


# The animations of the Padding and Stride chapters.
CHAPTER_ANIMATIONS = [
    {"n": 5, "kernel_size": 3},
    {"n": 5, "kernel_size": 3, "padding": "same"},
    {"n": 5, "kernel_size": 3, "padding": "full"},
    {"n": 5, "kernel_size": 3, "stride": 2, "padding": 1},
    {"n": 7, "kernel_size": 3, "dilation": 2},
]


@pytest.mark.parametrize("kwargs", CHAPTER_ANIMATIONS)
def test_cells_are_equal_squares_and_nothing_is_clipped(kwargs):
    fig, axes = draw_convolution_geometry(**kwargs, step=0)
    fig.canvas.draw()
    side = CELL_INCHES * fig.dpi
    for ax in axes:
        (x0, y0), (x1, y1) = ax.transData.transform([(0, 0), (1, 1)])
        assert abs(x1 - x0) == pytest.approx(side) and abs(y1 - y0) == pytest.approx(side)
    boxes = [ax.get_window_extent() for ax in axes]
    boxes += [t.get_window_extent() for t in [fig._suptitle, *fig.texts]]
    boxes += [ax.title.get_window_extent() for ax in axes]
    for box in boxes:
        assert 0 <= box.x0 and box.x1 <= fig.bbox.width
        assert 0 <= box.y0 and box.y1 <= fig.bbox.height


def test_step_none_shows_the_grids_without_a_window():
    _, (ax_in, ax_out) = draw_convolution_geometry(5, 3, padding=1, step=None)
    moving = by_gid(ax_in, "window") + by_gid(ax_in, "covered") + by_gid(ax_out, "current")
    assert moving and not any(p.get_visible() for p in moving)
    assert output_states(ax_out) == ["done"] * 25


def test_animation_frames_are_draw_convolution_geometry():
    kwargs = {"n": 5, "kernel_size": 3, "stride": 2, "padding": 1}

    def pixels(fig):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="rgba", dpi=GIF_DPI)
        return buffer.getvalue()

    animation = animate_convolution(**kwargs)
    assert pixels(animation._fig) == pixels(draw_convolution_geometry(**kwargs, step=0)[0])
    to_gif(animation)  # leaves the figure at the last frame
    assert pixels(animation._fig) == pixels(draw_convolution_geometry(**kwargs, step=8)[0])


def test_gif_loops_forever_with_the_interval_and_stays_small():
    data = to_gif(animate_convolution(5, 3, padding="same", interval_ms=450))
    image = Image.open(io.BytesIO(data))
    assert data.startswith(b"GIF89a")
    assert image.n_frames == 25
    assert image.info["loop"] == 0 and image.info["duration"] == 450
    assert len(data) < 300_000


def test_show_animation_returns_a_gif_and_leaves_no_figure():
    assert plt.get_fignums() == []
    image = show_animation(4, 3)
    assert plt.get_fignums() == []
    bundle, _ = image._repr_mimebundle_()
    assert list(bundle) == ["image/gif"]
    data = base64.b64decode(bundle["image/gif"])
    assert data.startswith(b"GIF89a") and Image.open(io.BytesIO(data)).n_frames == 4


def test_conv_explorer_sliders_formula_and_picture():
    explorer = conv_explorer()
    sliders, text, picture = explorer.children
    sliders = dict(zip([s.description for s in sliders.children], sliders.children))
    assert {name: s.value for name, s in sliders.items()} == {
        "n": 7,
        "f": 3,
        "p": 1,
        "s": 2,
        "d": 1,
    }
    assert "floor((n + 2p - d(f - 1) - 1) / s) + 1" in text.value
    assert "floor((7 + 2·1 - 1·(3 - 1) - 1) / 2) + 1 = 4" in text.value
    small = Image.open(io.BytesIO(picture.value)).size
    sliders["n"].value = 10  # a bigger input: a bigger picture
    assert "floor((10 + 2·1 - 1·(3 - 1) - 1) / 2) + 1 = 5" in text.value
    assert Image.open(io.BytesIO(picture.value)).size[0] > small[0]
    sliders["n"].value, sliders["p"].value = 3, 0
    sliders["f"].value = 5  # the kernel no longer fits: the error, not an exception
    assert "kernel_size does not fit" in text.value and "covers 5 positions" in text.value
    assert picture.layout.display == "none"
    sliders["f"].value = 3
    assert text.value.endswith("= 1</pre>") and picture.layout.display is None
    assert plt.get_fignums() == []
    custom = conv_explorer(9, 5, 0, 1, 2)
    assert [s.value for s in custom.children[0].children] == [9, 5, 0, 1, 2]


def test_explorer_marks_where_each_window_starts():
    fig = _explorer_figure(n=7, f=3, p=1, s=2, d=1)
    (dots,) = [line for line in fig.axes[0].lines if line.get_gid() == "window-starts"]
    starts = {(y - 0.5, x - 0.5) for x, y in zip(*dots.get_data())}
    assert starts == {(2 * i, 2 * j) for i in range(4) for j in range(4)}  # 4×4 output


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: draw_convolution_geometry(2, 3), ValueError, "kernel_size does not fit"),
        (lambda: draw_convolution_geometry(5, 3, dilation=3), ValueError, "covers 7 positions"),
        (lambda: draw_convolution_geometry(5, 3, stride=0), ValueError, "stride must be"),
        (lambda: draw_convolution_geometry(5, 0), ValueError, "kernel_size must be"),
        (lambda: draw_convolution_geometry(5, 3, dilation=0), ValueError, "dilation must be"),
        (lambda: draw_convolution_geometry((5, 5, 5)), ValueError, r"n must be an int or a"),
        (lambda: draw_convolution_geometry(5.0), TypeError, "n must be a positive int"),
        (lambda: draw_convolution_geometry(padding="middle"), ValueError, "padding must be one of"),
        (lambda: draw_convolution_geometry(padding=-1), ValueError, "padding must be"),
        (lambda: draw_convolution_geometry(padding=(1, 2, 3)), TypeError, "padding must be"),
        (lambda: draw_convolution_geometry(5, 3, step=9), ValueError, r"step must be in \[0, 9\)"),
        (lambda: draw_convolution_geometry(step=-1), ValueError, "step must be a non-negative"),
        (lambda: draw_convolution_geometry(step=1.0), TypeError, "step must be"),
        (lambda: animate_convolution(interval_ms=0), ValueError, "interval_ms must be"),
        (lambda: animate_convolution(3, 5), ValueError, "kernel_size does not fit"),
        (lambda: to_gif(b"GIF89a"), TypeError, "animation must be a matplotlib FuncAnimation"),
        (lambda: show_animation(stride=0), ValueError, "stride must be"),
        (lambda: conv_explorer(n=0), ValueError, "n must be a positive int"),
        (lambda: conv_explorer(padding=-1), ValueError, "padding must be"),
        (lambda: conv_explorer(kernel_size=2.5), TypeError, "kernel_size must be"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_explorer_state_is_the_explorers_picture_with_its_formula():
    from utils.animation import explorer_state

    fig = explorer_state(n=7, kernel_size=3, padding=1, stride=2, dilation=1)
    title = fig._suptitle.get_text()
    assert title.endswith("/ 2⌋ + 1 = 4") and "output 4×4" in title, title
    dots = [line for line in fig.axes[0].lines if line.get_gid() == "window-starts"]
    assert len(dots) == 1 and len(dots[0].get_xdata()) == 4 * 4  # one per output
    assert fig.number in plt.get_fignums()  # a pyplot figure: the cell's plt.show() shows it
    with pytest.raises(ValueError, match="kernel_size does not fit"):
        explorer_state(n=2, kernel_size=5, padding=0)
