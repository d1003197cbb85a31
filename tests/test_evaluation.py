"""utils.evaluation: learning curves and confusion matrices."""

from __future__ import annotations

import importlib.util

import keras
import matplotlib as mpl
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from tests.conftest import REPO
from utils.evaluation import (
    confusion_counts,
    plot_confusion_matrix,
    plot_learning_curves,
)


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
        np.testing.assert_array_equal(
            train.get_xdata(), [1, 2, 3]
        )  # epochs counted from 1
        np.testing.assert_array_equal(train.get_ydata(), history[metric])
        np.testing.assert_array_equal(val.get_ydata(), history[f"val_{metric}"])
        assert ax.get_title() == metric and ax.get_xlabel() == "epoch"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "training",
            "validation",
        ]
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
    assert [
        int(t.get_text()) for t in ax.texts
    ] == expected.ravel().tolist()  # row by row
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


def test_importing_the_module_prints_and_changes_nothing(capfd):
    before = dict(mpl.rcParams)
    spec = importlib.util.spec_from_file_location(
        "utils._evaluation_import_check", REPO / "utils" / "evaluation.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert capfd.readouterr() == ("", "")
    assert dict(mpl.rcParams) == before
    assert set(module.__all__) <= set(vars(module))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: plot_learning_curves({"loss": [1.0]}, metrics=("loss", "acc")),
            ValueError,
            "metrics names 'acc', which is not in the history; it has: loss",
        ),
        (
            lambda: plot_learning_curves([1.0, 0.5]),
            TypeError,
            "history must be the History",
        ),
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
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
