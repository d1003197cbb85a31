"""utils._tables: the plain-text tables of the receptive-field and cost reports."""

from __future__ import annotations

from utils._tables import text_table


def test_columns_align_names_left_and_numbers_right_with_a_total():
    table = text_table(
        ("layer", "params"),
        [("conv", "448"), ("dense_1", "13")],
        left=1,
        footer=("total", "461"),
    )
    assert table.splitlines() == [
        "layer    params",
        "---------------",
        "conv        448",
        "dense_1      13",
        "---------------",
        "total       461",
    ]


def test_no_footer_and_ascii_only():
    table = text_table(("name", "r"), [("합성곱", "3")], left=1)
    assert table.splitlines() == ["name  r", "-------", "???   3"]
