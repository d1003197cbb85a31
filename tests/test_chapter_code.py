"""The code the chapters teach: what `utils` saves from them, and what nbval may not compare.

- A chapter that writes a loop version of a layer marks its cell
  ``# Saved in utils/<module>.py``; that module holds the same function, which
  the tests and the benchmark use. The two must be the same code, and every
  ``*_loop`` function of ``utils`` must come from a chapter.
- nbval compares every stored output, except in cells tagged
  ``nbval-ignore-output``. Only timings may be left uncompared, and such a
  cell must assert what it claims about them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

import utils

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
MARKER = re.compile(r"^# Saved in utils/(\w+)\.py", re.MULTILINE)


def code_cells(path: Path) -> list[tuple[int, nbformat.NotebookNode]]:
    notebook = nbformat.read(path, as_version=4)
    return [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code"]


def saved_functions() -> list[tuple[str, str, str, str]]:
    """(chapter, module, function name, the chapter's source) for every marked cell."""
    found = []
    for path in CHAPTERS:
        for index, cell in code_cells(path):
            match = MARKER.search(cell.source)
            if not match:
                continue
            tree = ast.parse(cell.source)
            after = [
                node
                for node in tree.body
                if isinstance(node, ast.FunctionDef)
                and node.lineno > cell.source[: match.start()].count("\n") + 1
            ]
            assert after, (
                f"{path.name} cell {index}: the marker is followed by no function"
            )
            node = after[0]
            found.append(
                (
                    path.name,
                    match.group(1),
                    node.name,
                    ast.get_source_segment(cell.source, node),
                )
            )
    return found


def loop_functions() -> set[tuple[str, str]]:
    """(module, name) of every ``*_loop`` function defined in utils."""
    loops = set()
    for info in pkgutil.iter_modules(utils.__path__):
        module = importlib.import_module(f"utils.{info.name}")
        for name, value in vars(module).items():
            if (
                name.endswith("_loop")
                and inspect.isfunction(value)
                and value.__module__ == module.__name__
            ):
                loops.add((info.name, name))
    return loops


SAVED = saved_functions()


@pytest.mark.parametrize(("chapter", "module", "name", "chapter_source"), SAVED)
def test_saved_function_is_the_chapters_code(chapter, module, name, chapter_source):
    function = getattr(importlib.import_module(f"utils.{module}"), name, None)
    assert function is not None, (
        f"{chapter} saves {name} in utils/{module}.py, which lacks it"
    )
    saved = textwrap.dedent(inspect.getsource(function)).rstrip("\n")
    assert saved == chapter_source, (
        f"utils/{module}.py's {name} differs from the code of {chapter}; "
        f"copy the chapter's cell into the module"
    )


def test_every_loop_in_utils_comes_from_a_chapter():
    assert loop_functions() == {(module, name) for _, module, name, _ in SAVED}
    assert (
        "conv",
        "conv2d_loop",
    ) in loop_functions()  # the check has something to check


def test_the_marker_finds_a_function():
    cell = '# Saved in utils/conv.py, where ...\ndef f(x):\n    """Doc."""\n    return x\n\n\ny = f(1)'
    match = MARKER.search(cell)
    assert match and match.group(1) == "conv"
    assert not MARKER.search("# saved in utils/conv.py")  # the exact words only


IGNORED = [
    (path.name, index, cell.source)
    for path in CHAPTERS
    for index, cell in code_cells(path)
    if "nbval-ignore-output" in cell.metadata.get("tags", [])
]


@pytest.mark.parametrize(("chapter", "index", "source"), IGNORED)
def test_uncompared_outputs_are_asserted_timings(chapter, index, source):
    assert re.search(r"\btimeit\b|perf_counter", source), (
        f"{chapter} cell {index}: only timings may skip nbval's comparison"
    )
    assert re.search(r"^\s*assert\b", source, re.MULTILINE), (
        f"{chapter} cell {index}: a timing cell must assert what it claims"
    )
