"""The Korean edition's catalogues: the English prose of every page, unit by unit.

A *unit* is a piece of English prose that is translated as a whole:

- in a notebook, a markdown cell (key ``cell:<cell id>``), and the figure
  caption and alt text in a code cell's metadata (``caption:<id>``,
  ``alt:<id>``); code cells and outputs are never translated, they are copied;
- in a Markdown page, a block of lines between blank lines (key
  ``block:<sha>``). Fenced blocks (```` ``` ````) stay whole and are copied, except a
  ``{glossary}`` fence, whose entries are units of their own;
- the book's own strings, in the catalogue ``book``: its title (``title``, from
  _config.yml) and the captions of the parts of _toc.yml (``part:<n>``).

The catalogue of page ``chapters/01_convolution.ipynb`` is
``translations/ko/chapters/01_convolution.yml``: a list of units, each with
its key, ``en_sha`` (the first 12 hex digits of the SHA-256 of the English
text it was translated from), ``en`` (that text, for the translator) and
``ko`` (the translation; empty while untranslated). A unit whose English
text changed since (another ``en_sha``) is outdated. A translation must keep the
English unit's markup that the build resolves (glued values, labels, reference
targets, citation keys, HTML tags, link targets; see :func:`markup`).

Commands (``python -m tools.i18n COMMAND``):

- ``sync`` writes the catalogues of every page of the toc, adding new units and
  keeping every translation;
- ``status`` reports untranslated and outdated units and markup problems, page by
  page, and exits with 1 when there is any (``make translations``, part of
  ``make test``);
- ``source`` writes the Korean edition's book source to ``_build/ko-src``
  (tools/i18n_source.py), which ``make html`` builds into ``_build/html/ko``.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from tools.toc import toc_files

# absolute(), not resolve(): in a sandbox of links (tests/book_build.py) the book is the
# folder the command runs in, not the repository the links point to.
ROOT = Path(__file__).absolute().parent.parent
CATALOGUES = ROOT / "translations" / "ko"
FENCE = re.compile(r"^(`{3,}|:{3,})(.*)$")
# The catalogue of the book's title and part captions (not a page of the toc).
BOOK = "book"


@dataclass(frozen=True)
class Unit:
    key: str
    en: str

    @property
    def en_sha(self) -> str:
        return sha12(self.en)


def sha12(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def pages() -> list[str]:
    """Every page of _toc.yml, with its suffix, in reading order."""
    resolved = []
    for entry in toc_files(ROOT):
        for suffix in ("", ".ipynb", ".md"):
            candidate = f"{entry}{suffix}"
            if Path(candidate).suffix and (ROOT / candidate).is_file():
                resolved.append(candidate)
                break
    return resolved


def catalogued() -> list[str]:
    """What has a catalogue: the book's own strings, then every page in reading order."""
    return [BOOK, *pages()]


def book_units() -> list[Unit]:
    """The book's title (_config.yml) and the caption of each part of _toc.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    units = [Unit("title", config["title"])]
    for number, part in enumerate(toc.get("parts", []), start=1):
        if part.get("caption"):
            units.append(Unit(f"part:{number}", part["caption"]))
    return units


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


def block_key(block: str) -> str:
    return f"block:{sha12(block)}"


def markdown_units(path: Path) -> list[Unit]:
    return [
        Unit(block_key(block), block)
        for block, translatable in markdown_blocks(path.read_text())
        if translatable
    ]


def units_of(page: str) -> list[Unit]:
    if page == BOOK:
        return book_units()
    path = ROOT / page
    return notebook_units(path) if path.suffix == ".ipynb" else markdown_units(path)


def catalogue_path(page: str) -> Path:
    return CATALOGUES / Path(page).with_suffix(".yml")


def read_catalogue(page: str) -> list[dict]:
    path = catalogue_path(page)
    if not path.is_file():
        return []
    return (yaml.safe_load(path.read_text()) or {}).get("units", [])


def matched(page: str) -> list[tuple[Unit, dict | None]]:
    """Each unit of the page with its catalogue entry (None when it has none).

    An entry belongs to the unit with its key. The key of a Markdown block is the
    hash of its text, so an edited block has a new key: it gets the entry whose
    key no unit has any more at the same place in the page (difflib's alignment of
    the catalogue's keys with the page's), so its translation shows as outdated
    rather than being lost.
    """
    units = units_of(page)
    entries = read_catalogue(page)
    by_key = {entry["key"]: entry for entry in entries}
    found = [by_key.get(unit.key) for unit in units]
    current = {unit.key for unit in units}
    aligner = difflib.SequenceMatcher(
        a=[entry["key"] for entry in entries],
        b=[unit.key for unit in units],
        autojunk=False,
    )
    for tag, i1, i2, j1, j2 in aligner.get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            for old, new in zip(range(i1, i2), range(j1, j2)):
                if found[new] is None and entries[old]["key"] not in current:
                    found[new] = entries[old]
    return list(zip(units, found))


def translations(page: str) -> dict[str, str]:
    """The up-to-date translation of each unit of the page that has one, by key.

    Untranslated and outdated units are left out: the Korean edition shows their
    English text until they are translated again.
    """
    return {
        unit.key: entry["ko"]
        for unit, entry in matched(page)
        if entry and entry.get("ko") and entry.get("en_sha") == unit.en_sha
    }


# --- the markup a translation must keep ------------------------------------------------

_ROLE_CONTENT = r"`([^`]*)`"
_MARKUP = {
    "glued value": re.compile(r"\{glue(?::[a-z]+)?\}`[^`]*`"),
    "label": re.compile(r"^\(([^()\s]+)\)=[ \t]*$", re.MULTILINE),
    "reference": re.compile(r"\{(?:num)?ref\}" + _ROLE_CONTENT),
    "citation": re.compile(r"\{cite(?::[a-z]+)?\}" + _ROLE_CONTENT),
    "HTML tag": re.compile(r"<[A-Za-z][\w-]*(?:\s[^<>]*)?>"),
    "link target": re.compile(r"\]\(([^()\s]+)\)"),
}
_TARGET = re.compile(r"<([^<>]+)>\s*$")


def markup(text: str) -> set[tuple[str, str]]:
    """What the build resolves in text, as (kind, item) pairs: glued values (the
    whole role: name and format), labels ``(name)=``, the targets of ``{ref}`` and
    ``{numref}``, citation keys, HTML tags with their attributes, and link targets.
    Roles' text is not searched for HTML tags (``{term}`text <target>```)."""
    found = set()
    for kind, pattern in _MARKUP.items():
        searched = re.sub(r"`[^`]*`", "``", text) if kind == "HTML tag" else text
        for match in pattern.finditer(searched):
            item = match.group(match.lastindex or 0)
            if kind == "reference":
                target = _TARGET.search(item)
                item = target.group(1) if target else item
            if kind == "citation":
                found.update((kind, key.strip()) for key in item.split(","))
            else:
                found.add((kind, item.strip()))
    return found


