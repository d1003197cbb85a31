"""What each layer of a Keras model costs: parameters, multiply-accumulates, memory.

For one image (batch 1), :func:`layer_costs` gives one :class:`LayerCost` per
layer, from the layer's configuration and the shapes of its input and output:

- ``params``: weights and biases, trainable or not, by the formulas below
  (the tests check them against Keras's ``count_params``);
- ``macs``: the multiply-accumulates of the forward pass, one per product of
  an input value and a weight, added to a sum;
- ``activation_bytes``: the size of the layer's output in float32 (4 bytes a value).
  It depends on how the model is split into layers: a ``Conv2D`` with
  ``activation="relu"`` writes one output, a ``Conv2D`` followed by
  ``BatchNormalization`` and ``ReLU`` layers writes three.

With ``P`` the positions of the output (height x width; 1 for a vector),
``k_h x k_w`` the kernel, ``C`` input channels, ``F`` filters, ``g`` groups
and ``M`` the depth multiplier (``+ F`` only with a bias)::

    Conv2D           params = k_h k_w (C/g) F + F          macs = P k_h k_w (C/g) F
    DepthwiseConv2D  params = k_h k_w C M + C M            macs = P k_h k_w C M
    SeparableConv2D  params = k_h k_w C M + C M F + F      macs = P (k_h k_w C M + C M F)
    Conv2DTranspose  params = k_h k_w F C + F              macs = P_in k_h k_w F C
    Dense            params = C F + F                      macs = P C F
    BatchNorm        params = 2 C, + C for each of scale and center;   macs = 0

Conventions, chosen so that the totals can be compared with the figures the
papers publish (which do not all state what they count): only products with a
weight count. Biases, batch normalisation (which folds into the convolution
before it once the network is trained), activations, pooling (comparisons or
sums, no weights), merges and padding count 0 MACs. A
transposed convolution counts every product its scatter computes
(``P_in`` is the positions of its *input*), including those that 'same'
padding then crops: as many as the convolution whose gradient it is.

Any other layer raises a ``ValueError`` that names it and its class: the
numbers are never silently wrong. :func:`stage_costs` adds the rows up by
resolution, and :func:`format_table` prints rows as a plain-text table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras

from ._tables import text_table
from .layers import layer_output, model_inputs

__all__ = [
    "SUPPORTED_LAYERS",
    "LayerCost",
    "format_table",
    "layer_costs",
    "stage_costs",
    "total_macs",
]

#: Bytes of one float32 value.
FLOAT32_BYTES = 4

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerCost:
    """The cost of one layer (or, from :func:`stage_costs`, of a run of layers).

    ``output_shape`` is the shape of one example's output, without the batch axis.
    """

    name: str
    layer_class: str
    output_shape: Shape
    params: int
    macs: int
    activation_bytes: int


# --- The rule of each layer: (layer, input shape, output shape) -> (params, macs) -----------
# Shapes have the batch axis first (None) and the channels last.


def _positions(shape: Shape) -> int:
    """Positions of a channels-last shape: the product of the axes between batch and channels."""
    return math.prod(shape[1:-1])


def _bias(layer, count: int) -> int:
    return count if layer.use_bias else 0


def _conv(layer, ins: Shape, outs: Shape) -> tuple[int, int]:
    kh, kw = layer.kernel_size
    weights = kh * kw * (ins[-1] // layer.groups) * layer.filters
    return weights + _bias(layer, layer.filters), _positions(outs) * weights


def _depthwise(layer, ins: Shape, outs: Shape) -> tuple[int, int]:
    kh, kw = layer.kernel_size
    channels = ins[-1] * layer.depth_multiplier
    weights = kh * kw * channels
    return weights + _bias(layer, channels), _positions(outs) * weights


def _separable(layer, ins: Shape, outs: Shape) -> tuple[int, int]:
    kh, kw = layer.kernel_size
    channels = ins[-1] * layer.depth_multiplier
    weights = kh * kw * channels + channels * layer.filters
    return weights + _bias(layer, layer.filters), _positions(outs) * weights


def _transpose(layer, ins: Shape, outs: Shape) -> tuple[int, int]:
    kh, kw = layer.kernel_size
    weights = kh * kw * layer.filters * ins[-1]
    return weights + _bias(layer, layer.filters), _positions(ins) * weights


def _dense(layer, ins: Shape, outs: Shape) -> tuple[int, int]:
    weights = ins[-1] * layer.units
    return weights + _bias(layer, layer.units), _positions(outs) * weights


def _batch_norm(layer, ins: Shape, outs: Shape) -> tuple[int, int]:
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    channels = math.prod(ins[a] for a in axes)
    return channels * (2 + int(layer.scale) + int(layer.center)), 0


def _free(layer, ins: Shape, outs: Shape) -> tuple[int, int]:
    return 0, 0


def _layer_classes(*names: str) -> list[type]:
    """The classes of this Keras version among ``names`` (newer ones may be missing)."""
    return [
        getattr(keras.layers, name) for name in names if hasattr(keras.layers, name)
    ]


_RULES: dict[type, Callable[..., tuple[int, int]]] = {
    cls: _free
    for cls in _layer_classes(
        "Activation",
        "ReLU",
        "LeakyReLU",
        "ELU",
        "Softmax",
        "Flatten",
        "Reshape",
        "Add",
        "Subtract",
        "Maximum",
        "Minimum",
        "Concatenate",
        "ZeroPadding2D",
        "Cropping2D",
        "UpSampling2D",
        "Dropout",
        "SpatialDropout2D",
        "GaussianNoise",
        "GaussianDropout",
        "Rescaling",
        "Identity",
        "MaxPooling2D",
        "AveragePooling2D",
        "GlobalAveragePooling2D",
        "GlobalMaxPooling2D",
    )
}
_RULES.update(
    {
        keras.layers.Conv2D: _conv,
        keras.layers.DepthwiseConv2D: _depthwise,
        keras.layers.SeparableConv2D: _separable,
        keras.layers.Conv2DTranspose: _transpose,
        keras.layers.Dense: _dense,
        keras.layers.BatchNormalization: _batch_norm,
    }
)

#: The names of the layer classes the accountant knows.
SUPPORTED_LAYERS = tuple(sorted(cls.__name__ for cls in _RULES))


# --- Walking a model -----------------------------------------------------------------------


def _describe(layer) -> str:
    return f"layer {layer.name!r} ({type(layer).__name__})"


def _fixed_shape(layer, tensor, what: str) -> Shape:
    """The shape of ``tensor`` with the batch axis, every other axis known."""
    shape = tuple(tensor.shape)
    if any(n is None for n in shape[1:]):
        raise ValueError(
            f"{_describe(layer)} has {what} shape {shape}, with unknown (None) axes: "
            "give the model a keras.Input of fixed size to count its cost"
        )
    return shape


def _layer_cost(model: keras.Model, layer, prefix: str) -> LayerCost:
    rule = _RULES.get(type(layer))
    if rule is None:
        raise ValueError(
            f"{_describe(layer)} is not supported by the cost accountant: it has no "
            "rule for its parameters and multiply-accumulates. Supported layers: "
            + ", ".join(SUPPORTED_LAYERS)
            + ", and nested Sequential or Functional models"
        )
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise ValueError(
            f"{_describe(layer)} uses data_format={layer.data_format!r}; only "
            "'channels_last' (batch, height, width, channels) is supported"
        )
    outs = _fixed_shape(layer, layer_output(model, layer), "output")
    ins = outs if rule is _free else _fixed_shape(layer, layer.input, "input")
    params, macs = rule(layer, ins, outs)
    return LayerCost(
        name=prefix + layer.name,
        layer_class=type(layer).__name__,
        output_shape=outs[1:],
        params=params,
        macs=macs,
        activation_bytes=FLOAT32_BYTES * math.prod(outs[1:]),
    )


def layer_costs(model: keras.Model) -> list[LayerCost]:
    """One :class:`LayerCost` per layer of a built Sequential or Functional model.

    The layers come in ``model.layers`` order, without the InputLayer. The
    layers of a nested model come in its place, named ``"outer/inner"``. The
    model needs a fixed input size: the multiply-accumulates depend on it.
    See the module docstring for the formulas and the conventions.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a Keras model; got {type(model).__name__}")
    model_inputs(model)  # a clear error for a model with no defined input
    return _costs(model, "")


