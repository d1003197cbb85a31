"""The receptive field of every layer of a Keras 3 image model, computed exactly.

The method is Araujo, Norris and Sim, "Computing Receptive Fields of
Convolutional Neural Networks", Distill, 2019
(https://distill.pub/2019/computing-receptive-fields/). Along one axis, a
layer ``l`` with kernel ``k``, stride ``s``, dilation ``d`` (so that the kernel
covers ``k_eff = d * (k - 1) + 1`` positions) and ``p_before`` zeros added
before its input maps the field of its input ``(r_in, S_in, P_in)`` to::

    r_out = r_in + (k_eff - 1) * S_in      receptive field size
    S_out = S_in * s                       effective stride (the "jump")
    P_out = P_in + p_before * S_in         effective padding

starting from ``r = 1``, ``S = 1``, ``P = 0`` at the input. Output feature
``i`` then sees input positions ``i * S - P`` to ``i * S - P + r - 1``
(inclusive), which may be negative or beyond the input: the field reaches
into the padding. Everything is computed per axis, as ``(height, width)``
pairs.

- :func:`receptive_field`: one :class:`RFRow` per layer, in graph order;
- :func:`receptive_field_of`: the row of one layer, by name;
- :func:`input_region`: the input rows and columns one output feature sees;
- :func:`format_table`: the rows as a plain-text table.

Rules, chosen so that a number is never silently wrong:

- **Padding 'same'** is split as TensorFlow does (the smaller half before),
  which depends on the size ``n`` of the layer's input. The sizes are
  computed from the model's input size with :mod:`utils.arithmetic`. When a
  size is unknown (``None``), the zeros added before are used only if they
  are the same for every ``n``: always when the stride is 1
  (``(k_eff - 1) // 2``), and for example for a 2x2 window with stride 2
  (0); otherwise a ``ValueError`` asks for the input size (pass
  ``input_size=`` or give the model a ``keras.Input`` with a fixed size).
- **Global layers**: ``Flatten``, ``GlobalAveragePooling1D/2D``,
  ``GlobalMaxPooling1D/2D`` and ``GroupNormalization`` (which normalises
  over the whole map), and ``Softmax``, ``LayerNormalization`` and
  ``UnitNormalization`` when their ``axis`` includes every spatial axis, make
  each output depend on every position of their input map, of size ``n``.
  Along the channel axis alone (their default) those three act on each
  position by itself and leave the field unchanged. The last four keep their
  map, but since every unit of it sees the whole input, their row is global
  too: one region, that of feature ``(0, 0)``, stands for every unit. Along
  one spatial axis but not the other, they raise a ``ValueError``. Their row is that of a 'valid' window
  covering the whole map: ``r_out = r_in + (n - 1) * S_in``, ``S`` and ``P``
  unchanged, and ``is_global=True``; its :func:`input_region` at ``(0, 0)``
  is the bounding box of everything the output sees (the padded input).
  This needs ``n``, so an unknown size raises a ``ValueError``. After a
  global layer, every layer (``Dense``, ``Reshape``, ...) keeps that row:
  it cannot see more than its input, which already sees everything.
  ``Dense`` on a spatial map acts on the channels only and changes nothing.
- **Merge layers** (``Add``, ``Subtract``, ``Multiply``, ``Average``,
  ``Maximum``, ``Minimum``, ``Concatenate`` on the channel axis): the
  effective strides of all inputs must agree, otherwise a ``ValueError``
  names the merge layer. The output sees the union of the inputs' regions,
  whose bounding box has ``P = max(P_k)`` and ``r = max(r_k - P_k) + P``:
  the largest ``r`` and the largest ``P`` when the regions are nested, as in
  ResNet and Inception. A merge with a global input is global.
- **Nested models** (a Sequential or Functional model used as a layer) are
  walked through; their layers get rows named ``"outer/inner"`` and the
  nested model a row of its own.
- **The InputLayer** gets no row. 1-D models (``Conv1D``, ``MaxPooling1D``,
  ...) are reported with a height of 1: their rows are ``(1, r)``,
  ``(1, S)``, ``(0, P)``.
- **What the region means**: :func:`input_region` is the box of Araujo et
  al., the input span the feature's computation covers. The feature depends
  on no pixel outside it, and reaches its edges whenever they lie inside the
  input, but not every pixel inside need matter: dilated kernels and strides
  larger than the window leave holes, a strided 'valid' window may leave the
  last rows of its input unused (a later layer's padding then covers them in
  the box), and after ``Cropping`` a later layer's padding may fall on the
  cropped rows.
- **Anything else** raises a ``ValueError`` that names the layer and its
  class: unknown layers (``Lambda``, ``LSTM``, ``UpSampling2D``, ...),
  Keras operations called directly on tensors, layers shared by several
  calls, ``channels_first`` data, models with several inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import keras

from ._checks import non_negative_int, positive_int
from .arithmetic import conv_output_size, effective_kernel_size, same_padding

__all__ = [
    "SUPPORTED_LAYERS",
    "RFRow",
    "format_table",
    "input_region",
    "receptive_field",
    "receptive_field_of",
]

Pair = tuple[int, int]
Size = tuple[int | None, int | None]


@dataclass(frozen=True)
class RFRow:
    """The receptive field of one layer's output, relative to the model input.

    Every pair is ``(height, width)``:

    - ``size``: ``r``, how many input rows and columns one output feature sees;
    - ``stride``: ``S``, how far apart in the input two neighbouring
      features' fields start;
    - ``padding``: ``P``, how far before the input the first feature's field
      starts (negative after cropping), so feature ``(i, j)`` sees rows
      ``i * S_h - P_h`` to ``i * S_h - P_h + r_h - 1``;
    - ``output_size``: the spatial size of the layer's output, with ``None``
      where it is unknown; ``None`` for a global row;
    - ``is_global``: the output has no spatial axes left (``Flatten``,
      global pooling and everything after): its only feature sees the box
      that :func:`input_region` gives for ``(0, 0)``.
    """

    name: str
    layer_class: str
    size: Pair
    stride: Pair
    padding: Pair
    output_size: Size | None = None
    is_global: bool = False


@dataclass(frozen=True)
class _Field:
    """The field of one tensor while the graph is walked (per axis: height, width)."""

    size: Pair
    stride: Pair
    padding: Pair
    spatial: Size | None  # the tensor's (height, width); None once global
    ndim: int  # 1 or 2 spatial axes; 1-D tensors are stored as height 1
    is_global: bool = False


# --- Per-axis arithmetic -------------------------------------------------------------------


def _same_before(n: int | None, k: int, s: int, d: int, where: str) -> tuple[int, int | None]:
    """``(before, after)`` of 'same' padding; ``after`` is None when ``n`` is unknown."""
    if n is not None:
        return same_padding(n, k, s, d)
    k_eff = effective_kernel_size(k, d)
    # total = k_eff - s when s divides n, else k_eff - n % s (clipped at 0): the zeros
    # before are total // 2, which is known without n only if it is one value for all residues.
    options = {max(k_eff - m, 0) // 2 for m in range(1, s + 1)}
    if len(options) == 1:
        return options.pop(), None
    raise ValueError(
        f"{where}: padding 'same' with kernel {k} (covering {k_eff} positions) and stride {s} "
        f"puts {min(options)} to {max(options)} zeros before, depending on the input size, "
        "which is unknown (None) here. The input size is needed: give the model a keras.Input "
        "with a fixed (height, width) or pass input_size=(height, width)"
    )


def _window_axis(
    n: int | None,
    r: int,
    S: int,
    P: int,
    k: int,
    s: int,
    d: int,
    padding: str | tuple[int, int],
    where: str,
) -> tuple[int | None, int, int, int]:
    """``(n_out, r_out, S_out, P_out)`` of a sliding window along one axis."""
    k_eff = effective_kernel_size(k, d)
    if padding == "valid":
        before, after = 0, 0
    elif padding == "same":
        before, after = _same_before(n, k, s, d, where)
    elif padding == "causal":
        before, after = k_eff - 1, 0
    else:
        raise ValueError(f"{where}: padding {padding!r} is not supported")
    n_out = None
    if n is not None:
        try:
            n_out = conv_output_size(n, k, s, (before, after), d)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    return n_out, r + (k_eff - 1) * S, S * s, P + before * S


# --- Layer handlers ------------------------------------------------------------------------


def _describe(layer) -> str:
    return f"layer {layer.name!r} ({type(layer).__name__})"


def _check_channels_last(layer) -> None:
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise ValueError(
            f"{_describe(layer)} uses data_format={layer.data_format!r}; "
            "only 'channels_last' (batch, height, width, channels) is supported"
        )


def _check_ndim(layer, field: _Field, ndim: int) -> None:
    if field.ndim != ndim:
        raise ValueError(
            f"{_describe(layer)} is a {ndim}-D layer but its input has {field.ndim} spatial axes"
        )


def _windowed(layer, field: _Field, kernel, strides, padding, dilation, ndim: int) -> _Field:
    """A convolution or pooling layer: ``kernel``, ``strides``, ``dilation`` per spatial axis."""
    _check_ndim(layer, field, ndim)
    _check_channels_last(layer)
    if ndim == 1:  # 1-D layers: height 1, nothing happens along it
        kernel, strides, dilation = (1, *kernel), (1, *strides), (1, *dilation)
        paddings = ("valid", padding)
    else:
        paddings = (padding, padding)
    where = _describe(layer)
    axes = [
        _window_axis(
            field.spatial[a],
            field.size[a],
            field.stride[a],
            field.padding[a],
            int(kernel[a]),
            int(strides[a]),
            int(dilation[a]),
            paddings[a],
            where,
        )
        for a in range(2)
    ]
    return _Field(
        size=(axes[0][1], axes[1][1]),
        stride=(axes[0][2], axes[1][2]),
        padding=(axes[0][3], axes[1][3]),
        spatial=(axes[0][0], axes[1][0]),
        ndim=field.ndim,
    )


def _conv(ndim: int) -> Callable:
    def handler(layer, field: _Field) -> _Field:
        return _windowed(
            layer,
            field,
            layer.kernel_size,
            layer.strides,
            layer.padding,
            layer.dilation_rate,
            ndim,
        )

    return handler


def _pool(ndim: int) -> Callable:
    def handler(layer, field: _Field) -> _Field:
        return _windowed(
            layer, field, layer.pool_size, layer.strides, layer.padding, (1,) * ndim, ndim
        )

    return handler


def _pad_or_crop(ndim: int, sign: int) -> Callable:
    """ZeroPadding (``sign=+1``: ``P += before * S``) or Cropping (``sign=-1``)."""

    def handler(layer, field: _Field) -> _Field:
        _check_ndim(layer, field, ndim)
        _check_channels_last(layer)
        amounts = layer.padding if sign > 0 else layer.cropping
        pairs = ((0, 0), tuple(amounts)) if ndim == 1 else tuple(tuple(p) for p in amounts)
        spatial = []
        for n, (before, after) in zip(field.spatial, pairs):
            if n is None:
                spatial.append(None)
                continue
            n_out = n + sign * (before + after)
            if n_out < 1:
                raise ValueError(
                    f"{_describe(layer)} crops {before} + {after} from an axis of size {n}"
                )
            spatial.append(n_out)
        padding = tuple(
            P + sign * int(before) * S
            for P, S, (before, _) in zip(field.padding, field.stride, pairs)
        )
        return replace(field, padding=padding, spatial=tuple(spatial))

    return handler


def _collapse(field: _Field, where: str) -> _Field:
    """The field of one output that sees every position of a spatial map."""
    if field.is_global:
        return field
    if any(n is None for n in field.spatial):
        raise ValueError(
            f"{where} makes each output see its whole input, whose size "
            f"{field.spatial} is unknown here. The input size is needed: give the model a "
            "keras.Input with a fixed (height, width) or pass input_size=(height, width)"
        )
    size = tuple(r + (n - 1) * S for r, n, S in zip(field.size, field.spatial, field.stride))
    return _Field(size, field.stride, field.padding, None, field.ndim, is_global=True)


def _global(ndim: int | None) -> Callable:
    def handler(layer, field: _Field) -> _Field:
        if not field.is_global:
            if ndim is not None:
                _check_ndim(layer, field, ndim)
            _check_channels_last(layer)
        return _collapse(field, _describe(layer))

    return handler


def _unchanged(layer, field: _Field) -> _Field:
    return field


def _along_axis(layer, field: _Field) -> _Field:
    """Softmax, LayerNormalization, UnitNormalization: combine values along ``layer.axis``.

    Along the channel axis alone (the default, ``-1``) each position is computed from
    itself, and the field is unchanged; along a spatial axis each output depends on
    every position of the map, as after global pooling.
    """
    if field.is_global:
        return field
    rank = field.ndim + 2  # (batch, [height,] width, channels)
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    spatial = {int(a) % rank for a in axes} & set(range(1, rank - 1))
    if not spatial:
        return field
    if len(spatial) < field.ndim:
        raise ValueError(
            f"{_describe(layer)} combines values along axis {layer.axis}, one spatial axis "
            "but not the other: each output then sees whole rows or whole columns, a field "
            "this calculator does not describe"
        )
    return _collapse(field, f"{_describe(layer)}, over axis {layer.axis},")


def _layer_classes(*names: str) -> list[type]:
    return [getattr(keras.layers, name) for name in names if hasattr(keras.layers, name)]


_HANDLERS: dict[type, Callable] = {}
for _cls in _layer_classes(
    "Activation",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "BatchNormalization",  # at inference: a fixed affine map per channel
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "ActivityRegularization",
    "Rescaling",
    "Normalization",
    "Identity",
    "Dense",
):
    _HANDLERS[_cls] = _unchanged
_HANDLERS.update(
    {
        keras.layers.Conv1D: _conv(1),
        keras.layers.Conv2D: _conv(2),
        keras.layers.DepthwiseConv2D: _conv(2),
        keras.layers.SeparableConv2D: _conv(2),
        keras.layers.MaxPooling1D: _pool(1),
        keras.layers.AveragePooling1D: _pool(1),
        keras.layers.MaxPooling2D: _pool(2),
        keras.layers.AveragePooling2D: _pool(2),
        keras.layers.ZeroPadding1D: _pad_or_crop(1, +1),
        keras.layers.ZeroPadding2D: _pad_or_crop(2, +1),
        keras.layers.Cropping1D: _pad_or_crop(1, -1),
        keras.layers.Cropping2D: _pad_or_crop(2, -1),
        keras.layers.GlobalAveragePooling1D: _global(1),
        keras.layers.GlobalMaxPooling1D: _global(1),
        keras.layers.GlobalAveragePooling2D: _global(2),
        keras.layers.GlobalMaxPooling2D: _global(2),
        keras.layers.Flatten: _global(None),
        # Normalises each group of channels over the whole map: every output sees it all.
        keras.layers.GroupNormalization: _global(None),
        keras.layers.Softmax: _along_axis,
        keras.layers.LayerNormalization: _along_axis,
        keras.layers.UnitNormalization: _along_axis,
    }
)
for _name in ("DepthwiseConv1D", "SeparableConv1D"):
    if hasattr(keras.layers, _name):
        _HANDLERS[getattr(keras.layers, _name)] = _conv(1)

_MERGES = tuple(
    _layer_classes("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")
)

SUPPORTED_LAYERS = tuple(sorted({cls.__name__ for cls in (*_HANDLERS, *_MERGES)}))


def _merge(layer, fields: list[_Field]) -> _Field:
    """The union of the inputs' fields: equal strides required."""
    where = _describe(layer)
    ndims = {f.ndim for f in fields}
    if len(ndims) > 1:
        raise ValueError(f"{where} merges inputs with different numbers of spatial axes")
    spatial = [f for f in fields if not f.is_global]
    if isinstance(layer, keras.layers.Concatenate) and spatial:
        rank = spatial[0].ndim + 2
        if layer.axis not in (-1, rank - 1):
            raise ValueError(
                f"{where} concatenates along axis {layer.axis}, a spatial axis; only the "
                "channel axis (-1) keeps the geometry"
            )
    if spatial and len(spatial) < len(fields):
        # A global input makes the output see everything: use each spatial input's whole map.
        fields = [_collapse(f, where) for f in fields]
    elif spatial:
        strides = [f.stride for f in fields]
        if len(set(strides)) > 1:
            raise ValueError(
                f"{where} merges inputs whose effective strides differ: {strides} "
                "(height, width) per input, so its outputs have no single receptive field"
            )
        sizes = {f.spatial for f in fields}
        known = {s for s in sizes if None not in s}
        if len(known) > 1:
            raise ValueError(f"{where} merges inputs of different spatial sizes: {sorted(known)}")
    padding = tuple(max(f.padding[a] for f in fields) for a in range(2))
    size = tuple(max(f.size[a] - f.padding[a] for f in fields) + padding[a] for a in range(2))
    first = fields[0]
    if first.is_global:
        return _Field(size, first.stride, padding, None, first.ndim, is_global=True)
    spatial_size = next((s for s in (f.spatial for f in fields) if None not in s), first.spatial)
    return _Field(size, first.stride, padding, spatial_size, first.ndim)


