"""Small Keras wrappers: layers that hold given kernels, NumPy in and out, summaries.

Import :mod:`utils` before this module (or before Keras) so that TensorFlow
starts quietly; importing ``utils.layers`` does that for you.
"""

from __future__ import annotations

import keras
import numpy as np

from ._checks import numeric_array, positive_pair

__all__ = ["apply", "conv2d_layer", "count_params", "layer_output", "model_inputs", "summary"]


def conv2d_layer(
    kernels: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    stride: int | tuple[int, int] = 1,
    padding: str = "valid",
    dilation: int | tuple[int, int] = 1,
    activation: str | None = None,
    name: str | None = None,
) -> keras.layers.Conv2D:
    """A built ``keras.layers.Conv2D`` whose weights are the given kernels.

    ``kernels`` has the layout ``(kernel_height, kernel_width, in_channels,
    filters)``, the same as :func:`utils.conv.conv2d`; ``bias`` is
    ``(filters,)`` or ``None`` for a layer without bias. ``padding`` is
    ``"valid"`` or ``"same"``: the two modes Keras ``Conv2D`` offers.
    """
    kernels = numeric_array(
        "kernels", kernels, 4, "(kernel_height, kernel_width, in_channels, filters)"
    )
    kh, kw, in_channels, filters = kernels.shape
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(
            f"padding must be 'valid' or 'same' for a Keras Conv2D; got {padding!r} "
            "(pad explicitly with keras.layers.ZeroPadding2D)"
        )
    weights = [kernels.astype("float32")]
    if bias is not None:
        bias = numeric_array("bias", bias, 1, "(filters,)")
        if bias.shape != (filters,):
            raise ValueError(f"bias must have shape ({filters},), one per filter; got {bias.shape}")
        weights.append(bias.astype("float32"))
    layer = keras.layers.Conv2D(
        filters=filters,
        kernel_size=(kh, kw),
        strides=positive_pair("stride", stride),
        padding=padding.lower(),
        dilation_rate=positive_pair("dilation", dilation),
        activation=activation,
        use_bias=bias is not None,
        name=name,
    )
    layer.build((None, None, None, in_channels))
    layer.set_weights(weights)
    return layer


def apply(layer: keras.layers.Layer | keras.Model, x: np.ndarray) -> np.ndarray:
    """Run a layer or model on a NumPy batch and return a NumPy array.

    ``x`` is cast to float32, the dtype Keras layers compute in by default.
    """
    if not callable(layer) or not isinstance(layer, (keras.layers.Layer, keras.Model)):
        raise TypeError(f"layer must be a Keras layer or model; got {type(layer).__name__}")
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.number):
        raise TypeError(f"x must be a numeric array; got dtype {x.dtype}")
    if x.ndim < 2:
        raise ValueError(f"x must be a batch with a leading batch axis; got shape {x.shape}")
    return keras.ops.convert_to_numpy(layer(x.astype("float32")))


def count_params(layer: keras.layers.Layer | keras.Model) -> int:
    """Number of parameters, weights and biases (trainable and not), of a built layer or model."""
    if not isinstance(layer, (keras.layers.Layer, keras.Model)):
        raise TypeError(f"layer must be a Keras layer or model; got {type(layer).__name__}")
    if not layer.built:
        raise ValueError(
            f"layer {layer.name!r} is not built yet, so it has no weights to count: "
            "call it on an input or give the model a keras.Input first"
        )
    return int(layer.count_params())


def model_inputs(model: keras.Model) -> list:
    """The symbolic inputs of a Sequential or Functional model, or a clear error.

    A subclassed model, or a Sequential model started without ``keras.Input``,
    has no graph to follow layer by layer.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a Keras model; got {type(model).__name__}")
    try:
        inputs = list(model.inputs)
    except (AttributeError, ValueError) as error:
        inputs, cause = [], error
    else:
        cause = None
    if not inputs:
        raise ValueError(
            f"model {model.name!r} has no defined input: start a Sequential model with "
            "keras.Input(shape), or build a Functional model from one (a subclassed model "
            "cannot be followed layer by layer)"
        ) from cause
    return inputs


def layer_output(model: keras.Model, layer: keras.layers.Layer) -> keras.KerasTensor:
    """The single symbolic output of ``layer`` in ``model``, or a clear error.

    A layer that is shared (called more than once) or returns several tensors
    has no single output to probe.
    """
    try:
        output = layer.output
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"layer {layer.name!r} has no single output in model {model.name!r} "
            "(is it shared, or used more than once?)"
        ) from error
    if not isinstance(output, keras.KerasTensor):
        raise ValueError(f"layer {layer.name!r} has several outputs; one is needed")
    return output


def summary(model: keras.Model) -> str:
    """A plain-text summary of a model: one row per layer, then the totals.

    Unlike ``model.summary()``, the text does not depend on the terminal's
    width or colours, so a notebook prints the same characters everywhere.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a Keras model; got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"model {model.name!r} is not built yet: give it a keras.Input first")
    rows = [("Layer (type)", "Output shape", "Param #")]
    for layer in model.layers:
        try:
            shape = str(tuple(layer.output.shape))
        except (AttributeError, ValueError):
            shape = "?"
        rows.append((f"{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params():,}"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]

    def line(row: tuple[str, str, str]) -> str:
        return f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}"

    rule = "-" * len(line(rows[0]))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    total = model.count_params()
    lines = [f'Model: "{model.name}"', rule, line(rows[0]), rule]
    lines += [line(row) for row in rows[1:]]
    lines += [
        rule,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
    ]
    return "\n".join(lines)
