"""Fixtures and settings for the unit tests."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # figures are drawn, never shown

import matplotlib.pyplot as plt
import pytest

import utils  # noqa: F401  (configures TensorFlow before any test imports it)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened, so memory stays flat."""
    yield
    plt.close("all")
