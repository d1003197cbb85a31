"""The theoretical receptive field of every layer of a Keras 3 model, computed exactly.

Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill, 2019 (https://distill.pub/2019/computing-receptive-fields/),
give the recurrence that the receptive-field chapter derives: per axis, from ``r = 1``, ``S = 1``,
``P = 0`` at the input, each layer updates the field size ``r``, the effective
stride ``S`` and the effective padding ``P``. :mod:`utils.receptive_field_rules`
holds the rule of each kind of layer; this module walks a model with them.

- :func:`receptive_field`: one :class:`RFRow` per layer, in graph order;
- :func:`receptive_field_of`: the row of one layer, by name;
- :func:`input_region`: the input rows and columns one output feature sees;
- :func:`format_table`: the rows as a plain-text table.

A layer whose geometry is unknown (``Lambda``, ``LSTM``, ``UpSampling2D``, ...),
a shared layer, ``channels_first`` data or a model with several inputs raises a
``ValueError`` that names it: the numbers are never silently wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras

from ._checks import non_negative_int, positive_pair
from ._tables import text_table
from .layers import model_inputs
from .receptive_field_rules import SUPPORTED_LAYERS, Field, Pair, Size, layer_field

__all__ = [
    "SUPPORTED_LAYERS",
    "RFRow",
    "format_table",
    "input_region",
    "receptive_field",
    "receptive_field_of",
]


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
    - ``is_global``: every output sees the whole input (after ``Flatten``,
      global pooling, a normalisation over the whole map, and every layer
      after them): one region, the box that :func:`input_region` gives for
      ``(0, 0)``, stands for every output.
    """

    name: str
    layer_class: str
    size: Pair
    stride: Pair
    padding: Pair
    output_size: Size | None = None
    is_global: bool = False


# --- Walking the graph ---------------------------------------------------------------------


def _as_list(tensors) -> list:
    """``op.input`` and ``op.output`` are a tensor, or a list of them."""
    return list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]


class _Walker:
    """Propagates fields through a model and records one row per layer call."""

    def __init__(self) -> None:
        self.rows: list[RFRow] = []

    def record(self, prefix: str, op, field: Field) -> None:
        output_size = None if field.is_global else tuple(field.spatial)
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

    def call(self, op, fields: list[Field], prefix: str) -> list[Field]:
        """The fields of ``op``'s outputs, recording rows on the way."""
        if isinstance(op, keras.Model):
            outputs = self.model(op, fields, prefix + op.name + "/")
            if len(outputs) == 1:
                self.record(prefix, op, outputs[0])
            return outputs
        field = layer_field(op, fields)
        self.record(prefix, op, field)
        return [field]

    def model(self, model, fields: list[Field], prefix: str) -> list[Field]:
        """Nested models are walked through; their layers' rows are named "outer/inner"."""
        if isinstance(model, keras.Sequential):
            (field,) = fields
            for layer in model.layers:
                (field,) = self.call(layer, [field], prefix)
            return [field]
        if not hasattr(model, "operations"):
            raise ValueError(
                f"model {model.name!r} ({type(model).__name__}) is a subclassed model with no "
                "graph of layers to walk: build it with keras.Sequential or the functional API"
            )
        if len(model.inputs) != len(fields):
            raise ValueError(f"model {model.name!r} has {len(model.inputs)} inputs")
        tensors = {id(x): f for x, f in zip(model.inputs, fields)}

        def field_of(x, user: str) -> Field:
            if id(x) not in tensors:
                raise ValueError(
                    f"{user} takes a tensor from another call of a layer: a layer is called "
                    "more than once (a shared layer, or one first called in another model), "
                    "and each call has its own receptive field, which is not supported"
                )
            return tensors[id(x)]

        # Keras 3 has no public API for the nodes (the calls) of a functional graph, only
        # for its operations: `model.operations` lists them in the order they run, and
        # `op.input` and `op.output` are the tensors of an operation's first call. That is
        # its only call in a model without shared layers, which are refused in field_of.
        for op in model.operations:
            if isinstance(op, keras.layers.InputLayer):
                continue
            where = f"layer {op.name!r} ({type(op).__name__}) in model {model.name!r}"
            outputs = _as_list(op.output)
            results = self.call(
                op, [field_of(x, where) for x in _as_list(op.input)], prefix
            )
            if len(results) != len(outputs):
                raise ValueError(f"{where} has {len(outputs)} outputs")
            tensors.update((id(x), f) for x, f in zip(outputs, results))
        return [
            field_of(x, f"the output of model {model.name!r}") for x in model.outputs
        ]


