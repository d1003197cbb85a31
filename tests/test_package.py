"""The `utils` package: where it comes from and what importing it does."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import numpy as np
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import utils
from tests.conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest installs tomli on Python 3.10
    import tomli as tomllib


def test_utils_is_this_repository():
    # PyPI has an unrelated package called `utils`; ours must win.
    assert Path(utils.__file__).resolve().parent == REPO / "utils"


def test_import_configures_tensorflow_before_it_loads():
    code = (
        "import os, sys\n"
        "for k in ('TF_CPP_MIN_LOG_LEVEL', 'TF_ENABLE_ONEDNN_OPTS', 'KERAS_BACKEND'):\n"
        "    os.environ.pop(k, None)\n"
        "import utils\n"
        "assert 'tensorflow' not in sys.modules, 'import utils must not load TensorFlow'\n"
        "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], os.environ['TF_ENABLE_ONEDNN_OPTS'],"
        " os.environ['KERAS_BACKEND'])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert out.stdout.split() == ["3", "0", "tensorflow"]


def test_tensorflow_import_is_silent_after_utils():
    code = "import utils\nimport tensorflow as tf\nimport keras\ntf.constant(1.0) + 1\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert out.stderr == "" and out.stdout == ""


def test_setup_notebook_makes_random_draws_repeatable():
    import keras

    utils.setup_notebook(7)
    first = (
        np.random.rand(3),  # noqa: NPY002 (setup_notebook seeds the legacy global)
        keras.random.uniform((3,)).numpy(),
    )
    utils.setup_notebook(7)
    second = (
        np.random.rand(3),  # noqa: NPY002
        keras.random.uniform((3,)).numpy(),
    )
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_setup_notebook_rejects_bad_seed(seed):
    with pytest.raises(TypeError, match="seed"):
        utils.setup_notebook(seed)


# --- pyproject.toml declares what utils imports ---------------------------------------------


def third_party_imports() -> dict[str, set[str]]:
    """The third-party top-level modules that utils/*.py import, with the files importing each.

    Imports inside functions count; the standard library and utils itself do not.
    """
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / "utils").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top != "utils":
                    found.setdefault(top, set()).add(path.name)
    return found


def requirements(lines: list[str]) -> list[Requirement]:
    """Requirement lines, without comments, blank lines and pip options such as `-e .`."""
    lines = [line.split(" #")[0].strip() for line in lines]
    return [
        Requirement(line) for line in lines if line and not line.startswith(("#", "-"))
    ]


def declared() -> list[Requirement]:
    """The dependencies of pyproject.toml."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return requirements(project["dependencies"])


def declared_here() -> set[str]:
    """The dependencies of pyproject.toml on this platform (markers applied), by canonical name."""
    return {
        canonicalize_name(req.name)
        for req in declared()
        if req.marker is None or req.marker.evaluate()
    }


def distributions(module: str) -> set[str]:
    """The installed distributions that provide a top-level module, by canonical name."""
    return {
        canonicalize_name(name) for name in packages_distributions().get(module, [])
    }


def test_pyproject_declares_every_third_party_module_utils_imports():
    imported = third_party_imports()
    assert {"numpy", "tensorflow", "scipy"} <= set(imported), imported
    missing = {
        module: sorted(files)
        for module, files in imported.items()
        if not distributions(module) & declared_here()
    }
    assert not missing, (
        f"imported by utils, missing from pyproject.toml's dependencies: {missing}"
    )


def test_pyproject_declares_nothing_that_utils_does_not_import():
    provided = set().union(*map(distributions, third_party_imports()))
    unused = declared_here() - provided
    assert not unused, (
        f"in pyproject.toml's dependencies, imported by no utils module: {unused}"
    )


def test_pyproject_has_the_bounds_of_requirements_txt():
    """A dependency named in both files has the same versions in both, on the same platforms."""
    wanted = {
        (canonicalize_name(req.name), str(req.marker)): req.specifier
        for req in requirements((REPO / "requirements.txt").read_text().splitlines())
    }
    compared = 0
    for req in declared():
        key = (canonicalize_name(req.name), str(req.marker))
        if key in wanted:
            assert req.specifier == wanted[key], (
                f"{req} in pyproject.toml, {wanted[key]} in requirements.txt"
            )
            compared += 1
    assert compared >= 5, (
        "pyproject.toml and requirements.txt name almost no package alike"
    )
