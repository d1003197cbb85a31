"""How each kind of Keras layer changes the receptive field, one axis at a time.

A :class:`Field` holds, per axis ``(height, width)``, the field size ``r``, the
effective stride ``S`` and the effective padding ``P`` of one tensor, relative to
the model input. A sliding window with kernel ``k``, stride ``s``, dilation ``d``
(``k_eff = d * (k - 1) + 1``) and ``p_before`` zeros added before its input maps
them to::

    r_out = r_in + (k_eff - 1) * S_in
    S_out = S_in * s
    P_out = P_in + p_before * S_in

:func:`layer_field` applies the rule of one layer; :mod:`utils.receptive_field`
walks a model with it. A layer without a rule raises a ``ValueError`` that names
it and its class, never a wrong number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import keras

from .arithmetic import conv_output_size, effective_kernel_size, same_padding

__all__ = ["SUPPORTED_LAYERS", "Field", "layer_field"]

Pair = tuple[int, int]
Size = tuple[int | None, int | None]

# What the errors ask for when a size is needed and unknown.
_NEED_SIZE = (
    "The input size is needed: give the model a keras.Input with a fixed (height, width) "
    "or pass input_size=(height, width)"
)


@dataclass(frozen=True)
class Field:
    """The field of one tensor: per axis (height, width), ``r``, ``S`` and ``P``.

    ``spatial`` is the tensor's (height, width), ``None`` where unknown, and
    ``None`` altogether once ``is_global``: every output then sees the whole
    input. ``ndim`` is 1 or 2 spatial axes; a 1-D tensor has height 1.
    """

    size: Pair
    stride: Pair
    padding: Pair
    spatial: Size | None
    ndim: int
    is_global: bool = False


# --- Per-axis arithmetic -------------------------------------------------------------------


def _same_before(
    n: int | None, k: int, s: int, d: int, where: str
) -> tuple[int, int | None]:
    """``(before, after)`` of 'same' padding, split as TensorFlow does (smaller half before).

    The split depends on the input size ``n``. When ``n`` is unknown (``None``),
    ``after`` is ``None`` and ``before`` is used only if it is the same for every
    ``n``: always at stride 1, ``(k_eff - 1) // 2``, and for example 0 for a 2x2
    window with stride 2. Otherwise a ``ValueError`` asks for the input size.
    """
    if n is not None:
        return same_padding(n, k, stride=s, dilation=d)
    k_eff = effective_kernel_size(k, d)
    # total = k_eff - s when s divides n, else k_eff - n % s (clipped at 0): the zeros
    # before are total // 2, which is known without n only if it is one value for all residues.
    options = {max(k_eff - m, 0) // 2 for m in range(1, s + 1)}
    if len(options) == 1:
        return options.pop(), None
    raise ValueError(
        f"{where}: padding 'same' with kernel {k} (covering {k_eff} positions) and stride {s} "
        f"puts {min(options)} to {max(options)} zeros before, depending on the input size, "
        f"which is unknown (None) here. {_NEED_SIZE}"
    )


def _window_axis(
    field: Field, axis: int, k: int, s: int, d: int, padding: str, where: str
) -> tuple[int | None, int, int, int]:
    """``(n_out, r_out, S_out, P_out)`` of a sliding window along one axis of ``field``."""
    n, r, S, P = (
        field.spatial[axis],
        field.size[axis],
        field.stride[axis],
        field.padding[axis],
    )
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


# --- Checks --------------------------------------------------------------------------------


def _describe(layer) -> str:
    return f"layer {layer.name!r} ({type(layer).__name__})"


def _check_channels_last(layer) -> None:
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise ValueError(
            f"{_describe(layer)} uses data_format={layer.data_format!r}; "
            "only 'channels_last' (batch, height, width, channels) is supported"
        )


def _check_ndim(layer, field: Field, ndim: int) -> None:
    if field.ndim != ndim:
        raise ValueError(
            f"{_describe(layer)} is a {ndim}-D layer but its input has {field.ndim} spatial axes"
        )
    _check_channels_last(layer)


# --- Windows, padding and cropping ---------------------------------------------------------


def _windowed(layer, field: Field, kernel, dilation, ndim: int) -> Field:
    """A convolution or pooling layer: ``kernel`` and ``dilation`` per spatial axis.

    A 1-D layer works along the width; the height of 1 is left alone.
    """
    _check_ndim(layer, field, ndim)
    strides, padding, where = layer.strides, layer.padding, _describe(layer)
    if ndim == 1:
        kernel, strides, dilation = (1, *kernel), (1, *strides), (1, *dilation)
    paddings = ("valid", padding) if ndim == 1 else (padding, padding)
    axes = [
        _window_axis(
            field,
            a,
            int(kernel[a]),
            int(strides[a]),
            int(dilation[a]),
            paddings[a],
            where,
        )
        for a in range(2)
    ]
    n_out, size, stride, padding = zip(*axes)
    return Field(size, stride, padding, n_out, field.ndim)


def _conv(ndim: int) -> Callable:
    def rule(layer, field: Field) -> Field:
        return _windowed(layer, field, layer.kernel_size, layer.dilation_rate, ndim)

    return rule


def _pool(ndim: int) -> Callable:
    def rule(layer, field: Field) -> Field:
        return _windowed(layer, field, layer.pool_size, (1,) * ndim, ndim)

    return rule


def _pad_or_crop(ndim: int, sign: int) -> Callable:
    """ZeroPadding (``sign=+1``): ``P += before * S``; Cropping (``sign=-1``): ``P -= before * S``.

    ``r`` and ``S`` are unchanged. After cropping ``P`` may be negative: the
    first feature's field then starts inside the input.
    """

    def rule(layer, field: Field) -> Field:
        _check_ndim(layer, field, ndim)
        amounts = layer.padding if sign > 0 else layer.cropping
        pairs = (
            ((0, 0), tuple(amounts)) if ndim == 1 else tuple(tuple(p) for p in amounts)
        )
        spatial = []
        for n, (before, after) in zip(field.spatial, pairs):
            n_out = None if n is None else n + sign * (before + after)
            if n_out is not None and n_out < 1:
                raise ValueError(
                    f"{_describe(layer)} crops {before} + {after} from an axis of size {n}"
                )
            spatial.append(n_out)
        padding = tuple(
            P + sign * int(before) * S
            for P, S, (before, _) in zip(field.padding, field.stride, pairs)
        )
        return replace(field, padding=padding, spatial=tuple(spatial))

    return rule


# --- Layers whose every output sees the whole map ------------------------------------------


def _collapse(field: Field, where: str) -> Field:
    """The field of an output that depends on every position of its input map, of size ``n``.

    It is the field of a 'valid' window covering the whole map:
    ``r_out = r_in + (n - 1) * S_in``, ``S`` and ``P`` unchanged, ``is_global``.
    Its region for feature ``(0, 0)`` is the box of everything the output sees,
    and it stands for every unit of the map. An unknown ``n`` raises a
    ``ValueError``. A field that is already global stays as it is.
    """
    if field.is_global:
        return field
    if any(n is None for n in field.spatial):
        raise ValueError(
            f"{where} makes each output see its whole input, whose size "
            f"{field.spatial} is unknown here. {_NEED_SIZE}"
        )
    size = tuple(
        r + (n - 1) * S for r, n, S in zip(field.size, field.spatial, field.stride)
    )
    return Field(size, field.stride, field.padding, None, field.ndim, is_global=True)


def _global(ndim: int | None) -> Callable:
    """Flatten, global pooling and GroupNormalization (which normalises over the whole map)."""

    def rule(layer, field: Field) -> Field:
        if not field.is_global:
            if ndim is None:
                _check_channels_last(layer)
            else:
                _check_ndim(layer, field, ndim)
        return _collapse(field, _describe(layer))

    return rule


def _along_axis(layer, field: Field) -> Field:
    """Softmax, LayerNormalization, UnitNormalization: combine values along ``layer.axis``.

    Along the channel axis alone (the default, ``-1``) each position is computed from
    itself, and the field is unchanged. Along every spatial axis each output depends
    on every position of the map, as after global pooling. Along one spatial axis but
    not the other, a ``ValueError``: whole rows or columns are a field this calculator
    does not describe.
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


