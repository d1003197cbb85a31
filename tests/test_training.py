"""utils.training: quiet, repeatable training lines; curves, confusion matrices, layer outputs."""

from __future__ import annotations

import importlib.util
import re

import keras
import matplotlib as mpl
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

import utils
from tests.conftest import REPO
from utils.training import (
    EpochLogger,
    confusion_counts,
    fit_quietly,
    layer_outputs,
    plot_confusion_matrix,
    plot_learning_curves,
    show_layer_outputs,
)

# Control characters a progress bar would use: carriage return, backspace, escape codes.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
LINE = re.compile(
    r"^epoch +(\d+)  loss \d+\.\d{4}  accuracy \d\.\d{3}  val_loss \d+\.\d{4}  val_accuracy \d\.\d{3}$"
)


def _logs(epoch: int) -> dict[str, float]:
    """Made-up logs in the order Keras 3 reports them (alphabetical)."""
    return {
        "accuracy": 0.5 + epoch / 100,
        "loss": 1.0 / (epoch + 1),
        "val_accuracy": 0.45 + epoch / 100,
        "val_loss": 1.2 / (epoch + 1),
    }


def _run_logger(logger: EpochLogger, epochs: int, stop_after: int | None = None) -> None:
    """Drive the callback the way model.fit does, without training anything."""
    logger.set_params({"verbose": 0, "epochs": epochs, "steps": 2})
    logger.on_train_begin()
    for epoch in range(epochs if stop_after is None else stop_after):
        logger.on_epoch_end(epoch, _logs(epoch))
    logger.on_train_end()


def test_epoch_logger_prints_first_every_and_last_epoch(capsys):
    _run_logger(EpochLogger(every=3), epochs=7)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert [int(LINE.match(line).group(1)) for line in lines] == [1, 3, 6, 7]
    # Keras logs accuracy before loss; the line puts the loss first, validation last.
    assert lines[1] == "epoch   3  loss 0.3333  accuracy 0.520  val_loss 0.4000  val_accuracy 0.470"
    assert len({len(line) for line in lines}) == 1  # fixed widths: the columns line up
    assert not CONTROL.search(out) and err == ""


def test_epoch_logger_digits_and_early_stop(capsys):
    logger = EpochLogger(every=5, digits=2)
    _run_logger(logger, epochs=100, stop_after=7)  # as if EarlyStopping ended it at epoch 7
    assert capsys.readouterr().out.splitlines() == [
        "epoch   1  loss 1.000  accuracy 0.50  val_loss 1.200  val_accuracy 0.45",
        "epoch   5  loss 0.200  accuracy 0.54  val_loss 0.240  val_accuracy 0.49",
        "epoch   7  loss 0.143  accuracy 0.56  val_loss 0.171  val_accuracy 0.51",
    ]
    logger = EpochLogger(digits=3)
    logger.set_params({"epochs": 1})
    logger.on_epoch_end(0, {"loss": -0.00001, "mae": float("nan")})
    assert capsys.readouterr().out == "epoch   1  loss 0.0000  mae   nan\n"  # no "-0.0000"


def _tiny_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(2, 3, name="conv"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(2, activation="softmax", name="out"),
        ],
        name="tiny",
    )


def _train(**kwargs) -> keras.callbacks.History:
    """Seed, build and train the tiny model on 64 random 8x8 images."""
    utils.setup_notebook(0)
    rng = np.random.default_rng(0)
    x = rng.random((64, 8, 8, 1)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype("int64")
    model = _tiny_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return fit_quietly(model, x[:48], y[:48], validation_data=(x[48:], y[48:]), **kwargs)


def test_fit_quietly_prints_only_logger_lines_and_is_repeatable(capfd):
    history = _train(epochs=3, batch_size=16, every=2)
    first, err = capfd.readouterr()
    assert err == "" and not CONTROL.search(first)
    lines = first.splitlines()
    assert [int(LINE.match(line).group(1)) for line in lines] == [1, 2, 3]
    assert isinstance(history, keras.callbacks.History)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in history.history.values())
    h = history.history
    assert lines[-1] == (
        f"epoch   3  loss {h['loss'][-1]:.4f}  accuracy {h['accuracy'][-1]:.3f}  "
        f"val_loss {h['val_loss'][-1]:.4f}  val_accuracy {h['val_accuracy'][-1]:.3f}"
    )
    # The same seed gives the same characters: what nbval compares.
    again = _train(epochs=3, batch_size=16, every=2)
    assert capfd.readouterr().out == first
    assert again.history == history.history


