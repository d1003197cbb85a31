"""The effective receptive field (ERF) of a unit, measured by backpropagation.

Luo, Li, Urtasun and Zemel, "Understanding the Effective Receptive Field in
Deep Convolutional Neural Networks" (NeurIPS 2016), define the ERF of an
output unit as the distribution of its gradient over the input pixels:

1. backpropagate from the centre output unit to the input, giving
   ``g[b, i, j, c] = d y_centre / d x[b, i, j, c]`` (:func:`centre_gradient`);
2. sum a measure of its size over the channels ``c`` and average it over the
   batch ``b``, then normalise to sum to one (:func:`erf_map`).

:func:`effective_receptive_field` does both for any Keras image model;
:mod:`utils.erf_stats` summarises a map in a few numbers, and
:mod:`utils.conv_stack` builds the stacks of convolutions Luo et al. measure.

Import :mod:`utils` before this module (or before Keras) so that TensorFlow
starts quietly; importing ``utils.erf`` does that for you.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ._checks import non_negative_int, numeric_array, positive_pair
from .layers import layer_output, model_inputs

__all__ = [
    "MEASURES",
    "PROBE_BATCH",
    "centre_gradient",
    "effective_receptive_field",
    "erf_map",
]

#: Random images in the default probe batch of :func:`centre_gradient`.
PROBE_BATCH = 4

#: How :func:`erf_map` turns a gradient into a map: ``|g|`` or ``g ** 2``.
MEASURES = ("absolute", "squared")


def _model_input(model: Any) -> keras.KerasTensor:
    """The single symbolic image input of a Sequential or Functional model."""
    inputs = model_inputs(model)
    if len(inputs) != 1:
        raise ValueError(
            f"model must take one image input; model {model.name!r} has {len(inputs)} inputs"
        )
    if len(inputs[0].shape) != 4:
        raise ValueError(
            f"model must take (batch, height, width, channels) images; model {model.name!r} "
            f"has input shape {tuple(inputs[0].shape)}"
        )
    return inputs[0]


def _probe_images(
    expected: tuple[int | None, ...], input_size: Any, inputs: Any, seed: int
) -> np.ndarray:
    """``inputs`` checked against the model's ``(height, width, channels)``, or random images."""
    if inputs is not None:
        if input_size is not None:
            raise ValueError(
                "give input_size or inputs, not both: the images fix the size"
            )
        images = numeric_array("inputs", inputs, 4, "(batch, height, width, channels)")
        if images.shape[0] == 0:
            raise ValueError("inputs must hold at least one image; got an empty batch")
        if not np.all(np.isfinite(images)):
            raise ValueError("inputs must be finite; it holds NaN or infinity")
        shape, name = tuple(images.shape[1:]), "inputs has images of shape"
    else:
        size = (
            expected[:2]
            if input_size is None
            else positive_pair("input_size", input_size)
        )
        shape, name = (*size, expected[2]), "input_size gives images of shape"
        if None in shape:
            raise ValueError(
                f"input_size is required: the model's input shape {expected} leaves the image "
                "size open (None), so give input_size=(height, width) or probe images as inputs"
            )
    for axis, (want, got) in enumerate(zip(expected, shape)):
        if want is not None and want != got:
            raise ValueError(
                f"{name} {shape} but the model takes {expected} (axis {axis} differs)"
            )
    if inputs is None:
        images = np.random.default_rng(seed).standard_normal((PROBE_BATCH, *shape))
    return images


def _probe_model(
    model: keras.Model, model_input, layer_name: str | None
) -> keras.Model:
    """``model`` itself, or a model from its input to the output of ``layer_name``."""
    if layer_name is None:
        return model
    if not isinstance(layer_name, str):
        raise TypeError(
            f"layer_name must be a layer name (str) or None; got {layer_name!r}"
        )
    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        names = ", ".join(repr(layer.name) for layer in model.layers)
        raise ValueError(
            f"model {model.name!r} has no layer named {layer_name!r}; layers: {names}"
        ) from None
    return keras.Model(inputs=model_input, outputs=layer_output(model, layer))


