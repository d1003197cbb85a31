"""utils.animation: one GIF frame per output position, each the picture of utils.geometry."""

from __future__ import annotations

import base64
import io
import itertools

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from utils.animation import _frame, show_animation
from utils.arithmetic import conv_output_size
from utils.geometry import draw_convolution_geometry


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
        keras.layers.Conv2D(
            1, k, strides=stride, padding=conv_padding, dilation_rate=dilation
        )
    )
    out = keras.Sequential(layers)(np.zeros((1, n, n, 1), "float32"))
    return tuple(out.shape[1:3])


# (arguments of show_animation, how Keras does the same: Conv2D padding, ZeroPadding2D)
CASES = [
    ({"n": 4, "kernel_size": 3}, {"conv_padding": "valid"}),
    ({"n": 5, "kernel_size": 3, "padding": "same"}, {"conv_padding": "same"}),
    (
        {"n": 5, "kernel_size": 2, "stride": 2, "padding": "same"},
        {"conv_padding": "same"},
    ),
    ({"n": 4, "kernel_size": 3, "padding": "full"}, {"zeros": (2, 2)}),
    ({"n": 5, "kernel_size": 3, "stride": 2, "padding": 1}, {"zeros": (1, 1)}),
    ({"n": 7, "kernel_size": 3, "dilation": 2}, {"conv_padding": "valid"}),
    ({"n": 4, "kernel_size": 3, "padding": (0, 2)}, {"zeros": (0, 2)}),
]


@pytest.mark.parametrize(("kwargs", "keras_way"), CASES)
def test_one_gif_frame_per_output_position_as_in_keras(kwargs, keras_way):
    keras_kwargs = {k: kwargs[k] for k in ("stride", "dilation") if k in kwargs}
    out = keras_output_size(
        kwargs["n"], kwargs["kernel_size"], **keras_kwargs, **keras_way
    )
    args = [
        kwargs.get(k, d)
        for k, d in (("stride", 1), ("padding", "valid"), ("dilation", 1))
    ]
    size = conv_output_size(kwargs["n"], kwargs["kernel_size"], *args)
    assert out == (size, size)
    image, frames = gif_frames(show_animation(**kwargs, interval_ms=100).data)
    assert image.n_frames == len(frames) == size * size
    # the window moves at every frame: no two consecutive frames are the same
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(frames))


def test_gif_frames_are_draw_convolution_geometry():
    kwargs = {"n": 5, "kernel_size": 3, "stride": 2, "padding": 1}
    _, frames = gif_frames(show_animation(**kwargs).data)
    assert len(frames) == 9
    for k, frame in enumerate(frames):
        picture = _frame(draw_convolution_geometry(**kwargs, step=k)[0])
        np.testing.assert_array_equal(frame, np.asarray(picture.convert("RGB")))


def test_gif_loops_forever_with_the_interval_and_stays_small():
    data = show_animation(5, 3, padding="same", interval_ms=450).data
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


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: show_animation(interval_ms=0), ValueError, "interval_ms must be"),
        (lambda: show_animation(3, 5), ValueError, "kernel_size does not fit"),
        (lambda: show_animation(stride=0), ValueError, "stride must be"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
