"""Flattening and the dense (fully-connected) layer from scratch in NumPy.

- :func:`dense_loop`: chapter 5's loop, one product at a time, for one
  example (saved here from the chapter, like :func:`utils.conv.conv2d_loop`);
- :func:`flatten` and :func:`dense`: a feature map to a vector, then
  ``activation(x @ weights + bias)``, as Keras ``Flatten`` and ``Dense``.
  Dense weights are ``(in_features, units)``, Keras's layout.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import numeric_array

__all__ = ["dense", "dense_loop", "flatten"]

ACTIVATIONS = (None, "linear", "relu", "softmax")


def flatten(x: np.ndarray) -> np.ndarray:
    """Each example as one vector, as Keras ``Flatten``.

    ``(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)`` in row-major order: for
    an NHWC feature map, ``y[b, (r * W + q) * C + c] = x[b, r, q, c]``, so the
    channels of one pixel stay next to each other.
    """
    array = np.asarray(x)
    if array.ndim == 0:
        raise ValueError("x must have a batch axis (at least 1-D); got a scalar")
    x = numeric_array("x", array, array.ndim, "(batch, ...)")
    return x.reshape(x.shape[0], math.prod(x.shape[1:]))


def _softmax(z: np.ndarray) -> np.ndarray:
    """``exp(z_k) / sum_j exp(z_j)`` over the last axis, computed stably.

    Subtracting the row maximum first changes nothing mathematically but
    keeps ``exp`` from overflowing.
    """
    z = np.asarray(z)
    z = z.astype(np.promote_types(z.dtype, np.float32), copy=False)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def dense_loop(x: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A dense layer on one example x of shape (in_features,), one product at a time.

    y[k] = bias[k] + sum over f of x[f] * weights[f, k]
    """
    y = np.array(bias, dtype=float)
    for k in range(weights.shape[1]):
        for f in range(weights.shape[0]):
            y[k] += x[f] * weights[f, k]
    return y


def dense(
    x: np.ndarray,
    weights: np.ndarray,
    bias: np.ndarray | None = None,
    activation: str | None = None,
) -> np.ndarray:
    """A fully connected layer, as Keras ``Dense``: ``y = activation(x @ weights + bias)``.

    For example ``b`` and unit ``k``::

        y[b, k] = activation(bias[k] + sum_f x[b, f] * weights[f, k])

    Parameters
    ----------
    x : array of shape ``(batch, in_features)``; :func:`flatten` a feature map first.
    weights : array of shape ``(in_features, units)``: Keras ``Dense``'s kernel.
    bias : optional array of shape ``(units,)``.
    activation : ``None`` or ``"linear"`` (none), ``"relu"`` (``max(z, 0)``) or
        ``"softmax"`` (``exp(z_k) / sum_j exp(z_j)`` over the units, computed
        stably).

    Returns
    -------
    Array of shape ``(batch, units)``.
    """
    x, weights, bias = _dense_arguments(x, weights, bias, activation)
    z = x @ weights  # z[b, k] = sum over f of x[b, f] * weights[f, k]
    if bias is not None:
        z = z + bias
    if activation == "relu":
        return np.maximum(z, 0)
    if activation == "softmax":
        return _softmax(z)
    return z


def _dense_arguments(
    x: np.ndarray, weights: np.ndarray, bias: np.ndarray | None, activation: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Check the arguments of :func:`dense` and return them as arrays.

    Every error names the argument and what was expected.
    """
    array = np.asarray(x)
    x = numeric_array("x", array, array.ndim, "(batch, in_features)")  # the dtype
    if x.ndim != 2:
        raise ValueError(
            f"x must be a 2-D array (batch, in_features); got shape {x.shape} ({x.ndim}-D). "
            f"Use flatten(x) to turn each example into one vector first"
        )
    weights = numeric_array("weights", weights, 2, "(in_features, units)")
    if weights.shape[0] != x.shape[1]:
        raise ValueError(
            f"shape mismatch: x has {x.shape[1]} features (its last axis) but weights "
            f"expect {weights.shape[0]} (their first axis, in_features); weights must "
            f"have shape ({x.shape[1]}, units)"
        )
    units = weights.shape[1]
    if bias is not None:
        bias = numeric_array("bias", bias, 1, "(units,)")
        if bias.shape[0] != units:
            raise ValueError(
                f"bias must have shape ({units},), one per unit; got {bias.shape}"
            )
    if activation is not None and not isinstance(activation, str):
        raise TypeError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")

    return x, weights, bias