def test_fit_quietly_holds_out_the_validation_split(capsys):
    utils.setup_notebook(0)
    x = np.random.default_rng(1).random((40, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
    model = _tiny_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = fit_quietly(model, x, y, epochs=2, batch_size=8, validation_split=0.25, every=10)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert [int(LINE.match(line).group(1)) for line in capsys.readouterr().out.splitlines()] == [
        1,
        2,
    ]
    # Keras trains on the first 30 images: 4 batches of 8, the last one of 6.
    assert history.params["steps"] == 4


def test_learning_curves_draw_the_history():
    history = {
        "loss": [1.0, 0.5, 0.25],
        "accuracy": [0.5, 0.7, 0.9],
        "val_loss": [1.1, 0.7, 0.6],
        "val_accuracy": [0.4, 0.6, 0.8],
    }
    fig, axes = plot_learning_curves(history)
    assert len(axes) == 2 and len(fig.axes) == 2
    for ax, metric in zip(axes, ["loss", "accuracy"]):
        train, val = ax.get_lines()
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])  # epochs counted from 1
        np.testing.assert_array_equal(train.get_ydata(), history[metric])
        np.testing.assert_array_equal(val.get_ydata(), history[f"val_{metric}"])
        assert ax.get_title() == metric and ax.get_xlabel() == "epoch"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "validation"]
    # Without validation data there is one curve; a History object works too.
    recorded = keras.callbacks.History()
    recorded.history = {"loss": [0.9, 0.3]}
    _, axes = plot_learning_curves(recorded, metrics="loss")
    assert len(axes) == 1 and len(axes[0].get_lines()) == 1


def test_confusion_matrix_writes_sklearns_counts():
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 4, 50)
    y_pred = np.where(rng.random(50) < 0.7, y_true, rng.integers(0, 4, 50))
    expected = confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(confusion_counts(y_true, y_pred), expected)
    _, ax = plot_confusion_matrix(y_true, y_pred)
    assert [int(t.get_text()) for t in ax.texts] == expected.ravel().tolist()  # row by row
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2", "3"]
    assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"
    accuracy = np.trace(expected) / 50
    assert ax.get_title() == f"confusion matrix: accuracy {accuracy:.3f} on 50 samples"

    _, ax = plot_confusion_matrix(y_true, y_pred, title="four classes")
    assert ax.get_title() == "four classes"


def test_confusion_matrix_labels_choose_and_order_the_classes():
    y_true = ["cat", "dog", "dog", "bird"]
    y_pred = ["cat", "cat", "dog", "dog"]
    counts = confusion_counts(y_true, y_pred, labels=["dog", "cat"])
    np.testing.assert_array_equal(counts, [[1, 1], [0, 1]])
    _, ax = plot_confusion_matrix([0, 1, 1], [0, 0, 1], labels=[1, 0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "0"]
    # Class 1 first: one right, one taken for 0; then class 0: none taken for 1, one right.
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "1"]


def _small_cnn() -> keras.Model:
    utils.setup_notebook(1)
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(3, 3, activation="relu", padding="same", name="conv1"),
            keras.layers.MaxPooling2D(2, name="pool"),
            keras.layers.Conv2D(10, 3, activation="relu", name="conv2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(4, activation="softmax", name="output"),
        ],
        name="small",
    )


def test_layer_outputs_follow_the_layers_in_order():
    model = _small_cnn()
    x = np.random.default_rng(0).random((3, 8, 8, 1)).astype("float32")
    outputs = layer_outputs(model, x)
    assert list(outputs) == ["conv1", "pool", "conv2", "flatten", "output"]
    h = x
    for layer in model.layers:
        assert outputs[layer.name].shape == (3, *layer.output.shape[1:])
        h = layer(h)
        np.testing.assert_allclose(outputs[layer.name], keras.ops.convert_to_numpy(h), atol=1e-6)
    np.testing.assert_allclose(outputs["output"], model.predict(x, verbose=0), atol=1e-6)


def test_layer_outputs_of_a_functional_model_skip_the_input_layer():
    inputs = keras.Input((5, 5, 2), name="image")
    left = keras.layers.Conv2D(2, 1, name="left")(inputs)
    right = keras.layers.Conv2D(2, 1, name="right")(inputs)
    total = keras.layers.Add(name="sum")([left, right])
    model = keras.Model(inputs, total)
    x = np.ones((2, 5, 5, 2), dtype=np.float32)
    outputs = layer_outputs(model, x)
    assert list(outputs) == ["left", "right", "sum"]
    np.testing.assert_allclose(outputs["sum"], outputs["left"] + outputs["right"], atol=1e-6)


