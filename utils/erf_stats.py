"""Summaries of an effective receptive field map: its spread in a few numbers.

A map ``p`` (from :mod:`utils.erf`, normalised here to sum to one if it does
not) is a probability distribution over pixel coordinates ``(i, j)``:

- :func:`erf_std`: its standard deviation along rows and along columns;
- :func:`fit_gaussian`: the axis-aligned 2-D Gaussian closest to it, and how
  much of the map that Gaussian explains;
- :func:`radius_for_mass`: the radius of the smallest disc around its centre
  of mass that holds a given share of it.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from ._checks import numeric_array

__all__ = ["erf_std", "fit_gaussian", "radius_for_mass"]

# Cumulative masses within this of ``fraction`` count as reaching it (float rounding).
_MASS_TOLERANCE = 1e-12


def _mass_map(erf: Any) -> np.ndarray:
    """``erf`` as a float64 map summing to one, or a clear error."""
    p = numeric_array("erf", erf, 2, "(height, width)").astype(np.float64)
    if p.size == 0:
        raise ValueError(f"erf must not be empty; got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("erf must be finite; it holds NaN or infinity")
    if np.any(p < 0):
        raise ValueError(
            "erf must be non-negative: it is a distribution of mass over pixels"
        )
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


def _gaussian(
    coords: tuple[np.ndarray, np.ndarray], amplitude, r0, c0, sr, sc
) -> np.ndarray:
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
        warnings.simplefilter(
            "ignore", OptimizeWarning
        )  # a delta map has no covariance
        try:
            popt, _ = curve_fit(_gaussian, coords, scaled.ravel(), p0=p0, maxfev=10_000)
        except RuntimeError as error:
            raise ValueError(
                f"the Gaussian fit to erf did not converge: {error}"
            ) from error
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