def _unchanged(layer, field: Field) -> Field:
    """Layers that act on each position by itself: the field is their input's."""
    return field


# --- Merges --------------------------------------------------------------------------------


def _merge(layer, fields: list[Field]) -> Field:
    """The union of the inputs' fields (Add, Concatenate on the channels, ...).

    The effective strides must agree, otherwise no single field describes the
    outputs. The union's bounding box has ``P = max(P_k)`` and
    ``r = max(r_k - P_k) + P``: the largest ``r`` and ``P`` when the fields are
    nested, as in ResNet and Inception. A merge with a global input is global.
    """
    where = _describe(layer)
    if len({f.ndim for f in fields}) > 1:
        raise ValueError(
            f"{where} merges inputs with different numbers of spatial axes"
        )
    spatial = [f for f in fields if not f.is_global]
    if isinstance(layer, keras.layers.Concatenate) and spatial:
        if layer.axis not in (-1, spatial[0].ndim + 1):
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
        known = {f.spatial for f in fields if None not in f.spatial}
        if len(known) > 1:
            raise ValueError(
                f"{where} merges inputs of different spatial sizes: {sorted(known)}"
            )
    padding = tuple(max(f.padding[a] for f in fields) for a in range(2))
    size = tuple(
        max(f.size[a] - f.padding[a] for f in fields) + padding[a] for a in range(2)
    )
    first = fields[0]
    if first.is_global:
        return Field(size, first.stride, padding, None, first.ndim, is_global=True)
    spatial_size = next(
        (f.spatial for f in fields if None not in f.spatial), first.spatial
    )
    return Field(size, first.stride, padding, spatial_size, first.ndim)