# --- Walking the graph ---------------------------------------------------------------------


class _Walker:
    """Propagates fields through a model and records one row per layer call."""

    def __init__(self) -> None:
        self.rows: list[RFRow] = []

    def record(self, prefix: str, op, field: _Field) -> None:
        output_size = None if field.is_global else tuple(field.spatial)
        if field.ndim == 1 and output_size is not None:
            output_size = (1, output_size[1])
        self.rows.append(
            RFRow(
                name=prefix + op.name,
                layer_class=type(op).__name__,
                size=tuple(field.size),
                stride=tuple(field.stride),
                padding=tuple(field.padding),
                output_size=output_size,
                is_global=field.is_global,
            )
        )

    def call(self, op, fields: list[_Field], prefix: str) -> list[_Field]:
        """The fields of ``op``'s outputs, recording rows on the way."""
        if isinstance(op, keras.Model):
            outputs = self.model(op, fields, prefix + op.name + "/")
            if len(outputs) == 1:
                self.record(prefix, op, outputs[0])
            return outputs
        handler = _HANDLERS.get(type(op))
        if type(op) in _MERGES:
            field = _merge(op, fields)
        elif len(fields) == 1 and (handler is not None or fields[0].is_global):
            field = fields[0] if fields[0].is_global else handler(op, fields[0])
        elif all(f.is_global for f in fields) and fields:
            field = _merge_globals(fields)
        else:
            kind = "Keras operation" if not isinstance(op, keras.layers.Layer) else "layer"
            raise ValueError(
                f"{kind} {op.name!r} ({type(op).__name__}) is not supported by "
                "receptive_field: its geometry is unknown. Supported layers: "
                + ", ".join(SUPPORTED_LAYERS)
                + ", and nested Sequential or Functional models"
            )
        self.record(prefix, op, field)
        return [field]

    def model(self, model, fields: list[_Field], prefix: str) -> list[_Field]:
        if isinstance(model, keras.Sequential):
            (field,) = fields
            for layer in model.layers:
                (field,) = self.call(layer, [field], prefix)
            return [field]
        if not hasattr(model, "_nodes_by_depth"):
            raise ValueError(
                f"model {model.name!r} ({type(model).__name__}) is a subclassed model with no "
                "graph of layers to walk: build it with keras.Sequential or the functional API"
            )
        if len(model.inputs) != len(fields):
            raise ValueError(f"model {model.name!r} has {len(model.inputs)} inputs")
        tensors = {id(x): f for x, f in zip(model.inputs, fields)}
        nodes = [
            node
            for depth in sorted(model._nodes_by_depth, reverse=True)
            for node in model._nodes_by_depth[depth]
            if node.operation is not None and not node.is_input
        ]
        seen: set[int] = set()
        for node in nodes:
            op = node.operation
            if id(op) in seen:
                raise ValueError(
                    f"{_describe(op)} is called more than once in model {model.name!r} "
                    "(a shared layer): each call has its own receptive field, which is not "
                    "supported"
                )
            seen.add(id(op))
            inputs = [tensors[id(x)] for x in node.input_tensors]
            outputs = self.call(op, inputs, prefix)
            if len(outputs) != len(node.outputs):
                raise ValueError(f"{_describe(op)} has {len(node.outputs)} outputs")
            for x, f in zip(node.outputs, outputs):
                tensors[id(x)] = f
        return [tensors[id(x)] for x in model.outputs]