def centre_gradient(
    model: keras.Model,
    layer_name: str | None = None,
    *,
    input_size: int | tuple[int, int] | None = None,
    inputs: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The gradient of the centre unit with respect to every input value, in float64.

    ``model`` is a Keras 3 Sequential or Functional model with one NHWC image
    input (it must start from a ``keras.Input``). ``layer_name`` chooses the
    layer whose output map is probed, a layer of ``model`` itself; by default
    the model's output.

    - The probe unit is the centre of the output map, row ``h_out // 2`` and
      column ``w_out // 2``, **summed over the output channels**, so the
      quantity differentiated is ``y = sum_b sum_k out[b, h_out // 2, w_out // 2, k]``.
    - ``tf.GradientTape`` gives ``g = dy / dx`` for every input value, shape
      ``(batch, height, width, channels)``; the images of a batch do not
      interact, so ``g[b]`` is the gradient of image ``b``'s own centre unit.

    The probe images: for a linear network (convolutions, no nonlinearity)
    the gradient does not depend on the input at all. For a nonlinear one it
    does, so the default (``inputs=None``) is a batch of :data:`PROBE_BATCH`
    standard-normal images drawn from ``numpy.random.default_rng(seed)``.
    Pass ``inputs`` (shape ``(batch, height, width, channels)``) to probe
    with your own images instead. The model runs in inference mode
    (``training=False``).

    ``input_size``, ``(height, width)`` or an int for both, is the size of the
    random probe images. It is needed only when the model's input leaves the
    size open (``None``); otherwise it must match the model.
    """
    model_input = _model_input(model)
    seed = non_negative_int("seed", seed)
    probe_model = _probe_model(model, model_input, layer_name)
    images = _probe_images(tuple(model_input.shape[1:]), input_size, inputs, seed)
    x = tf.convert_to_tensor(images.astype(model_input.dtype or "float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = probe_model(x, training=False)
        if not tf.is_tensor(out) or out.shape.rank != 4:
            where = f"layer {layer_name!r}" if layer_name else f"model {model.name!r}"
            got = tuple(out.shape) if tf.is_tensor(out) else type(out).__name__
            raise ValueError(
                f"the output of {where} must be a (batch, height, width, channels) map to "
                f"have a centre unit; got {got}"
            )
        rows, cols = out.shape[1], out.shape[2]
        target = tf.reduce_sum(out[:, rows // 2, cols // 2, :])
    grad = tape.gradient(target, x)
    if grad is None:
        raise ValueError(
            "the centre unit does not depend on the input: there is no gradient"
        )
    return grad.numpy().astype(np.float64)


def erf_map(gradient: np.ndarray, measure: str = "absolute") -> np.ndarray:
    """A ``(height, width)`` map summing to 1 from an input gradient ``(batch, h, w, c)``.

    - ``measure="absolute"``: ``m[i, j] = mean_b sum_c |g[b, i, j, c]|``, how
      much the unit changes per unit change of the pixel, whatever the sign.
    - ``measure="squared"``: ``m[i, j] = mean_b sum_c g[b, i, j, c] ** 2``,
      the gradient's energy. For zero-mean random weights the gradient at a
      pixel is as often negative as positive, and what follows the same
      recursion as for uniform weights is its variance (Luo et al., 2016):
      averaged over random weights or inputs, this map is that variance.

    The result is ``m / m.sum()``. For one Gaussian-shaped gradient of width
    ``sigma``, the squared map has width ``sigma / sqrt(2)``; conversely, when
    the variance spreads with width ``sigma``, the absolute map, like the
    typical size ``sqrt(variance)``, spreads about ``sqrt(2)`` times wider.

    Raises ``ValueError`` when the gradient is zero everywhere, as happens
    when every ReLU on the way to the centre unit is inactive.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}; got {measure!r}")
    g = numeric_array("gradient", gradient, 4, "(batch, height, width, channels)")
    g = g.astype(np.float64)
    if g.shape[0] == 0:
        raise ValueError("gradient must hold at least one image; got an empty batch")
    per_value = np.abs(g) if measure == "absolute" else g**2
    field = per_value.sum(axis=-1).mean(axis=0)
    total = field.sum()
    if not np.isfinite(total):
        raise ValueError(
            "the gradient overflowed (NaN or infinity); scale the weights down"
        )
    if total == 0:
        raise ValueError(
            "the gradient of the centre unit is zero at every input pixel (dead ReLUs?): "
            "probe with other inputs (a different seed, or more images in inputs)"
        )
    return field / total


def effective_receptive_field(
    model: keras.Model,
    layer_name: str | None = None,
    *,
    input_size: int | tuple[int, int] | None = None,
    inputs: np.ndarray | None = None,
    seed: int = 0,
    measure: str = "absolute",
) -> np.ndarray:
    """The effective receptive field of the centre unit: a ``(height, width)`` map summing to 1.

    The method of Luo et al. (2016): backpropagate from the centre unit to
    the input (:func:`centre_gradient`, which explains ``model``,
    ``layer_name``, ``input_size``, ``inputs`` and ``seed``), then turn the
    gradient into a distribution over pixels (:func:`erf_map`, which explains
    ``measure``). Averaging over several probe images keeps a dead ReLU in one
    of them from hiding the field.
    """
    gradient = centre_gradient(
        model, layer_name, input_size=input_size, inputs=inputs, seed=seed
    )
    return erf_map(gradient, measure)
