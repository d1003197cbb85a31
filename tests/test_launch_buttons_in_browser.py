"""The launch buttons in a real browser: links, never loads.

Run by `make browser` (part of `make test`). The book is built with the fixture
repository by `make html REPOSITORY=...` in a sandbox (tests/book_build.py), served
on 127.0.0.1, and every notebook page is opened in headless Chromium. With Colab,
Binder, repository and issue buttons on, a page must still make no request to any
other host, on load or when its launch menu is opened, and log no console error;
the opened menu must show the Colab and Binder links of that page's notebook.
A screenshot of the first chapter with its launch menu open goes to
SCREENSHOTS/launch-buttons.png.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from tests import book_build
from tests.browser import SCREENSHOTS, blocker, console_recorder, serve
from tools.toc import toc_notebooks

pytestmark = pytest.mark.browser

FIXTURE = "https://github.com/example-org/cnn-book"
NOTEBOOKS = toc_notebooks()


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    folder = book_build.sandbox(tmp_path_factory.mktemp("book") / "book")
    result = book_build.make(folder, "html", f"REPOSITORY={FIXTURE}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with serve(folder / "_build" / "html") as url:
        yield url


@pytest.fixture(scope="module")
def visits(book, browser):
    """Every notebook page, loaded and then with its launch menu opened."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    results = {}
    for notebook in NOTEBOOKS:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        seen = {"external": [], "console_errors": []}
        page.route("**/*", blocker(book, seen["external"]))
        page.on("console", console_recorder(seen["console_errors"]))
        page.goto(urljoin(book, notebook.replace(".ipynb", ".html")), wait_until="load")
        page.wait_for_load_state("networkidle")
        seen["external_on_load"] = list(seen["external"])
        page.click(".dropdown-launch-buttons .dropdown-toggle")
        menu = page.locator(".dropdown-launch-buttons .dropdown-menu")
        menu.wait_for(state="visible")
        seen["menu"] = menu.evaluate(
            "m => [...m.querySelectorAll('a')]"
            ".filter(a => a.offsetParent !== null).map(a => a.href)"
        )
        page.wait_for_load_state("networkidle")
        if notebook == NOTEBOOKS[0]:
            page.screenshot(path=str(SCREENSHOTS / "launch-buttons.png"))
        results[notebook] = seen
        context.close()
    return results


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_request_leaves_the_machine_with_launch_buttons_on(visits, notebook):
    seen = visits[notebook]
    assert seen["external_on_load"] == [] and seen["external"] == []
    assert seen["console_errors"] == []


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_launch_menu_shows_colab_and_binder_for_this_notebook(visits, notebook):
    assert sorted(visits[notebook]["menu"]) == sorted(
        [
            f"https://colab.research.google.com/github/example-org/cnn-book/blob/main/{notebook}",
            f"https://mybinder.org/v2/gh/example-org/cnn-book/main?urlpath=lab/tree/{notebook}",
        ]
    )
