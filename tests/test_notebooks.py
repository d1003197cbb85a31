"""Hygiene of the chapters, and proof that nbval's strict validation can fail.

_toc.yml is the one list of the book's notebooks, in reading order: the
Makefile (`make notebooks`), `make bench` and these tests read it (tools/toc.py).
Every notebook must be listed in it (and every entry must exist). Every chapter
must have exactly one H1, start its code with the Colab setup cell
(tools/setup_cells.py; tests/test_setup_cells.py checks what it does) and then
import `utils` before TensorFlow/Keras, be executed top to bottom with its
outputs stored (no errors, nothing on stderr) and load no data over the network
(the setup cell installs the book's package in Colab, and only there).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from tests.conftest import REPO
from tools.setup_cells import TAGS as SETUP_TAGS
from tools.setup_cells import is_setup_cell
from tools.toc import toc_files, toc_notebooks

SANITIZER = REPO / "tests" / "nbval_sanitize.cfg"

IMPORT_UTILS = re.compile(r"^\s*(import utils\b|from utils\b)", re.MULTILINE)
IMPORT_TF = re.compile(r"^\s*(import|from)\s+(tensorflow|keras)\b", re.MULTILINE)
# Ways of loading data or weights over the network that a notebook must not use.
NETWORK_LOADERS = {
    "Keras data sets": re.compile(
        r"\b(keras|tf)\.datasets\b|\bfrom keras(\.\w+)* import datasets"
    ),
    "keras get_file": re.compile(r"\bget_file\s*\("),
    "scikit-learn fetchers": re.compile(r"\bfetch_\w+\s*\("),
    "TensorFlow Datasets / Hub": re.compile(
        r"\b(tensorflow_datasets|tensorflow_hub|tfds)\b"
    ),
    "pretrained weights": re.compile(r"weights\s*=\s*['\"]imagenet['\"]"),
    "HTTP clients": re.compile(
        r"\b(urllib\.request|urlopen|requests\.get|wget|curl)\b"
    ),
    "URLs": re.compile(r"https?://"),
}


# The chapters whose hygiene is tested below (running.ipynb is a page about the book).
CHAPTERS = [REPO / path for path in toc_notebooks() if path.startswith("chapters/")]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_there_are_chapters():
    assert CHAPTERS, "chapters/ has no notebooks"


def test_every_notebook_is_in_the_toc_and_every_entry_exists():
    on_disk = {
        str(path.relative_to(REPO))
        for pattern in ("*.ipynb", "chapters/*.ipynb")
        for path in REPO.glob(pattern)
    }
    listed = set(toc_notebooks())
    assert on_disk - listed == set(), "notebooks missing from _toc.yml"
    assert listed - on_disk == set(), (
        "_toc.yml lists notebooks outside chapters/ and the root"
    )
    for entry in toc_files():
        matches = [REPO / f"{entry}{suffix}" for suffix in ("", ".ipynb", ".md")]
        assert any(path.is_file() for path in matches), (
            f"_toc.yml entry {entry!r} has no file"
        )


# A link by file name, [text](04_pooling.ipynb): inserting a chapter would mean renaming it.
FILE_LINK = re.compile(r"\]\((?:\.\./)?(?:chapters/)?[^)\s]*\.ipynb[)#]")


def test_pages_link_to_each_other_by_label_not_by_file_name():
    pages = {
        path: "\n".join(c.source for c in read(path).cells if c.cell_type == "markdown")
        for path in (REPO / p for p in toc_notebooks())
    }
    pages.update({path: path.read_text() for path in REPO.glob("*.md")})
    offenders = [
        str(path.relative_to(REPO))
        for path, text in pages.items()
        if FILE_LINK.search(text)
    ]
    assert offenders == [], f"link by label ({{ref}}`text <chapter-...>`): {offenders}"
    assert FILE_LINK.search("see the [pooling\nchapter](04_pooling.ipynb).")
    assert not FILE_LINK.search("see the {ref}`pooling chapter <chapter-pooling>`.")


def test_every_chapter_starts_with_its_label():
    for path in CHAPTERS:
        first = read(path).cells[0].source
        label = "chapter-" + path.stem[3:].replace("_", "-")
        assert first.startswith(f"({label})=\n# "), (
            f"{path.name} must start with ({label})= above its title"
        )


def make_notebooks(directory: Path = REPO) -> list[str]:
    """`make notebooks` in directory, with the repository's Makefile.

    It is the list that `make validate`, `make book`, `make outputs` and `make bench`
    use by default.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MAKEFLAGS", "MFLAGS", "NB", "NOTEBOOKS")
    }
    return subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "-f",
            str(REPO / "Makefile"),
            "notebooks",
        ],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def test_make_lists_the_notebooks_of_the_toc_in_reading_order():
    assert make_notebooks() == toc_notebooks()
    assert make_notebooks()[-1] == "running.ipynb"


