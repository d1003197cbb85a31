"""Name the book's repository, and write every notebook's Colab setup cell from it.

``make repository REPOSITORY=https://github.com/OWNER/NAME`` runs::

    python -m tools.setup_cells --repository https://github.com/OWNER/NAME

which writes ``repository.url`` into _config.yml and then, from that setting, the
setup cell of every notebook of _toc.yml, so the two cannot disagree.
``--repository none`` empties the setting; with no ``--repository`` the cells are
rewritten from the setting as it is (after adding a notebook, say). Running it
twice changes nothing the second time.

The setup cell is the first code cell of each notebook, before ``import utils``,
tagged ``remove-cell`` (the book's pages do not show it). Outside Google Colab it
does nothing: readers who run the notebooks locally or on Binder have the book's
locked environment. In Colab it installs, with ``pip install --no-deps``:

- the book's package ``utils``, from ``git+<repository>@<branch>``: a notebook
  opened on its own (Colab's "Open in Colab" copies one file) still has it;
- the locked version of myst-nb (constraints.txt), for ``from myst_nb import glue``:
  the only import of the notebooks that Colab does not have.

``--no-deps`` keeps Colab's own TensorFlow, Keras, NumPy, SciPy, matplotlib,
Pillow, scikit-learn, IPython and ipywidgets, which are everything ``utils``
imports. The package's declared dependencies would fight them: on Linux x86_64
they name ``tensorflow-cpu``, a second TensorFlow next to Colab's ``tensorflow``,
and ``ipywidgets>=8.1`` in place of the 7.7 that Colab pins for its front end;
myst-nb's own (Sphinx, myst-parser, ...) would upgrade Colab's pinned IPython,
while ``glue`` needs only IPython, nbformat and docutils, all of which Colab has.
It takes a few seconds. (Checked against Colab's published package list,
github.com/googlecolab/backend-info: Python 3.13, TensorFlow 2.20, Keras 3.13,
ipywidgets 7.7.1, IPython 7.34, docutils and nbformat present, myst-nb absent.)

With no repository named, the cell stops in Colab with one line saying how to
name one, and outside Colab it still does nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat
import yaml

from tools.book_config import CONFIG, ROOT, named, origin_url, read_setting
from tools.toc import toc_notebooks

# The setup cell's id, its tag and the first line of its source (how it is found).
CELL_ID = "colab-setup"
TAGS = ["remove-cell"]
MARKER = "# Colab setup, written by `make repository` from _config.yml: do not edit."
# The notebooks' imports that Colab lacks, installed at the lock's versions.
COLAB_LACKS = ["myst-nb"]

_INSTALL = """{marker}
# In Google Colab this installs the book's package utils from its repository (below),
# and myst-nb (for glue), keeping Colab's own TensorFlow and Keras (--no-deps).
# Anywhere else it does nothing.
import sys

if "google.colab" in sys.modules:
    import importlib
    import subprocess

    repository = "{repository}"
    packages = [
        f"git+{{repository}}@{branch}",
{pins}    ]
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    result = subprocess.run([*pip, *packages], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"pip could not install {{packages}}:\\n{{result.stderr}}")
    importlib.invalidate_caches()
    print(f"Installed the book's package utils from {{repository}}")"""

_NO_REPOSITORY = """{marker}
# The book names no repository, so in Google Colab this cell stops and says how to
# name one; elsewhere it does nothing.
import sys

if "google.colab" in sys.modules:
    raise RuntimeError(
        "This book names no repository to install its package utils from: run "
        "`make repository REPOSITORY=https://github.com/OWNER/NAME` in the book, "
        "push, and open the notebook from that repository."
    )"""


def locked_requirements(
    names: list[str], constraints: Path = ROOT / "constraints.txt"
) -> list[str]:
    """The lock's lines for these packages, markers included (pip skips the others).

    Raises ValueError for a name the lock does not pin.
    """
    lines = [line.strip() for line in constraints.read_text().splitlines()]
    found = []
    for name in names:
        pattern = re.compile(rf"^{re.escape(name)}==", re.IGNORECASE)
        pins = [line for line in lines if pattern.match(line)]
        if not pins:
            raise ValueError(f"{constraints.name} pins no {name!r}: run `make lock`")
        found += pins
    return found


def setup_cell_source(repository: str, branch: str, pins: list[str]) -> str:
    """The setup cell's source for this repository ("" for none) and branch."""
    if not repository:
        return _NO_REPOSITORY.format(marker=MARKER)
    lines = "".join(f"        {json.dumps(pin)},\n" for pin in pins)
    return _INSTALL.format(
        marker=MARKER, repository=repository, branch=branch, pins=lines
    )