def _costs(model: keras.Model, prefix: str) -> list[LayerCost]:
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            rows += _costs(layer, prefix + layer.name + "/")
        else:
            rows.append(_layer_cost(model, layer, prefix))
    return rows


def total_macs(model: keras.Model) -> int:
    """The multiply-accumulates of one forward pass at batch 1: the sum over :func:`layer_costs`."""
    return sum(row.macs for row in layer_costs(model))


def _stage_key(row: LayerCost) -> tuple | str:
    """A stage is one resolution; 1x1 and flat outputs (after global pooling) are the head."""
    shape = row.output_shape
    return shape[:2] if len(shape) == 3 and shape[:2] != (1, 1) else "head"


def stage_costs(rows: Sequence[LayerCost]) -> list[LayerCost]:
    """The rows added up by stage: runs of consecutive layers with the same output size.

    A stage is a run of layers whose outputs have the same height and width;
    outputs of one pixel or without spatial axes (after global pooling or
    ``Flatten``) make the last stage, the head. A ``ZeroPadding2D`` joins the
    stage of the layer after it, which it pads. Each stage's row is named after
    its last layer, has that layer's output shape, ``"<n> layers"`` as its
    class (``"1 layer"`` for one), and the sums of the parameters, MACs and activation bytes.
    """
    rows = _checked_rows(rows)
    stages: list[list[LayerCost]] = []
    current: list[LayerCost] = []
    pending: list[LayerCost] = []  # padding layers, waiting for the layer they pad
    for row in rows:
        if row.layer_class == "ZeroPadding2D":
            pending.append(row)
            continue
        if current and _stage_key(row) != _stage_key(current[-1]):
            stages.append(current)
            current = []
        current += [*pending, row]
        pending = []
    if current or pending:
        stages.append(current + pending)
    return [
        LayerCost(
            name=stage[-1].name,
            layer_class=f"{len(stage)} layer{'s' if len(stage) > 1 else ''}",
            output_shape=stage[-1].output_shape,
            params=sum(row.params for row in stage),
            macs=sum(row.macs for row in stage),
            activation_bytes=sum(row.activation_bytes for row in stage),
        )
        for stage in stages
    ]