def test_make_reads_any_way_of_writing_a_toc_entry(tmp_path):
    """The Makefile reads _toc.yml with sed: it agrees with PyYAML on every spelling."""
    (tmp_path / "chapters").mkdir()
    names = [
        "start.ipynb",
        "chapters/01_a.ipynb",
        "chapters/02_b.ipynb",
        "chapters/03_c.ipynb",
    ]
    for name in [*names, "chapters/04_unlisted.ipynb"]:
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / name)
    (tmp_path / "notes.md").write_text("# Notes\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\n"
        "root: start  # a notebook too\n"
        "parts:\n"
        "  - caption: Part\n"
        "    chapters:\n"
        "      - file: chapters/01_a.ipynb\n"
        '      - file: "chapters/02_b"\n'
        "      # - file: chapters/04_unlisted\n"
        "      - title: Notes\n"
        "        file: notes\n"
        "      -   file:   'chapters/03_c'   \n"
    )
    assert toc_notebooks(tmp_path) == names
    assert make_notebooks(tmp_path) == names


def test_make_refuses_to_validate_no_notebook():
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "validate", "NOTEBOOKS="],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "NOTEBOOKS names no notebook" in result.stderr


def test_chapters_are_numbered_in_reading_order():
    chapter_entries = [entry for entry in toc_files() if entry.startswith("chapters/")]
    assert chapter_entries == sorted(chapter_entries)
    for path in CHAPTERS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), path.name


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
class TestNotebook:
    def test_is_valid_nbformat_with_a_python3_kernel(self, path):
        nb = read(path)
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == "python3"
        assert nb.metadata.kernelspec.language == "python"

    def test_has_exactly_one_h1_and_it_opens_the_notebook(self, path):
        nb = read(path)
        h1 = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "markdown":
                continue
            text = re.sub(
                r"^(```|~~~).*?^\1", "", cell.source, flags=re.MULTILINE | re.DOTALL
            )
            h1 += [
                (index, line) for line in text.splitlines() if re.match(r"#\s", line)
            ]
        assert len(h1) == 1, f"expected one H1, found {h1}"
        assert h1[0][0] == 0, "the H1 must be in the first cell"

    def test_starts_its_code_with_the_colab_setup_cell_then_imports_utils(self, path):
        cells = code_cells(read(path))
        assert is_setup_cell(cells[0]), (
            "the first code cell must be the Colab setup cell: run `make repository`"
        )
        assert set(SETUP_TAGS) <= set(cells[0].metadata.get("tags", [])), (
            f"the setup cell must be tagged {SETUP_TAGS} (hidden on the page)"
        )
        assert not any(is_setup_cell(cell) for cell in cells[1:]), "two setup cells"
        assert IMPORT_UTILS.search(cells[1].source), (
            "the cell after the setup cell must import utils"
        )

    def test_imports_utils_before_tensorflow_or_keras(self, path):
        source = "\n".join(cell.source for cell in code_cells(read(path)))
        first_utils = IMPORT_UTILS.search(source)
        first_tf = IMPORT_TF.search(source)
        assert first_utils, "the notebook never imports utils"
        assert first_tf is None or first_utils.start() < first_tf.start(), (
            "utils must be imported before TensorFlow/Keras"
        )
        assert "setup_notebook(" in source, (
            "the notebook must seed with utils.setup_notebook"
        )

    def test_is_executed_top_to_bottom_with_outputs_stored(self, path):
        cells = [cell for cell in code_cells(read(path)) if cell.source.strip()]
        counts = [cell.execution_count for cell in cells]
        assert counts == list(range(1, len(cells) + 1)), (
            f"execution counts {counts}: run `make outputs NB={path.relative_to(REPO)}`"
        )
        assert sum(len(cell.outputs) for cell in cells) > 0, "no outputs are stored"

    def test_stored_outputs_have_no_errors_or_stderr(self, path):
        for index, cell in enumerate(read(path).cells):
            for output in cell.get("outputs", []):
                assert output.output_type != "error", f"cell {index} stored an error"
                assert output.get("name") != "stderr", (
                    f"cell {index} wrote to stderr: {output.text[:200]!r}"
                )

    def test_loads_nothing_over_the_network(self, path):
        # The setup cell installs the book's package from its repository, in Colab only.
        cells = [cell for cell in code_cells(read(path)) if not is_setup_cell(cell)]
        source = "\n".join(cell.source for cell in cells)
        for what, pattern in NETWORK_LOADERS.items():
            match = pattern.search(source)
            assert match is None, f"{what}: {match.group(0)!r}"

    def test_trains_quietly(self, path):
        source = "\n".join(cell.source for cell in code_cells(read(path)))
        for call in re.finditer(r"\.(fit|evaluate|predict)\(", source):
            tail = source[call.end() : call.end() + 400]
            assert "verbose=0" in tail, f"{call.group(0)} without verbose=0"
        assert ".summary()" not in source, "print summaries with utils.layers.summary"


