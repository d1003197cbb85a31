"""tools/i18n.py: the catalogues of the Korean edition, their status and their markup.

On the real catalogues: every up-to-date translation keeps the markup of its English
unit (glued values, labels, reference targets, citation keys, HTML tags, links), and
the book's Korean title is its Korean landing page's. On a small copy of the book
whose catalogues are complete (monkeypatched paths): `status` passes, then reports
an edited English sentence as outdated on its page (a notebook cell, and a block of
a Markdown page, whose key changes with its text), a new cell as untranslated and a
lost glued value as a markup problem, and fails; `sync` keeps the old translation.
"""

from __future__ import annotations

import shutil
import subprocess

import nbformat
import pytest
import yaml

from tests import book_build
from tests.conftest import REPO
from tools import i18n

CATALOGUED = i18n.catalogued()


# --- the markup a translation must keep ----------------------------------------------


ENGLISH = """(sec-example)=
## Example

The {glue:text}`rows:,d` rows of {numref}`fig-rows` (see the
{ref}`padding chapter <chapter-padding>` and {ref}`sec-output-size`), after
{cite:p}`he2016deep, lin2014network`; a {term}`channel <channel>` of the
[glossary](glossary.md).
<div class="conv-explorer" data-n="5"><p>Needs JavaScript.</p></div>"""

KOREAN = """(sec-example)=
## 예

{numref}`fig-rows`의 {glue:text}`rows:,d`개 행({ref}`패딩 장 <chapter-padding>`과
{ref}`sec-output-size` 참고)은 {cite:p}`he2016deep, lin2014network`를 따른다.
[용어집](glossary.md)의 {term}`채널`.
<div class="conv-explorer" data-n="5"><p>자바스크립트가 필요하다.</p></div>"""


def test_markup_is_what_the_build_resolves():
    assert i18n.markup(ENGLISH) == {
        ("glued value", "{glue:text}`rows:,d`"),
        ("label", "sec-example"),
        ("reference", "fig-rows"),
        ("reference", "chapter-padding"),
        ("reference", "sec-output-size"),
        ("citation", "he2016deep"),
        ("citation", "lin2014network"),
        ("HTML tag", '<div class="conv-explorer" data-n="5">'),
        ("HTML tag", "<p>"),
        ("link target", "glossary.md"),
    }


def test_a_faithful_translation_has_no_markup_problem():
    assert i18n.markup_problems(ENGLISH, KOREAN) == []


@pytest.mark.parametrize(
    "old, new, problem",
    [
        ("{glue:text}`rows:,d`", "427", "missing glued value {glue:text}`rows:,d`"),
        ("{glue:text}`rows:,d`", "{glue:text}`rows`", "missing glued value"),
        ("(sec-example)=\n", "", "missing label sec-example"),
        ("(sec-example)=\n", "(sec-example)= ", "missing label sec-example"),
        ("<chapter-padding>", "<chapter-pooling>", "unexpected reference chapter-pool"),
        ("{ref}`sec-output-size`", "출력 크기", "missing reference sec-output-size"),
        (", lin2014network", "", "missing citation lin2014network"),
        (' data-n="5"', "", "missing HTML tag <div class="),
        ("(glossary.md)", "(glossary.html)", "unexpected link target glossary.html"),
    ],
)
def test_a_translation_that_loses_markup_is_reported(old, new, problem):
    assert old in KOREAN
    problems = i18n.markup_problems(ENGLISH, KOREAN.replace(old, new, 1))
    assert any(line.startswith(problem) for line in problems), problems


@pytest.mark.parametrize("page", CATALOGUED)
def test_every_translation_keeps_the_markup_of_its_english(page):
    """Every glued value, label, {numref}/{ref} target and citation key (and HTML tag
    and link target) of an English unit is in its Korean unit, and nothing else."""
    assert i18n.status(page).problems == {}


def test_the_korean_title_is_the_landing_pages():
    english = yaml.safe_load((REPO / "_config.yml").read_text())["title"]
    root = i18n.pages()[0]
    first = i18n.units_of(root)[0]
    assert first.en == f"# {english}", "the landing page's heading is the title"
    title = i18n.translations(i18n.BOOK).get("title")
    heading = i18n.translations(root).get(first.key)
    if title and heading:
        assert heading == f"# {title}"


