"""The rendered book, page by page, in a real browser (headless Chromium).

Run by `make browser` (part of `make test`) after `make html`. It serves
_build/html on 127.0.0.1, visits every page of _toc.yml in both editions (English,
and Korean under ko/) and fails on a JavaScript console error, an image that did
not load, math that MathJax did not render, a request to any other host, or a
broken internal link. It saves a full-page screenshot of every page under
_build/screenshots/ (the Korean pages as ko__*.png, drawn with a Korean font:
`make chromium` installs fonts-nanum). Every page has its edition's `lang` and
links to its counterpart in the other edition (_ext/editions.py);
tests/test_editions_in_browser.py follows those links and searches each edition.
"""

from __future__ import annotations

import re
import subprocess
import urllib.error
import urllib.request
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from tests.browser import SCREENSHOTS, blocker, console_recorder
from tests.test_notebooks import toc_files

pytestmark = pytest.mark.browser

TOC_PAGES = ["intro", *[entry for entry in toc_files() if entry != "intro"]]
# Each edition: where it is in _build/html, its language, and the label of the link
# to it from the other one.
EDITIONS = {"": ("en", "English"), "ko/": ("ko", "한국어")}
PAGES = [f"{edition}{page}" for edition in EDITIONS for page in TOC_PAGES]


def edition_of(page_name: str) -> str:
    return "ko/" if page_name.startswith("ko/") else ""


def counterpart(page_name: str) -> str:
    """The same page in the other edition."""
    if page_name.startswith("ko/"):
        return page_name.removeprefix("ko/")
    return f"ko/{page_name}"


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
        seen["lang"] = page.evaluate("() => document.documentElement.lang")
        seen["edition_links"] = page.evaluate(
            "() => [...document.querySelectorAll('a.edition-link')]"
            ".map(a => [a.href, a.hreflang, a.innerText.trim()])"
        )
        seen["alternates"] = page.evaluate(
            "() => [...document.querySelectorAll('link[rel=alternate][hreflang]')]"
            ".map(link => [link.hreflang, link.href])"
        )
        seen["edition_link_visible"] = page.is_visible("a.edition-link")
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


@pytest.mark.parametrize("page_name", PAGES)
def test_the_page_has_the_language_of_its_edition(visits, page_name):
    language, _ = EDITIONS[edition_of(page_name)]
    assert visits[page_name]["lang"] == language


@pytest.mark.parametrize("page_name", PAGES)
def test_the_page_links_to_its_counterpart(server, visits, page_name):
    """A visible link labelled in the other language, and hreflang alternates, to the
    same page of the other edition (which the visits found working)."""
    other = counterpart(page_name)
    language, _ = EDITIONS[edition_of(page_name)]
    other_language, label = EDITIONS[edition_of(other)]
    url = urljoin(server, f"{other}.html")
    seen = visits[page_name]
    assert seen["edition_links"] == [[url, other_language, label]]
    assert seen["edition_link_visible"]
    assert sorted(seen["alternates"]) == sorted(
        [[language, urljoin(server, f"{page_name}.html")], [other_language, url]]
    )
    assert visits[other]["edition_links"][0][0] == urljoin(server, f"{page_name}.html")


def test_the_korean_pages_are_in_korean(visits):
    # Guards the Korean edition itself: its pages must not be the English ones.
    for page_name in TOC_PAGES:
        korean = visits[f"ko/{page_name}"]["text"]
        hangul = sum("\uac00" <= char <= "\ud7a3" for char in korean)
        english = sum(
            "\uac00" <= char <= "\ud7a3" for char in visits[page_name]["text"]
        )
        assert hangul > max(20, 2 * english), page_name


def test_a_korean_font_draws_the_korean_screenshots():
    fonts = subprocess.run(
        ["fc-list", ":lang=ko", "family"], capture_output=True, text=True, check=False
    ).stdout
    assert fonts.strip(), "no Korean font: `make chromium` installs fonts-nanum"


def test_the_chapters_have_math_to_render(visits):
    # Guards the math check itself: if no page had math, it would pass vacuously.
    assert sum(seen["math_elements"] for seen in visits.values()) > 0


def test_pages_are_served_from_this_machine_only(server):
    assert urlparse(server).hostname == "127.0.0.1"
