"""Convolution arithmetic along one axis: padding amounts and output sizes.

Conventions (TensorFlow/Keras, and Dumoulin and Visin's guide):

- ``n`` is the input length, ``k`` the kernel size, ``s`` the stride and
  ``d`` the dilation along one axis.
- A dilated kernel covers ``k_eff = (k - 1) * d + 1`` input positions.
- ``padding`` is given **per side**: ``p_before`` zeros before the input and
  ``p_after`` after it (CS231n's ``P`` is one side; d2l's ``p`` is the total).

The output length is ``floor((n + p_before + p_after - k_eff) / s) + 1``.
"""

from __future__ import annotations

import math
import numbers

from ._checks import non_negative_int, positive_int

#: What a ``padding`` argument may be: a name, zeros per side, or (before, after).
Padding = str | int | tuple[int, int]

PADDING_NAMES = ("valid", "same", "full")


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """Input positions covered by a dilated kernel: ``(k - 1) * d + 1``."""
    k = positive_int("kernel_size", kernel_size)
    d = positive_int("dilation", dilation)
    return (k - 1) * d + 1


def same_padding(
    n: int, kernel_size: int, stride: int = 1, dilation: int = 1
) -> tuple[int, int]:
    """Zeros TensorFlow/Keras add before and after an axis for ``padding="same"``.

    'same' makes the output length ``ceil(n / s)``. The total padding is the
    smallest that lets the last window fit::

        total = max((ceil(n / s) - 1) * s + k_eff - n, 0)

    which equals ``max(k_eff - s, 0)`` when ``s`` divides ``n`` and
    ``max(k_eff - n % s, 0)`` otherwise. The smaller half goes before
    (top/left): ``before = total // 2``, ``after = total - before``.
    """
    n = positive_int("n", n)
    s = positive_int("stride", stride)
    k_eff = effective_kernel_size(kernel_size, dilation)
    total = max((math.ceil(n / s) - 1) * s + k_eff - n, 0)
    return total // 2, total - total // 2


def padding_amounts(
    n: int,
    kernel_size: int,
    stride: int = 1,
    padding: Padding = "valid",
    dilation: int = 1,
) -> tuple[int, int]:
    """Zeros added ``(before, after)`` one axis, for any form of ``padding``.

    - ``"valid"``: no padding, ``(0, 0)``;
    - ``"same"``: :func:`same_padding`, output length ``ceil(n / s)``;
    - ``"full"``: ``k_eff - 1`` on each side, so every overlap is visited;
    - an int ``p``: ``p`` zeros on each side;
    - a pair ``(before, after)``: exactly those.
    """
    k_eff = effective_kernel_size(kernel_size, dilation)
    positive_int("stride", stride)
    if isinstance(padding, str):
        name = padding.lower()
        if name == "valid":
            return 0, 0
        if name == "same":
            return same_padding(n, kernel_size, stride, dilation)
        if name == "full":
            return k_eff - 1, k_eff - 1
        raise ValueError(
            f"padding must be one of {PADDING_NAMES}, an int or a (before, after) pair; "
            f"got {padding!r}"
        )
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        p = non_negative_int("padding", padding)
        return p, p
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        return (
            non_negative_int("padding[0] (before)", padding[0]),
            non_negative_int("padding[1] (after)", padding[1]),
        )
    raise TypeError(
        f"padding must be one of {PADDING_NAMES}, an int or a (before, after) pair; got {padding!r}"
    )