def test_make_test_checks_the_translations():
    dry_run = subprocess.run(
        ["make", "-n", "--no-print-directory", "-o", book_build.venv_stamp(), "test"],
        cwd=REPO,
        env=book_build.make_env(REPO),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "python -m tools.i18n status" in dry_run


# --- status and sync on a small copy of the book --------------------------------------

CHAPTER = "chapters/04_pooling.ipynb"
TRANSLATED = "\n(번역)"  # what the copy's translations add to the English


def translate_everything(page: str) -> None:
    """Give every unit of the page's catalogue an up-to-date translation."""
    path = i18n.catalogue_path(page)
    data = yaml.safe_load(path.read_text())
    for entry in data["units"]:
        entry["ko"] = entry["en"] + TRANSLATED
        entry["en_sha"] = i18n.sha12(entry["en"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A copy of the book with three pages (intro, chapter 4, glossary) and complete
    catalogues; tools.i18n reads it instead of the repository."""
    for name in ("_config.yml", "references.bib", "intro.md", "glossary.md", CHAPTER):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "_static", tmp_path / "_static")
    toc = {
        "format": "jb-book",
        "root": "intro",
        "parts": [
            {
                "caption": "Building blocks",
                "chapters": [{"file": "chapters/04_pooling"}],
            },
            {"caption": "About this book", "chapters": [{"file": "glossary"}]},
        ],
    }
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    monkeypatch.setattr(i18n, "ROOT", tmp_path)
    monkeypatch.setattr(i18n, "CATALOGUES", tmp_path / "translations" / "ko")
    assert i18n.pages() == ["intro.md", CHAPTER, "glossary.md"]
    for page in i18n.catalogued():
        i18n.sync(page)
        translate_everything(page)
    return tmp_path


def edit_notebook(book, change) -> str:
    """Apply change to the first markdown cell it changes; return the cell's key."""
    path = book / CHAPTER
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and change(cell.source) != cell.source:
            cell.source = change(cell.source)
            nbformat.write(notebook, path)
            return f"cell:{cell.id}"
    raise AssertionError("no markdown cell to edit")


def run_status(capsys) -> tuple[int, str]:
    code = i18n.main(["status"])
    return code, capsys.readouterr().out


def test_a_complete_book_passes(book, capsys):
    assert run_status(capsys) == (0, "every page is fully translated\n")


def test_an_edited_english_sentence_is_outdated_on_its_page(book, capsys):
    key = edit_notebook(book, lambda text: text.replace(" the ", " this ", 1))
    code, out = run_status(capsys)
    assert code == 1
    units = len(i18n.units_of(CHAPTER))
    assert f"{CHAPTER}: 0 of {units} units untranslated, 1 outdated," in out
    assert f"  outdated     {key}  " in out
    assert [line for line in out.splitlines() if line.startswith("  ")] == [
        line for line in out.splitlines() if key in line
    ]
    assert i18n.status(CHAPTER).outdated == [key]
    assert key not in i18n.translations(CHAPTER)  # the edition shows the English
    # sync keeps the translation for the translator to revise: still outdated
    i18n.sync(CHAPTER)
    entry = {e["key"]: e for e in i18n.read_catalogue(CHAPTER)}[key]
    assert entry["ko"].endswith(TRANSLATED) and " this " in entry["en"]
    assert i18n.status(CHAPTER).outdated == [key]
    # revised: a new ko, en_sha emptied; sync records the current English's
    path = i18n.catalogue_path(CHAPTER)
    data = yaml.safe_load(path.read_text())
    (revised,) = [e for e in data["units"] if e["key"] == key]
    revised["ko"] = revised["en"] + TRANSLATED
    revised["en_sha"] = ""
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    i18n.sync(CHAPTER)
    assert run_status(capsys)[0] == 0
    assert key in i18n.translations(CHAPTER)


def test_an_edited_block_of_a_markdown_page_is_outdated_too(book, capsys):
    page = book / "glossary.md"
    text = page.read_text()
    old = "  A stack of inputs processed together;"
    assert text.count(old) == 1
    (before,) = [u for u in i18n.units_of("glossary.md") if old in u.en]
    page.write_text(
        text.replace(old, "  A stack of inputs that are processed together;")
    )
    (unit,) = [u for u in i18n.units_of("glossary.md") if "that are processed" in u.en]
    code, out = run_status(capsys)
    assert code == 1 and f"  outdated     {unit.key}  " in out
    assert "glossary.md: 0 of" in out and " 1 outdated," in out
    i18n.sync("glossary.md")
    entries = {e["key"]: e for e in i18n.read_catalogue("glossary.md")}
    assert entries[unit.key]["ko"] == before.en + TRANSLATED
    assert entries[unit.key]["en_sha"] == before.en_sha != unit.en_sha
    assert i18n.status("glossary.md").outdated == [unit.key]


def test_a_new_cell_is_untranslated_and_lost_markup_is_a_problem(book, capsys):
    notebook = nbformat.read(book / CHAPTER, as_version=4)
    cell = nbformat.v4.new_markdown_cell("A new paragraph.")
    notebook.cells.append(cell)
    nbformat.write(notebook, book / CHAPTER)
    path = i18n.catalogue_path(CHAPTER)
    data = yaml.safe_load(path.read_text())
    glued = next(e for e in data["units"] if "{glue:text}" in e["ko"])
    glued["ko"] = "숫자는 직접 쓴다."
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    code, out = run_status(capsys)
    assert code == 1
    assert f"  untranslated cell:{cell.id}  A new paragraph." in out
    assert f"  markup       {glued['key']}  missing glued value" in out
    assert "1 with markup problems" in out
