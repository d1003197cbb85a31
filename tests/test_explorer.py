"""utils.explorer: the sliders redraw the geometry and write out the output size."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from utils.explorer import _explorer_figure, conv_explorer, explorer_state


def test_conv_explorer_sliders_formula_and_picture():
    explorer = conv_explorer()
    sliders, text, picture = explorer.children
    # The sliders in the order of every geometry signature: n, kernel_size, stride, padding, dilation.
    assert [(s.description, s.value) for s in sliders.children] == [
        ("n", 7),
        ("f", 3),
        ("s", 2),
        ("p", 1),
        ("d", 1),
    ]
    sliders = {s.description: s for s in sliders.children}
    assert "floor((n + 2p - d(f - 1) - 1) / s) + 1" in text.value
    assert "floor((7 + 2·1 - 1·(3 - 1) - 1) / 2) + 1 = 4" in text.value
    small = Image.open(io.BytesIO(picture.value)).size
    sliders["n"].value = 10  # a bigger input: a bigger picture
    assert "floor((10 + 2·1 - 1·(3 - 1) - 1) / 2) + 1 = 5" in text.value
    assert Image.open(io.BytesIO(picture.value)).size[0] > small[0]
    sliders["n"].value, sliders["p"].value = 3, 0
    sliders["f"].value = 5  # the kernel no longer fits: the error, not an exception
    assert (
        "kernel_size does not fit" in text.value and "covers 5 positions" in text.value
    )
    assert picture.layout.display == "none"
    sliders["f"].value = 3
    assert text.value.endswith("= 1</pre>") and picture.layout.display is None
    assert plt.get_fignums() == []
    custom = conv_explorer(9, 5, 1, 0, 2)  # stride 1, padding 0
    assert [s.value for s in custom.children[0].children] == [9, 5, 1, 0, 2]


def test_explorer_marks_where_each_window_starts():
    fig = _explorer_figure(n=7, f=3, s=2, p=1, d=1)
    (dots,) = [line for line in fig.axes[0].lines if line.get_gid() == "window-starts"]
    starts = {(y - 0.5, x - 0.5) for x, y in zip(*dots.get_data())}
    assert starts == {(2 * i, 2 * j) for i in range(4) for j in range(4)}  # 4×4 output


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: conv_explorer(n=0), ValueError, "n must be a positive int"),
        (lambda: conv_explorer(padding=-1), ValueError, "padding must be"),
        (lambda: conv_explorer(kernel_size=2.5), TypeError, "kernel_size must be"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_explorer_state_is_the_explorers_picture_with_its_formula():
    fig = explorer_state(7, 3, 2, 1, 1)  # n, kernel_size, stride, padding, dilation
    title = fig.get_suptitle()
    assert title.endswith("/ 2⌋ + 1 = 4") and "output 4×4" in title, title
    dots = [line for line in fig.axes[0].lines if line.get_gid() == "window-starts"]
    assert len(dots) == 1 and len(dots[0].get_xdata()) == 4 * 4  # one per output
    assert (
        fig.number in plt.get_fignums()
    )  # a pyplot figure: the cell's plt.show() shows it
    with pytest.raises(ValueError, match="kernel_size does not fit"):
        explorer_state(n=2, kernel_size=5, padding=0)
