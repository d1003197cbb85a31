"""The effective receptive field (ERF) of a unit, measured by backpropagation.

Luo, Li, Urtasun and Zemel, "Understanding the Effective Receptive Field in
Deep Convolutional Neural Networks" (NeurIPS 2016), define the ERF of an
output unit as the distribution of its gradient over the input pixels:

1. set the gradient of the centre output unit to one and of every other
   output unit to zero;
2. backpropagate to the input, giving ``g[b, i, j, c] = d y_centre / d x[b, i, j, c]``;
3. sum over the input channels ``c`` and average over the batch ``b`` a
   measure of the gradient's size: its absolute value,
   ``m[i, j] = mean_b sum_c |g[b, i, j, c]|``, or its square (its energy),
   ``m[i, j] = mean_b sum_c g[b, i, j, c] ** 2``;
4. normalise: ``erf = m / m.sum()``, a probability map over pixels.

For a stack of ``n`` convolutions of size ``k x k`` with uniform weights and
no nonlinearity, the gradient itself (positive everywhere in the field) is
the ``n``-fold convolution of a ``k x k`` box with itself. By the central
limit theorem it is close to a Gaussian whose variance per axis is
``n (k**2 - 1) / 12`` (the variance of a uniform distribution on ``k``
integers, added ``n`` times). Its standard deviation therefore grows like
``sqrt(n)``, while the theoretical receptive field grows like
``n (k - 1) + 1``: the ERF fills an ever smaller part of the field. With
zero-mean random weights the gradient's sign is random, and it is its
*variance*, the expected squared gradient, that follows the same recursion
(Luo et al.): measure such networks with ``measure="squared"``.

Functions:

- :func:`centre_gradient`: the gradient of the centre unit with respect to the input;
- :func:`erf_map`: that gradient as a map over pixels, absolute or squared;
- :func:`effective_receptive_field`: the two in one call, for any Keras image model;
- :func:`uniform_conv_stack`: the classic experiment, ``depth`` stacked
  convolutions with uniform or random weights;
- :func:`erf_std`, :func:`fit_gaussian`, :func:`radius_for_mass`: one-number
  summaries of a map.

Import :mod:`utils` before this module (or before Keras) so that TensorFlow
starts quietly; importing ``utils.erf`` does that for you.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from scipy.optimize import OptimizeWarning, curve_fit

from ._checks import non_negative_int, numeric_array, positive_int
from .layers import layer_output, model_inputs

__all__ = [
    "FIELD_MARGIN",
    "MEASURES",
    "PROBE_BATCH",
    "centre_gradient",
    "effective_receptive_field",
    "erf_map",
    "erf_std",
    "fit_gaussian",
    "radius_for_mass",
    "uniform_conv_stack",
]

#: Random images in the default probe batch of :func:`effective_receptive_field`.
PROBE_BATCH = 4

#: Zero pixels on each side of the theoretical field in :func:`uniform_conv_stack`.
FIELD_MARGIN = 10

# Cumulative masses within this of ``fraction`` count as reaching it (float rounding).
_MASS_TOLERANCE = 1e-12


# --------------------------------------------------------------------------------------
# Measuring the ERF of a model
# --------------------------------------------------------------------------------------


def _model_input(model: Any) -> keras.KerasTensor:
    """The single symbolic image input of a Sequential or Functional model."""
    inputs = model_inputs(model)
    if len(inputs) != 1:
        raise ValueError(
            f"model must take one image input; model {model.name!r} has {len(inputs)} inputs"
        )
    if len(inputs[0].shape) != 4:
        raise ValueError(
            f"model must take (batch, height, width, channels) images; model {model.name!r} "
            f"has input shape {tuple(inputs[0].shape)}"
        )
    return inputs[0]


def _probe_shape(
    expected: tuple[int | None, ...], input_shape: Any, inputs: np.ndarray | None
) -> tuple[int, int, int]:
    """The (height, width, channels) of the probe images, checked against the model."""
    if input_shape is not None:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
            raise ValueError(
                f"input_shape must be a (height, width, channels) triple; got {input_shape!r}"
            )
        shape = tuple(positive_int(f"input_shape[{i}]", v) for i, v in enumerate(input_shape))
        for axis, (want, got) in enumerate(zip(expected, shape)):
            if want is not None and want != got:
                raise ValueError(
                    f"input_shape {shape} does not match the model's input shape "
                    f"{tuple(expected)} on axis {axis}"
                )
        if inputs is not None and tuple(inputs.shape[1:]) != shape:
            raise ValueError(
                f"inputs has images of shape {tuple(inputs.shape[1:])} but input_shape is {shape}"
            )
        return shape  # type: ignore[return-value]
    if inputs is not None:
        return tuple(int(v) for v in inputs.shape[1:])  # type: ignore[return-value]
    if any(v is None for v in expected):
        raise ValueError(
            f"input_shape is required: the model's input shape {tuple(expected)} leaves the "
            "image size open (None), so give input_shape=(height, width, channels) or inputs"
        )
    return tuple(int(v) for v in expected)  # type: ignore[return-value]


def centre_gradient(
    model: keras.Model,
    input_shape: tuple[int, int, int] | None = None,
    layer_name: str | None = None,
    *,
    inputs: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The gradient of the centre unit with respect to every input value, in float64.

    ``model`` is a Keras 3 Sequential or Functional model with one NHWC image
    input (it must start from a ``keras.Input``). ``layer_name`` chooses the
    layer whose output map is probed; by default the model's output.

    - The probe unit is the centre of the output map, row ``h_out // 2`` and
      column ``w_out // 2``, **summed over the output channels**, so the
      quantity differentiated is ``y = sum_b sum_k out[b, h_out // 2, w_out // 2, k]``.
    - ``tf.GradientTape`` gives ``g = dy / dx`` for every input value, shape
      ``(batch, height, width, channels)``; the images of a batch do not
      interact, so ``g[b]`` is the gradient of image ``b``'s own centre unit.

    The probe images: for a linear network (convolutions, no nonlinearity)
    the gradient does not depend on the input at all. For a nonlinear one it
    does, so the default (``inputs=None``) is a batch of :data:`PROBE_BATCH`
    standard-normal images drawn from ``numpy.random.default_rng(seed)``.
    Pass ``inputs`` (shape ``(batch, height, width, channels)``) to probe
    with your own images instead. The model runs in inference mode
    (``training=False``).

    ``input_shape`` ``(height, width, channels)`` is needed only when the
    model's input leaves the image size open (``None``) and ``inputs`` is not
    given; otherwise the size comes from the model (or from ``inputs``).
    """
    model_input = _model_input(model)
    seed = non_negative_int("seed", seed)
    if layer_name is not None and not isinstance(layer_name, str):
        raise TypeError(f"layer_name must be a layer name (str) or None; got {layer_name!r}")
    if inputs is not None:
        inputs = numeric_array("inputs", inputs, 4, "(batch, height, width, channels)")
        if inputs.shape[0] == 0:
            raise ValueError("inputs must hold at least one image; got an empty batch")
        if not np.all(np.isfinite(inputs)):
            raise ValueError("inputs must be finite; it holds NaN or infinity")
    expected = tuple(model_input.shape[1:])
    shape = _probe_shape(expected, input_shape, inputs)
    if inputs is not None:
        for axis, (want, got) in enumerate(zip(expected, shape)):
            if want is not None and want != got:
                raise ValueError(
                    f"inputs has images of shape {shape} but the model takes "
                    f"{tuple(expected)} (axis {axis} differs)"
                )

    probe_model = model
    if layer_name is not None:
        try:
            layer = model.get_layer(layer_name)
        except ValueError as error:
            names = [lay.name for lay in model.layers]
            raise ValueError(
                f"layer_name {layer_name!r} is not a layer of model {model.name!r}; "
                f"its layers are {names}"
            ) from error
        probe_model = keras.Model(inputs=model_input, outputs=layer_output(model, layer))

    dtype = model_input.dtype or "float32"
    if inputs is None:
        rng = np.random.default_rng(seed)
        inputs = rng.standard_normal((PROBE_BATCH, *shape))
    x = tf.convert_to_tensor(inputs.astype(dtype))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = probe_model(x, training=False)
        if not tf.is_tensor(out) or out.shape.rank != 4:
            where = f"layer {layer_name!r}" if layer_name else f"model {model.name!r}"
            got = tuple(out.shape) if tf.is_tensor(out) else type(out).__name__
            raise ValueError(
                f"the output of {where} must be a (batch, height, width, channels) map to "
                f"have a centre unit; got {got}"
            )
        rows, cols = out.shape[1], out.shape[2]
        target = tf.reduce_sum(out[:, rows // 2, cols // 2, :])
    grad = tape.gradient(target, x)
    if grad is None:
        raise ValueError("the centre unit does not depend on the input: there is no gradient")
    return grad.numpy().astype(np.float64)


#: How :func:`erf_map` turns a gradient into a map: ``|g|`` or ``g ** 2``.
MEASURES = ("absolute", "squared")


def erf_map(gradient: np.ndarray, measure: str = "absolute") -> np.ndarray:
    """A ``(height, width)`` map summing to 1 from an input gradient ``(batch, h, w, c)``.

    - ``measure="absolute"``: ``m[i, j] = mean_b sum_c |g[b, i, j, c]|``, how
      much the unit changes per unit change of the pixel, whatever the sign.
    - ``measure="squared"``: ``m[i, j] = mean_b sum_c g[b, i, j, c] ** 2``,
      the gradient's energy. For zero-mean random weights the gradient at a
      pixel is as often negative as positive, and what follows the same
      recursion as for uniform weights is its variance (Luo et al., 2016):
      averaged over random weights or inputs, this map is that variance.

    The result is ``m / m.sum()``. For one Gaussian-shaped gradient of width
    ``sigma``, the squared map has width ``sigma / sqrt(2)``; conversely, when
    the variance spreads with width ``sigma``, the absolute map, like the
    typical size ``sqrt(variance)``, spreads about ``sqrt(2)`` times wider.

    Raises ``ValueError`` when the gradient is zero everywhere, as happens
    when every ReLU on the way to the centre unit is inactive.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}; got {measure!r}")
    g = numeric_array("gradient", gradient, 4, "(batch, height, width, channels)")
    g = g.astype(np.float64)
    if g.shape[0] == 0:
        raise ValueError("gradient must hold at least one image; got an empty batch")
    per_value = np.abs(g) if measure == "absolute" else g**2
    field = per_value.sum(axis=-1).mean(axis=0)
    total = field.sum()
    if not np.isfinite(total):
        raise ValueError("the gradient overflowed (NaN or infinity); scale the weights down")
    if total == 0:
        raise ValueError(
            "the gradient of the centre unit is zero at every input pixel (dead ReLUs?): "
            "probe with other inputs (a different seed, or more images in inputs)"
        )
    return field / total


def effective_receptive_field(
    model: keras.Model,
    input_shape: tuple[int, int, int] | None = None,
    layer_name: str | None = None,
    *,
    inputs: np.ndarray | None = None,
    seed: int = 0,
    measure: str = "absolute",
) -> np.ndarray:
    """The effective receptive field of the centre unit: a ``(height, width)`` map summing to 1.

    The method of Luo et al. (2016): backpropagate from the centre unit to
    the input (:func:`centre_gradient`, which explains ``model``,
    ``input_shape``, ``layer_name``, ``inputs`` and ``seed``), then turn the
    gradient into a distribution over pixels (:func:`erf_map`, which explains
    ``measure``). Averaging over several probe images keeps a dead ReLU in one
    of them from hiding the field.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}; got {measure!r}")
    gradient = centre_gradient(model, input_shape, layer_name, inputs=inputs, seed=seed)
    return erf_map(gradient, measure)


# --------------------------------------------------------------------------------------
# The classic experiment: a stack of convolutions
# --------------------------------------------------------------------------------------


def uniform_conv_stack(
    depth: int,
    kernel_size: int = 3,
    channels: int = 1,
    *,
    activation: str | None = None,
    init: str = "uniform",
    seed: int = 0,
    input_size: int | None = None,
) -> keras.Sequential:
    """``depth`` stacked ``kernel_size x kernel_size`` convolutions, Luo et al.'s experiment.

    Every layer is a ``Conv2D`` with ``channels`` filters, stride 1,
    ``padding="same"``, no bias, followed by ``activation`` (``None`` for a
    linear stack, or a Keras activation name such as ``"relu"``). The layers
    are named ``conv1``, ..., ``conv{depth}``. The model takes
    ``keras.Input((input_size, input_size, channels))``.

    Weights:

    - ``init="uniform"``: every weight equals ``1 / (k * k * channels)``, so
      each unit is the mean of its window;
    - ``init="random"``: He-style normal weights, standard deviation
      ``sqrt(2 / (k * k * channels))``, drawn from
      ``numpy.random.default_rng(seed)``.

    The theoretical receptive field of a unit is ``depth * (k - 1) + 1``
    pixels wide. ``input_size`` defaults to that field plus
    :data:`FIELD_MARGIN` pixels on each side, so the centre unit's field
    never reaches the zero padding and a map of its ERF shows a frame of
    zeros. ``kernel_size`` must be odd, so that 'same' padding keeps the
    field centred on the unit.
    """
    depth = positive_int("depth", depth)
    k = positive_int("kernel_size", kernel_size)
    if k % 2 == 0:
        raise ValueError(
            f"kernel_size must be odd, so that 'same' padding keeps the field centred; got {k}"
        )
    channels = positive_int("channels", channels)
    seed = non_negative_int("seed", seed)
    if init not in ("uniform", "random"):
        raise ValueError(f"init must be 'uniform' or 'random'; got {init!r}")
    if activation is not None:
        if not isinstance(activation, str):
            raise TypeError(f"activation must be None or an activation name; got {activation!r}")
        try:
            keras.activations.get(activation)
        except ValueError as error:
            raise ValueError(
                f"activation must be None or a Keras activation name; got {activation!r}"
            ) from error
    field = depth * (k - 1) + 1
    if input_size is None:
        size = field + 2 * FIELD_MARGIN
    else:
        size = positive_int("input_size", input_size)
        if size < field:
            raise ValueError(
                f"input_size must be at least the theoretical field, {depth} * ({k} - 1) + 1 = "
                f"{field}, so the centre unit's field stays inside the image; got {size}"
            )

    shape = (k, k, channels, channels)
    fan_in = k * k * channels
    if init == "uniform":
        kernels = [np.full(shape, 1.0 / fan_in, dtype=np.float32)] * depth
    else:
        rng = np.random.default_rng(seed)
        scale = np.sqrt(2.0 / fan_in)
        kernels = [(rng.standard_normal(shape) * scale).astype(np.float32) for _ in range(depth)]
    # The kernels go in as the layers' initial values: no random draw to overwrite.
    layers = [
        keras.layers.Conv2D(
            channels,
            k,
            padding="same",
            use_bias=False,
            activation=activation,
            kernel_initializer=keras.initializers.Constant(kernel),
            name=f"conv{i + 1}",
        )
        for i, kernel in enumerate(kernels)
    ]
    name = f"{init}_stack_{depth}x{k}x{k}"
    model = keras.Sequential([keras.Input((size, size, channels)), *layers], name=name)
    return model


# --------------------------------------------------------------------------------------
# Summaries of an ERF map
# --------------------------------------------------------------------------------------


def _mass_map(erf: Any) -> np.ndarray:
    """``erf`` as a float64 map summing to one, or a clear error."""
    p = numeric_array("erf", erf, 2, "(height, width)").astype(np.float64)
    if p.size == 0:
        raise ValueError(f"erf must not be empty; got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("erf must be finite; it holds NaN or infinity")
    if np.any(p < 0):
        raise ValueError("erf must be non-negative: it is a distribution of mass over pixels")
    total = p.sum()
    if total <= 0:
        raise ValueError("erf must hold some mass; it is zero everywhere")
    return p / total


def _moments(p: np.ndarray) -> tuple[float, float, float, float]:
    """Mean row, mean column and the variances along rows and columns of a mass map."""
    rows = np.arange(p.shape[0], dtype=np.float64)
    cols = np.arange(p.shape[1], dtype=np.float64)
    row_mass, col_mass = p.sum(axis=1), p.sum(axis=0)
    mr, mc = float(row_mass @ rows), float(col_mass @ cols)
    vr = float(row_mass @ (rows - mr) ** 2)
    vc = float(col_mass @ (cols - mc) ** 2)
    return mr, mc, vr, vc


def _fraction(fraction: Any) -> float:
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
        raise TypeError(f"fraction must be a number in (0, 1]; got {fraction!r}")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1]; got {fraction}")
    return float(fraction)


def erf_std(erf: np.ndarray) -> tuple[float, float]:
    """Standard deviation of the map along rows and along columns, in pixels.

    The map ``p`` (normalised to sum to one if it does not) is a probability
    distribution over pixel coordinates ``(i, j)``: with the means
    ``mu_i = sum p[i, j] * i`` and ``mu_j = sum p[i, j] * j``,
    ``std_rows = sqrt(sum p[i, j] * (i - mu_i)**2)`` and likewise for columns.
    For a sampled Gaussian of width ``sigma >= 1`` this equals ``sigma``
    (up to about ``1e-8``); for ``n`` uniform ``k x k`` layers it is exactly
    ``sqrt(n * (k**2 - 1) / 12)``.
    """
    _, _, vr, vc = _moments(_mass_map(erf))
    return float(np.sqrt(vr)), float(np.sqrt(vc))


def _gaussian(coords: tuple[np.ndarray, np.ndarray], amplitude, r0, c0, sr, sc) -> np.ndarray:
    r, c = coords
    return amplitude * np.exp(-0.5 * (((r - r0) / sr) ** 2 + ((c - c0) / sc) ** 2))


def fit_gaussian(erf: np.ndarray) -> dict[str, Any]:
    """Least-squares fit of an axis-aligned 2-D Gaussian to the map.

    The model, with ``(i, j)`` the row and column of a pixel, is::

        G(i, j) = amplitude * exp(-(i - r0)**2 / (2 * sr**2) - (j - c0)**2 / (2 * sc**2))

    fitted with ``scipy.optimize.curve_fit`` to the map normalised to sum to
    one, starting from its moments (centre of mass, :func:`erf_std`, and the
    largest value). Returns a dict with ``centre`` ``(r0, c0)``, ``sigma``
    ``(sr, sc)`` (positive), ``amplitude``, and ``r_squared``, the fraction
    of the map's variance the fit explains:
    ``1 - sum (p - G)**2 / sum (p - mean(p))**2`` (1 for a perfect fit).
    """
    p = _mass_map(erf)
    if p.size < 5:
        raise ValueError(
            f"erf must have at least 5 pixels to fit 5 parameters; got shape {p.shape}"
        )
    mr, mc, vr, vc = _moments(p)
    peak = float(p.max())
    scaled = p / peak  # values near 1 keep the solver's tolerances meaningful
    rows, cols = np.indices(p.shape, dtype=np.float64)
    coords = (rows.ravel(), cols.ravel())
    p0 = [1.0, mr, mc, max(np.sqrt(vr), 0.5), max(np.sqrt(vc), 0.5)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)  # a delta map has no covariance
        try:
            popt, _ = curve_fit(_gaussian, coords, scaled.ravel(), p0=p0, maxfev=10_000)
        except RuntimeError as error:
            raise ValueError(f"the Gaussian fit to erf did not converge: {error}") from error
    amplitude, r0, c0, sr, sc = (float(v) for v in popt)
    fitted = _gaussian((rows, cols), amplitude, r0, c0, sr, sc) * peak
    ss_res = float(((p - fitted) ** 2).sum())
    ss_tot = float(((p - p.mean()) ** 2).sum())
    r_squared = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return {
        "centre": (r0, c0),
        "sigma": (abs(sr), abs(sc)),
        "amplitude": amplitude * peak,
        "r_squared": r_squared,
    }


def radius_for_mass(erf: np.ndarray, fraction: float) -> float:
    """Smallest radius, in pixels, of a disc around the centre of mass holding ``fraction`` of the mass.

    The disc is centred on the centre of mass ``(mu_i, mu_j)`` of the map
    (normalised to sum to one) and holds the pixels whose centres lie within
    Euclidean distance ``r``. Sorting pixels by distance and accumulating
    their mass, the answer is the distance of the first pixel at which the
    running total reaches ``fraction`` (up to rounding, ``1e-12``); it is
    always the distance of some pixel, so ``0.0`` for a single-pixel map.
    ``fraction`` is in ``(0, 1]``, for example 0.68 or 0.95.
    """
    p = _mass_map(erf)
    fraction = _fraction(fraction)
    mr, mc, _, _ = _moments(p)
    rows, cols = np.indices(p.shape, dtype=np.float64)
    distance = np.hypot(rows - mr, cols - mc).ravel()
    order = np.argsort(distance, kind="stable")
    mass = np.cumsum(p.ravel()[order])
    first = int(np.searchsorted(mass, fraction - _MASS_TOLERANCE, side="left"))
    return float(distance[order[min(first, mass.size - 1)]])
