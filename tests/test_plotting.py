"""utils.plotting: figures carry the right pictures, numbers and titles."""

from __future__ import annotations

import numpy as np
import pytest

from utils.plotting import (
    show_array,
    show_convolution_step,
    show_feature_maps,
    show_images,
)


def test_show_array_writes_every_number_and_the_box():
    a = np.array([[1, -2], [3, 4]])
    _, ax = show_array(a, highlight=(0, 1, 2, 1), title="a")
    assert sorted(t.get_text() for t in ax.texts) == ["-2", "1", "3", "4"]
    assert len(ax.patches) == 1 and ax.get_title() == "a"


def test_convolution_step_title_is_the_sum_of_products():
    x = np.arange(16).reshape(4, 4)
    k = np.array([[1, 0], [0, -1]])
    fig, axes = show_convolution_step(x, k, 1, 2)
    # window x[1:3, 2:4] = [[6, 7], [10, 11]]: 6*1 + 7*0 + 10*0 + 11*(-1) = -5
    assert fig._suptitle.get_text() == "output[1, 2] = 6·1 + 7·0 + 10·0 + 11·(-1) = -5"
    # outputs after (1, 2) in reading order are still blank: 3 rows x 3 cols, 6 done
    assert len(axes[2].texts) == 6


def test_show_images_and_feature_maps_make_one_panel_each():
    _, axes = show_images(
        np.random.default_rng(0).random((3, 8, 10, 3)), ["a", "b", "c"]
    )
    assert [ax.get_title() for ax in axes.flat if ax.get_visible()] == ["a", "b", "c"]
    _, axes = show_feature_maps(np.zeros((1, 6, 6, 5)), ncols=4)
    visible = [ax for ax in axes.flat if ax.get_visible()]
    assert len(visible) == 5 and visible[-1].get_title() == "channel 4"


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: show_array(np.ones(3)), ValueError, "a must be a 2-D array"),
        (
            lambda: show_images(np.ones((2, 4, 4, 2))),
            ValueError,
            r"images\[0\] must be",
        ),
        (
            lambda: show_images([np.ones((4, 4))] * 2, ["only one"]),
            ValueError,
            "titles must have",
        ),
        (
            lambda: show_feature_maps(np.ones((4, 4))),
            ValueError,
            "maps must be a 3-D array",
        ),
        (
            lambda: show_feature_maps(np.ones((4, 4, 2)), channels=[2]),
            ValueError,
            "channels",
        ),
        (
            lambda: show_convolution_step(np.ones((3, 3)), np.ones((2, 2)), 2, 0),
            ValueError,
            r"\(row, col\) must index the 2x2 output",
        ),
        (
            lambda: show_convolution_step(np.ones((2, 2)), np.ones((3, 3)), 0, 0),
            ValueError,
            "larger than x",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
