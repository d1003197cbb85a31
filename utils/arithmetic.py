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


def same_padding(n: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
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
) -> int:
    """Output length of a convolution along one axis, as Keras computes it.

    ``floor((n + p_before + p_after - k_eff) / s) + 1``; without padding and
    stride this is ``n - k + 1``. Raises ``ValueError`` when the (padded) input
    is shorter than the kernel, instead of returning 0 or a negative size.
    """
    n = positive_int("n", n)
    before, after = padding_amounts(n, kernel_size, stride, padding, dilation)
    k_eff = effective_kernel_size(kernel_size, dilation)
    padded = n + before + after
    if padded < k_eff:
        raise ValueError(
            f"kernel_size does not fit: the kernel covers {k_eff} positions "
            f"(kernel_size={kernel_size}, dilation={dilation}) but the padded input "
            f"has only {padded} (n={n}, padding={padding!r})"
        )
    return (padded - k_eff) // stride + 1