def conv_output_size(
    n: int,
    kernel_size: int,
    stride: int = 1,
    padding: Padding = "valid",
    dilation: int = 1,
    *,
    strict: bool = False,
) -> int:
    """Output length of a convolution along one axis, as Keras computes it.

    ``floor((n + p_before + p_after - k_eff) / s) + 1``; without padding and
    stride this is ``n - k + 1``. Raises ``ValueError`` when the (padded) input
    is shorter than the kernel, instead of returning 0 or a negative size.

    The classic formula ``OH = (H + 2P - FH) / S + 1`` assumes the division is
    exact. With ``strict=True`` a remainder raises a ``ValueError`` that says
    how many padded positions at the end no window reaches; by default the
    result is floored, as Keras and TensorFlow do.
    """
    n = positive_int("n", n)
    s = positive_int("stride", stride)
    before, after = padding_amounts(n, kernel_size, s, padding, dilation)
    k_eff = effective_kernel_size(kernel_size, dilation)
    padded = n + before + after
    if padded < k_eff:
        raise ValueError(
            f"kernel_size does not fit: the kernel covers {k_eff} positions "
            f"(kernel_size={kernel_size}, dilation={dilation}) but the padded input "
            f"has only {padded} (n={n}, padding={padding!r})"
        )
    remainder = (padded - k_eff) % s
    if strict and remainder:
        left_over = "1 position is" if remainder == 1 else f"{remainder} positions are"
        fixes = f"add {s - remainder}"
        if (
            before + after >= remainder
        ):  # removing zeros is possible only if there are some
            fixes += f" or remove {remainder}"
        raise ValueError(
            f"stride {s} does not divide n + p_before + p_after - k_eff = "
            f"{n} + {before} + {after} - {k_eff} = {padded - k_eff} "
            f"(remainder {remainder}; k_eff = (kernel_size - 1) * dilation + 1): after the "
            f"last full step, {left_over} left over at the end and never covered by a "
            f"window. Keras floors the size to {(padded - k_eff) // s + 1}. To make the "
            f"division exact, {fixes} in total padding, or choose a stride that divides "
            f"{padded - k_eff}"
        )
    return (padded - k_eff) // s + 1


def pool_output_size(
    n: int,
    pool_size: int,
    stride: int | None = None,
    padding: Padding = "valid",
    *,
    strict: bool = False,
) -> int:
    """Output length of a pooling layer along one axis, as Keras computes it.

    Pooling slides a window exactly like a convolution, so the arithmetic is
    :func:`conv_output_size` with ``kernel_size = pool_size``. As in Keras
    ``MaxPool2D``/``AveragePooling2D``, the stride defaults to the pool size:
    ``floor((n - k) / k) + 1`` for 'valid' and ``ceil(n / s)`` for 'same'.
    """
    stride = pool_size if stride is None else stride
    try:
        return conv_output_size(n, pool_size, stride, padding, strict=strict)
    except (ValueError, TypeError) as error:
        raise type(error)(str(error).replace("kernel_size", "pool_size")) from None


def transposed_output_size(
    n: int,
    kernel_size: int,
    stride: int = 1,
    padding: str = "valid",
    output_padding: int | None = None,
    dilation: int = 1,
) -> int:
    """Output length of a transposed convolution along one axis, as Keras computes it.

    Each of the ``n`` inputs spreads over ``k_eff`` outputs, ``s`` apart
    (Keras 3, ``compute_conv_transpose_output_shape``)::

        'valid': (n - 1) * s + k_eff + output_padding
                 (output_padding defaults to max(k_eff, s) - k_eff)
        'same':  n * s                                      (output_padding None)
                 (n - 1) * s + k_eff % 2 + output_padding   (otherwise)

    The result is the input length of the convolution with the same
    ``kernel_size``, ``stride``, ``padding`` and ``dilation`` whose output has
    length ``n``: the transposed convolution goes that convolution's way
    backwards. A stride-``s`` convolution maps ``s`` input lengths to one output
    length; ``output_padding`` (from 0 to ``s - 1``) chooses among them.

    Raises ``ValueError`` when ``output_padding >= stride``, as Keras does, and
    for ``'same'`` with an even ``k_eff`` and ``output_padding=0``: the formula
    then gives ``(n - 1) * s``, from which the convolution makes ``n - 1``
    outputs, not ``n``, so no transposed convolution has that length
    (TensorFlow refuses to compute it).
    """
    n = positive_int("n", n)
    s = positive_int("stride", stride)
    k_eff = effective_kernel_size(kernel_size, dilation)
    name = padding.lower() if isinstance(padding, str) else None
    if name not in ("valid", "same"):
        raise ValueError(
            f"padding must be 'valid' or 'same', as in Keras's Conv2DTranspose; "
            f"got {padding!r}"
        )
    if output_padding is not None:
        op = non_negative_int("output_padding", output_padding)
        if op >= s:
            raise ValueError(
                f"output_padding must be smaller than the stride {s}; got {op}"
            )
    if name == "valid":
        op = max(k_eff, s) - k_eff if output_padding is None else op
        return (n - 1) * s + k_eff + op
    if output_padding is None:
        return n * s
    if k_eff % 2 == 0 and op == 0:
        raise ValueError(
            f"with padding 'same', an even kernel (covering {k_eff} positions) and "
            f"output_padding=0 the length would be (n - 1) * s = {(n - 1) * s}, from "
            f"which the convolution makes {n - 1} outputs, not n = {n}: choose "
            "output_padding >= 1, or None for n * s"
        )
    return (n - 1) * s + k_eff % 2 + op


