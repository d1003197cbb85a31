"""utils.erf: effective receptive fields by backpropagation."""

from __future__ import annotations

import functools
import time

import keras
import numpy as np
import pytest

from tests.test_erf_stats import embed
from utils.conv_stack import uniform_conv_stack
from utils.erf import centre_gradient, effective_receptive_field, erf_map
from utils.erf_stats import erf_std, fit_gaussian
from utils.receptive_field import receptive_field_of


def box_power(n: int, k: int = 3) -> np.ndarray:
    """The n-fold convolution of a k x k box, built without Keras: (n (k - 1) + 1) squared."""
    line = np.array([1.0])
    for _ in range(n):
        line = np.convolve(line, np.ones(k) / k)
    return np.outer(line, line)


@functools.cache
def uniform_erf(depth: int) -> np.ndarray:
    return effective_receptive_field(uniform_conv_stack(depth))


def test_one_uniform_conv_is_a_3x3_box():
    erf = uniform_erf(1)
    assert erf.shape == (23, 23)  # field 3 plus 10 zeros on each side
    box = np.zeros((23, 23), dtype=bool)
    box[10:13, 10:13] = True
    np.testing.assert_allclose(erf[box], 1 / 9, rtol=1e-12)
    np.testing.assert_array_equal(erf[~box], 0.0)