def test_every_sanitizer_rule_loads():
    text = SANITIZER.read_text()
    assert text.isascii()
    regex_lines = [line for line in text.splitlines() if line.startswith("regex:")]
    patterns = get_sanitize_patterns(text)
    assert regex_lines and len(patterns) == len(regex_lines), (
        "a regex: line is not followed by a 'replace: ' line nbval can read"
    )
    for regex, replacement in patterns:
        re.compile(regex)
        assert replacement.strip(), f"rule {regex!r} has an empty replacement"
    # And the rules do what they say.
    sample = "<object at 0x7f3a2b1c9d40>"
    for regex, replacement in patterns:
        sample = re.sub(regex, replacement, sample)
    assert sample == "<object at 0xADDRESS>"


# --- nbval's strict mode really fails on a changed output -------------------------

SELFTEST_CELLS = [
    "import utils\n\nutils.setup_notebook(seed=0)\nimport numpy as np",
    "print(np.arange(4).sum())",
    "np.round(np.random.default_rng(0).random(3), 4)",
]


def write_executed_notebook(
    path: Path, cells: list[str], env: dict | None = None
) -> None:
    """Write a notebook of these code cells and store its outputs as `make outputs` does."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, path)
    subprocess.run(
        ["make", "--no-print-directory", "outputs", f"NB={path}"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def executed_notebook():
    """A tiny notebook executed the way `make outputs` does, inside the repository.

    It must live under the repository root so that conftest.py and the
    sanitizer apply exactly as they do to chapters/.
    """
    folder = REPO / "_build" / "nbval-selftest"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "selftest.ipynb"
    write_executed_notebook(path, SELFTEST_CELLS)
    yield path
    shutil.rmtree(folder, ignore_errors=True)


def validate(path: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """`make validate` on one notebook: the exact command that checks chapters/."""
    return subprocess.run(
        ["make", "--no-print-directory", "validate", f"NOTEBOOKS={path}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


def validation_passes(result: subprocess.CompletedProcess) -> tuple[str, str]:
    """The output of `make validate`'s two passes: default threads, then single-threaded."""
    marker = "pass 2 of 2"
    assert marker in result.stdout, result.stdout[-2000:]
    first, second = result.stdout.split(marker, 1)
    return first, second


def test_nbval_passes_an_untouched_notebook(executed_notebook):
    result = validate(executed_notebook)
    assert result.returncode == 0, result.stdout[-2000:]
    first, second = validation_passes(result)
    assert "3 passed" in first and "3 passed" in second


# --- the single-threaded pass catches an output that depends on the CPU -------------------

# A float32 training loss printed to 6 decimals: the kind of output that differs on a
# reader's machine. Adam at a high learning rate amplifies the last-bit differences that
# the order of the float32 reductions makes, within five epochs.
FLOAT32_TRAINING_CELLS = [
    "import utils\n\nutils.setup_notebook(seed=0)\nimport keras\n"
    "from sklearn.datasets import load_digits",
    "digits = load_digits()\n"
    "x, y = digits.images[..., None] / 16.0, digits.target\n"
    "model = keras.Sequential([\n"
    "    keras.Input((8, 8, 1)),\n"
    "    keras.layers.Conv2D(16, 3, padding='same', activation='relu'),\n"
    "    keras.layers.Conv2D(32, 3, padding='same', activation='relu'),\n"
    "    keras.layers.Flatten(),\n"
    "    keras.layers.Dense(10, activation='softmax'),\n"
    "])\n"
    "model.compile(optimizer=keras.optimizers.Adam(0.03), loss='sparse_categorical_crossentropy')\n"
    "history = model.fit(x, y, epochs=5, batch_size=64, verbose=0)\n"
    "print(f\"float32 training loss: {history.history['loss'][-1]:.6f}\")",
]