def markup_problems(en: str, ko: str) -> list[str]:
    """What the translation ko loses or adds of en's markup, one line each."""
    english, korean = markup(en), markup(ko)
    problems = [f"missing {kind} {item}" for kind, item in sorted(english - korean)]
    problems += [f"unexpected {kind} {item}" for kind, item in sorted(korean - english)]
    return problems


# --- sync and status --------------------------------------------------------------------


class _Literal(str):
    pass


def _literal(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


yaml.add_representer(_Literal, _literal)


def sync(page: str) -> None:
    """Write the page's catalogue: its units in page order, translations kept.

    A unit's old translation is kept with the entry :func:`matched` gives it: the
    one with its key (a cell, even if its English text changed) or, for an edited
    block of a Markdown page, the one it replaced. The kept translation keeps its
    old en_sha, so it shows as outdated until it is revised: a translator who has
    revised it empties its en_sha (``en_sha: ''``) and syncs, which records the
    current English's.
    """
    entries = []
    for unit, previous in matched(page):
        ko = (previous or {}).get("ko") or ""
        en_sha = (previous.get("en_sha") or unit.en_sha) if ko else unit.en_sha
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


@dataclass
class Status:
    """What is left to do on one page: keys of units, and markup problems by key."""

    units: int
    untranslated: list[str]
    outdated: list[str]
    problems: dict[str, list[str]]

    @property
    def done(self) -> bool:
        return not (self.untranslated or self.outdated or self.problems)


def status(page: str) -> Status:
    """The page's untranslated and outdated units, and the markup problems of its
    up-to-date translations."""
    result = Status(0, [], [], {})
    for unit, entry in matched(page):
        result.units += 1
        if entry is None or not entry.get("ko"):
            result.untranslated.append(unit.key)
        elif entry.get("en_sha") != unit.en_sha:
            result.outdated.append(unit.key)
        elif problems := markup_problems(unit.en, entry["ko"]):
            result.problems[unit.key] = problems
    return result


def _first_words(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def report(page: str, state: Status) -> list[str]:
    """The lines `status` prints for a page that is not done."""
    english = {unit.key: unit.en for unit in units_of(page)}
    lines = [
        f"{page}: {len(state.untranslated)} of {state.units} units untranslated, "
        f"{len(state.outdated)} outdated, {len(state.problems)} with markup problems"
    ]
    for kind, keys in (
        ("untranslated", state.untranslated),
        ("outdated", state.outdated),
    ):
        lines += [f"  {kind:<12} {key}  {_first_words(english[key])}" for key in keys]
    for key, problems in state.problems.items():
        lines += [f"  {'markup':<12} {key}  {problem}" for problem in problems]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["sync", "status", "source"])
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "_build" / "ko-src",
        help="source: the folder to write the Korean book source to",
    )
    parser.add_argument(
        "--repository",
        default="",
        help="source: the repository of the build, as `make html REPOSITORY=`",
    )
    args = parser.parse_args(argv)
    if args.command == "source":
        from tools import i18n_source

        return i18n_source.main(args.output, args.repository)
    if args.command == "sync":
        for page in catalogued():
            sync(page)
        print(f"wrote {len(catalogued())} catalogues under {CATALOGUES}")
        return 0
    left = 0
    for page in catalogued():
        state = status(page)
        if not state.done:
            left += 1
            print("\n".join(report(page, state)))
    if left:
        print(
            f"{left} of {len(catalogued())} catalogues are not fully translated: "
            f"translate the units above in {CATALOGUES}/ (run `python -m tools.i18n "
            "sync` first after changing the English)"
        )
        return 1
    print("every page is fully translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
