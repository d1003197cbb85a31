"""utils.images: the bundled photos as float arrays."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_sample_image

from utils.images import PHOTOS, load_photo, load_photos, to_gray


@pytest.mark.parametrize("name", PHOTOS)
def test_photo_is_float_in_unit_range(name):
    photo = load_photo(name)
    assert photo.shape == (427, 640, 3) and photo.dtype == np.float32
    assert 0.0 <= photo.min() < 0.1 and 0.9 < photo.max() <= 1.0
    np.testing.assert_allclose(photo * 255, load_sample_image(f"{name}.jpg"), atol=1e-4)


def test_batch_in_gray():
    batch = load_photos(gray=True)
    assert batch.shape == (2, 427, 640, 1) and batch.dtype == np.float32
    rgb = load_photo("flower").astype(np.float64)
    np.testing.assert_allclose(batch[1, ..., 0], rgb @ [0.299, 0.587, 0.114], atol=1e-6)


def test_to_gray_keeps_channel_axis_and_white_stays_white():
    assert to_gray(np.ones((4, 5, 3))).shape == (4, 5, 1)
    np.testing.assert_allclose(to_gray(np.ones((2, 4, 5, 3))), 1.0)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: load_photo("cat"), ValueError, "name must be one of"),
        (
            lambda: load_photos("china"),
            ValueError,
            "names must be a non-empty sequence",
        ),
        (lambda: to_gray(np.ones((4, 5, 4))), ValueError, r"images must have shape"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
