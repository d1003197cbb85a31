"""tools/setup_cells.py and the notebooks' Colab setup cells.

Every notebook of _toc.yml starts its code with the setup cell that
`make repository` writes from repository.url of _config.yml: the stored cell must
be exactly that (so the notebooks Colab opens install from the committed
repository). Run with a fake environment, each notebook's cell must do nothing
outside Colab, and in Colab (``google.colab`` in sys.modules, pip mocked) install
the book's package from the repository, or stop with one line saying how to name
one. The tool itself is tested on copies of the notebooks: it inserts the cell
before ``import utils`` with the execution counts shifted, rewrites it in place,
changes nothing the second time, leaves the notebooks lint-clean and nbval-clean,
and changes only the url line of _config.yml.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import types

import nbformat
import pytest
import yaml

from tests import book_build
from tests.conftest import REPO
from tools import setup_cells
from tools.book_config import read_setting
from tools.setup_cells import (
    COLAB_LACKS,
    MARKER,
    is_setup_cell,
    locked_requirements,
    setup_cell_source,
    write_all,
    write_setting,
    write_setup_cell,
)
from tools.toc import toc_notebooks

FIXTURE = "https://github.com/example-org/cnn-book"
NOTEBOOKS = toc_notebooks()
PINS = locked_requirements(COLAB_LACKS)


def committed_source() -> str:
    url, branch = read_setting()
    return setup_cell_source(url, branch, PINS)


def setup_cell(path) -> nbformat.NotebookNode:
    """The notebook's first code cell, which must be its setup cell."""
    nb = nbformat.read(path, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert is_setup_cell(first), (
        f"{path.name} has no Colab setup cell: run `make repository`"
    )
    return first


class Pip:
    """Stands in for subprocess.run: records each command, answers with returncode."""

    def __init__(self, returncode: int = 0, stderr: str = ""):
        self.calls: list[list[str]] = []
        self.returncode, self.stderr = returncode, stderr

    def __call__(self, args, **kwargs):
        self.calls.append(list(args))
        return subprocess.CompletedProcess(args, self.returncode, "", self.stderr)


def run_cell(source: str, monkeypatch, *, colab: bool, pip: Pip) -> None:
    """Run a setup cell's source as the kernel would, in Colab or not, with pip mocked."""
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(subprocess, "run", pip)
    exec(compile(source, "<setup cell>", "exec"), {"__name__": "__main__"})


def pip_command(url: str) -> list[str]:
    return [
        sys.executable,
        *("-m", "pip", "install", "--quiet", "--no-deps"),
        f"git+{url}@main",
        *PINS,
    ]


# --- the cells as the tool writes them ------------------------------------------------


def test_colab_gets_the_locked_myst_nb():
    assert PINS and all(pin.startswith("myst-nb==") for pin in PINS)
    lock = (REPO / "constraints.txt").read_text().splitlines()
    assert set(PINS) <= set(lock)
    with pytest.raises(ValueError, match="pins no 'no-such-package'"):
        locked_requirements(["no-such-package"])


@pytest.mark.parametrize("url", [FIXTURE, ""], ids=["named", "none"])
def test_a_setup_cell_does_nothing_outside_colab(url, monkeypatch, capsys):
    pip = Pip()
    run_cell(setup_cell_source(url, "main", PINS), monkeypatch, colab=False, pip=pip)
    assert pip.calls == [] and capsys.readouterr() == ("", "")


def test_in_colab_it_installs_utils_from_the_repository_without_dependencies(
    monkeypatch, capsys
):
    pip = Pip()
    run_cell(setup_cell_source(FIXTURE, "main", PINS), monkeypatch, colab=True, pip=pip)
    assert pip.calls == [pip_command(FIXTURE)]
    assert (
        capsys.readouterr().out
        == f"Installed the book's package utils from {FIXTURE}\n"
    )


def test_in_colab_a_failed_install_says_what_pip_said(monkeypatch):
    pip = Pip(returncode=1, stderr="ERROR: Repository not found.")
    with pytest.raises(RuntimeError, match="Repository not found"):
        run_cell(
            setup_cell_source(FIXTURE, "main", PINS), monkeypatch, colab=True, pip=pip
        )


def test_in_colab_with_no_repository_it_stops_with_how_to_name_one(monkeypatch):
    pip = Pip()
    with pytest.raises(RuntimeError) as error:
        run_cell(setup_cell_source("", "main", PINS), monkeypatch, colab=True, pip=pip)
    message = str(error.value)
    assert "\n" not in message and pip.calls == []
    assert "make repository REPOSITORY=https://github.com/OWNER/NAME" in message


# --- the stored notebooks ---------------------------------------------------------------


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_each_notebook_s_setup_cell_agrees_with_config_yml(notebook):
    cell = setup_cell(REPO / notebook)
    assert cell.source == committed_source(), (
        "the setup cell and repository.url of _config.yml disagree: run `make repository`"
    )
    assert "remove-cell" in cell.metadata.get("tags", [])
    assert cell.outputs == []


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_each_notebook_s_setup_cell_does_nothing_outside_colab(
    notebook, monkeypatch, capsys
):
    pip = Pip()
    run_cell(setup_cell(REPO / notebook).source, monkeypatch, colab=False, pip=pip)
    assert pip.calls == [] and capsys.readouterr() == ("", "")


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_each_notebook_s_setup_cell_in_colab_uses_the_committed_repository(
    notebook, monkeypatch
):
    url, _ = read_setting()
    source = setup_cell(REPO / notebook).source
    pip = Pip()
    if url:
        run_cell(source, monkeypatch, colab=True, pip=pip)
        assert pip.calls == [pip_command(url)]
    else:
        with pytest.raises(RuntimeError, match="make repository"):
            run_cell(source, monkeypatch, colab=True, pip=pip)
        assert pip.calls == []


# --- the tool, on copies ------------------------------------------------------------------


def counts_down(cell) -> nbformat.NotebookNode:
    """A code cell as it was before the setup cell was inserted (counts one lower)."""
    cell = nbformat.from_dict(cell)
    if cell.cell_type == "code" and cell.execution_count is not None:
        cell.execution_count -= 1
        for output in cell.outputs:
            if output.get("execution_count") is not None:
                output.execution_count -= 1
    return cell


def without_setup_cell(nb) -> list:
    """The notebook's cells as they were before the tool wrote its setup cell."""
    if not any(is_setup_cell(cell) for cell in nb.cells):
        return list(nb.cells)
    return [counts_down(cell) for cell in nb.cells if not is_setup_cell(cell)]


@pytest.fixture()
def copies(tmp_path):
    """The files the tool reads and writes, copied as they were before it ever ran:
    _toc.yml, _config.yml naming no repository, the lock, pyproject.toml (ruff's
    settings) and every notebook of the toc, without a setup cell."""
    for name in ("_toc.yml", "_config.yml", "constraints.txt", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    write_setting("", tmp_path / "_config.yml")
    for notebook in NOTEBOOKS:
        (tmp_path / notebook).parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(REPO / notebook, as_version=4)
        nb.cells = without_setup_cell(nb)
        nbformat.write(nb, tmp_path / notebook)
    return tmp_path


def test_the_tool_writes_the_setting_and_every_setup_cell(copies):
    before = {nb: nbformat.read(copies / nb, as_version=4) for nb in NOTEBOOKS}
    config_before = (copies / "_config.yml").read_text().splitlines()
    url, changed = write_all("git@github.com:example-org/cnn-book.git", copies)
    assert url == FIXTURE and changed == NOTEBOOKS

    config_after = (copies / "_config.yml").read_text().splitlines()
    differing = [(a, b) for a, b in zip(config_before, config_after) if a != b]
    assert len(config_after) == len(config_before)
    assert differing == [('  url: ""', f'  url: "{FIXTURE}"')]
    assert yaml.safe_load("\n".join(config_after))["repository"]["url"] == FIXTURE

    expected = setup_cell_source(FIXTURE, "main", PINS)
    for notebook in NOTEBOOKS:
        nb = nbformat.read(copies / notebook, as_version=4)
        nbformat.validate(nb)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert code[0].source == expected and code[0].id == "colab-setup"
        assert code[0].metadata.tags == ["remove-cell"] and code[0].outputs == []
        assert re.search(r"^import utils\b", code[1].source, re.MULTILINE)
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
        # Nothing else changed but the counts.
        old = before[notebook].cells
        assert without_setup_cell(nb) == old
        assert nb.cells.index(code[0]) == old.index(
            next(c for c in old if c.cell_type == "code")
        )


def test_the_tool_changes_nothing_the_second_time_and_rewrites_in_place(copies):
    write_all(FIXTURE, copies)
    stored = {nb: (copies / nb).read_bytes() for nb in NOTEBOOKS}
    assert write_all(FIXTURE, copies) == (FIXTURE, [])
    assert write_all(None, copies) == (FIXTURE, [])
    assert {nb: (copies / nb).read_bytes() for nb in NOTEBOOKS} == stored

    url, changed = write_all("none", copies)
    assert url == "" and changed == NOTEBOOKS
    assert read_setting(copies / "_config.yml") == ("", "main")
    for notebook in NOTEBOOKS:
        nb = nbformat.read(copies / notebook, as_version=4)
        old = nbformat.reads(stored[notebook].decode(), as_version=4)
        assert len(nb.cells) == len(old.cells)
        assert setup_cell(copies / notebook).source == setup_cell_source(
            "", "main", PINS
        )
        assert setup_cell(copies / notebook).execution_count == 1


def test_the_notebooks_stay_lint_clean_with_either_cell(copies):
    for url in (FIXTURE, "none"):
        write_all(url, copies)
        for command in (["check"], ["format", "--check"]):
            result = subprocess.run(
                [sys.executable, "-m", "ruff", *command, "."],
                cwd=copies,
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, result.stdout + result.stderr


def test_a_setup_cell_out_of_place_is_refused():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import utils"),
        nbformat.v4.new_code_cell(setup_cell_source(FIXTURE, "main", PINS)),
    ]
    with pytest.raises(ValueError, match="must be the one first code cell"):
        write_setup_cell(nb, setup_cell_source("", "main", PINS))


def test_an_unexecuted_notebook_gets_an_unexecuted_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("1")]
    assert write_setup_cell(nb, MARKER + "\n")
    assert [c.execution_count for c in nb.cells[1:]] == [None, None]
    assert is_setup_cell(nb.cells[1]) and nb.cells[2].source == "1"


def test_the_setting_must_have_its_section(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("title: A book\n")
    with pytest.raises(ValueError, match="no `repository:` section"):
        write_setting(FIXTURE, config)
    assert config.read_text() == "title: A book\n"


def test_the_command_line_refuses_a_bad_repository(capsys):
    assert setup_cells.main(["--repository", "https://gitlab.com/a/b"]) == 2
    assert "expected a GitHub repository" in capsys.readouterr().err


def test_nbval_passes_a_notebook_with_a_setup_cell(tmp_path):
    """`make validate` (both passes) on running.ipynb with the fixture's setup cell."""
    folder = book_build.sandbox(tmp_path / "book")
    (folder / "running.ipynb").unlink()
    nb = nbformat.read(REPO / "running.ipynb", as_version=4)
    write_setup_cell(nb, setup_cell_source(FIXTURE, "main", PINS))
    nbformat.write(nb, folder / "running.ipynb")
    result = book_build.make(folder, "validate", "NOTEBOOKS=running.ipynb")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    first, second = result.stdout.split("pass 2 of 2")
    cells = sum(cell.cell_type == "code" for cell in nb.cells)
    assert f"{cells} passed" in first and f"{cells} passed" in second