@pytest.mark.parametrize("n", [2, 5, 10])
def test_uniform_stack_is_the_n_fold_box_convolution(n):
    erf = uniform_erf(n)
    size = 2 * n + 1 + 20
    assert erf.shape == (size, size)
    expected = embed(box_power(n), erf.shape, (size // 2, size // 2))
    np.testing.assert_allclose(erf, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        erf_std(erf), [np.sqrt(n * (3**2 - 1) / 12)] * 2, rtol=0, atol=1e-6
    )
    np.testing.assert_allclose(
        erf_std(erf), [np.sqrt(2 * n / 3)] * 2, rtol=0, atol=1e-6
    )
    # The support is exactly the theoretical (2n + 1) x (2n + 1) field.
    np.testing.assert_array_equal(erf > 0, expected > 0)
    assert (erf > 0).sum() == (2 * n + 1) ** 2


def test_centre_gradient_is_the_raw_gradient_of_the_centre_unit():
    # One random 3x3 filter: the centre output is the sum of the window times the
    # kernel, so its gradient is the kernel itself, placed on the centre window.
    model = uniform_conv_stack(1, init="random", seed=3, input_size=7)
    kernel = model.layers[0].get_weights()[0][:, :, 0, 0]
    g = centre_gradient(model, inputs=np.zeros((2, 7, 7, 1)))
    assert g.shape == (2, 7, 7, 1) and g.dtype == np.float64
    for image in g:
        np.testing.assert_allclose(image[2:5, 2:5, 0], kernel, rtol=1e-6)
        assert np.count_nonzero(image) == 9


def test_squared_and_absolute_measures():
    model = uniform_conv_stack(1, init="random", seed=3, input_size=7)
    g = centre_gradient(model, inputs=np.zeros((1, 7, 7, 1)))
    np.testing.assert_allclose(erf_map(g, "squared"), g[0, :, :, 0] ** 2 / (g**2).sum())
    np.testing.assert_allclose(
        erf_map(g, "absolute"), np.abs(g[0, :, :, 0]) / np.abs(g).sum()
    )
    np.testing.assert_allclose(
        effective_receptive_field(
            model, inputs=np.zeros((1, 7, 7, 1)), measure="squared"
        ),
        erf_map(g, "squared"),
    )
    # For uniform weights the squared map is the absolute one squared: sqrt(2) narrower for
    # a Gaussian, and nearly so for the 8-fold box.
    n = 8
    absolute, squared = (
        uniform_erf(n),
        effective_receptive_field(uniform_conv_stack(n), measure="squared"),
    )
    np.testing.assert_allclose(squared, absolute**2 / (absolute**2).sum(), atol=1e-9)
    np.testing.assert_allclose(
        np.array(erf_std(absolute)) / erf_std(squared), [np.sqrt(2)] * 2, rtol=0.03
    )


def test_random_weights_spread_their_variance_like_uniform_weights():
    """Luo et al.: with zero-mean random weights, the expected squared gradient follows
    the uniform recursion, so its width is sqrt(2n/3); |g| spreads about sqrt(2) wider."""
    n = 16
    g = np.concatenate(
        [
            centre_gradient(
                uniform_conv_stack(n, channels=8, init="random", seed=seed),
                inputs=np.zeros((1, 53, 53, 8)),
            )
            for seed in range(4)
        ]
    )
    squared, absolute = erf_map(g, "squared"), erf_map(g, "absolute")
    theory = np.sqrt(2 * n / 3)
    np.testing.assert_allclose(erf_std(squared), [theory] * 2, rtol=0.12)
    ratio = np.array(erf_std(absolute)) / erf_std(squared)
    assert np.all((ratio > 1.2) & (ratio < np.sqrt(2) * 1.05)), ratio


def test_channels_are_summed_in_and_out():
    erf = effective_receptive_field(uniform_conv_stack(3, channels=3))
    size = erf.shape[0]
    np.testing.assert_allclose(
        erf, embed(box_power(3), erf.shape, (size // 2,) * 2), atol=1e-7
    )


def test_any_functional_model_and_the_centre_convention():
    # 'valid' convolutions on an 8 x 8 input: the output is 4 x 4, its centre unit (2, 2)
    # (index size // 2) sees input rows and columns 2..6.
    inputs = keras.Input((8, 8, 2))
    x = keras.layers.Conv2D(3, 3, kernel_initializer="ones", use_bias=False)(inputs)
    outputs = keras.layers.Conv2D(5, 3, kernel_initializer="ones", use_bias=False)(x)
    model = keras.Model(inputs, outputs)
    erf = effective_receptive_field(model)
    expected = embed(box_power(2), (8, 8), (4, 4))
    np.testing.assert_allclose(erf, expected, atol=1e-7)


def test_intermediate_layer():
    model = uniform_conv_stack(5)
    erf = effective_receptive_field(model, layer_name="conv2")
    expected = embed(box_power(2), erf.shape, (15, 15))
    np.testing.assert_allclose(erf, expected, atol=1e-7)
    np.testing.assert_allclose(erf_std(erf), [np.sqrt(4 / 3)] * 2, atol=1e-6)


def test_input_size_is_needed_when_the_model_leaves_the_size_open():
    model = keras.Sequential(
        [
            keras.Input((None, None, 1)),
            keras.layers.Conv2D(
                1, 3, padding="same", kernel_initializer="ones", use_bias=False
            ),
            keras.layers.Conv2D(
                1, 3, padding="same", kernel_initializer="ones", use_bias=False
            ),
        ]
    )
    with pytest.raises(ValueError, match="input_size is required"):
        effective_receptive_field(model)
    erf = effective_receptive_field(model, input_size=(9, 11))
    np.testing.assert_allclose(erf, embed(box_power(2), (9, 11), (4, 5)), atol=1e-7)
    # Probe images fix the size too.
    erf = effective_receptive_field(model, inputs=np.zeros((2, 7, 7, 1)))
    np.testing.assert_allclose(erf, embed(box_power(2), (7, 7), (3, 3)), atol=1e-7)


def test_the_same_arguments_as_receptive_field_of():
    model = uniform_conv_stack(5)
    erf = effective_receptive_field(model, "conv2", input_size=31)
    field = receptive_field_of(model, "conv2", input_size=31)
    support = np.nonzero(erf.any(axis=0))[0]
    assert len(support) == field.size[1] == 5


@pytest.mark.parametrize(
    ("init", "activation", "channels"),
    [
        ("random", None, 1),
        ("random", None, 4),
        ("random", "relu", 4),
        ("uniform", "relu", 1),
    ],
)
def test_random_and_relu_stacks_stay_in_the_field(init, activation, channels):
    depth = 6
    model = uniform_conv_stack(
        depth, channels=channels, init=init, activation=activation, seed=0
    )
    erf = effective_receptive_field(model, seed=1)
    size = 2 * depth + 1 + 20
    assert erf.shape == (size, size) and erf.dtype == np.float64
    assert np.all(erf >= 0)
    assert erf.sum() == pytest.approx(1.0, abs=1e-12)
    field = embed(np.ones((2 * depth + 1,) * 2), erf.shape, (size // 2, size // 2)) > 0
    np.testing.assert_array_equal(erf[~field], 0.0)
    assert erf[field].min() >= 0 and (erf[field] > 0).sum() > (2 * depth - 1) ** 2
    if init == "random":  # not the uniform map
        assert np.abs(erf - uniform_erf(depth)).max() > 1e-3


def test_probe_inputs_matter_only_through_nonlinearities():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 33, 33, 4))
    linear = uniform_conv_stack(6, channels=4, init="random", seed=2)
    np.testing.assert_allclose(
        effective_receptive_field(linear, inputs=x),
        effective_receptive_field(linear, seed=9),
        rtol=1e-5,
        atol=1e-12,
    )
    relu = uniform_conv_stack(6, channels=4, init="random", activation="relu", seed=2)
    batch = effective_receptive_field(relu, inputs=x)
    assert np.abs(batch - effective_receptive_field(relu, inputs=x[:1])).max() > 1e-4
    # A batch is averaged: repeating it changes nothing; the default probe is seeded.
    np.testing.assert_allclose(
        effective_receptive_field(relu, inputs=np.concatenate([x, x])), batch
    )
    np.testing.assert_array_equal(
        effective_receptive_field(relu, seed=4), effective_receptive_field(relu, seed=4)
    )
    assert np.abs(effective_receptive_field(relu, seed=4) - batch).max() > 1e-4


def test_dead_relus_raise():
    model = uniform_conv_stack(2, activation="relu")
    with pytest.raises(ValueError, match="zero at every input pixel"):
        effective_receptive_field(model, inputs=-np.ones((1, 25, 25, 1)))


def test_fit_gaussian_on_a_deep_uniform_stack():
    erf = uniform_erf(20)
    fit = fit_gaussian(erf)
    np.testing.assert_allclose(fit["sigma"], erf_std(erf), rtol=0.02)
    np.testing.assert_allclose(fit["centre"], (30, 30), atol=1e-3)
    assert fit["r_squared"] > 0.99


def test_std_grows_like_the_square_root_of_depth():
    depths = np.array([5, 10, 20, 40])
    stds = np.array([np.mean(erf_std(uniform_erf(int(d)))) for d in depths])
    slope, _ = np.polyfit(np.log(depths), np.log(stds), 1)
    assert abs(slope - 0.5) < 0.02
    # ... while the theoretical field, n (k - 1) + 1, grows linearly.
    assert [int((uniform_erf(int(d)) > 0).any(axis=0).sum()) for d in depths[:3]] == [
        11,
        21,
        41,
    ]


def test_deep_stack_is_fast():
    model = uniform_conv_stack(40)
    assert model.input_shape == (None, 101, 101, 1)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        effective_receptive_field(model)
        times.append(time.perf_counter() - start)
    assert min(times) < 1.0


def _dense_model():
    return keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: effective_receptive_field("m"),
            TypeError,
            "model must be a Keras model",
        ),
        (
            lambda: effective_receptive_field(uniform_conv_stack(1), layer_name="nope"),
            ValueError,
            "model 'uniform_stack_1x3x3' has no layer named 'nope'; layers: 'conv1'",
        ),
        (
            lambda: effective_receptive_field(uniform_conv_stack(1), layer_name=3),
            TypeError,
            "layer_name must be",
        ),
        (
            lambda: effective_receptive_field(
                uniform_conv_stack(1), input_size=(23, 23, 1)
            ),
            ValueError,
            r"input_size must be an int or a \(height, width\) pair",
        ),
        (
            lambda: effective_receptive_field(uniform_conv_stack(1), input_size=24),
            ValueError,
            r"input_size gives images of shape \(24, 24, 1\) but the model takes \(23, 23, 1\)",
        ),
        (
            lambda: effective_receptive_field(
                uniform_conv_stack(1), input_size=(23, 0)
            ),
            ValueError,
            r"input_size\[1\]",
        ),
        (
            lambda: effective_receptive_field(
                uniform_conv_stack(1), inputs=np.ones((23, 23, 1))
            ),
            ValueError,
            "inputs must be a 4-D array",
        ),
        (
            lambda: effective_receptive_field(
                uniform_conv_stack(1), inputs=np.ones((1, 9, 9, 1))
            ),
            ValueError,
            "inputs has images of shape",
        ),
        (
            lambda: effective_receptive_field(
                uniform_conv_stack(1), input_size=23, inputs=np.ones((1, 23, 23, 1))
            ),
            ValueError,
            "give input_size or inputs, not both",
        ),
        (
            lambda: effective_receptive_field(uniform_conv_stack(1), seed=-1),
            ValueError,
            "seed",
        ),
        (
            lambda: effective_receptive_field(_dense_model()),
            ValueError,
            r"must be a \(batch, height, width, channels\) map",
        ),
        (
            lambda: effective_receptive_field(uniform_conv_stack(1), measure="mean"),
            ValueError,
            "measure must be one of",
        ),
        (
            lambda: erf_map(np.ones((3, 3)), "squared"),
            ValueError,
            "gradient must be a 4-D",
        ),
        (
            lambda: erf_map(np.zeros((1, 3, 3, 1))),
            ValueError,
            "zero at every input pixel",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