# --- The rule of each layer class ----------------------------------------------------------


def _layer_classes(*names: str) -> list[type]:
    """The classes of this Keras version among ``names`` (newer ones may be missing)."""
    return [
        getattr(keras.layers, name) for name in names if hasattr(keras.layers, name)
    ]


_RULES: dict[type, Callable] = {
    cls: _unchanged
    for cls in _layer_classes(
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
        "Dense",  # on a spatial map, Dense acts on the channels of each position
    )
}
_RULES.update(
    {cls: _conv(1) for cls in _layer_classes("DepthwiseConv1D", "SeparableConv1D")}
)
_RULES.update(
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
        keras.layers.GroupNormalization: _global(None),
        keras.layers.Softmax: _along_axis,
        keras.layers.LayerNormalization: _along_axis,
        keras.layers.UnitNormalization: _along_axis,
    }
)

_MERGES = tuple(
    _layer_classes(
        "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"
    )
)

#: The names of the layer classes the calculator knows.
SUPPORTED_LAYERS = tuple(sorted({cls.__name__ for cls in (*_RULES, *_MERGES)}))


def layer_field(layer, fields: list[Field]) -> Field:
    """The field of the output of ``layer``, called on tensors whose fields are ``fields``.

    After a global field every layer (``Dense``, ``Reshape``, ...) keeps it: it
    cannot see more than its input, which already sees everything. A layer
    (or a Keras operation called on tensors) with no rule raises a
    ``ValueError`` that names it.
    """
    if type(layer) in _MERGES or (len(fields) > 1 and all(f.is_global for f in fields)):
        return _merge(layer, fields)
    if len(fields) == 1 and fields[0].is_global:
        return fields[0]
    rule = _RULES.get(type(layer))
    if len(fields) == 1 and rule is not None:
        return rule(layer, fields[0])
    kind = "layer" if isinstance(layer, keras.layers.Layer) else "Keras operation"
    raise ValueError(
        f"{kind} {layer.name!r} ({type(layer).__name__}) is not supported by "
        "receptive_field: its geometry is unknown. Supported layers: "
        + ", ".join(SUPPORTED_LAYERS)
        + ", and nested Sequential or Functional models"
    )