def _pair(name: str, value: int | tuple[int, int]) -> tuple[int, int]:
    """``(height, width)`` from an int or a pair (values are checked later)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be an int or a (height, width) pair; got {value!r}"
            )
        return value[0], value[1]
    return value, value


def padding_amounts_2d(
    size: int | tuple[int, int],
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: Padding | tuple = "valid",
    dilation: int | tuple[int, int] = 1,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((top, bottom), (left, right))``: :func:`padding_amounts` on each axis.

    ``padding`` is a name or an int for both axes, or per-axis pairs
    ``((top, bottom), (left, right))``. Sizes may be ints or (height, width).
    """
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2 or not all(isinstance(p, (tuple, list)) for p in padding):
            raise ValueError(
                f"padding as a sequence must be ((top, bottom), (left, right)); got {padding!r}"
            )
        per_axis = padding
    else:
        per_axis = (padding, padding)
    args = [
        _pair(name, value)
        for name, value in (
            ("size", size),
            ("kernel_size", kernel_size),
            ("stride", stride),
            ("dilation", dilation),
        )
    ]
    (h, w), (kh, kw), (sh, sw), (dh, dw) = args
    return (
        padding_amounts(h, kh, sh, per_axis[0], dh),
        padding_amounts(w, kw, sw, per_axis[1], dw),
    )


def conv_output_shape(
    size: int | tuple[int, int],
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: Padding | tuple = "valid",
    dilation: int | tuple[int, int] = 1,
    *,
    strict: bool = False,
) -> tuple[int, int]:
    """``(out_height, out_width)``: :func:`conv_output_size` on each axis.

    Every size argument is an int (both axes) or a ``(height, width)`` pair;
    ``padding`` as in :func:`padding_amounts_2d`.
    """
    pads = padding_amounts_2d(size, kernel_size, stride, padding, dilation)
    (h, w), (kh, kw) = _pair("size", size), _pair("kernel_size", kernel_size)
    (sh, sw), (dh, dw) = _pair("stride", stride), _pair("dilation", dilation)
    return (
        conv_output_size(h, kh, sh, pads[0], dh, strict=strict),
        conv_output_size(w, kw, sw, pads[1], dw, strict=strict),
    )


def pool_output_shape(
    size: int | tuple[int, int],
    pool_size: int | tuple[int, int] = 2,
    stride: int | tuple[int, int] | None = None,
    padding: str = "valid",
    *,
    strict: bool = False,
) -> tuple[int, int]:
    """``(out_height, out_width)`` of a Keras pooling layer: :func:`pool_output_size` per axis."""
    (h, w), (kh, kw) = _pair("size", size), _pair("pool_size", pool_size)
    (sh, sw) = (kh, kw) if stride is None else _pair("stride", stride)
    return (
        pool_output_size(h, kh, sh, padding, strict=strict),
        pool_output_size(w, kw, sw, padding, strict=strict),
    )
