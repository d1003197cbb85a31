"""utils.images: the bundled photos as float arrays."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from sklearn.datasets import load_sample_image

from utils.images import PHOTOS, load_photo, load_photos, to_gray

#: SHA-256 of each photo's decoded pixels (uint8, as scikit-learn decodes the JPEG),
#: the pixels the notebooks' stored outputs were computed from.
DECODED_SHA256 = {
    "china": "e701459344fd69797154c91add3bb5d70e5ed1a61d8bed889bab3a796104698d",
    "flower": "3202904ed246795bf616c66d7859cd7c6080eff736c6e38dc5cc62779742033f",
}


@pytest.mark.parametrize("name", PHOTOS)
def test_photo_is_float_in_unit_range(name):
    photo = load_photo(name)
    assert photo.shape == (427, 640, 3) and photo.dtype == np.float32
    assert 0.0 <= photo.min() < 0.1 and 0.9 < photo.max() <= 1.0
    np.testing.assert_allclose(photo * 255, load_sample_image(f"{name}.jpg"), atol=1e-4)


@pytest.mark.parametrize("name", PHOTOS)
def test_decoded_pixels_are_those_of_the_stored_outputs(name):
    # The gray photo is not checksummed: its float32 luma sum rounds differently
    # on different CPUs (OpenBLAS kernels), while the decoded pixels do not.
    pixels = load_sample_image(f"{name}.jpg")
    assert hashlib.sha256(pixels.tobytes()).hexdigest() == DECODED_SHA256[name], (
        f"the JPEG decoder (Pillow, through scikit-learn) now decodes {name}.jpg to "
        "different pixels: numbers computed from the photos, such as the learning "
        "in chapters/06_gradients.ipynb, may differ from the stored outputs"
    )
    assert np.array_equal(load_photo(name), pixels.astype(np.float32) / np.float32(255))


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