def test_show_layer_outputs_makes_one_row_per_layer():
    model = _small_cnn()
    fig, rows = show_layer_outputs(model, np.zeros((1, 8, 8, 1)), max_channels=4)
    assert len(rows) == len(model.layers) == 5
    assert [len(row) for row in rows] == [3, 3, 4, 1, 1]  # conv2 has 10 channels: 4 shown
    labels = [row[0].get_ylabel() for row in rows]
    assert labels[0] == "conv1\n(1, 8, 8, 3)" and labels[2].startswith("conv2\n(1, 2, 2, 10)")
    assert "first 4 of 10" in labels[2]
    assert len(rows[3][0].patches) == 40 and len(rows[4][0].patches) == 4  # one bar per unit
    # Each column is labelled once, above its first panel: channel 3 first appears in conv2.
    assert rows[0][2].get_title() == "channel 2" and rows[2][0].get_title() == ""
    assert rows[2][3].get_title() == "channel 3"
    assert len(fig.axes) == 3 + 3 + 4 + 1 + 1


def test_importing_the_module_prints_and_changes_nothing(capfd):
    before = dict(mpl.rcParams)
    spec = importlib.util.spec_from_file_location(
        "utils._training_import_check", REPO / "utils" / "training.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert capfd.readouterr() == ("", "")
    assert dict(mpl.rcParams) == before
    assert set(module.__all__) <= set(vars(module))


def _subclassed() -> keras.Model:
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.ones((1, 3)))
    return net


def _compiled() -> keras.Model:
    model = _tiny_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


X, Y = np.zeros((4, 8, 8, 1)), np.zeros(4)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: EpochLogger(every=0), ValueError, "every must be a positive int"),
        (lambda: EpochLogger(digits=-1), ValueError, "digits must be a non-negative int"),
        (lambda: fit_quietly("model", X, Y, epochs=1), TypeError, "model must be a Keras model"),
        (lambda: fit_quietly(_tiny_model(), X, Y, epochs=1), ValueError, "not compiled"),
        (lambda: fit_quietly(_compiled(), X, Y, epochs=0), ValueError, "epochs must be a positive"),
        (
            lambda: fit_quietly(_compiled(), X, Y, epochs=2.5),
            TypeError,
            "epochs must be a positive",
        ),
        (lambda: fit_quietly(_compiled(), X, Y, epochs=1, every=0), ValueError, "every must be"),
        (
            lambda: fit_quietly(_compiled(), X, Y[:3], epochs=1),
            ValueError,
            "got 4 in x and 3 in y",
        ),
        (
            lambda: fit_quietly(_compiled(), X, Y, epochs=1, validation_data=(X, Y[:1])),
            ValueError,
            r"got 4 in validation_data\[0\] and 1 in validation_data\[1\]",
        ),
        (
            lambda: fit_quietly(_compiled(), X, Y, epochs=1, validation_data=X),
            TypeError,
            "validation_data must be",
        ),
        (
            lambda: fit_quietly(_compiled(), X, Y, epochs=1, validation_data=(X, Y, Y)),
            TypeError,
            r"validation_data must be a pair \(x_val, y_val\); got a tuple of length 3",
        ),
        (lambda: fit_quietly(_compiled(), X, None, epochs=1), TypeError, "y must be an array"),
        (
            lambda: fit_quietly(_compiled(), X, Y, epochs=1, validation_split=1.0),
            ValueError,
            r"validation_split must be in \[0, 1\)",
        ),
        (
            lambda: plot_learning_curves({"loss": [1.0]}, metrics=("loss", "acc")),
            ValueError,
            "metrics names 'acc', which is not in the history; it has: loss",
        ),
        (lambda: plot_learning_curves([1.0, 0.5]), TypeError, "history must be the History"),
        (
            lambda: plot_confusion_matrix([0, 1], [0]),
            ValueError,
            "got 2 in y_true and 1 in y_pred",
        ),
        (
            lambda: plot_confusion_matrix([0, 1], np.eye(2)),
            ValueError,
            r"y_pred must be a 1-D array of class labels.*np.argmax\(y_pred, axis=1\)",
        ),
        (
            lambda: confusion_counts([0, 1], [0, 1], labels=[0, 0]),
            ValueError,
            "labels must not repeat",
        ),
        (
            lambda: layer_outputs(keras.Sequential([keras.layers.Dense(2)]), np.ones((1, 3))),
            ValueError,
            "has no defined input",
        ),
        (lambda: layer_outputs(_subclassed(), np.ones((1, 3))), ValueError, "no defined input"),
        (lambda: layer_outputs(_tiny_model(), np.ones((8, 8, 1))), ValueError, "x must be a batch"),
        (
            lambda: show_layer_outputs(_tiny_model(), np.ones((2, 8, 8, 1))),
            ValueError,
            "x must be one image with a batch axis",
        ),
        (
            lambda: show_layer_outputs(_tiny_model(), np.ones((1, 8, 8, 1)), max_channels=0),
            ValueError,
            "max_channels must be a positive int",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
