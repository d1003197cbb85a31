"""The rendered book, page by page, in a real browser (headless Chromium).

Run by `make browser` (part of `make test`) after `make html`. It serves
_build/html on 127.0.0.1, visits every page of _toc.yml and fails on a
JavaScript console error, an image that did not load, math that MathJax did
not render, a request to any other host, or a broken internal link. It saves
a full-page screenshot of every page under _build/screenshots/.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from tests.browser import SCREENSHOTS, blocker, console_recorder
from tests.test_notebooks import toc_files

pytestmark = pytest.mark.browser

PAGES = ["intro", *[entry for entry in toc_files() if entry != "intro"]]


@pytest.fixture(scope="module")
def visits(server, browser):
    """Every page visited once: what the browser saw, keyed by page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    results = {}
    for page_name in PAGES:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        seen = {"console_errors": [], "page_errors": [], "external": []}
        page.route("**/*", blocker(server, seen["external"]))
        page.on("console", console_recorder(seen["console_errors"]))
        page.on(
            "pageerror",
            lambda error, errors=seen["page_errors"]: errors.append(str(error)),
        )
        page.goto(urljoin(server, f"{page_name}.html"), wait_until="load")
        page.wait_for_load_state("networkidle")
        # MathJax 3 typesets after load; wait until it says it is done.
        page.evaluate(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
            " ? MathJax.startup.promise.then(() => true) : true"
        )
        seen["broken_images"] = page.evaluate(
            "() => [...document.images]"
            ".filter(img => !img.complete || img.naturalWidth === 0)"
            ".map(img => img.getAttribute('src'))"
        )
        seen["math_elements"] = page.evaluate(
            "() => document.querySelectorAll('.math, mjx-container').length"
        )
        seen["unrendered_math"] = page.evaluate(
            "() => [...document.querySelectorAll('span.math, div.math')]"
            ".filter(el => !el.querySelector('mjx-container'))"
            ".map(el => el.textContent.slice(0, 60))"
        )
        seen["text"] = page.inner_text("main") if page.query_selector("main") else ""
        seen["links"] = page.evaluate(
            "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"
        )
        screenshot = SCREENSHOTS / f"{page_name.replace('/', '__')}.png"
        page.screenshot(path=str(screenshot), full_page=True)
        seen["screenshot"] = screenshot
        results[page_name] = seen
        context.close()
    return results


@pytest.mark.parametrize("page_name", PAGES)
def test_no_javascript_errors(visits, page_name):
    seen = visits[page_name]
    assert seen["console_errors"] == [] and seen["page_errors"] == [], seen


@pytest.mark.parametrize("page_name", PAGES)
def test_every_image_loads(visits, page_name):
    assert visits[page_name]["broken_images"] == []


@pytest.mark.parametrize("page_name", PAGES)
def test_math_is_rendered_offline(visits, page_name):
    seen = visits[page_name]
    assert seen["unrendered_math"] == [], seen["unrendered_math"]
    raw = re.findall(r"\$\$|\\\(|\\\[|(?<![\w$])\$[^$\s][^$]*\$", seen["text"])
    assert raw == [], f"raw TeX left in the page: {raw[:5]}"


@pytest.mark.parametrize("page_name", PAGES)
def test_no_request_leaves_the_machine(visits, page_name):
    assert visits[page_name]["external"] == []


@pytest.mark.parametrize("page_name", PAGES)
def test_internal_links_resolve(server, visits, page_name):
    broken = []
    for href in visits[page_name]["links"]:
        if not href.startswith(server):
            continue  # external links are not followed (no network)
        url, fragment = urldefrag(href)
        try:
            with urllib.request.urlopen(url) as response:
                body = response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as error:
            broken.append(f"{href} ({error.code})")
            continue
        if fragment and f'id="{fragment}"' not in body:
            broken.append(f"{href} (no #{fragment})")
    assert broken == [], broken


@pytest.mark.parametrize("page_name", PAGES)
def test_screenshot_is_saved(visits, page_name):
    screenshot = visits[page_name]["screenshot"]
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000


def test_the_chapters_have_math_to_render(visits):
    # Guards the math check itself: if no page had math, it would pass vacuously.
    assert sum(seen["math_elements"] for seen in visits.values()) > 0


def test_pages_are_served_from_this_machine_only(server):
    assert urlparse(server).hostname == "127.0.0.1"
