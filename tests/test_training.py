"""utils.training: quiet, repeatable training lines."""

from __future__ import annotations

import importlib.util
import re

import keras
import matplotlib as mpl
import numpy as np
import pytest

import utils
from tests.conftest import REPO
from utils.training import EpochLogger, fit_quietly

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


def _run_logger(
    logger: EpochLogger, epochs: int, stop_after: int | None = None
) -> None:
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
    assert (
        lines[1]
        == "epoch   3  loss 0.3333  accuracy 0.520  val_loss 0.4000  val_accuracy 0.470"
    )
    assert len({len(line) for line in lines}) == 1  # fixed widths: the columns line up
    assert not CONTROL.search(out) and err == ""


def test_epoch_logger_digits_and_early_stop(capsys):
    logger = EpochLogger(every=5, digits=2)
    _run_logger(
        logger, epochs=100, stop_after=7
    )  # as if EarlyStopping ended it at epoch 7
    assert capsys.readouterr().out.splitlines() == [
        "epoch   1  loss 1.000  accuracy 0.50  val_loss 1.200  val_accuracy 0.45",
        "epoch   5  loss 0.200  accuracy 0.54  val_loss 0.240  val_accuracy 0.49",
        "epoch   7  loss 0.143  accuracy 0.56  val_loss 0.171  val_accuracy 0.51",
    ]
    logger = EpochLogger(digits=3)
    logger.set_params({"epochs": 1})
    logger.on_epoch_end(0, {"loss": -0.00001, "mae": float("nan")})
    assert (
        capsys.readouterr().out == "epoch   1  loss 0.0000  mae   nan\n"
    )  # no "-0.0000"


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
    return fit_quietly(
        model, x[:48], y[:48], validation_data=(x[48:], y[48:]), **kwargs
    )


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
    history = fit_quietly(
        model, x, y, epochs=2, batch_size=8, validation_split=0.25, every=10
    )
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert [
        int(LINE.match(line).group(1)) for line in capsys.readouterr().out.splitlines()
    ] == [
        1,
        2,
    ]
    # Keras trains on the first 30 images: 4 batches of 8, the last one of 6.
    assert history.params["steps"] == 4


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


def _compiled() -> keras.Model:
    model = _tiny_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


X, Y = np.zeros((4, 8, 8, 1)), np.zeros(4)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: EpochLogger(every=0), ValueError, "every must be a positive int"),
        (
            lambda: EpochLogger(digits=-1),
            ValueError,
            "digits must be a non-negative int",
        ),
        (
            lambda: fit_quietly("model", X, Y, epochs=1),
            TypeError,
            "model must be a Keras model",
        ),
        (
            lambda: fit_quietly(_tiny_model(), X, Y, epochs=1),
            ValueError,
            "not compiled",
        ),
        (
            lambda: fit_quietly(_compiled(), X, Y, epochs=0),
            ValueError,
            "epochs must be a positive",
        ),
        (
            lambda: fit_quietly(_compiled(), X, Y, epochs=2.5),
            TypeError,
            "epochs must be a positive",
        ),
        (
            lambda: fit_quietly(_compiled(), X, Y, epochs=1, every=0),
            ValueError,
            "every must be",
        ),
        (
            lambda: fit_quietly(_compiled(), X, Y[:3], epochs=1),
            ValueError,
            "got 4 in x and 3 in y",
        ),
        (
            lambda: fit_quietly(
                _compiled(), X, Y, epochs=1, validation_data=(X, Y[:1])
            ),
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
        (
            lambda: fit_quietly(_compiled(), X, None, epochs=1),
            TypeError,
            "y must be an array",
        ),
        (
            lambda: fit_quietly(_compiled(), X, Y, epochs=1, validation_split=1.0),
            ValueError,
            r"validation_split must be in \[0, 1\)",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
