"""The sample photos bundled with scikit-learn, as float arrays in [0, 1].

Both photos ship inside scikit-learn, so nothing is downloaded:
``china`` (a temple in China) and ``flower`` (a flower in close-up), each
427 pixels high, 640 wide, with 3 colour channels (RGB).
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_sample_image

from ._checks import non_negative_int, numeric_array, positive_int

__all__ = ["PHOTOS", "load_photo", "load_photos", "to_gray"]

#: Names of the bundled photos, in the order :func:`load_photos` stacks them.
PHOTOS = ("china", "flower")

#: ITU-R BT.601 luma weights for R, G and B.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])


def to_gray(images: np.ndarray) -> np.ndarray:
    """Luminance of RGB images, keeping a channel axis of size 1.

    ``gray = 0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601). Accepts one image
    ``(height, width, 3)`` or a batch ``(batch, height, width, 3)``.
    """
    images = np.asarray(images)
    if images.ndim not in (3, 4) or images.shape[-1] != 3:
        raise ValueError(
            "images must have shape (height, width, 3) or (batch, height, width, 3); "
            f"got {images.shape}"
        )
    gray = images @ LUMA_WEIGHTS.astype(np.result_type(images.dtype, np.float32))
    return gray[..., np.newaxis]


def load_photo(
    name: str = "china",
    *,
    gray: bool = False,
    crop: tuple[int, int, int, int] | None = None,
    dtype: type = np.float32,
) -> np.ndarray:
    """One bundled photo as an array of shape ``(height, width, channels)`` in [0, 1].

    Parameters
    ----------
    name : ``"china"`` or ``"flower"``.
    gray : if true, return luminance with one channel (see :func:`to_gray`).
    crop : optional ``(top, left, height, width)`` box, in pixels.
    dtype : a floating dtype; pixel values are ``uint8 / 255``.
    """
    if name not in PHOTOS:
        raise ValueError(f"name must be one of {PHOTOS}; got {name!r}")
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise TypeError(f"dtype must be a floating type such as np.float32; got {dtype!r}")
    image = load_sample_image(f"{name}.jpg").astype(dtype) / dtype(255)
    if crop is not None:
        image = _crop(image, crop)
    if gray:
        image = to_gray(image).astype(dtype)
    return image


def load_photos(
    names: tuple[str, ...] = PHOTOS,
    *,
    gray: bool = False,
    crop: tuple[int, int, int, int] | None = None,
    dtype: type = np.float32,
) -> np.ndarray:
    """The photos stacked into a batch ``(len(names), height, width, channels)``."""
    if isinstance(names, str) or len(names) == 0:
        raise ValueError(f"names must be a non-empty sequence of photo names; got {names!r}")
    return np.stack([load_photo(n, gray=gray, crop=crop, dtype=dtype) for n in names])


def _crop(image: np.ndarray, crop: tuple[int, int, int, int]) -> np.ndarray:
    """Cut the ``(top, left, height, width)`` box out of ``image``."""
    if not isinstance(crop, (tuple, list)) or len(crop) != 4:
        raise ValueError(f"crop must be a (top, left, height, width) tuple; got {crop!r}")
    top, left = non_negative_int("crop top", crop[0]), non_negative_int("crop left", crop[1])
    height, width = positive_int("crop height", crop[2]), positive_int("crop width", crop[3])
    numeric_array("image", image, 3, "(height, width, channels)")
    if top + height > image.shape[0] or left + width > image.shape[1]:
        raise ValueError(
            f"crop {tuple(crop)} reaches outside the {image.shape[0]}x{image.shape[1]} photo"
        )
    return image[top : top + height, left : left + width]
