"""utils.receptive_field: the graph walk, published values, and autodiff.

The published values come from the authors of the method, not from this
code: Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional
Neural Networks", Distill 2019, whose library's README and table list the
receptive field (RF), effective stride and effective padding of TF-slim
models: https://github.com/google-research/receptive_field (README.md and
receptive_field/RECEPTIVE_FIELD_TABLE.md, formerly tf.contrib.receptive_field).

The autodiff test asks TensorFlow which input pixels one output feature
depends on: the non-zero entries of its gradient with respect to the input.
The rule of each kind of layer is tested in test_receptive_field_rules.py.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.test_receptive_field_rules import L, rf, sequential, square
from utils.receptive_field import (
    format_table,
    input_region,
    receptive_field,
    receptive_field_of,
)

# --- 1. Walking the graph ---------------------------------------------------------------------


def test_nested_models_are_walked_through():
    inner = keras.Sequential(
        [
            keras.Input((None, None, 4)),
            L.Conv2D(4, 3, name="c1"),
            L.Conv2D(4, 3, name="c2"),
        ],
        name="inner",
    )
    x = keras.Input((16, 16, 4))
    y = L.MaxPooling2D(2, name="pool")(x)
    model = keras.Model(x, L.Conv2D(1, 1, name="head")(inner(y)))
    names = [row.name for row in receptive_field(model)]
    assert names == ["pool", "inner/c1", "inner/c2", "inner", "head"]
    assert rf(model, "inner/c1") == square(6, 2, 0)
    assert rf(model, "inner") == rf(model, "head") == square(10, 2, 0)
    # And a Functional model (a feature extractor, say) inside a Sequential one.
    outer = keras.Sequential(
        [keras.Input((16, 16, 4)), model, L.Conv2D(1, 3, name="top")]
    )
    assert rf(outer, f"{model.name}/inner/c2") == square(10, 2, 0)
    assert rf(outer, "top") == square(14, 2, 0)  # 10 + (3 - 1) * 2


# --- 2. Published values for classic architectures --------------------------------------------
#
# From the table of Araujo et al. (google-research/receptive_field, README.md and
# receptive_field/RECEPTIVE_FIELD_TABLE.md), computed on the TF-slim models:
#
#   model         end-point            RF    stride  padding (224 x 224 input)
#   vgg_16        vgg_16/pool5         212   32      90
#   resnet_v1_50  resnet_v1_50/block4  483   32      239
#   mobilenet_v1  Conv2d_13_pointwise  315   32      126
#   inception_v3  Mixed_7c             1311  32      618
#
# (The vgg_16 row of the README is pool5, stride 32; conv5_3 itself has stride 16.)


@pytest.fixture(scope="module")
def vgg16():
    return keras.applications.VGG16(
        weights=None, include_top=False, input_shape=(224, 224, 3)
    )


@pytest.fixture(scope="module")
def resnet50():
    return keras.applications.ResNet50(
        weights=None, include_top=False, input_shape=(224, 224, 3)
    )


@pytest.fixture(scope="module")
def mobilenet():
    return keras.applications.MobileNet(
        weights=None, include_top=False, input_shape=(224, 224, 3)
    )


@pytest.fixture(scope="module")
def inception_v3():
    return keras.applications.InceptionV3(
        weights=None, include_top=False, input_shape=(224, 224, 3)
    )


def test_vgg16_matches_the_published_table(vgg16):
    # Both use 3x3 'same' convolutions with stride 1 (one zero before) and 2x2/2 'valid'
    # pooling, so the padding agrees too. Slim end-points -> Keras layer names.
    published = {
        "block1_conv1": (3, 1, 1),  # vgg_16/conv1/conv1_1
        "block1_pool": (6, 2, 2),  # vgg_16/pool1
        "block2_pool": (16, 4, 6),  # vgg_16/pool2
        "block3_conv2": (32, 4, 14),  # vgg_16/conv3/conv3_2
        "block4_pool": (100, 16, 42),  # vgg_16/pool4
        "block5_conv2": (164, 16, 74),  # vgg_16/conv5/conv5_2
        "block5_pool": (212, 32, 90),  # vgg_16/pool5: the README's vgg_16 row
    }
    for name, values in published.items():
        assert rf(vgg16, name) == square(*values), name
    # Resolution-independent: the table gives the same values at 321 x 321.
    assert rf(vgg16, "block5_pool", input_size=321) == square(212, 32, 90)


def test_resnet50_matches_the_published_table(resnet50):
    size, stride, padding = rf(resnet50, "conv5_block3_out")  # resnet_v1_50/block4
    assert (size, stride) == ((483, 483), (32, 32))
    # Padding differs by convention: Keras pads pool1 with ZeroPadding2D(1) then a 'valid'
    # 3x3/2 max pool (1 zero before, at stride 2), while slim's max_pool2d uses 'SAME',
    # which at the even size 112 puts 0 zeros before. So Keras has 1 * 2 more than 239.
    assert padding == (239 + 2, 239 + 2)
    # Inside the network the two differ more: slim subsamples in the last unit of each
    # block (block1: RF 35, stride 8), Keras in the first unit of the next stage
    # (conv2_block3_out: stride 4). The RF sizes at the end of each stage still agree.
    for name, published_size in [
        ("conv2_block3_out", 35),  # block1
        ("conv3_block4_out", 99),  # block2
        ("conv4_block6_out", 291),  # block3
    ]:
        assert rf(resnet50, name)[0] == (published_size, published_size), name


def test_mobilenet_matches_the_published_table(mobilenet):
    # At 224 x 224 the conventions agree: slim's 'SAME' stride-2 layers pad 0 before on
    # even sizes, and Keras pads strided depthwise convolutions with ((0, 1), (0, 1)).
    published = {
        "conv1_relu": (3, 2, 0),  # Conv2d_0
        "conv_pw_1_relu": (7, 2, 2),  # Conv2d_1_pointwise
        "conv_pw_6_relu": (59, 16, 14),  # Conv2d_6_pointwise
        "conv_pw_12_relu": (251, 32, 94),  # Conv2d_12_pointwise
        "conv_pw_13_relu": (315, 32, 126),  # Conv2d_13_pointwise
    }
    for name, values in published.items():
        assert rf(mobilenet, name) == square(*values), name
    # At 321 x 321 slim gives padding 157: its four strided depthwise layers see the odd
    # sizes 161, 81, 41, 21 and pad 1 before (at strides 2, 4, 8, 16), where Keras always
    # pads 0 before. Sizes and strides still agree.
    assert rf(mobilenet, "conv_pw_13_relu", input_size=321) == square(
        315, 32, 157 - (2 + 4 + 8 + 16)
    )


def test_inception_v3_matches_the_published_table(inception_v3):
    # Keras and slim both use 'valid' for the strided layers and 'same' only with stride 1
    # and odd kernels (1x7, 7x1, 3x3, ...), so the padding agrees as well.
    published = {
        "mixed0": (63, 8, 18),  # Mixed_5b
        "mixed2": (127, 8, 50),  # Mixed_5d
        "mixed3": (159, 16, 58),  # Mixed_6a
        "mixed7": (927, 16, 442),  # Mixed_6e
        "mixed8": (1055, 32, 490),  # Mixed_7a
        "mixed10": (1311, 32, 618),  # Mixed_7c
    }
    for name, values in published.items():
        assert rf(inception_v3, name) == square(*values), name


def test_classic_models_table(vgg16, resnet50, mobilenet, inception_v3):
    for model, name in [
        (vgg16, "block5_pool"),
        (resnet50, "conv5_block3_out"),
        (mobilenet, "conv_pw_13_relu"),
        (inception_v3, "mixed10"),
    ]:
        rows = receptive_field(model)
        assert len(rows) == len(model.layers) - 1  # every layer but the InputLayer
        print(model.name, format_table([r for r in rows if r.name == name]), sep="\n")


# --- 3. Autodiff: the gradient's support is the predicted region ------------------------------
#
# The models are linear with positive weights (no ReLU, no max pooling), so an input pixel
# has a non-zero gradient exactly when some path of window taps links it to the feature.
# Then, for models without holes, along each axis the rows (columns) a feature depends on
# are exactly the region's, clipped to the input, minus the rows the network never looks
# at (a strided 'valid' window may leave the last rows out, and a later layer's padding
# then covers them in the region). This needs every window to overlap its real input, so
# explicit ZeroPadding is always narrower than the window that follows it (as in
# keras.applications). A chain's support is the product of the two (a rectangle); after
# a merge it is a union of rectangles whose bounding box is the region. Dilation and
# strides larger than the window leave holes; then the support stays inside the region
# and reaches each of its edges that lies inside the input.


def _random_window(rng):
    """Random window layers, and whether they leave holes in the field (dilation or s > k)."""
    kind = rng.choice(["conv", "conv", "depthwise", "separable", "pool", "pad"])
    kernel = tuple(int(v) for v in rng.integers(1, 5, 2))
    if kind == "pad":  # zeros on each side, fewer than the valid window that follows
        amounts = tuple(tuple(int(v) for v in rng.integers(0, k, 2)) for k in kernel)
        return [L.ZeroPadding2D(amounts), L.Conv2D(1, kernel)], False
    padding = str(rng.choice(["valid", "same"]))
    if kind != "pool" and rng.random() < 0.3:
        dilation, strides = tuple(int(v) for v in rng.integers(1, 3, 2)), (1, 1)
    else:
        dilation, strides = (1, 1), tuple(int(v) for v in rng.integers(1, 4, 2))
    if kind in (
        "depthwise",
        "separable",
    ):  # TensorFlow's CPU kernel wants equal strides
        dilation, strides = (dilation[0],) * 2, (strides[0],) * 2
    holes = any(d > 1 and k > 1 for d, k in zip(dilation, kernel)) or any(
        s > k for s, k in zip(strides, kernel)
    )
    if kind == "pool":  # average, not max: every input of a window gets a gradient
        return [L.AveragePooling2D(kernel, strides, padding)], holes
    common = {"strides": strides, "padding": padding, "dilation_rate": dilation}
    if kind == "depthwise":
        return [L.DepthwiseConv2D(kernel, **common)], holes
    if kind == "separable":
        return [L.SeparableConv2D(2, kernel, **common)], holes
    return [L.Conv2D(int(rng.integers(1, 3)), kernel, **common)], holes


def _add_layers(rng, x, count):
    holes = False
    for _ in range(count):
        for _attempt in range(20):
            layers, layer_holes = _random_window(rng)
            try:
                y = x
                for layer in layers:
                    y = layer(y)
            except ValueError:  # the window does not fit
                continue
            if min(y.shape[1:3]) >= 2:
                x, holes = y, holes or layer_holes
                break
    return x, holes


def _random_model(seed):
    """A random linear model: a chain, then (odd seeds) two branches merged, maybe a crop."""
    rng = np.random.default_rng(seed)
    shape = (
        int(rng.integers(9, 21)),
        int(rng.integers(9, 21)),
        int(rng.integers(1, 3)),
    )
    x = keras.Input(shape)
    y, holes = _add_layers(rng, x, int(rng.integers(1, 4)))
    if seed % 2:  # two stride-1 branches that keep the size but not the centre
        branches = []
        for _ in range(2):
            k = tuple(int(v) for v in rng.integers(1, 5, 2))
            before = tuple(int(rng.integers(0, kk)) for kk in k)
            b = L.ZeroPadding2D(tuple((p, kk - 1 - p) for p, kk in zip(before, k)))(y)
            branches.append(L.Conv2D(2, k)(b))
        y = (L.Add() if rng.random() < 0.5 else L.Concatenate())(branches)
        y, more_holes = _add_layers(rng, y, int(rng.integers(0, 3)))
        holes = holes or more_holes
    if seed % 3 == 0 and min(y.shape[1:3]) >= 4:  # last, so that no padding follows it
        y = L.Cropping2D(
            tuple(tuple(int(v) for v in rng.integers(0, 2, 2)) for _ in range(2))
        )(y)
    model = keras.Model(x, y)
    for layer in model.layers:  # positive weights: no gradient entry cancels to zero
        layer.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in layer.get_weights()])
    return model, holes, bool(seed % 2)


def _gradient_support(model, select):
    """Input pixels (height, width) whose gradient of ``select(output)`` is non-zero."""
    shape = (1, *model.input_shape[1:])
    x = tf.constant(np.random.default_rng(0).uniform(0.5, 1.5, shape), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = tf.reduce_sum(select(model(x)))
    grad = np.abs(tape.gradient(value, x).numpy()[0]).sum(axis=-1)
    return grad.reshape(-1, grad.shape[-1]) > 0  # a 1-D model gives a (1, steps) map


def _span(first, last, n):
    """A boolean mask of ``first .. last`` (inclusive) clipped to ``0 .. n - 1``."""
    mask = np.zeros(n, bool)
    mask[max(first, 0) : last + 1] = True
    return mask


def _check_feature(model, row, i, j, used, *, holes=False, branched=False):
    height, width = used.shape
    (top, bottom), (left, right) = input_region(row, i, j)
    if len(model.input_shape) == 3:  # 1-D: feature j along the steps
        support = _gradient_support(model, lambda out: out[0, j])
    else:
        support = _gradient_support(model, lambda out: out[0, i, j])
    where = f"feature ({i}, {j}) of {row}, region {(top, bottom), (left, right)}"
    box_rows, box_cols = _span(top, bottom, height), _span(left, right, width)
    assert not (support & ~np.outer(box_rows, box_cols)).any(), (
        f"outside the region: {where}"
    )
    rows, cols = support.any(axis=1), support.any(axis=0)
    inside = top >= 0 and left >= 0 and bottom < height and right < width
    if not holes:
        np.testing.assert_array_equal(rows, box_rows & used.any(axis=1), err_msg=where)
        np.testing.assert_array_equal(cols, box_cols & used.any(axis=0), err_msg=where)
        if inside:
            assert (rows.sum(), cols.sum()) == row.size, where
        if not branched:
            np.testing.assert_array_equal(support, np.outer(rows, cols), err_msg=where)
        return
    if not support.any():  # the feature sees only padding
        assert not inside, where
        return
    rows, cols = np.nonzero(rows)[0], np.nonzero(cols)[0]
    for edge_inside, reached, edge in [
        (0 <= top < height, rows.min(), top),
        (0 <= bottom < height, rows.max(), bottom),
        (0 <= left < width, cols.min(), left),
        (0 <= right < width, cols.max(), right),
    ]:
        if edge_inside:
            assert reached == edge, where


@pytest.mark.parametrize("seed", range(30))
def test_gradient_support_is_the_input_region(seed):
    model, holes, branched = _random_model(seed)
    row = receptive_field(model)[-1]
    out_h, out_w = model.output_shape[1:3]
    assert row.output_size == (out_h, out_w)  # the sizes agree with Keras as well
    used = _gradient_support(model, lambda out: out)  # every pixel the model looks at
    corners = {(0, 0), (0, out_w - 1), (out_h - 1, 0), (out_h - 1, out_w - 1)}
    for i, j in sorted(corners | {(out_h // 2, out_w // 2)}):
        _check_feature(model, row, i, j, used, holes=holes, branched=branched)


def test_the_random_models_cover_the_cases():
    models = [_random_model(seed)[:2] for seed in range(30)]
    classes = {type(layer).__name__ for model, _ in models for layer in model.layers}
    expected = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "AveragePooling2D"}
    assert expected | {"ZeroPadding2D", "Cropping2D", "Add", "Concatenate"} <= classes
    assert any(holes for _, holes in models) and not all(holes for _, holes in models)
    rows = [receptive_field(model)[-1] for model, _ in models]
    assert any(max(row.padding) > 0 for row in rows)  # fields reaching into the padding
    assert any(row.stride != (1, 1) for row in rows)


def test_gradient_support_of_a_1d_model():
    model = sequential(
        (17, 1),
        L.ZeroPadding1D((2, 1)),
        L.Conv1D(1, 3, strides=2, padding="same"),
        L.AveragePooling1D(2, padding="same"),
        L.Conv1D(1, 2, padding="causal"),
    )
    for layer in model.layers:
        layer.set_weights([np.full(w.shape, 0.5) for w in layer.get_weights()])
    row = receptive_field(model)[-1]
    assert row.output_size == (1, model.output_shape[1])
    used = _gradient_support(model, lambda out: out)
    for j in (0, 1, row.output_size[1] - 1):
        assert input_region(row, 0, j)[0] == (0, 0)
        _check_feature(model, row, 0, j, used)


# --- 4. Bad input -----------------------------------------------------------------------------


def test_shared_layers_and_models_without_a_graph():
    x = keras.Input((8, 8, 1))
    conv = L.Conv2D(1, 3, padding="same")
    with pytest.raises(
        ValueError, match=r"the output of model 'chain' .* called more than once"
    ):
        receptive_field(keras.Model(x, conv(conv(x)), name="chain"))
    conv = L.Conv2D(1, 3, padding="same")
    with pytest.raises(
        ValueError, match=r"layer 'both' \(Add\) .* called more than once"
    ):
        receptive_field(keras.Model(x, L.Add(name="both")([conv(x), conv(x)])))
    # A layer first called in another model: its first call is not this model's.
    conv = L.Conv2D(1, 3, padding="same", name="reused")
    assert receptive_field(keras.Model(x, conv(x)))[-1].size == (3, 3)
    y = keras.Input((8, 8, 1))
    with pytest.raises(
        ValueError, match=r"'reused' \(Conv2D\) in model 'second' .* another model"
    ):
        receptive_field(keras.Model(y, conv(y), name="second"))
    with pytest.raises(ValueError, match="has no defined input"):
        receptive_field(keras.Sequential([L.Conv2D(1, 3)]))
    with pytest.raises(TypeError, match="model must be a Keras model"):
        receptive_field(L.Conv2D(1, 3))


def test_unknown_layer_name_lists_the_names():
    model = sequential(
        (8, 8, 1), L.Conv2D(1, 3, name="first"), L.Conv2D(1, 3, name="second")
    )
    with pytest.raises(
        ValueError, match=r"no layer named 'third'; layers: 'first', 'second'"
    ):
        receptive_field_of(model, "third")


def test_input_region_checks_its_arguments():
    row = receptive_field(sequential((8, 8, 1), L.Conv2D(1, 3, name="c")))[0]
    with pytest.raises(ValueError, match="i must be < 6"):
        input_region(row, 6, 0)
    with pytest.raises(ValueError, match="j must be a non-negative int"):
        input_region(row, 0, -1)
    with pytest.raises(TypeError, match="row must be an RFRow"):
        input_region((3, 1, 0), 0, 0)


# --- 5. Tables, and layers that combine positions ---------------------------------------------


def test_format_table():
    model = sequential(
        (32, 32, 3),
        L.ZeroPadding2D(1, name="pad"),
        L.Conv2D(4, 3, strides=2, name="conv"),
        L.Cropping2D(((2, 0), (0, 0)), name="crop"),
        L.GlobalMaxPooling2D(name="gmp"),
    )
    rows = receptive_field(model)
    text = format_table(rows)
    assert text.isascii()
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["layer", "class"] and set(lines[1]) == {"-"}
    assert len(lines) == 2 + len(rows)
    conv = next(line for line in lines if line.startswith("conv "))
    assert conv.split("Conv2D")[1].split() == [
        "(3,",
        "3)",
        "(2,",
        "2)",
        "(1,",
        "1)",
        "(16,",
        "16)",
    ]
    crop = next(line for line in lines if line.startswith("crop "))
    assert "(-3, 1)" in crop and "(14, 16)" in crop  # P = 1 - 2 * 2
    gmp = next(line for line in lines if line.startswith("gmp "))
    assert "(29, 33)" in gmp and gmp.endswith("global")  # 3 + 13 * 2, 3 + 15 * 2
    with pytest.raises(TypeError, match="rows must be RFRow objects"):
        format_table([(3, 1, 0)])


@pytest.mark.parametrize(
    ("tail", "is_global"),
    [
        (lambda: L.GroupNormalization(2), True),
        (lambda: L.LayerNormalization(), False),
        (lambda: L.LayerNormalization(axis=[1, 2, 3]), True),
        (lambda: L.UnitNormalization(), False),
        (lambda: L.UnitNormalization(axis=[1, 2]), True),
        (lambda: L.Softmax(), False),
        (lambda: L.Softmax(axis=[1, 2]), True),
    ],
    ids=[
        "group-norm",
        "layer-norm",
        "layer-norm-spatial",
        "unit-norm",
        "unit-norm-spatial",
        "softmax",
        "softmax-spatial",
    ],
)
def test_layers_that_combine_positions_through_their_axis(tail, is_global):
    """A normalisation or softmax over a spatial axis lets every pixel reach every output."""
    model = keras.Sequential(
        [keras.Input((15, 15, 1)), L.Conv2D(4, 3, padding="same"), tail()]
    )
    rng = np.random.default_rng(0)
    for layer in model.layers[:1]:
        layer.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in layer.get_weights()])
    row = receptive_field(model)[-1]
    assert row.is_global == is_global
    # One channel of the centre unit (the channels of a normalised vector sum to a constant).
    support = _gradient_support(model, lambda out: out[0, 7, 7, 0])
    # A global row has one region, that of feature (0, 0), for every unit of its map.
    (top, bottom), (left, right) = input_region(row, *((0, 0) if is_global else (7, 7)))
    inside = np.outer(_span(top, bottom, 15), _span(left, right, 15))
    assert not (support & ~inside).any()
    assert support.sum() == (15 * 15 if is_global else 3 * 3)


def test_a_softmax_along_one_spatial_axis_is_refused():
    model = keras.Sequential(
        [keras.Input((15, 15, 1)), L.Conv2D(4, 3), L.Softmax(axis=1)]
    )
    with pytest.raises(ValueError, match="one spatial axis but not the other"):
        receptive_field(model)
