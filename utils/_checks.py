"""Argument checks shared by the modules of ``utils``.

Each check raises an error that names the argument and says what was
expected, so that a learner's mistake never surfaces as a deep NumPy or
TensorFlow traceback.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def _int_at_least(name: str, value: Any, minimum: int, kind: str) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a {kind} int; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be a {kind} int (>= {minimum}); got {value}")
    return int(value)


def positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= 1."""
    return _int_at_least(name, value, 1, "positive")


def non_negative_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= 0."""
    return _int_at_least(name, value, 0, "non-negative")


def positive_pair(name: str, value: Any) -> tuple[int, int]:
    """Return ``(height, width)`` from an int or a pair of ints, each >= 1."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be an int or a (height, width) pair; got {value!r}"
            )
        return positive_int(f"{name}[0]", value[0]), positive_int(
            f"{name}[1]", value[1]
        )
    v = positive_int(name, value)
    return v, v


def numeric_array(name: str, value: Any, ndim: int, layout: str) -> np.ndarray:
    """Return ``value`` as a numeric NumPy array with ``ndim`` axes.

    ``layout`` names the axes for the error message, for example
    ``"(batch, height, width, channels)"``.
    """
    array = np.asarray(value)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric array; got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array {layout}; got shape {array.shape} ({array.ndim}-D)"
        )
    return array