def _input_field(model: keras.Model, input_size) -> Field:
    """The field at the model's input: ``r = 1``, ``S = 1``, ``P = 0``, and its size."""
    inputs = model_inputs(model)
    if len(inputs) != 1:
        raise ValueError(
            f"model {model.name!r} has {len(inputs)} inputs; a receptive field is relative "
            "to one input image"
        )
    shape = tuple(inputs[0].shape)
    if len(shape) not in (3, 4):
        raise ValueError(
            f"model {model.name!r} has input shape {shape}; expected (batch, height, width, "
            "channels) or, for 1-D models, (batch, steps, channels)"
        )
    ndim = len(shape) - 2
    spatial = shape[1:3] if ndim == 2 else (1, shape[1])
    if input_size is not None:
        height, width = positive_pair("input_size", input_size)
        spatial = (height, width) if ndim == 2 else (1, width)
    spatial = tuple(None if n is None else int(n) for n in spatial)
    return Field((1, 1), (1, 1), (0, 0), spatial, ndim)


# --- Public API ----------------------------------------------------------------------------


def receptive_field(
    model: keras.Model, *, input_size: int | tuple[int, int] | None = None
) -> list[RFRow]:
    """One :class:`RFRow` per layer of a Sequential or Functional model, in graph order.

    Applies, layer after layer, with ``k_eff = d * (k - 1) + 1``::

        r_out = r_in + (k_eff - 1) * S_in
        S_out = S_in * s
        P_out = P_in + p_before * S_in

    from ``r = 1, S = 1, P = 0`` at the input, per axis ``(height, width)``.
    ``ZeroPadding`` adds ``p_before * S_in`` to ``P``, ``Cropping`` subtracts
    ``crop_before * S_in``; merge layers take the union of their inputs'
    fields; after ``Flatten`` or global pooling every output sees the whole
    input. :mod:`utils.receptive_field_rules` gives the rule of every layer in
    :data:`SUPPORTED_LAYERS`. The InputLayer has no row; a nested model has
    one, after the rows of its own layers, named ``"outer/inner"``. A 1-D
    model (``Conv1D``, ...) has height 1: its rows are ``(1, r)``, ``(1, S)``,
    ``(0, P)``.

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
    input_size: int | tuple[int, int] | None = None,
) -> RFRow:
    """The :class:`RFRow` of the layer called ``layer_name`` (see :func:`receptive_field`).

    Layers inside a nested model are named ``"outer/inner"``.
    """
    rows = receptive_field(model, input_size=input_size)
    for row in rows:
        if row.name == layer_name:
            return row
    names = ", ".join(repr(row.name) for row in rows)
    raise ValueError(
        f"model {model.name!r} has no layer named {layer_name!r}; layers: {names}"
    )


def input_region(row: RFRow, i: int, j: int) -> tuple[Pair, Pair]:
    """``((top, bottom), (left, right))``: the input seen by output feature ``(i, j)``.

    Inclusive coordinates ``top = i * S_h - P_h``, ``bottom = top + r_h - 1``,
    and the same for columns with ``j``. They may be negative or beyond the
    input: the field then reaches into the padding. A global row has one
    region, that of feature ``(0, 0)``.

    The feature depends on no pixel outside this box, and reaches its edges
    whenever they lie inside the input, but not every pixel inside need
    matter: dilated kernels and strides larger than the window leave holes,
    and a strided 'valid' window may leave the last rows of its input unused.
    """
    if not isinstance(row, RFRow):
        raise TypeError(f"row must be an RFRow; got {type(row).__name__}")
    i, j = non_negative_int("i", i), non_negative_int("j", j)
    if row.is_global and (i, j) != (0, 0):
        raise ValueError(
            f"layer {row.name!r} is global: its output has one feature, (0, 0); got ({i}, {j})"
        )
    if row.output_size is not None:
        for name, index, n in (
            ("i", i, row.output_size[0]),
            ("j", j, row.output_size[1]),
        ):
            if n is not None and index >= n:
                raise ValueError(
                    f"{name} must be < {n}, the output size of layer {row.name!r}; got {index}"
                )
    top = i * row.stride[0] - row.padding[0]
    left = j * row.stride[1] - row.padding[1]
    return (top, top + row.size[0] - 1), (left, left + row.size[1] - 1)


_COLUMNS = (
    "layer",
    "class",
    "RF size (h, w)",
    "stride (h, w)",
    "padding (h, w)",
    "output (h, w)",
)


def _cells(row: RFRow) -> tuple[str, ...]:
    def pair(p) -> str:
        return "(" + ", ".join("?" if v is None else str(v) for v in p) + ")"

    output = (
        "global"
        if row.is_global
        else ("?" if row.output_size is None else pair(row.output_size))
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
    return text_table(_COLUMNS, [_cells(row) for row in rows], left=2)