def _checked_rows(rows: Sequence[LayerCost]) -> list[LayerCost]:
    rows = list(rows)
    if not all(isinstance(row, LayerCost) for row in rows):
        raise TypeError("rows must be LayerCost objects, as returned by layer_costs")
    return rows


_COLUMNS = ("layer", "class", "output", "params", "MACs", "activations (KiB)")


def _cells(row: LayerCost) -> tuple[str, ...]:
    return (
        row.name,
        row.layer_class,
        "x".join(str(n) for n in row.output_shape),
        f"{row.params:,}",
        f"{row.macs:,}",
        f"{row.activation_bytes / 1024:,.1f}",
    )


def format_table(rows: Sequence[LayerCost], *, total: bool = True) -> str:
    """The rows as a fixed-width plain-text (ASCII) table, with a total line.

    Columns: layer, class, output shape (without the batch axis), parameters,
    multiply-accumulates and the output's float32 size in KiB (1,024 bytes).
    The total adds up every column of numbers; its activations are the memory
    needed to keep every layer's output at once. How much of that training keeps
    depends on the framework and on how the model is split into layers (see
    ``activation_bytes`` in the module docstring).
    """
    rows = _checked_rows(rows)
    footer = None
    if total:
        footer = _cells(
            LayerCost(
                "total",
                "",
                (),
                sum(row.params for row in rows),
                sum(row.macs for row in rows),
                sum(row.activation_bytes for row in rows),
            )
        )
    return text_table(_COLUMNS, [_cells(row) for row in rows], left=3, footer=footer)
