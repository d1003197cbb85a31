"""utils.receptive_field_rules: the rule of each kind of layer, on stacks worked out by hand.

Each test builds a small model and checks the rows of utils.receptive_field
against the recurrence applied by hand; test_receptive_field.py checks the
same rules against the gradient's support.
"""

from __future__ import annotations

import keras
import pytest

from utils.receptive_field import (
    RFRow,
    input_region,
    receptive_field,
    receptive_field_of,
)
from utils.receptive_field_rules import SUPPORTED_LAYERS

L = keras.layers


def rf(model, name, **kwargs):
    """``(size, stride, padding)`` of one layer, each a (height, width) pair."""
    row = receptive_field_of(model, name, **kwargs)
    return row.size, row.stride, row.padding


def square(size, stride, padding):
    return (size, size), (stride, stride), (padding, padding)


def sequential(input_shape, *layers):
    return keras.Sequential([keras.Input(input_shape), *layers])


def test_three_3x3_convs_see_7x7():
    model = sequential((16, 16, 1), *(L.Conv2D(1, 3, name=f"c{k}") for k in (1, 2, 3)))
    rows = receptive_field(model)
    assert [row.name for row in rows] == ["c1", "c2", "c3"]  # the InputLayer has no row
    assert [row.size for row in rows] == [(3, 3), (5, 5), (7, 7)]  # 1 + 3 * (3 - 1)
    assert rows[-1].stride == (1, 1) and rows[-1].padding == (0, 0)
    assert rows[-1].output_size == (10, 10)
    assert input_region(rows[-1], 2, 5) == ((2, 8), (5, 11))


def test_stride_then_conv():
    model = sequential(
        (16, 16, 1), L.Conv2D(1, 3, strides=2), L.Conv2D(1, 3, name="top")
    )
    assert rf(model, "top") == square(7, 2, 0)  # 3 + (3 - 1) * 2


def test_pool_then_conv():
    model = sequential((16, 16, 1), L.MaxPooling2D(2), L.Conv2D(1, 3, name="top"))
    assert rf(model, "top") == square(6, 2, 0)  # 2 + (3 - 1) * 2


def test_dilation():
    model = sequential((16, 16, 1), L.Conv2D(1, 3, dilation_rate=2, name="d"))
    assert rf(model, "d") == square(5, 1, 0)  # k_eff = 2 * (3 - 1) + 1
    model = sequential((16, 16, 1), L.Conv2D(1, (3, 2), dilation_rate=(1, 3), name="d"))
    assert rf(model, "d") == ((3, 4), (1, 1), (0, 0))


def test_zero_padding_moves_the_field_into_the_padding():
    model = sequential(
        (8, 8, 1), L.ZeroPadding2D(2, name="pad"), L.Conv2D(1, 3, name="c")
    )
    assert rf(model, "pad") == square(1, 1, 2)  # r and S unchanged
    row = receptive_field_of(model, "c")
    assert (row.size, row.stride, row.padding) == square(3, 1, 2)
    assert input_region(row, 0, 0) == ((-2, 0), (-2, 0))
    assert row.output_size == (10, 10)


def test_cropping_reduces_the_padding():
    model = sequential(
        (15, 15, 1),
        L.Conv2D(1, 3, strides=2),  # 7 x 7 outputs, feature k sees 2k .. 2k + 2
        L.Cropping2D(((1, 0), (2, 1)), name="crop"),
    )
    row = receptive_field_of(model, "crop")
    assert (row.size, row.stride, row.padding) == (
        (3, 3),
        (2, 2),
        (-2, -4),
    )  # P - crop * S
    # Feature (0, 0) after cropping is feature (1, 2) before: rows 2..4, columns 4..6.
    assert input_region(row, 0, 0) == ((2, 4), (4, 6))
    assert row.output_size == (6, 4)


def test_same_padding_uses_the_tensorflow_split():
    def top(n):
        model = sequential(
            (n, n, 1), L.Conv2D(1, 3, strides=2, padding="same", name="c")
        )
        return rf(model, "c")

    # n = 8: total = (4 - 1) * 2 + 3 - 8 = 1, so 0 before and 1 after.
    assert top(8) == square(3, 2, 0)
    # n = 7: total = (4 - 1) * 2 + 3 - 7 = 2, so 1 before.
    assert top(7) == square(3, 2, 1)
    # An even kernel with stride 1: total 1, the extra zero goes after, for any n.
    model = sequential((None, None, 1), L.Conv2D(1, (2, 4), padding="same", name="c"))
    assert rf(model, "c") == ((2, 4), (1, 1), (0, 1))


def test_same_with_an_unknown_size():
    model = sequential(
        (None, None, 1),
        L.Conv2D(1, 3, padding="same"),  # stride 1: (k - 1) // 2 before, whatever n
        L.MaxPooling2D(2, padding="same", name="pool"),  # 2x2/2: 0 before for every n
        L.Conv2D(
            1, 3, strides=2, padding="same", name="c"
        ),  # 0 or 1 before: n is needed
    )
    with pytest.raises(ValueError, match=r"layer 'c' \(Conv2D\).*input size is needed"):
        receptive_field(model)
    # Height 16 -> 16 -> 8 (even: 0 before); width 13 -> 13 -> 7 (odd: 1 before, at S = 2).
    assert rf(model, "c", input_size=(16, 13)) == ((8, 8), (4, 4), (1, 1 + 1 * 2))
    row = receptive_field_of(model, "pool", input_size=(16, 9))
    assert (row.size, row.stride, row.padding) == square(4, 2, 1)
    assert row.output_size == (8, 5)


