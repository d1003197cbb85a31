"""The code a chapter teaches, shown on its page from where it really lives.

A chapter that explains a function of ``utils`` shows that function with
:func:`show_source`: its source is read from the module at run time, so the
page can never show a stale copy (nbval compares the shown code with the
stored output on every run).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable

from IPython.display import Markdown

__all__ = ["show_source", "source_code"]


def source_code(function: Callable, *, docstring: bool = False) -> str:
    """The source of ``function``, dedented, without its docstring unless ``docstring``."""
    if not (inspect.isfunction(function) or inspect.isclass(function)):
        raise TypeError(
            f"function must be a Python function or class defined in a module; got {function!r}"
        )
    source = textwrap.dedent(inspect.getsource(function))
    if docstring:
        return source.rstrip("\n")
    lines = source.splitlines()
    body = ast.parse(source).body[0].body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):  # ast line numbers are 1-based and inclusive
        del lines[first.lineno - 1 : first.end_lineno]
    return "\n".join(lines)


def show_source(function: Callable, *, docstring: bool = False) -> Markdown:
    """Display :func:`source_code` of ``function`` as a highlighted Python block."""
    return Markdown(f"```python\n{source_code(function, docstring=docstring)}\n```")