def test_single_threaded_pass_fails_a_float32_training_log():
    """Stored with two threads, the log passes pass 1 and fails pass 2 (one thread).

    Two threads are set explicitly (for both the stored run and pass 1), so the
    test shows the same thing on a machine with any number of cores.
    """
    folder = REPO / "_build" / "nbval-threads-selftest"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "float32_training.ipynb"
    two_threads = {
        **os.environ,
        "TF_NUM_INTRAOP_THREADS": "2",
        "TF_NUM_INTEROP_THREADS": "2",
    }
    try:
        write_executed_notebook(path, FLOAT32_TRAINING_CELLS, env=two_threads)
        stored = read(path).cells[1].outputs[0].text
        assert re.fullmatch(r"float32 training loss: \d+\.\d{6}\n", stored), stored
        result = validate(path, env=two_threads)
        first, second = validation_passes(result)
        assert "2 passed" in first, first[-2000:]
        assert result.returncode != 0, (
            "the single-threaded pass accepted a float32 training log"
        )
        assert "Cell outputs differ" in second and "1 failed" in second, second[-2000:]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize(
    ("cell", "field", "old", "new"),
    [(1, "text", "6", "7"), (2, "data", "0.637", "0.638")],
    ids=["stdout", "execute_result"],
)
def test_nbval_fails_when_a_stored_output_is_edited(
    executed_notebook, tmp_path, cell, field, old, new
):
    nb = read(executed_notebook)
    output = nb.cells[cell].outputs[0]
    if field == "text":
        assert old in output.text
        output.text = output.text.replace(old, new)
    else:
        assert old in output.data["text/plain"]
        output.data["text/plain"] = output.data["text/plain"].replace(old, new)
    edited = executed_notebook.with_name(f"edited_{field}.ipynb")
    nbformat.write(nb, edited)
    result = validate(edited)
    assert result.returncode != 0
    assert "Cell outputs differ" in result.stdout
    assert "1 failed" in result.stdout


# --- `make book`'s validation cache cannot hide a failure ---------------------------------


@pytest.fixture()
def cached_setup():
    """A notebook whose output depends on a helper module, executed and stored.

    The helper stands in for a module of utils/: the test passes it to
    `make validate-cached` as a validation input, exactly as the Makefile
    passes every file of utils/.
    """
    folder = REPO / "_build" / "nbval-cache-selftest"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    helper = folder / "helper.py"
    helper.write_text("def answer():\n    return 41 + 1\n")
    path = folder / "cached.ipynb"
    write_executed_notebook(
        path,
        [
            "import utils\n\nutils.setup_notebook(seed=0)",
            "from helper import answer\n\nprint(answer())",
        ],
    )
    yield path, helper, folder / "cache"
    shutil.rmtree(folder, ignore_errors=True)


def validate_cached(
    path: Path, helper: Path, cache: Path
) -> subprocess.CompletedProcess:
    inputs = " ".join(str(p) for p in [helper, REPO / "constraints.txt"])
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "validate-cached",
            f"NOTEBOOKS={path}",
            f"VALIDATION_INPUTS={inputs}",
            f"CACHE={cache}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )


def test_validation_cache_skips_unchanged_and_catches_changes(cached_setup):
    path, helper, cache = cached_setup
    first = validate_cached(path, helper, cache)
    assert first.returncode == 0 and "Validating:" in first.stdout, first.stdout[-2000:]
    again = validate_cached(path, helper, cache)
    assert (
        again.returncode == 0
        and "passed nbval with these inputs before" in again.stdout
    )

    # A changed function that the notebook uses: re-validated, and the stale output fails.
    helper.write_text("def answer():\n    return 41 + 2\n")
    changed = validate_cached(path, helper, cache)
    assert changed.returncode != 0 and "Cell outputs differ" in changed.stdout

    # Back to the original function: the cached pass is valid again.
    helper.write_text("def answer():\n    return 41 + 1\n")
    assert validate_cached(path, helper, cache).returncode == 0

    # An output edited by hand: the notebook's content changed, so it is re-validated.
    nb = read(path)
    nb.cells[1].outputs[0].text = "4242\n"
    nbformat.write(nb, path)
    edited = validate_cached(path, helper, cache)
    assert edited.returncode != 0 and "Cell outputs differ" in edited.stdout


def test_validation_cache_key_covers_every_utils_module_and_the_lock():
    shown = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "--eval=show-inputs: ; @echo $(VALIDATION_INPUTS)",
            "show-inputs",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    modules = sorted(f"utils/{p.name}" for p in (REPO / "utils").glob("*.py"))
    assert modules and set(modules) <= set(shown)
    assert {"constraints.txt", "conftest.py", "tests/nbval_sanitize.cfg"} <= set(shown)