def _merge_globals(fields: list[_Field]) -> _Field:
    padding = tuple(max(f.padding[a] for f in fields) for a in range(2))
    size = tuple(max(f.size[a] - f.padding[a] for f in fields) + padding[a] for a in range(2))
    return _Field(size, fields[0].stride, padding, None, fields[0].ndim, is_global=True)


def _input_field(model, input_size) -> _Field:
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            f"model {model.name!r} is not built, so its input is unknown: "
            "give it a keras.Input(shape=(height, width, channels)) first"
        )
    if len(inputs) != 1:
        raise ValueError(
            f"model {model.name!r} has {len(inputs)} inputs; a receptive field is relative "
            "to one input image"
        )
    shape = tuple(inputs[0].shape)
    if len(shape) == 4:
        ndim, spatial = 2, shape[1:3]
    elif len(shape) == 3:
        ndim, spatial = 1, (1, shape[1])
    else:
        raise ValueError(
            f"model {model.name!r} has input shape {shape}; expected (batch, height, width, "
            "channels) or, for 1-D models, (batch, steps, channels)"
        )
    if input_size is not None:
        if ndim == 1:
            steps = input_size[-1] if isinstance(input_size, (tuple, list)) else input_size
            spatial = (1, steps)
        elif isinstance(input_size, (tuple, list)) and len(input_size) == 2:
            spatial = tuple(input_size)
        else:
            spatial = (input_size, input_size)
        spatial = tuple(None if n is None else positive_int("input_size", n) for n in spatial)
    spatial = tuple(None if n is None else int(n) for n in spatial)
    return _Field((1, 1), (1, 1), (0, 0), spatial, ndim)


