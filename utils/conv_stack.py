"""Luo et al.'s experiment: a stack of convolutions whose effective receptive field is known.

With uniform weights and no nonlinearity, the gradient of the centre unit of
``depth`` stacked ``k x k`` convolutions is the ``depth``-fold convolution of a
``k x k`` box with itself: its variance per axis is ``depth (k**2 - 1) / 12``,
while the theoretical field is ``depth (k - 1) + 1`` pixels wide. With
zero-mean random weights, the gradient's variance follows the same recursion.
Measure the stacks with :mod:`utils.erf`.

Import :mod:`utils` before this module (or before Keras) so that TensorFlow
starts quietly; importing ``utils.conv_stack`` does that for you.
"""

from __future__ import annotations

import keras
import numpy as np

from ._checks import non_negative_int, positive_int, positive_pair

__all__ = ["FIELD_MARGIN", "uniform_conv_stack"]

#: Zero pixels on each side of the theoretical field in :func:`uniform_conv_stack`.
FIELD_MARGIN = 10


def uniform_conv_stack(
    depth: int,
    kernel_size: int = 3,
    channels: int = 1,
    *,
    activation: str | None = None,
    init: str = "uniform",
    seed: int = 0,
    input_size: int | tuple[int, int] | None = None,
) -> keras.Sequential:
    """``depth`` stacked ``kernel_size x kernel_size`` convolutions, Luo et al.'s experiment.

    Every layer is a ``Conv2D`` with ``channels`` filters, stride 1,
    ``padding="same"``, no bias, followed by ``activation`` (``None`` for a
    linear stack, or a Keras activation name such as ``"relu"``). The layers
    are named ``conv1``, ..., ``conv{depth}``. The model takes images of
    ``input_size``, ``(height, width)`` or an int for both, with ``channels``
    channels.

    Weights:

    - ``init="uniform"``: every weight equals ``1 / (k * k * channels)``, so
      each unit is the mean of its window;
    - ``init="random"``: He-style normal weights, standard deviation
      ``sqrt(2 / (k * k * channels))``, drawn from
      ``numpy.random.default_rng(seed)``.

    The theoretical receptive field of a unit is ``depth * (k - 1) + 1``
    pixels wide. ``input_size`` defaults to that field plus
    :data:`FIELD_MARGIN` pixels on each side, so the centre unit's field
    never reaches the zero padding and a map of its ERF shows a frame of
    zeros. ``kernel_size`` must be odd, so that 'same' padding keeps the
    field centred on the unit.
    """
    depth = positive_int("depth", depth)
    k = positive_int("kernel_size", kernel_size)
    if k % 2 == 0:
        raise ValueError(
            f"kernel_size must be odd, so that 'same' padding keeps the field centred; got {k}"
        )
    channels = positive_int("channels", channels)
    seed = non_negative_int("seed", seed)
    if init not in ("uniform", "random"):
        raise ValueError(f"init must be 'uniform' or 'random'; got {init!r}")
    if activation is not None:
        if not isinstance(activation, str):
            raise TypeError(
                f"activation must be None or an activation name; got {activation!r}"
            )
        try:
            keras.activations.get(activation)
        except ValueError as error:
            raise ValueError(
                f"activation must be None or a Keras activation name; got {activation!r}"
            ) from error
    field = depth * (k - 1) + 1
    if input_size is None:
        size = (field + 2 * FIELD_MARGIN,) * 2
    else:
        size = positive_pair("input_size", input_size)
        if min(size) < field:
            raise ValueError(
                f"input_size must be at least the theoretical field, {depth} * ({k} - 1) + 1 = "
                f"{field}, so the centre unit's field stays inside the image; got {input_size}"
            )

    shape = (k, k, channels, channels)
    fan_in = k * k * channels
    if init == "uniform":
        kernels = [np.full(shape, 1.0 / fan_in, dtype=np.float32)] * depth
    else:
        rng = np.random.default_rng(seed)
        scale = np.sqrt(2.0 / fan_in)
        kernels = [
            (rng.standard_normal(shape) * scale).astype(np.float32)
            for _ in range(depth)
        ]
    # The kernels go in as the layers' initial values: no random draw to overwrite.
    layers = [
        keras.layers.Conv2D(
            channels,
            k,
            padding="same",
            use_bias=False,
            activation=activation,
            kernel_initializer=keras.initializers.Constant(kernel),
            name=f"conv{i + 1}",
        )
        for i, kernel in enumerate(kernels)
    ]
    name = f"{init}_stack_{depth}x{k}x{k}"
    return keras.Sequential([keras.Input((*size, channels)), *layers], name=name)