def is_setup_cell(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and cell.source.startswith(MARKER)


def write_setup_cell(nb: nbformat.NotebookNode, source: str) -> bool:
    """Make source the notebook's first code cell; True when the notebook changed.

    An existing setup cell is rewritten in place. A new one goes before the first
    code cell, and when the notebook is stored executed, with execution count 1 and
    every later count one higher, as if it had been run top to bottom (the cell
    prints nothing outside Colab, so no stored output changes).
    """
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    existing = [i for i in code if is_setup_cell(nb.cells[i])]
    if existing:
        if existing != code[:1]:
            raise ValueError(
                f"the setup cell must be the one first code cell; found it at "
                f"cells {existing}, the first code cell is cell {code[0]}"
            )
        cell = nb.cells[existing[0]]
        tags = cell.metadata.get("tags", [])
        before = (cell.source, list(tags))
        cell.source = source
        cell.metadata["tags"] = [*TAGS, *(t for t in tags if t not in TAGS)]
        return before != (cell.source, cell.metadata["tags"])
    executed = bool(code) and nb.cells[code[0]].get("execution_count") is not None
    if executed:
        for i in code:
            cell = nb.cells[i]
            if cell.execution_count is not None:
                cell.execution_count += 1
            for output in cell.outputs:
                if output.get("execution_count") is not None:
                    output.execution_count += 1
    cell = nbformat.v4.new_code_cell(
        source, metadata={"tags": list(TAGS)}, execution_count=1 if executed else None
    )
    ids = {c.get("id") for c in nb.cells}
    cell.id = CELL_ID if CELL_ID not in ids else cell.id
    nb.cells.insert(code[0] if code else len(nb.cells), cell)
    return True


def write_setting(repository: str, config: Path = CONFIG) -> bool:
    """Write repository ("" for none) as repository.url of config; True when it changed.

    Only that line changes: the file's comments and layout stay as they are.
    """
    text = config.read_text()
    block = re.search(r"^repository:[ \t]*\n((?:[ \t]+.*\n|[ \t]*#.*\n)*)", text, re.M)
    line = re.compile(r"^([ \t]+)url:.*$", re.M)
    if block is None or not line.search(block.group(1)):
        raise ValueError(
            f"{config.name} has no `repository:` section with a `url:` line; add "
            '"repository:\\n  url: \\"\\"\\n  branch: main"'
        )
    body = line.sub(lambda m: f'{m.group(1)}url: "{repository}"', block.group(1), 1)
    new = text[: block.start(1)] + body + text[block.end(1) :]
    assert yaml.safe_load(new)["repository"]["url"] == repository
    if new == text:
        return False
    config.write_text(new)
    return True


def write_all(
    repository: str | None = None, root: Path = ROOT
) -> tuple[str, list[str]]:
    """Write the setting (unless None) and every notebook's setup cell from it.

    Returns the repository now named ("" for none) and the notebooks changed.
    """
    config = root / "_config.yml"
    if repository is not None:
        write_setting(named(repository), config)
    url, branch = read_setting(config)
    source = setup_cell_source(
        url, branch, locked_requirements(COLAB_LACKS, root / "constraints.txt")
    )
    changed = []
    for path in toc_notebooks(root):
        nb = nbformat.read(root / path, as_version=4)
        if write_setup_cell(nb, source):
            nbformat.write(nb, root / path)
            changed.append(path)
    return url, changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repository",
        help="https://github.com/OWNER/NAME, or 'none'; "
        "without it, the cells follow _config.yml as it is",
    )
    args = parser.parse_args(argv)
    try:
        url, changed = write_all(args.repository)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    which = url or "no repository"
    print(f"_config.yml names {which}; {len(changed)} notebooks' setup cell changed.")
    if changed:
        notebooks = " ".join(changed)
        print(f'Validate them before committing: make validate NOTEBOOKS="{notebooks}"')
    if not url and (origin := origin_url()):
        print(f"git's origin is {origin}: make repository REPOSITORY={origin} names it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
