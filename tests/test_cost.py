"""utils.cost: parameters equal Keras's count, MACs equal the hand formulas.

The parameter formulas are checked against Keras's count_params on every layer
of random small models (hypothesis) and of VGG16, ResNet50 and MobileNet, built
with weights=None (nothing is downloaded). The multiply-accumulates are checked
by hand on small layers, and the three networks' totals against their papers.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import cost


def single(layer: keras.layers.Layer, shape: tuple[int, ...]) -> cost.LayerCost:
    """The cost row of ``layer`` in a one-layer model on inputs of ``shape``."""
    model = keras.Sequential([keras.Input(shape), layer])
    (row,) = cost.layer_costs(model)
    assert row.params == model.count_params()
    return row


# --- Each rule, by hand --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "shape", "params", "macs", "output"),
    [
        # 3x3 from 8 to 16 channels, 'same' on 32x32: 32*32 positions x 3*3*8*16 weights
        (
            keras.layers.Conv2D(16, 3, padding="same"),
            (32, 32, 8),
            3 * 3 * 8 * 16 + 16,
            32 * 32 * 3 * 3 * 8 * 16,
            (32, 32, 16),
        ),
        # 'valid', stride 2, no bias: (9 - 3) // 2 + 1 = 4 positions per axis
        (
            keras.layers.Conv2D(4, 3, strides=2, use_bias=False),
            (9, 9, 2),
            3 * 3 * 2 * 4,
            4 * 4 * 3 * 3 * 2 * 4,
            (4, 4, 4),
        ),
        # groups=2: each filter reads 6 / 2 = 3 channels
        (
            keras.layers.Conv2D(4, (1, 3), padding="same", groups=2),
            (5, 5, 6),
            1 * 3 * 3 * 4 + 4,
            5 * 5 * 1 * 3 * 3 * 4,
            (5, 5, 4),
        ),
        # depthwise, multiplier 2, stride 2, 'same': ceil(7 / 2) = 4 positions per axis
        (
            keras.layers.DepthwiseConv2D(
                3, strides=2, padding="same", depth_multiplier=2
            ),
            (7, 7, 3),
            3 * 3 * 3 * 2 + 6,
            4 * 4 * 3 * 3 * 3 * 2,
            (4, 4, 6),
        ),
        # separable: depthwise 3*3*4 and pointwise 4*8 weights, biases on the 8 filters only
        (
            keras.layers.SeparableConv2D(8, 3),
            (6, 6, 4),
            3 * 3 * 4 + 4 * 8 + 8,
            4 * 4 * (3 * 3 * 4 + 4 * 8),
            (4, 4, 8),
        ),
        # transposed, stride 2, 'same': each of 3*3 inputs meets every 3*3*5*2 weight
        (
            keras.layers.Conv2DTranspose(5, 3, strides=2, padding="same"),
            (3, 3, 2),
            3 * 3 * 5 * 2 + 5,
            3 * 3 * 3 * 3 * 5 * 2,
            (6, 6, 5),
        ),
        (keras.layers.Dense(7), (10,), 10 * 7 + 7, 10 * 7, (7,)),
        # Dense on a map acts on every pixel: 4*4 positions
        (
            keras.layers.Dense(7, use_bias=False),
            (4, 4, 10),
            10 * 7,
            4 * 4 * 10 * 7,
            (4, 4, 7),
        ),
        (keras.layers.BatchNormalization(), (4, 4, 10), 4 * 10, 0, (4, 4, 10)),
        (
            keras.layers.BatchNormalization(center=False, scale=False),
            (4, 4, 10),
            2 * 10,
            0,
            (4, 4, 10),
        ),
        (keras.layers.MaxPooling2D(2), (8, 8, 3), 0, 0, (4, 4, 3)),
        (keras.layers.GlobalAveragePooling2D(), (8, 8, 3), 0, 0, (3,)),
        (keras.layers.ZeroPadding2D(((1, 0), (2, 3))), (8, 8, 3), 0, 0, (9, 13, 3)),
        (keras.layers.Flatten(), (8, 8, 3), 0, 0, (192,)),
    ],
)
def test_each_rule_by_hand(layer, shape, params, macs, output):
    row = single(layer, shape)
    assert (row.params, row.macs, row.output_shape) == (params, macs, output)
    assert row.activation_bytes == 4 * int(np.prod(output))
    assert row.layer_class == type(layer).__name__


def test_dilation_costs_what_the_kernel_has():
    plain = single(keras.layers.Conv2D(4, 3, padding="same"), (9, 9, 2))
    dilated = single(
        keras.layers.Conv2D(4, 3, dilation_rate=2, padding="same"), (9, 9, 2)
    )
    assert (plain.params, plain.macs) == (dilated.params, dilated.macs)


def test_merges_and_nested_models():
    inputs = keras.Input((6, 6, 3))
    inner = keras.Sequential(
        [keras.Input((6, 6, 3)), keras.layers.Conv2D(3, 3, padding="same", name="c")],
        name="inner",
    )
    a = inner(inputs)
    b = keras.layers.Conv2D(3, 1, name="one")(inputs)
    added = keras.layers.Add(name="add")([a, b])
    joined = keras.layers.Concatenate(name="cat")([added, inputs])
    model = keras.Model(inputs, joined)
    rows = cost.layer_costs(model)
    assert [row.name for row in rows] == ["inner/c", "one", "add", "cat"]
    assert sum(row.params for row in rows) == model.count_params()
    assert rows[0].macs == 6 * 6 * 3 * 3 * 3 * 3 and rows[1].macs == 6 * 6 * 3 * 3
    assert rows[3].output_shape == (6, 6, 6) and rows[2].macs == rows[3].macs == 0
    assert cost.total_macs(model) == rows[0].macs + rows[1].macs


# --- Random models: the parameters are Keras's ---------------------------------------------


@st.composite
def small_models(draw):
    """An input shape and 1 to 5 supported layers, then a head, as (class, arguments).

    The layers are made in the test, not here: Keras draws their initial weights.
    """
    channels = draw(st.integers(1, 4))
    shape = (draw(st.integers(4, 12)), draw(st.integers(4, 12)), channels)
    specs = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(
            st.sampled_from(
                [
                    "conv",
                    "depthwise",
                    "separable",
                    "transpose",
                    "bn",
                    "pool",
                    "pad",
                    "relu",
                ]
            )
        )
        k, s = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        common = {"kernel_size": k, "strides": s, "use_bias": draw(st.booleans())}
        if kind == "conv":
            divisors = [g for g in range(1, channels + 1) if channels % g == 0]
            groups = draw(st.sampled_from(divisors))
            channels = groups * draw(st.integers(1, 3))
            specs.append(
                (
                    keras.layers.Conv2D,
                    {
                        "filters": channels,
                        "groups": groups,
                        "padding": "same",
                        **common,
                    },
                )
            )
        elif kind == "depthwise":
            multiplier = draw(st.integers(1, 2))
            channels *= multiplier
            specs.append(
                (
                    keras.layers.DepthwiseConv2D,
                    {"depth_multiplier": multiplier, "padding": "same", **common},
                )
            )
        elif kind == "separable":
            channels = draw(st.integers(1, 4))
            multiplier = draw(st.integers(1, 2))
            specs.append(
                (
                    keras.layers.SeparableConv2D,
                    {
                        "filters": channels,
                        "depth_multiplier": multiplier,
                        "padding": "same",
                        **common,
                    },
                )
            )
        elif kind == "transpose":
            channels = draw(st.integers(1, 4))
            padding = draw(st.sampled_from(["valid", "same"]))
            specs.append(
                (
                    keras.layers.Conv2DTranspose,
                    {"filters": channels, "padding": padding, **common},
                )
            )
        elif kind == "bn":
            center, scale = draw(st.booleans()), draw(st.booleans())
            specs.append(
                (keras.layers.BatchNormalization, {"center": center, "scale": scale})
            )
        elif kind == "pool":
            pool = draw(
                st.sampled_from(
                    [keras.layers.MaxPooling2D, keras.layers.AveragePooling2D]
                )
            )
            specs.append((pool, {"pool_size": 2, "padding": "same"}))
        elif kind == "pad":
            specs.append((keras.layers.ZeroPadding2D, {"padding": 1}))
        else:
            specs.append((keras.layers.ReLU, {}))
    if draw(st.booleans()):
        specs.append((keras.layers.GlobalAveragePooling2D, {}))
    else:
        specs += [(keras.layers.Flatten, {}), (keras.layers.Dropout, {"rate": 0.5})]
    units, bias = draw(st.integers(1, 5)), draw(st.booleans())
    specs.append((keras.layers.Dense, {"units": units, "use_bias": bias}))
    return shape, specs


@settings(max_examples=60, deadline=None)
@given(small_models())
def test_parameters_equal_keras_on_random_models(shape_and_specs):
    shape, specs = shape_and_specs
    model = keras.Sequential(
        [keras.Input(shape), *(cls(**arguments) for cls, arguments in specs)]
    )
    rows = cost.layer_costs(model)
    assert len(rows) == len(model.layers)
    for row, layer in zip(rows, model.layers):
        assert row.params == layer.count_params(), row
        assert row.output_shape == tuple(layer.output.shape[1:])
        assert row.activation_bytes == 4 * int(np.prod(row.output_shape))
        weighted = row.params > 0 and row.layer_class != "BatchNormalization"
        assert (row.macs > 0) == weighted
    assert sum(row.params for row in rows) == model.count_params()
    stages = cost.stage_costs(rows)
    for field in ("params", "macs", "activation_bytes"):
        assert sum(getattr(s, field) for s in stages) == sum(
            getattr(r, field) for r in rows
        )


# --- Classic networks against Keras and their papers ---------------------------------------


@pytest.fixture(scope="module")
def classics():
    """Every row of VGG16, ResNet50 and MobileNet, each checked against Keras's counts.

    The models are built with shapes only, as chapter 8 builds them: the weights get
    no values (VGG16's 138 million would take 528 MiB as float32 once drawn), and
    clear_session forgets Keras's list of weights still to be drawn.
    """
    found = {}
    for name in ["VGG16", "ResNet50", "MobileNet"]:
        with keras.StatelessScope(initialize_variables=False):
            model = getattr(keras.applications, name)(weights=None)
        rows = cost.layer_costs(model)
        layers = [
            layer
            for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)
        ]
        assert [row.name for row in rows] == [layer.name for layer in layers]
        assert [row.params for row in rows] == [
            layer.count_params() for layer in layers
        ]
        found[name] = (rows, model.count_params())
        del model
    keras.backend.clear_session()
    return found


def test_classic_networks_against_keras_and_papers(classics):
    totals = {}
    for name, (rows, keras_params) in classics.items():
        assert sum(row.params for row in rows) == keras_params
        totals[name] = sum(row.macs for row in rows)
    assert classics["VGG16"][1] == 138_357_544  # Simonyan and Zisserman: 138M
    assert classics["MobileNet"][1] == 4_253_864  # Howard et al.: 4.2M without BN
    # He et al. and Howard et al. print 15.3G for VGG16 without saying whether the
    # dense layers count: the convolutions alone make 15.35G, the whole network 15.47G.
    assert totals["VGG16"] == 15_470_264_320
    head = cost.stage_costs(classics["VGG16"][0])[-1]
    assert totals["VGG16"] - head.macs == 15_346_630_656
    assert totals["ResNet50"] == 3_857_973_248  # He et al.: 3.8G
    assert totals["MobileNet"] == 568_740_352  # Howard et al.: 569M with the classifier


def test_stages_of_vgg16(classics):
    rows, _ = classics["VGG16"]
    stages = cost.stage_costs(rows)
    assert [s.name for s in stages] == [
        "block1_conv2",
        "block2_conv2",
        "block3_conv3",
        "block4_conv3",
        "block5_conv3",
        "block5_pool",
        "predictions",
    ]
    assert [s.layer_class for s in stages] == [
        "2 layers",
        "3 layers",
        "4 layers",
        "4 layers",
        "4 layers",
        "1 layer",
        "4 layers",
    ]
    assert stages[0].macs == 224 * 224 * (3 * 3 * 3 * 64 + 3 * 3 * 64 * 64)


def test_zero_padding_joins_the_stage_it_pads(classics):
    rows, _ = classics["ResNet50"]
    first = cost.stage_costs(rows)[0]  # conv1_pad (230x230) joins conv1 at 112x112
    assert (first.name, first.layer_class, first.output_shape) == (
        "conv1_relu",
        "4 layers",
        (112, 112, 64),
    )
    assert first.activation_bytes == 4 * (230 * 230 * 3 + 3 * 112 * 112 * 64)


# --- The table -----------------------------------------------------------------------------


def test_format_table():
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3, name="conv\u00e9"),
            keras.layers.Flatten(name="flat"),
        ]
    )
    text = cost.format_table(cost.layer_costs(model))
    lines = text.splitlines()
    assert lines[0].split() == [
        "layer",
        "class",
        "output",
        "params",
        "MACs",
        "activations",
        "(KiB)",
    ]
    assert lines[2].split() == ["conv?", "Conv2D", "6x6x4", "112", "3,888", "0.6"]
    assert lines[-1].split() == ["total", "112", "3,888", "1.1"]
    assert text.isascii()
    assert "total" not in cost.format_table(cost.layer_costs(model), total=False)
    with pytest.raises(TypeError, match="LayerCost"):
        cost.format_table(["conv"])


# --- Errors that name the layer ------------------------------------------------------------


def test_unsupported_layer_is_named():
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.PReLU(name="prelu")])
    with pytest.raises(ValueError, match=r"layer 'prelu' \(PReLU\) is not supported"):
        cost.layer_costs(model)
    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Lambda(lambda t: 2 * t, name="double")]
    )
    with pytest.raises(ValueError, match=r"layer 'double' \(Lambda\)"):
        cost.total_macs(model)


def test_other_errors():
    with pytest.raises(TypeError, match="model must be a Keras model"):
        cost.layer_costs(keras.layers.Dense(3))
    with pytest.raises(ValueError, match="unknown"):
        cost.layer_costs(
            keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(2, 3)])
        )
    with pytest.raises(ValueError, match="no defined input"):
        cost.layer_costs(keras.Sequential([keras.layers.Dense(2)]))
    channels_first = keras.Sequential(
        [
            keras.Input((3, 8, 8)),
            keras.layers.Conv2D(2, 3, data_format="channels_first"),
        ]
    )
    with pytest.raises(ValueError, match="channels_first"):
        cost.layer_costs(channels_first)
    with pytest.raises(TypeError, match="LayerCost"):
        cost.stage_costs([1, 2])