def test_one_dimensional_models_have_height_one():
    model = sequential(
        (20, 2),
        L.Conv1D(1, 3, padding="causal", dilation_rate=2, name="causal"),
        L.AveragePooling1D(2, name="pool"),
        L.ZeroPadding1D((3, 0)),
        L.Conv1D(1, 2, strides=2, name="c"),
    )
    assert rf(model, "causal") == ((1, 5), (1, 1), (0, 4))  # causal: k_eff - 1 before
    assert rf(model, "pool") == ((1, 6), (1, 2), (0, 4))
    row = receptive_field_of(model, "c")
    assert (row.size, row.stride, row.padding) == ((1, 8), (1, 4), (0, 10))
    assert input_region(row, 0, 1) == ((0, 0), (-6, 1))


def test_merge_takes_the_union_of_the_paths():
    x = keras.Input((10, 10, 1))
    a = L.Conv2D(1, 3, padding="same")(x)  # sees -1 .. 1 around each pixel
    b = L.ZeroPadding2D(((2, 0), (0, 2)))(x)
    b = L.Conv2D(1, 3)(b)  # sees rows -2 .. 0 and columns 0 .. 2
    out = L.Add(name="add")([a, b])
    row = receptive_field_of(keras.Model(x, out), "add")
    # Rows: union of -1..1 and -2..0 is -2..1; columns: union of -1..1 and 0..2 is -1..2.
    assert input_region(row, 0, 0) == ((-2, 1), (-1, 2))
    assert (row.size, row.stride, row.padding) == ((4, 4), (1, 1), (2, 1))


def test_global_layers_see_the_whole_input():
    model = sequential(
        (8, 8, 1),
        L.Conv2D(2, 3, name="conv"),
        L.Dense(3, name="pointwise"),  # on a map, Dense acts on the channels only
        L.Flatten(name="flat"),
        L.Dense(4, name="dense"),
    )
    assert rf(model, "pointwise") == square(3, 1, 0)
    flat = receptive_field_of(model, "flat")
    assert flat.is_global and flat.output_size is None
    assert flat.size == (8, 8)  # 3 + (6 - 1) * 1: every pixel of the input
    assert input_region(flat, 0, 0) == ((0, 7), (0, 7))
    assert receptive_field_of(model, "dense") == RFRow(
        "dense", "Dense", (8, 8), (1, 1), (0, 0), None, True
    )
    with pytest.raises(ValueError, match="global: its output has one feature"):
        input_region(flat, 0, 1)
    gap = sequential(
        (None, None, 1),
        L.Conv2D(1, 3, padding="same"),
        L.GlobalAveragePooling2D(name="gap"),
    )
    with pytest.raises(
        ValueError, match=r"'gap' \(GlobalAveragePooling2D\).*input size"
    ):
        receptive_field(gap)
    # 9 x 9 input: 'same' pads 1 before, and the 9 x 9 map spans 3 + 8 = 11 rows from -1.
    row = receptive_field_of(gap, "gap", input_size=9)
    assert input_region(row, 0, 0) == ((-1, 9), (-1, 9))


def test_unsupported_layers_are_named():
    model = sequential(
        (8, 8, 1), L.Conv2D(1, 3), L.Lambda(lambda t: t * 2, name="double")
    )
    with pytest.raises(ValueError, match=r"layer 'double' \(Lambda\) is not supported"):
        receptive_field(model)
    model = sequential((10, 3), L.Conv1D(4, 3), L.LSTM(2, name="memory"))
    with pytest.raises(ValueError, match=r"'memory' \(LSTM\)"):
        receptive_field(model)
    model = sequential((8, 8, 1), L.UpSampling2D(name="up"))
    with pytest.raises(ValueError, match=r"'up' \(UpSampling2D\)"):
        receptive_field(model)
    x = keras.Input((8, 8, 1))
    with pytest.raises(ValueError, match=r"\(Concatenate\).*spatial axis"):
        receptive_field(keras.Model(x, L.Concatenate(axis=1)([x, x])))
    with pytest.raises(
        ValueError, match=r"Keras operation 'relu' \(Relu\) is not supported"
    ):
        receptive_field(keras.Model(x, keras.ops.relu(x)))


def test_supported_layers():
    assert list(SUPPORTED_LAYERS) == sorted(SUPPORTED_LAYERS)
    assert {
        "Conv1D",
        "Conv2D",
        "MaxPooling2D",
        "ZeroPadding2D",
        "Add",
        "Flatten",
    } <= set(SUPPORTED_LAYERS)
    assert "Lambda" not in SUPPORTED_LAYERS


def test_merging_different_strides_is_an_error():
    x = keras.Input((8, 8, 1))
    a = L.Conv2D(1, 1, strides=2)(x)  # 4 x 4, stride 2
    b = L.Conv2D(1, 5)(x)  # 4 x 4, stride 1
    model = keras.Model(x, L.Add(name="bad_add")([a, b]))
    with pytest.raises(
        ValueError, match=r"'bad_add' \(Add\) merges inputs whose effective"
    ):
        receptive_field(model)
