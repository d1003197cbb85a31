"""utils.conv_stack: the stacks of convolutions of Luo et al.'s experiment."""

from __future__ import annotations

import numpy as np
import pytest

from utils.conv_stack import FIELD_MARGIN, uniform_conv_stack


def test_uniform_conv_stack_weights():
    model = uniform_conv_stack(3, kernel_size=5, channels=2, input_size=40)
    assert model.input_shape == (None, 40, 40, 2) and model.output_shape == (
        None,
        40,
        40,
        2,
    )
    assert [layer.name for layer in model.layers] == ["conv1", "conv2", "conv3"]
    for layer in model.layers:
        (kernel,) = layer.get_weights()
        np.testing.assert_allclose(kernel, np.full((5, 5, 2, 2), 1 / 50))
    random = uniform_conv_stack(30, init="random", channels=8, seed=1)
    kernels = np.stack([layer.get_weights()[0] for layer in random.layers])
    assert kernels.std() == pytest.approx(np.sqrt(2 / 72), rel=0.05)
    same = uniform_conv_stack(30, init="random", channels=8, seed=1)
    np.testing.assert_array_equal(same.layers[7].get_weights()[0], kernels[7])
    other = uniform_conv_stack(30, init="random", channels=8, seed=2)
    assert not np.array_equal(other.layers[7].get_weights()[0], kernels[7])


def test_input_size():
    model = uniform_conv_stack(4)  # field 9, plus FIELD_MARGIN zeros on each side
    assert model.input_shape == (None, 9 + 2 * FIELD_MARGIN, 9 + 2 * FIELD_MARGIN, 1)
    assert uniform_conv_stack(4, input_size=(9, 12)).input_shape == (None, 9, 12, 1)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: uniform_conv_stack(0), ValueError, "depth"),
        (
            lambda: uniform_conv_stack(2, kernel_size=4),
            ValueError,
            "kernel_size must be odd",
        ),
        (lambda: uniform_conv_stack(2, channels=0), ValueError, "channels"),
        (lambda: uniform_conv_stack(2, init="zeros"), ValueError, "init must be"),
        (lambda: uniform_conv_stack(2, activation="nope"), ValueError, "activation"),
        (
            lambda: uniform_conv_stack(5, input_size=10),
            ValueError,
            "input_size must be at least",
        ),
        (
            lambda: uniform_conv_stack(4, input_size=(20, 8)),
            ValueError,
            "input_size must be at least",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
