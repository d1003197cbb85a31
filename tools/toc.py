"""The book's pages and notebooks in reading order, read from _toc.yml.

_toc.yml is the one list of the book's notebooks: the Makefile reads it with sed
(``make notebooks``), and tests/test_notebooks.py checks that both readings agree.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).absolute().parents[1]


def toc_files(root: Path = ROOT) -> list[str]:
    """The `root:` and every `file:` entry of root/_toc.yml, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return files


def toc_notebooks(root: Path = ROOT) -> list[str]:
    """The entries of root/_toc.yml that are notebooks, as paths from root, in reading order."""
    paths = [
        entry if entry.endswith(".ipynb") else f"{entry}.ipynb"
        for entry in toc_files(root)
    ]
    return [path for path in paths if (root / path).is_file()]
