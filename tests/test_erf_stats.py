"""utils.erf_stats: the spread of a map, a Gaussian fit, and the disc holding a share of it."""

from __future__ import annotations

import numpy as np
import pytest

from utils.erf_stats import erf_std, fit_gaussian, radius_for_mass


def embed(
    small: np.ndarray, shape: tuple[int, int], centre: tuple[int, int]
) -> np.ndarray:
    """``small`` (odd sides) placed in a zero map of ``shape`` with its middle at ``centre``."""
    out = np.zeros(shape)
    h, w = small.shape
    r, c = centre[0] - h // 2, centre[1] - w // 2
    out[r : r + h, c : c + w] = small
    return out


def test_fit_gaussian_recovers_a_sampled_gaussian():
    rows, cols = np.indices((48, 64), dtype=float)
    centre, sigma = (22.3, 30.6), (2.5, 4.0)
    g = np.exp(-((rows - centre[0]) ** 2) / (2 * sigma[0] ** 2))
    g *= np.exp(-((cols - centre[1]) ** 2) / (2 * sigma[1] ** 2))
    fit = fit_gaussian(3.0 * g)  # the map is normalised first
    np.testing.assert_allclose(fit["sigma"], sigma, rtol=0.01)
    np.testing.assert_allclose(fit["centre"], centre, atol=0.01)
    assert fit["amplitude"] == pytest.approx(
        1 / g.sum(), rel=1e-4
    )  # the peak, off the grid
    assert fit["r_squared"] > 0.9999
    np.testing.assert_allclose(
        erf_std(g), sigma, rtol=1e-6
    )  # moments = sigma for a Gaussian


def test_mass_of_a_single_pixel():
    erf = np.zeros((9, 9))
    erf[2, 6] = 1.0
    for fraction in (0.01, 0.5, 1.0):
        assert radius_for_mass(erf, fraction) == 0.0


def test_mass_of_a_3x3_box():
    erf = embed(
        np.ones((3, 3)), (11, 11), (4, 7)
    )  # not normalised: the functions do it
    assert radius_for_mass(erf, 0.1) == pytest.approx(
        0.0, abs=1e-12
    )  # centre of mass, rounded
    assert radius_for_mass(erf, 0.5) == pytest.approx(1.0, abs=1e-12)
    assert radius_for_mass(erf, 5 / 9) == pytest.approx(1.0, abs=1e-12)
    assert radius_for_mass(erf, 0.95) == pytest.approx(np.sqrt(2), abs=1e-12)


@pytest.mark.parametrize(
    ("fraction", "radius"),
    # A radius-5 disc holds 81 pixels; by squared distance 0, 1, 2, 4, 5, 8, 9, 10, 13, 16, 17,
    # 18, 20, 25 there are 1, 4, 4, 4, 8, 4, 4, 8, 8, 4, 8, 4, 8, 12 of them.
    [(0.3, np.sqrt(8)), (0.68, np.sqrt(17)), (0.95, 5.0), (1.0, 5.0)],
)
def test_mass_of_a_uniform_disc(fraction, radius):
    rows, cols = np.indices((21, 25))
    erf = ((rows - 8) ** 2 + (cols - 12) ** 2 <= 25).astype(float)
    assert erf.sum() == 81
    assert radius_for_mass(erf, fraction) == pytest.approx(radius, abs=1e-9)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: erf_std(np.ones(3)), ValueError, "erf must be a 2-D array"),
        (lambda: erf_std(-np.ones((3, 3))), ValueError, "erf must be non-negative"),
        (lambda: erf_std(np.zeros((3, 3))), ValueError, "erf must hold some mass"),
        (lambda: erf_std(np.full((3, 3), np.nan)), ValueError, "erf must be finite"),
        (lambda: fit_gaussian(np.ones((2, 2))), ValueError, "at least 5 pixels"),
        (
            lambda: radius_for_mass(np.ones((3, 3)), 0),
            ValueError,
            "fraction must be in",
        ),
        (
            lambda: radius_for_mass(np.ones((3, 3)), 1.5),
            ValueError,
            "fraction must be in",
        ),
        (
            lambda: radius_for_mass(np.ones((3, 3)), "0.5"),
            TypeError,
            "fraction must be a number",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
