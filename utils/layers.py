"""Small Keras wrappers: layers that hold given kernels, NumPy in and out, summaries,
and what every layer of a model outputs (:func:`layer_outputs`, drawn by
:func:`show_layer_outputs`).

Import :mod:`utils` before this module (or before Keras) so that TensorFlow
starts quietly; importing ``utils.layers`` does that for you.
"""

from __future__ import annotations

import numbers
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ._checks import numeric_array, positive_int, positive_pair
from .plotting import WINDOW_COLOR, contrast_limits

__all__ = [
    "apply",
    "conv2d_layer",
    "count_params",
    "layer_output",
    "layer_outputs",
    "model_inputs",
    "show_layer_outputs",
    "summary",
]


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
            raise ValueError(
                f"bias must have shape ({filters},), one per filter; got {bias.shape}"
            )
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
        raise TypeError(
            f"layer must be a Keras layer or model; got {type(layer).__name__}"
        )
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.number):
        raise TypeError(f"x must be a numeric array; got dtype {x.dtype}")
    if x.ndim < 2:
        raise ValueError(
            f"x must be a batch with a leading batch axis; got shape {x.shape}"
        )
    return keras.ops.convert_to_numpy(layer(x.astype("float32")))


def count_params(layer: keras.layers.Layer | keras.Model) -> int:
    """Number of parameters, weights and biases (trainable and not), of a built layer or model."""
    if not isinstance(layer, (keras.layers.Layer, keras.Model)):
        raise TypeError(
            f"layer must be a Keras layer or model; got {type(layer).__name__}"
        )
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
        raise ValueError(
            f"model {model.name!r} is not built yet: give it a keras.Input first"
        )
    rows = [("Layer (type)", "Output shape", "Param #")]
    for layer in model.layers:
        try:
            shape = str(tuple(layer.output.shape))
        except (AttributeError, ValueError):
            shape = "?"
        rows.append(
            (
                f"{layer.name} ({type(layer).__name__})",
                shape,
                f"{layer.count_params():,}",
            )
        )
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


def layer_outputs(model: keras.Model, x: Any) -> dict[str, np.ndarray]:
    """The output of every layer of ``model`` for the batch ``x``, keyed by layer name.

    The model must be a Sequential or Functional model with a defined input
    (for example a ``keras.Input`` first). Layers come in the order the model
    runs them; the input layer is skipped. Layers run in inference mode
    (dropout off, batch normalization with its moving statistics).
    """
    inputs = model_inputs(model)
    if len(inputs) == 1:
        expected = tuple(inputs[0].shape)
        x = np.asarray(x)
        # Only the dtype is checked here: the shape is checked next, against the model.
        x = numeric_array("x", x, x.ndim, "")
        fits = x.ndim == len(expected) and all(
            e is None or e == s for e, s in zip(expected[1:], x.shape[1:])
        )
        if not fits:
            layout = (
                "(batch, "
                + ", ".join("?" if e is None else str(e) for e in expected[1:])
                + ")"
            )
            raise ValueError(
                f"x must be a batch of shape {layout} for model {model.name!r}; got shape "
                f"{x.shape} (one sample needs a batch axis: x[None] or x[i:i + 1])"
            )
        x = x.astype(inputs[0].dtype) if x.dtype != inputs[0].dtype else x
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    outputs = [layer_output(model, layer) for layer in layers]
    # One input as a tensor, not a one-element list: Keras warns when the structures differ.
    extractor = keras.Model(
        inputs=inputs[0] if len(inputs) == 1 else model.inputs, outputs=outputs
    )
    values = extractor(x, training=False)
    if len(layers) == 1 and not isinstance(values, (list, tuple)):
        values = [values]
    return {
        layer.name: keras.ops.convert_to_numpy(value)
        for layer, value in zip(layers, values)
    }


def show_layer_outputs(
    model: keras.Model, x: Any, *, max_channels: int = 8, size: float = 1.6
) -> tuple[Figure, list[np.ndarray]]:
    """Follow one input image through every layer of ``model``: one row per layer.

    ``x`` is one image with its batch axis, shape ``(1, height, width,
    channels)``. A layer whose output is a stack of feature maps
    ``(1, height, width, channels)`` gets a row with its first
    ``max_channels`` channels, each with its own contrast, in gray (each
    column's channel number is written once, above its first panel); a layer
    whose output is a vector ``(1, units)`` (``Flatten``, ``Dense``) gets a
    bar chart of its values, and the largest value of the last layer (the
    predicted class) is drawn in red. Each row is labelled with the layer's
    name and output shape.

    Returns the figure and a list with one entry per layer: an array of the
    row's image axes, or a one-element array holding its bar-chart axes.
    """
    max_channels = positive_int("max_channels", max_channels)
    if isinstance(size, bool) or not isinstance(size, numbers.Real) or not size > 0:
        raise ValueError(f"size must be a positive number of inches; got {size!r}")
    model_inputs(model)
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(
            "x must be one image with a batch axis, shape (1, height, width, channels); "
            f"got shape {x.shape} (take x[None] of one image, or x[i:i + 1] of a batch)"
        )
    outputs = layer_outputs(model, x)
    if not outputs:
        raise ValueError(f"model {model.name!r} has no layers to show")

    ncols = max(
        [min(v.shape[-1], max_channels) for v in outputs.values() if v.ndim == 4] + [4]
    )
    heights = [1.0 if v.ndim == 4 else 1.25 for v in outputs.values()]
    fig = plt.figure(
        figsize=(size * ncols + 2.2, size * sum(heights) + 0.3), layout="constrained"
    )
    grid = fig.add_gridspec(len(outputs), ncols, height_ratios=heights)
    rows: list[np.ndarray] = []
    titled: set[int] = set()
    names = list(outputs)
    for r, (name, value) in enumerate(outputs.items()):
        label = f"{name}\n{tuple(value.shape)}"
        if value.ndim == 4:
            shown = min(value.shape[-1], max_channels)
            if shown < value.shape[-1]:
                label += f"\nfirst {shown} of {value.shape[-1]}"
            axes = []
            for c in range(shown):
                ax = fig.add_subplot(grid[r, c])
                fmap = value[0, :, :, c]
                low, high = contrast_limits(fmap)
                ax.imshow(fmap, cmap="gray", vmin=low, vmax=high)
                ax.set_xticks([])
                ax.set_yticks([])
                if c not in titled:  # each column's channel number once, at its top
                    ax.set_title(f"channel {c}", fontsize=8)
                    titled.add(c)
                axes.append(ax)
        else:
            ax = fig.add_subplot(grid[r, :])
            flat = value.reshape(-1)
            colors = ["C0"] * len(flat)
            if name == names[-1] and flat.size > 1:
                colors[int(np.argmax(flat))] = WINDOW_COLOR
            ax.bar(
                np.arange(len(flat)),
                flat,
                width=0.8 if len(flat) <= 64 else 1.0,
                color=colors,
                linewidth=0,
            )
            ax.axhline(0.0, color="0.5", linewidth=0.6)
            ax.set_xlim(-0.7, len(flat) - 0.3)
            if len(flat) <= 20:
                ax.set_xticks(np.arange(len(flat)))
            else:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.tick_params(labelsize=8)
            ax.yaxis.tick_right()
            ax.set_xlabel("unit", fontsize=8, labelpad=1)
            axes = [ax]
        axes[0].set_ylabel(
            label, rotation=0, ha="right", va="center", fontsize=9, labelpad=8
        )
        rows.append(np.array(axes, dtype=object))
    fig.suptitle(f"one input through {model.name!r}, layer by layer", fontsize=10)
    return fig, rows
