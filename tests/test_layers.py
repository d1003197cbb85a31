"""utils.layers: Keras layers with given kernels, NumPy in and out, summaries."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from utils.conv import conv2d
from utils.layers import (
    apply,
    conv2d_layer,
    count_params,
    layer_output,
    model_inputs,
    summary,
)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("stride", "dilation"), [(1, 1), (2, 1), (1, 2), ((2, 1), 1)])
def test_conv2d_layer_holds_the_kernels(padding, stride, dilation):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 9, 11, 3)).astype(np.float32)
    kernels = rng.standard_normal((3, 2, 3, 4)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    layer = conv2d_layer(kernels, bias, stride=stride, padding=padding, dilation=dilation)
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
    assert all(ord(ch) < 128 for ch in text)  # plain text, no box drawing or colour codes


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: conv2d_layer(np.ones((3, 3, 1))), ValueError, "kernels must be a 4-D array"),
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
        (lambda: apply("conv", np.ones((1, 3, 3, 1))), TypeError, "layer must be a Keras layer"),
        (lambda: apply(keras.layers.ReLU(), np.array(["a"])), TypeError, "x must be a numeric"),
        (lambda: apply(keras.layers.ReLU(), np.float32(1.0)), ValueError, "leading batch axis"),
        (lambda: count_params(keras.layers.Dense(3)), ValueError, "not built yet"),
        (lambda: count_params(3), TypeError, "layer must be a Keras layer"),
        (lambda: summary(keras.layers.Dense(3)), TypeError, "model must be a Keras model"),
        (lambda: model_inputs("model"), TypeError, "model must be a Keras model"),
        (
            lambda: model_inputs(keras.Sequential([keras.layers.Dense(2)])),
            ValueError,
            "has no defined input",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
