"""The English and Korean editions in headless Chromium: switching and searching.

- The language link of every page (_ext/editions.py) is followed as a reader
  follows it, with JavaScript off (the links are written at build time): from
  each English page to its Korean counterpart and back, landing on the same page
  with the other `lang` and the same chapter number in its heading.
- Each edition's search page finds a word of its own text, typed into its search
  box: "convolution" in English, 합성곱 (convolution) in Korean (Sphinx has no
  Korean search language; the Korean edition's index splits at spaces and
  punctuation, tools/i18n_source.py). The results stay in the edition searched.

Run by `make browser` after `make html`; BOOK_HTML points it at another build.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from tests.browser import SCREENSHOTS, blocker, console_recorder
from tests.test_book_in_browser import TOC_PAGES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    external = []
    context.route("**/*", blocker(server, external))
    yield context.new_page()
    context.close()
    assert external == []


def heading_number(page) -> str:
    """The chapter number of the page's heading ("4." in "4. Pooling"), or ""."""
    heading = page.inner_text("main h1").strip()
    first = heading.split(maxsplit=1)[0] if heading else ""
    return first if first.rstrip(".").isdigit() else ""


@pytest.mark.parametrize("page_name", TOC_PAGES)
def test_the_language_link_goes_to_the_counterpart_and_back(
    server, without_javascript, page_name
):
    page = without_javascript
    english = urljoin(server, f"{page_name}.html")
    korean = urljoin(server, f"ko/{page_name}.html")
    page.goto(english)
    assert page.evaluate("() => document.documentElement.lang") == "en"
    number = heading_number(page)
    link = page.locator("a.edition-link")
    assert link.inner_text().strip() == "한국어"
    with page.expect_navigation():
        link.click()
    assert page.url == korean
    assert page.evaluate("() => document.documentElement.lang") == "ko"
    assert heading_number(page) == number
    link = page.locator("a.edition-link")
    assert link.inner_text().strip() == "English"
    with page.expect_navigation():
        link.click()
    assert page.url == english


SEARCHES = [
    ("", "convolution", "chapters/01_convolution.html", "Search finished"),
    ("ko/", "합성곱", "chapters/01_convolution.html", "검색이 완료"),
]


@pytest.mark.parametrize("edition, word, expected, finished", SEARCHES)
def test_each_edition_searches_its_own_text(
    server, browser, edition, word, expected, finished
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    external, errors = [], []
    page.route("**/*", blocker(server, external))
    page.on("console", console_recorder(errors))
    page.goto(urljoin(server, f"{edition}search.html"))
    box = page.locator(".bd-search-container input[name='q']")
    box.fill(word)
    box.press("Enter")
    summary = page.locator("#search-results .search-summary")
    summary.wait_for()
    page.wait_for_function(
        "text => document.querySelector('#search-results .search-summary')"
        ".textContent.includes(text)",
        arg=finished,
    )
    results = page.eval_on_selector_all(
        "#search-results li a", "links => links.map(a => a.href)"
    )
    name = "en" if not edition else edition.strip("/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"search-{name}.png"))
    context.close()
    assert external == [] and errors == []
    assert urljoin(server, f"{edition}{expected}") in results, results[:10]
    in_korean = [url for url in results if url.startswith(urljoin(server, "ko/"))]
    assert in_korean == (results if edition else [])
