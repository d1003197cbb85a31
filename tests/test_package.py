"""The `utils` package: where it comes from and what importing it does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import utils
from tests.conftest import REPO


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
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["3", "0", "tensorflow"]


def test_tensorflow_import_is_silent_after_utils():
    code = "import utils\nimport tensorflow as tf\nimport keras\ntf.constant(1.0) + 1\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
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
