"""The sample photos bundled with scikit-learn, as float arrays in [0, 1].

Both photos ship inside scikit-learn, so nothing is downloaded:
``china`` (a temple in China) and ``flower`` (a flower in close-up), each
427 pixels high, 640 wide, with 3 colour channels (RGB).
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_sample_image

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


def load_photo(name: str = "china", *, gray: bool = False) -> np.ndarray:
    """One bundled photo as a float32 array of shape ``(height, width, channels)`` in [0, 1].

    Pixel values are ``uint8 / 255``. ``name`` is ``"china"`` or ``"flower"``;
    with ``gray=True`` the photo is its luminance, one channel (see :func:`to_gray`).
    To crop, slice the result: ``load_photo()[100:220, 200:360]``.
    """
    if name not in PHOTOS:
        raise ValueError(f"name must be one of {PHOTOS}; got {name!r}")
    image = load_sample_image(f"{name}.jpg").astype(np.float32) / np.float32(255)
    return to_gray(image).astype(np.float32) if gray else image


def load_photos(names: tuple[str, ...] = PHOTOS, *, gray: bool = False) -> np.ndarray:
    """The photos stacked into a batch ``(len(names), height, width, channels)``."""
    if isinstance(names, str) or len(names) == 0:
        raise ValueError(
            f"names must be a non-empty sequence of photo names; got {names!r}"
        )
    return np.stack([load_photo(n, gray=gray) for n in names])
