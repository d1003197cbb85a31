"""The Korean edition's catalogues: the English prose of every page, unit by unit.

A *unit* is a piece of English prose that is translated as a whole:

- in a notebook, a markdown cell (key ``cell:<cell id>``), and the figure
  caption and alt text in a code cell's metadata (``caption:<id>``,
  ``alt:<id>``); code cells and outputs are never translated, they are copied;
- in a Markdown page, a block of lines between blank lines (key
  ``block:<sha>``). Fenced blocks (```` ``` ````) stay whole and are copied, except a
  ``{glossary}`` fence, whose entries are units of their own.

The catalogue of page ``chapters/01_convolution.ipynb`` is
``translations/ko/chapters/01_convolution.yml``: a list of units, each with
its key, ``en_sha`` (the first 12 hex digits of the SHA-256 of the English
text it was translated from), ``en`` (that text, for the translator) and
``ko`` (the translation; empty while untranslated). A unit whose English
text changed since (another ``en_sha``) is outdated.

``python -m tools.i18n sync`` writes the catalogues of every page of the toc,
adding new units and keeping every translation; ``python -m tools.i18n status``
reports untranslated and outdated units by page.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "translations" / "ko"
FENCE = re.compile(r"^(`{3,}|:{3,})(.*)$")


@dataclass(frozen=True)
class Unit:
    key: str
    en: str

    @property
    def en_sha(self) -> str:
        return hashlib.sha256(self.en.encode()).hexdigest()[:12]


def pages() -> list[str]:
    """Every page of _toc.yml, with its suffix, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", toc.get("chapters", [])))
    resolved = []
    for entry in found:
        for suffix in ("", ".ipynb", ".md"):
            if (ROOT / f"{entry}{suffix}").is_file() and Path(
                f"{entry}{suffix}"
            ).suffix:
                resolved.append(f"{entry}{suffix}")
                break
    return resolved


def notebook_units(path: Path) -> list[Unit]:
    notebook = nbformat.read(path, as_version=4)
    units = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            units.append(Unit(f"cell:{cell.id}", cell.source))
        elif cell.cell_type == "code":
            mystnb = cell.metadata.get("mystnb", {})
            caption = mystnb.get("figure", {}).get("caption")
            alt = mystnb.get("image", {}).get("alt")
            if caption:
                units.append(Unit(f"caption:{cell.id}", caption))
            if alt:
                units.append(Unit(f"alt:{cell.id}", alt))
    return units


def markdown_blocks(text: str) -> list[tuple[str, bool]]:
    """The page as ``(block, translatable)`` pairs; joining the blocks with blank
    lines gives the page back."""
    blocks: list[tuple[str, bool]] = []
    lines = text.split("\n")
    current: list[str] = []
    fence: str | None = None  # the fence being read, if inside one that is copied
    in_glossary = False

    def flush(translatable: bool = True) -> None:
        if current:
            blocks.append(("\n".join(current), translatable))
            current.clear()

    for line in lines:
        match = FENCE.match(line)
        if fence is not None:
            current.append(line)
            if line.strip() == fence:
                flush(translatable=False)
                fence = None
            continue
        if match and not in_glossary:
            flush()
            if "{glossary}" in match.group(2):
                blocks.append((line, False))
                in_glossary = True
                glossary_fence = match.group(1)
            else:
                fence = match.group(1)
                current.append(line)
            continue
        if in_glossary and line.strip() == glossary_fence:
            flush()
            blocks.append((line, False))
            in_glossary = False
            continue
        if line.strip() == "":
            flush()
        else:
            current.append(line)
    flush()
    return blocks


def markdown_units(path: Path) -> list[Unit]:
    return [
        Unit(f"block:{hashlib.sha256(block.encode()).hexdigest()[:12]}", block)
        for block, translatable in markdown_blocks(path.read_text())
        if translatable
    ]


def units_of(page: str) -> list[Unit]:
    path = ROOT / page
    return notebook_units(path) if path.suffix == ".ipynb" else markdown_units(path)


def catalogue_path(page: str) -> Path:
    return CATALOGUES / Path(page).with_suffix(".yml")


def read_catalogue(page: str) -> list[dict]:
    path = catalogue_path(page)
    if not path.is_file():
        return []
    return (yaml.safe_load(path.read_text()) or {}).get("units", [])


class _Literal(str):
    pass


def _literal(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


yaml.add_representer(_Literal, _literal)


def sync(page: str) -> None:
    """Write the page's catalogue: its units in page order, translations kept.

    A unit's old translation is kept when its key matches (a cell, even if its
    English text changed: then its en_sha stays the old one, so it shows as
    outdated) or, for a block of a Markdown page, when an old entry has its text.
    """
    old = {entry["key"]: entry for entry in read_catalogue(page)}
    entries = []
    for unit in units_of(page):
        previous = old.get(unit.key, {})
        ko = previous.get("ko") or ""
        en_sha = previous.get("en_sha", unit.en_sha) if ko else unit.en_sha
        entries.append(
            {
                "key": unit.key,
                "en_sha": en_sha,
                "en": _Literal(unit.en) if "\n" in unit.en else unit.en,
                "ko": _Literal(ko) if "\n" in ko else ko,
            }
        )
    path = catalogue_path(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"# The Korean translation of {page}: see tools/i18n.py.\n"
    body = yaml.dump(
        {"page": page, "units": entries},
        allow_unicode=True,
        sort_keys=False,
        width=1000,
    )
    path.write_text(header + body)


def status(page: str) -> tuple[list[str], list[str]]:
    """(untranslated keys, outdated keys) of the page."""
    entries = {entry["key"]: entry for entry in read_catalogue(page)}
    untranslated, outdated = [], []
    for unit in units_of(page):
        entry = entries.get(unit.key)
        if entry is None or not entry.get("ko"):
            untranslated.append(unit.key)
        elif entry.get("en_sha") != unit.en_sha:
            outdated.append(unit.key)
    return untranslated, outdated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["sync", "status"])
    args = parser.parse_args(argv)
    if args.command == "sync":
        for page in pages():
            sync(page)
        print(f"wrote {len(pages())} catalogues under {CATALOGUES.relative_to(ROOT)}")
        return 0
    failed = False
    for page in pages():
        untranslated, outdated = status(page)
        total = len(units_of(page))
        if untranslated or outdated:
            failed = True
            print(
                f"{page}: {len(untranslated)} of {total} units untranslated, "
                f"{len(outdated)} outdated"
                + (f" (outdated: {', '.join(outdated[:5])})" if outdated else "")
            )
    if not failed:
        print("every page is fully translated")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
