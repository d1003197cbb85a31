"""tools/i18n_source.py: the Korean edition's book source, from the real catalogues.

The Korean notebooks have exactly the English notebooks' code cells (source,
outputs, execution counts, metadata), cell ids and notebook metadata; their
markdown cells, figure captions and alt texts are the up-to-date translations, or
the English where there is none. The Markdown pages are the English pages with
their translated blocks replaced and nothing else changed. The configuration is the
English build's with the Korean title, language and edition link, and every path in
it resolves. On a small copy of the book with complete catalogues, every unit is
shown in Korean, and an outdated one in English.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.conftest import REPO
from tests.test_i18n import TRANSLATED, book  # noqa: F401  (the fixture)
from tools import book_config, i18n, i18n_source
from tools.i18n_source import CELL_PROSE

NOTEBOOKS = [page for page in i18n.pages() if page.endswith(".ipynb")]
MARKDOWN = [page for page in i18n.pages() if page.endswith(".md")]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The Korean book source, written from the repository's catalogues."""
    output = tmp_path_factory.mktemp("ko") / "ko-src"
    korean, total = i18n_source.write_source(output)
    assert 0 < korean <= total
    return output


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def without_prose(metadata: dict) -> dict:
    """A code cell's metadata without the caption and alt text, which are translated."""
    metadata = copy.deepcopy(metadata)
    for section, field in CELL_PROSE.values():
        metadata.get("mystnb", {}).get(section, {}).pop(field, None)
    return metadata


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_the_code_and_outputs_are_the_english_notebooks(source, page):
    english, korean = read(REPO / page), read(source / page)
    assert korean.metadata == english.metadata
    assert (korean.nbformat, korean.nbformat_minor) == (
        english.nbformat,
        english.nbformat_minor,
    )
    assert [(c.id, c.cell_type) for c in korean.cells] == [
        (c.id, c.cell_type) for c in english.cells
    ]
    for en, ko in zip(english.cells, korean.cells):
        if en.cell_type == "code":
            assert ko.source == en.source, en.id
            assert ko.outputs == en.outputs, en.id
            assert ko.execution_count == en.execution_count, en.id
            assert without_prose(ko.metadata) == without_prose(en.metadata), en.id
        else:
            assert set(ko) == set(en) and ko.metadata == en.metadata


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_the_prose_is_the_translation_or_else_the_english(source, page):
    translations = i18n.translations(page)
    english = {unit.key: unit.en for unit in i18n.units_of(page)}
    shown = {unit.key: unit.en for unit in i18n.notebook_units(source / page)}
    assert set(shown) == set(english)
    for key, text in shown.items():
        assert text == translations.get(key, english[key]), key


@pytest.mark.parametrize("page", MARKDOWN)
def test_a_markdown_page_is_the_english_with_its_blocks_translated(source, page):
    translations = i18n.translations(page)
    english = i18n.markdown_blocks((REPO / page).read_text())
    korean = i18n.markdown_blocks((source / page).read_text())
    assert len(korean) == len(english)
    for (en, translatable), (ko, _) in zip(english, korean):
        expected = translations.get(i18n.block_key(en), en) if translatable else en
        assert ko == expected
    # With no translation the page is copied byte for byte.
    assert i18n_source.korean_markdown(page, {}) == (REPO / page).read_text()


def test_some_prose_is_korean(source):
    # Guards the tests above: they would pass on an untranslated copy of the book.
    korean = [
        unit.key
        for page in NOTEBOOKS
        for unit in i18n.notebook_units(source / page)
        if any("\uac00" <= char <= "\ud7a3" for char in unit.en)
        and unit.en not in {u.en for u in i18n.units_of(page)}
    ]
    assert len(korean) > 10


def test_the_config_is_the_english_builds_in_korean(source):
    korean = yaml.safe_load((source / "_config.yml").read_text())
    english = book_config.book_config(book_config.resolve("", root=REPO)[0])
    assert korean["title"] == i18n.translations(i18n.BOOK)["title"] != english["title"]
    config = korean["sphinx"]["config"]
    assert config["language"] == "ko"
    assert english["sphinx"]["config"]["language"] == "en"
    assert config["editions"] == [{"language": "en", "label": "English", "root": "../"}]
    assert english["sphinx"]["config"]["editions"] == [
        {"language": "ko", "label": "한국어", "root": "ko/"}
    ]
    assert config["html_theme_options"] == {"search_bar_text": "이 책에서 검색..."}
    assert korean["sphinx"]["recursive_update"] is True  # merged into the theme's
    changed = {"language", "editions", "html_extra_path", "html_theme_options"}
    for key, value in english["sphinx"]["config"].items():
        if key not in changed:
            assert config[key] == value, key
    for key in english:
        if key not in ("title", "sphinx"):
            assert korean[key] == english[key], key
    assert korean["sphinx"]["local_extensions"] == english["sphinx"]["local_extensions"]
    for name, folder in korean["sphinx"]["local_extensions"].items():
        assert (Path(folder) / f"{name}.py").is_file()
    (extra,) = config["html_extra_path"]
    assert Path(extra) == REPO / "_vendor"
    for bibfile in korean["bibtex_bibfiles"]:
        assert (source / bibfile).read_bytes() == (REPO / bibfile).read_bytes()
    static = sorted(p.name for p in (REPO / "_static").iterdir())
    assert sorted(p.name for p in (source / "_static").iterdir()) == static


def test_the_toc_has_the_same_pages_and_translated_captions(source):
    english = yaml.safe_load((REPO / "_toc.yml").read_text())
    korean = yaml.safe_load((source / "_toc.yml").read_text())
    captions = i18n.translations(i18n.BOOK)
    for number, (en, ko) in enumerate(zip(english["parts"], korean["parts"]), 1):
        assert ko["caption"] == captions.get(f"part:{number}", en["caption"])
        assert {**ko, "caption": en["caption"]} == en
    assert len(korean["parts"]) == len(english["parts"])
    assert {k: v for k, v in korean.items() if k != "parts"} == {
        k: v for k, v in english.items() if k != "parts"
    }


def test_a_folder_it_did_not_write_is_not_replaced(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert i18n_source.main(tmp_path) == 2
    assert "was not written by" in capsys.readouterr().out
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_every_unit_of_a_translated_book_is_shown_in_korean(book, tmp_path):  # noqa: F811
    chapter = "chapters/04_pooling.ipynb"
    output = tmp_path / "ko-src"
    korean, total = i18n_source.write_source(output)
    assert korean == total
    for unit in i18n.notebook_units(output / chapter):
        assert unit.en.endswith(TRANSLATED), unit.key
    glossary = (output / "glossary.md").read_text()
    assert glossary.count(TRANSLATED) == len(i18n.units_of("glossary.md"))
    toc = yaml.safe_load((output / "_toc.yml").read_text())
    assert [part["caption"] for part in toc["parts"]] == [
        f"Building blocks{TRANSLATED}",
        f"About this book{TRANSLATED}",
    ]
    # An outdated unit (its English edited since) is shown in English.
    notebook = read(book / chapter)
    cell = next(c for c in notebook.cells if c.cell_type == "markdown")
    cell.source += " Edited."
    nbformat.write(notebook, book / chapter)
    assert i18n_source.write_source(output) == (korean - 1, total)
    shown = read(output / chapter)
    assert next(c for c in shown.cells if c.id == cell.id).source == cell.source
