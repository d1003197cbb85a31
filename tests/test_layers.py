"""utils.layers: Keras layers with given kernels, NumPy in and out, summaries, layer outputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import utils
from utils.conv import conv2d
from utils.layers import (
    apply,
    conv2d_layer,
    count_params,
    layer_output,
    layer_outputs,
    model_inputs,
    show_layer_outputs,
    summary,
)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("stride", "dilation"), [(1, 1), (2, 1), (1, 2), ((2, 1), 1)])
def test_conv2d_layer_holds_the_kernels(padding, stride, dilation):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 9, 11, 3)).astype(np.float32)
    kernels = rng.standard_normal((3, 2, 3, 4)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    layer = conv2d_layer(
        kernels, bias, stride=stride, padding=padding, dilation=dilation
    )
    np.testing.assert_array_equal(layer.get_weights()[0], kernels)
    ours = conv2d(x, kernels, bias, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(apply(layer, x), ours, rtol=1e-5, atol=1e-5)


def test_activation_and_no_bias():
    kernels = -np.ones((1, 1, 1, 1))
    layer = conv2d_layer(kernels, activation="relu")
    assert not layer.use_bias and count_params(layer) == 1
    np.testing.assert_array_equal(apply(layer, np.ones((1, 2, 2, 1))), 0.0)


def test_model_inputs_of_a_functional_model():
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    assert model_inputs(model) == [inputs]


def test_layer_output_of_a_called_layer_and_of_one_never_called():
    inputs = keras.Input((8, 8, 1))
    conv = keras.layers.Conv2D(1, 3, padding="same", name="conv")
    model = keras.Model(inputs, conv(inputs))
    assert layer_output(model, conv) is model.outputs[0]
    never_called = keras.layers.Conv2D(1, 3, name="unused")
    with pytest.raises(ValueError, match="'unused' has no single output"):
        layer_output(model, never_called)


def test_count_params_and_summary():
    model = keras.Sequential(
        [
            keras.Input((28, 28, 3)),
            keras.layers.Conv2D(16, 3, name="conv"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(10, name="out"),
        ],
        name="tiny",
    )
    conv_params = (3 * 3 * 3 + 1) * 16
    dense_params = (26 * 26 * 16 + 1) * 10
    assert count_params(model) == conv_params + dense_params
    text = summary(model)
    lines = text.splitlines()
    assert lines[0] == 'Model: "tiny"'
    assert any(
        line.startswith("conv (Conv2D)")
        and "(None, 26, 26, 16)" in line
        and line.endswith(f"{conv_params:,}")
        for line in lines
    )
    assert f"Total params: {conv_params + dense_params:,}" in lines
    assert "Non-trainable params: 0" in lines
    assert all(
        ord(ch) < 128 for ch in text
    )  # plain text, no box drawing or colour codes


def _small_cnn() -> keras.Model:
    utils.setup_notebook(1)
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(3, 3, activation="relu", padding="same", name="conv1"),
            keras.layers.MaxPooling2D(2, name="pool"),
            keras.layers.Conv2D(10, 3, activation="relu", name="conv2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(4, activation="softmax", name="output"),
        ],
        name="small",
    )


def test_layer_outputs_follow_the_layers_in_order():
    model = _small_cnn()
    x = np.random.default_rng(0).random((3, 8, 8, 1)).astype("float32")
    outputs = layer_outputs(model, x)
    assert list(outputs) == ["conv1", "pool", "conv2", "flatten", "output"]
    h = x
    for layer in model.layers:
        assert outputs[layer.name].shape == (3, *layer.output.shape[1:])
        h = layer(h)
        np.testing.assert_allclose(
            outputs[layer.name], keras.ops.convert_to_numpy(h), atol=1e-6
        )
    np.testing.assert_allclose(
        outputs["output"], model.predict(x, verbose=0), atol=1e-6
    )


def test_layer_outputs_of_a_functional_model_skip_the_input_layer():
    inputs = keras.Input((5, 5, 2), name="image")
    left = keras.layers.Conv2D(2, 1, name="left")(inputs)
    right = keras.layers.Conv2D(2, 1, name="right")(inputs)
    total = keras.layers.Add(name="sum")([left, right])
    model = keras.Model(inputs, total)
    x = np.ones((2, 5, 5, 2), dtype=np.float32)
    outputs = layer_outputs(model, x)
    assert list(outputs) == ["left", "right", "sum"]
    np.testing.assert_allclose(
        outputs["sum"], outputs["left"] + outputs["right"], atol=1e-6
    )


def test_show_layer_outputs_makes_one_row_per_layer():
    model = _small_cnn()
    fig, rows = show_layer_outputs(model, np.zeros((1, 8, 8, 1)), max_channels=4)
    assert len(rows) == len(model.layers) == 5
    assert [len(row) for row in rows] == [
        3,
        3,
        4,
        1,
        1,
    ]  # conv2 has 10 channels: 4 shown
    labels = [row[0].get_ylabel() for row in rows]
    assert labels[0] == "conv1\n(1, 8, 8, 3)" and labels[2].startswith(
        "conv2\n(1, 2, 2, 10)"
    )
    assert "first 4 of 10" in labels[2]
    assert (
        len(rows[3][0].patches) == 40 and len(rows[4][0].patches) == 4
    )  # one bar per unit
    # Each column is labelled once, above its first panel: channel 3 first appears in conv2.
    assert rows[0][2].get_title() == "channel 2" and rows[2][0].get_title() == ""
    assert rows[2][3].get_title() == "channel 3"
    assert len(fig.axes) == 3 + 3 + 4 + 1 + 1


def _subclassed() -> keras.Model:
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.ones((1, 3)))
    return net


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: conv2d_layer(np.ones((3, 3, 1))),
            ValueError,
            "kernels must be a 4-D array",
        ),
        (
            lambda: conv2d_layer(np.ones((3, 3, 1, 2)), padding="full"),
            ValueError,
            "padding must be 'valid' or 'same'",
        ),
        (
            lambda: conv2d_layer(np.ones((3, 3, 1, 2)), np.ones(3)),
            ValueError,
            r"bias must have shape \(2,\)",
        ),
        (lambda: conv2d_layer(np.ones((3, 3, 1, 2)), stride=0), ValueError, "stride"),
        (
            lambda: apply("conv", np.ones((1, 3, 3, 1))),
            TypeError,
            "layer must be a Keras layer",
        ),
        (
            lambda: apply(keras.layers.ReLU(), np.array(["a"])),
            TypeError,
            "x must be a numeric",
        ),
        (
            lambda: apply(keras.layers.ReLU(), np.float32(1.0)),
            ValueError,
            "leading batch axis",
        ),
        (lambda: count_params(keras.layers.Dense(3)), ValueError, "not built yet"),
        (lambda: count_params(3), TypeError, "layer must be a Keras layer"),
        (
            lambda: summary(keras.layers.Dense(3)),
            TypeError,
            "model must be a Keras model",
        ),
        (lambda: model_inputs("model"), TypeError, "model must be a Keras model"),
        (
            lambda: model_inputs(keras.Sequential([keras.layers.Dense(2)])),
            ValueError,
            "has no defined input",
        ),
        (
            lambda: layer_outputs(
                keras.Sequential([keras.layers.Dense(2)]), np.ones((1, 3))
            ),
            ValueError,
            "has no defined input",
        ),
        (
            lambda: layer_outputs(_subclassed(), np.ones((1, 3))),
            ValueError,
            "no defined input",
        ),
        (
            lambda: layer_outputs(_small_cnn(), np.ones((8, 8, 1))),
            ValueError,
            "x must be a batch",
        ),
        (
            lambda: show_layer_outputs(_small_cnn(), np.ones((2, 8, 8, 1))),
            ValueError,
            "x must be one image with a batch axis",
        ),
        (
            lambda: show_layer_outputs(
                _small_cnn(), np.ones((1, 8, 8, 1)), max_channels=0
            ),
            ValueError,
            "max_channels must be a positive int",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
