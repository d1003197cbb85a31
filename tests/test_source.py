"""utils.source: a function's code as the chapters show it."""

from __future__ import annotations

import pytest

from utils import conv
from utils.source import show_source, source_code


def example(x: int) -> int:
    """A docstring
    over two lines."""
    # a comment stays
    return x + 1


class Example:
    """A class."""

    def method(self) -> int:
        """Its docstring."""
        return 1


def test_source_code_drops_only_the_docstring():
    assert source_code(example) == (
        "def example(x: int) -> int:\n    # a comment stays\n    return x + 1"
    )
    assert '"""A docstring' in source_code(example, docstring=True)
    assert (
        source_code(Example.method) == "def method(self) -> int:\n    return 1"
    )  # dedented


def test_show_source_is_a_python_block_of_the_real_code():
    shown = show_source(conv.conv2d).data
    assert shown.startswith("```python\ndef conv2d(")
    assert shown.endswith("\n```")
    assert "np.einsum" in shown and "Parameters" not in shown


@pytest.mark.parametrize("bad", [len, 3, "conv2d", conv])
def test_bad_input_names_the_argument(bad):
    with pytest.raises(TypeError, match="function must be a Python function or class"):
        source_code(bad)
