"""The Korean edition's book source, generated from the English book and the catalogues.

``python -m tools.i18n source`` (run by ``make html`` and ``make book``) writes
_build/ko-src/, a complete Jupyter Book that ``jupyter-book build`` renders into
the Korean edition, _build/html/ko/:

- every notebook of the toc, each markdown cell replaced by its translation, and
  likewise the figure caption and image alt text in a code cell's metadata
  (``mystnb.figure.caption``, ``mystnb.image.alt``). Everything else (every code
  cell's source, outputs, execution count and other metadata, the cells' ids and
  the notebook's metadata) is the English notebook's, so the Korean pages show
  exactly the code and the validated outputs of the English edition, glued
  values included; tests/test_i18n.py checks it;
- every Markdown page, block by block (tools.i18n.markdown_blocks), with the blocks
  that are not translated (code, directives) copied;
- _toc.yml with the captions of its parts translated, the bibliography files and
  _static/;
- _config.yml: the English build's configuration for the same repository
  (tools/book_config.py) with the Korean title, ``language: ko`` (the pages'
  ``lang``, Sphinx's Korean labels, and the search index: Sphinx has no Korean
  search language and falls back to its default, which splits words at spaces
  and punctuation: 합성곱 finds 합성곱(convolution) and 합성곱 계층 but not the
  word 합성곱은, with its particle; a query of three letters or more that is no
  word of the index is looked for inside words), a Korean placeholder in the search boxes, the link back to the English
  edition (_ext/editions.py) and paths that resolve from _build/ko-src.

A unit that is untranslated or outdated keeps its English text, so the edition can
be built at any time; ``python -m tools.i18n status`` lists what is left.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import yaml

from tools import book_config, i18n

LANGUAGE = "ko"
# The English edition, seen from the Korean one: _build/html/ko/ is in _build/html/.
ENGLISH_EDITION = {"language": "en", "label": "English", "root": "../"}
# The placeholder of the search boxes (Jupyter Book's is "Search this book...").
SEARCH_BAR_TEXT = "이 책에서 검색..."
# The file that marks a folder as written here, so that it may be replaced.
MARKER = ".korean-book-source"
# The metadata of a code cell that is prose: the unit's key prefix, and where it is.
CELL_PROSE = {"caption": ("figure", "caption"), "alt": ("image", "alt")}


def korean_notebook(page: str, ko: dict[str, str]) -> nbformat.NotebookNode:
    """The notebook page with the translations ko (by unit key) in place of its prose."""
    notebook = nbformat.read(i18n.ROOT / page, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = ko.get(f"cell:{cell.id}", cell.source)
        elif cell.cell_type == "code":
            mystnb = cell.metadata.get("mystnb", {})
            for prefix, (section, field) in CELL_PROSE.items():
                holder = mystnb.get(section, {})
                if holder.get(field):
                    holder[field] = ko.get(f"{prefix}:{cell.id}", holder[field])
    return notebook


def korean_markdown(page: str, ko: dict[str, str]) -> str:
    """The Markdown page with the translations ko in place of its translatable blocks;
    everything else (untranslated blocks, code, directives, blank lines) is copied."""
    text = (i18n.ROOT / page).read_text()
    pieces, cursor = [], 0
    for block, translatable in i18n.markdown_blocks(text):
        start = text.index(block, cursor)  # the blocks are the page's lines, in order
        pieces += [
            text[cursor:start],
            ko.get(i18n.block_key(block), block) if translatable else block,
        ]
        cursor = start + len(block)
    return "".join(pieces) + text[cursor:]


def korean_toc(ko: dict[str, str]) -> dict:
    """_toc.yml with the parts' captions translated."""
    toc = yaml.safe_load((i18n.ROOT / "_toc.yml").read_text())
    for number, part in enumerate(toc.get("parts", []), start=1):
        part["caption"] = ko.get(f"part:{number}", part.get("caption"))
    return toc


def korean_config(repository: str, ko: dict[str, str]) -> dict:
    """The English build's configuration (same repository, same extensions) for the
    Korean edition, built from a folder of its own."""
    config = i18n.ROOT / "_config.yml"
    resolved, _ = book_config.resolve(repository, config, i18n.ROOT)
    data = book_config.book_config(resolved, config)
    data["title"] = ko.get("title", data["title"])
    sphinx = data.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["language"] = LANGUAGE
    sphinx["editions"] = [ENGLISH_EDITION]
    # Merged into the theme options Jupyter Book derives from the configuration,
    # rather than replacing them (sphinx.recursive_update).
    data["sphinx"]["recursive_update"] = True
    sphinx["html_theme_options"] = {"search_bar_text": SEARCH_BAR_TEXT}
    # MathJax (_vendor) stays where make put it; the other paths are copied.
    sphinx["html_extra_path"] = [
        str(i18n.ROOT / path) for path in sphinx.get("html_extra_path", [])
    ]
    return data


def _replace(output: Path) -> None:
    """Make output an empty folder; refuse to empty one this module did not write."""
    if output.exists():
        if not (output / MARKER).is_file() and any(output.iterdir()):
            raise FileExistsError(
                f"--output {output}: the folder exists and was not written by "
                "`python -m tools.i18n source`; name a new or empty folder"
            )
        shutil.rmtree(output)
    output.mkdir(parents=True)
    (output / MARKER).write_text("Written by `python -m tools.i18n source`.\n")


def write_source(output: Path, repository: str = "") -> tuple[int, int]:
    """Write the Korean book source to output (replacing what is there).

    repository is the build's repository as `make html REPOSITORY=` takes it.
    Returns (units shown in Korean, units of the book).
    """
    _replace(output)
    book = i18n.translations(i18n.BOOK)
    korean, total = len(book), len(i18n.units_of(i18n.BOOK))
    for page in i18n.pages():
        ko = i18n.translations(page)
        korean += len(ko)
        total += len(i18n.units_of(page))
        target = output / page
        target.parent.mkdir(parents=True, exist_ok=True)
        if page.endswith(".ipynb"):
            nbformat.write(korean_notebook(page, ko), target)
        else:
            target.write_text(korean_markdown(page, ko))
    config = korean_config(repository, book)
    for bibfile in config.get("bibtex_bibfiles", []):
        shutil.copy2(i18n.ROOT / bibfile, output / bibfile)
    shutil.copytree(i18n.ROOT / "_static", output / "_static")
    dump = {"sort_keys": False, "allow_unicode": True}
    (output / "_toc.yml").write_text(yaml.safe_dump(korean_toc(book), **dump))
    header = "# Written by tools/i18n_source.py for the Korean edition: do not edit.\n"
    (output / "_config.yml").write_text(header + yaml.safe_dump(config, **dump))
    return korean, total


def main(output: Path, repository: str = "") -> int:
    try:
        korean, total = write_source(output, repository)
    except (FileExistsError, ValueError) as error:
        print(error)
        return 2
    untranslated = (
        f"; the other {total - korean} in English (python -m tools.i18n status)"
        if korean < total
        else ""
    )
    print(
        f"Korean book source in {output}: {korean} of {total} units in Korean{untranslated}"
    )
    return 0
