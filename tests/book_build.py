"""`make` on the book in a sandbox: a temporary folder that links every file of the
repository except _build, .git and _config.yml, and holds its own _config.yml.

The build tests run the Makefile's own rules there, so they test `make html` and
`make book` exactly, while the repository's _build (which other runs may be
serving) and _config.yml stay untouched. The sandbox is no git checkout (GIT_DIR
points nowhere), so no `git remote get-url origin` names a repository for it.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO
from tools.setup_cells import write_setting

NOT_LINKED = {"_build", ".git", "_config.yml"}
# make's variables from a calling make (`make unit REPOSITORY=...` passes them on).
CALLER_VARIABLES = (
    "MAKEFLAGS",
    "MFLAGS",
    "MAKEOVERRIDES",
    "REPOSITORY",
    "NB",
    "NOTEBOOKS",
)


def sandbox(folder: Path, url: str = "") -> Path:
    """folder, holding links to the repository's files and a _config.yml naming url."""
    folder.mkdir(parents=True, exist_ok=True)
    for entry in REPO.iterdir():
        if entry.name not in NOT_LINKED:
            (folder / entry.name).symlink_to(entry)
    shutil.copy(REPO / "_config.yml", folder / "_config.yml")
    write_setting(url, folder / "_config.yml")
    return folder


@functools.cache
def venv_stamp() -> str:
    """The Makefile's record that .venv is installed: never remade from a sandbox,
    where `pip install -e .` would point the book's .venv at the sandbox."""
    return subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "--eval=stamp: ; @echo $(STAMP)",
            "stamp",
        ],
        cwd=REPO,
        env=make_env(REPO),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def make_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CALLER_VARIABLES}
    env["GIT_DIR"] = str(folder / "no-git-here")
    return env


def make(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """`make args` in the sandbox folder, with its output; .venv is never remade."""
    return subprocess.run(
        ["make", "--no-print-directory", "-o", venv_stamp(), *args],
        cwd=folder,
        env=make_env(folder),
        capture_output=True,
        text=True,
    )