# --- Public API ----------------------------------------------------------------------------


def receptive_field(
    model: keras.Model, *, input_size: int | tuple[int | None, int | None] | None = None
) -> list[RFRow]:
    """One :class:`RFRow` per layer of a Sequential or Functional model, in graph order.

    Applies, layer after layer, with ``k_eff = d * (k - 1) + 1``::

        r_out = r_in + (k_eff - 1) * S_in
        S_out = S_in * s
        P_out = P_in + p_before * S_in

    from ``r = 1, S = 1, P = 0`` at the input, per axis ``(height, width)``.
    ``ZeroPadding`` adds ``p_before * S_in`` to ``P``, ``Cropping`` subtracts
    ``crop_before * S_in``; merge layers take the union of their inputs'
    fields. The InputLayer has no row. See the module docstring for global
    layers, merges, 1-D models and unknown sizes.

    ``input_size`` replaces the spatial size of the model's input, for
    example to resolve 'same' padding in a model built with
    ``keras.Input((None, None, 3))``: ``(height, width)``, an int for both,
    or the number of steps of a 1-D model.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a Keras model; got {type(model).__name__}")
    field = _input_field(model, input_size)
    walker = _Walker()
    walker.model(model, [field], "")
    return walker.rows


def receptive_field_of(
    model: keras.Model,
    layer_name: str,
    *,
    input_size: int | tuple[int | None, int | None] | None = None,
) -> RFRow:
    """The :class:`RFRow` of the layer called ``layer_name`` (see :func:`receptive_field`).

    Layers inside a nested model are named ``"outer/inner"``.
    """
    rows = receptive_field(model, input_size=input_size)
    for row in rows:
        if row.name == layer_name:
            return row
    names = ", ".join(repr(row.name) for row in rows)
    raise ValueError(f"model {model.name!r} has no layer named {layer_name!r}; layers: {names}")


def input_region(row: RFRow, i: int, j: int) -> tuple[Pair, Pair]:
    """``((top, bottom), (left, right))``: the input seen by output feature ``(i, j)``.

    Inclusive coordinates ``top = i * S_h - P_h``, ``bottom = top + r_h - 1``,
    and the same for columns with ``j``. They may be negative or beyond the
    input: the field then reaches into the padding. A global row has one
    feature, ``(0, 0)``.
    """
    if not isinstance(row, RFRow):
        raise TypeError(f"row must be an RFRow; got {type(row).__name__}")
    i, j = non_negative_int("i", i), non_negative_int("j", j)
    if row.is_global and (i, j) != (0, 0):
        raise ValueError(
            f"layer {row.name!r} is global: its output has one feature, (0, 0); got ({i}, {j})"
        )
    if row.output_size is not None:
        for name, index, n in (("i", i, row.output_size[0]), ("j", j, row.output_size[1])):
            if n is not None and index >= n:
                raise ValueError(
                    f"{name} must be < {n}, the output size of layer {row.name!r}; got {index}"
                )
    top = i * row.stride[0] - row.padding[0]
    left = j * row.stride[1] - row.padding[1]
    return (top, top + row.size[0] - 1), (left, left + row.size[1] - 1)


_COLUMNS = ("layer", "class", "RF size (h, w)", "stride (h, w)", "padding (h, w)", "output (h, w)")


def _cells(row: RFRow) -> tuple[str, ...]:
    def pair(p) -> str:
        return "(" + ", ".join("?" if v is None else str(v) for v in p) + ")"

    output = (
        "global" if row.is_global else ("?" if row.output_size is None else pair(row.output_size))
    )
    return (
        row.name,
        row.layer_class,
        pair(row.size),
        pair(row.stride),
        pair(row.padding),
        output,
    )


def format_table(rows: Sequence[RFRow]) -> str:
    """The rows as a fixed-width plain-text (ASCII) table.

    Columns: layer, class, receptive field size, effective stride, effective
    padding (each as ``(height, width)``) and the output's spatial size
    (``global`` once the spatial axes are gone).
    """
    rows = list(rows)
    if not all(isinstance(row, RFRow) for row in rows):
        raise TypeError("rows must be RFRow objects, as returned by receptive_field")
    body = [_cells(row) for row in rows]
    widths = [max(len(c[k]) for c in [_COLUMNS, *body]) for k in range(len(_COLUMNS))]

    def line(cells: Sequence[str]) -> str:
        left = [f"{c:<{w}}" for c, w in zip(cells[:2], widths[:2])]
        right = [f"{c:>{w}}" for c, w in zip(cells[2:], widths[2:])]
        return "  ".join(left + right).rstrip()

    rule = "-" * len(line(_COLUMNS))
    text = "\n".join([line(_COLUMNS), rule, *(line(c) for c in body)])
    return text.encode("ascii", "replace").decode("ascii")  # plain ASCII, whatever the names
