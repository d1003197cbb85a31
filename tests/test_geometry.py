"""utils.geometry: the sliding-window pictures draw what utils.arithmetic (and Keras) compute."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from utils.geometry import (
    CELL_INCHES,
    OUTPUT_CURRENT,
    OUTPUT_DONE,
    draw_convolution_geometry,
)


def by_gid(ax, gid):
    """The patches and collections of ``ax`` with this gid."""
    return [a for a in [*ax.patches, *ax.collections] if a.get_gid() == gid]


def cells(collection):
    """``(row, col)`` of each unit square of a collection (its paths are in data units)."""
    return [
        tuple(int(v) for v in p.vertices.min(axis=0)[::-1])
        for p in collection.get_paths()
    ]


def output_states(ax):
    """'done', 'current' or 'pending' for each output cell, in reading order."""
    (outputs,) = by_gid(ax, "output")
    names = {to_rgba(OUTPUT_DONE): "done", to_rgba(OUTPUT_CURRENT): "current"}
    return [names.get(tuple(face), "pending") for face in outputs.get_facecolors()]


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
        assert window.get_xy() == (
            j * sw,
            i * sh,
        )  # (x, y) = (col, row) of the padded input
        assert (window.get_height(), window.get_width()) == (
            (kh - 1) * dh + 1,
            (kw - 1) * dw + 1,
        )
        covered = {(p.get_y(), p.get_x()) for p in by_gid(ax_in, "covered")}
        expected = {
            (i * sh + a * dh, j * sw + b * dw) for a in range(kh) for b in range(kw)
        }
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
    assert f"padding (before, after)=({before}, {after})" in fig.get_suptitle()


def test_title_states_every_argument_and_the_output_size():
    fig, _ = draw_convolution_geometry(7, 3, dilation=2)
    assert fig.get_suptitle() == (
        "n=7, kernel=3, stride=1, dilation=2, padding (before, after)=(0, 0)\n"
        "output 3×3:  ⌊(7 + 0 + 0 − 5) / 1⌋ + 1 = 3,  k_eff = 2·(3 − 1) + 1 = 5"
    )
    fig, _ = draw_convolution_geometry((5, 7), (3, 2), (1, 2), "same", (2, 1))
    assert fig.get_suptitle() == (
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
        assert abs(x1 - x0) == pytest.approx(side) and abs(y1 - y0) == pytest.approx(
            side
        )
    boxes = [ax.get_window_extent() for ax in axes]
    assert fig.get_suptitle() in [
        t.get_text() for t in fig.texts
    ]  # the suptitle is a text
    boxes += [t.get_window_extent() for t in fig.texts]
    boxes += [ax.title.get_window_extent() for ax in axes]
    for box in boxes:
        assert 0 <= box.x0 and box.x1 <= fig.bbox.width
        assert 0 <= box.y0 and box.y1 <= fig.bbox.height


def test_step_none_shows_the_grids_without_a_window():
    _, (ax_in, ax_out) = draw_convolution_geometry(5, 3, padding=1, step=None)
    moving = (
        by_gid(ax_in, "window") + by_gid(ax_in, "covered") + by_gid(ax_out, "current")
    )
    assert moving and not any(p.get_visible() for p in moving)
    assert output_states(ax_out) == ["done"] * 25


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: draw_convolution_geometry(2, 3),
            ValueError,
            "kernel_size does not fit",
        ),
        (
            lambda: draw_convolution_geometry(5, 3, dilation=3),
            ValueError,
            "covers 7 positions",
        ),
        (
            lambda: draw_convolution_geometry(5, 3, stride=0),
            ValueError,
            "stride must be",
        ),
        (lambda: draw_convolution_geometry(5, 0), ValueError, "kernel_size must be"),
        (
            lambda: draw_convolution_geometry(5, 3, dilation=0),
            ValueError,
            "dilation must be",
        ),
        (
            lambda: draw_convolution_geometry((5, 5, 5)),
            ValueError,
            r"n must be an int or a",
        ),
        (lambda: draw_convolution_geometry(5.0), TypeError, "n must be a positive int"),
        (
            lambda: draw_convolution_geometry(padding="middle"),
            ValueError,
            "padding must be one of",
        ),
        (lambda: draw_convolution_geometry(padding=-1), ValueError, "padding must be"),
        (
            lambda: draw_convolution_geometry(padding=(1, 2, 3)),
            TypeError,
            "padding must be",
        ),
        (
            lambda: draw_convolution_geometry(5, 3, step=9),
            ValueError,
            r"step must be in \[0, 9\)",
        ),
        (
            lambda: draw_convolution_geometry(step=-1),
            ValueError,
            "step must be a non-negative",
        ),
        (lambda: draw_convolution_geometry(step=1.0), TypeError, "step must be"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
