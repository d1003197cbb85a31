"""Fixtures and settings for the unit tests."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # figures are drawn, never shown

import matplotlib.pyplot as plt
import pytest

import utils  # noqa: F401  (configures TensorFlow before any test imports it)
from tests import browser as browser_helpers

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened, so memory stays flat."""
    yield
    plt.close("all")


# The browser tests' fixtures (helpers in tests/browser.py): the built book served on
# 127.0.0.1, and headless Chromium.


@pytest.fixture(scope="module")
def server():
    if not (browser_helpers.HTML / "index.html").is_file():
        pytest.fail("_build/html is missing: run `make html` first")
    with browser_helpers.serve(browser_helpers.HTML) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if browser_helpers.CHROMIUM is None:
        pytest.fail(
            "Chromium is not installed: `make browser` installs Debian's chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=browser_helpers.CHROMIUM, args=browser_helpers.CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
