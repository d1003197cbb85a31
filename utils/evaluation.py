"""How well a trained model does: learning curves and confusion matrices.

- :func:`plot_learning_curves` draws the loss and the metrics after each
  epoch, on the training and the validation data;
- :func:`confusion_counts` and :func:`plot_confusion_matrix` count which
  classes are mistaken for which.

Nothing here prints, trains or changes global state at import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import confusion_matrix
from sklearn.utils.multiclass import unique_labels

__all__ = ["confusion_counts", "plot_confusion_matrix", "plot_learning_curves"]


def _names(name: str, value: Any) -> tuple[str, ...]:
    """``value`` as a non-empty tuple of strings (one string is allowed too)."""
    if isinstance(value, str):
        value = (value,)
    if (
        not isinstance(value, Sequence)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        raise TypeError(
            f"{name} must be a metric name or a non-empty sequence of them; got {value!r}"
        )
    return tuple(value)


def _history_dict(history: Any) -> dict[str, list[float]]:
    """The ``{name: values per epoch}`` dict of a History, or the dict itself."""
    if isinstance(history, keras.callbacks.History):
        history = history.history
    if not isinstance(history, Mapping):
        raise TypeError(
            "history must be the History that fit returns, or its .history dict; "
            f"got {type(history).__name__}"
        )
    return {str(k): [float(v) for v in values] for k, values in history.items()}


def plot_learning_curves(
    history: keras.callbacks.History | Mapping[str, Sequence[float]],
    metrics: str | Sequence[str] = ("loss", "accuracy"),
) -> tuple[Figure, np.ndarray]:
    """One panel per metric: its value after each epoch, on the training and validation data.

    ``history`` is what :func:`utils.training.fit_quietly` or ``model.fit`` returns, or its
    ``.history`` dict. The validation curve (``"val_" + metric``) is drawn
    when the history has it. Epochs are counted from 1, as the logger prints
    them. Returns the figure and a 1-D array with one axes per metric.
    """
    values = _history_dict(history)
    metrics = _names("metrics", metrics)
    for metric in metrics:
        if metric not in values:
            raise ValueError(
                f"metrics names {metric!r}, which is not in the history; "
                f"it has: {', '.join(values) or 'nothing'}"
            )
        if not values[metric]:
            raise ValueError(
                f"history has no epochs for {metric!r}: train for at least one epoch"
            )
    fig, axes = plt.subplots(
        1,
        len(metrics),
        figsize=(4.2 * len(metrics), 3.2),
        squeeze=False,
        layout="constrained",
    )
    axes = axes[0]
    for ax, metric in zip(axes, metrics):
        curves = [("training", metric, "C0")]
        if f"val_{metric}" in values:
            curves.append(("validation", f"val_{metric}", "C1"))
        for label, key, color in curves:
            epochs = np.arange(1, len(values[key]) + 1)
            marker = "o" if len(epochs) <= 30 else None
            ax.plot(
                epochs,
                values[key],
                marker=marker,
                markersize=3,
                color=color,
                label=label,
            )
        ax.set_title(metric.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric.replace("_", " "))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    return fig, axes


def _labels_1d(name: str, value: Any) -> np.ndarray:
    """Class labels as a 1-D array, with a hint when scores or one-hot rows were given."""
    array = np.asarray(value)
    if array.ndim == 2 and array.shape[1] > 1:
        raise ValueError(
            f"{name} must be a 1-D array of class labels; got shape {array.shape}, which looks "
            f"like one row of scores per sample: take np.argmax({name}, axis=1) first"
        )
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of class labels; got shape {array.shape}"
        )
    return array


def confusion_counts(
    y_true: Any, y_pred: Any, labels: Sequence[Any] | None = None
) -> np.ndarray:
    """``counts[i, j]``: how many samples of true class ``labels[i]`` were predicted as ``labels[j]``.

    ``labels`` fixes the classes and their order; by default, every label
    that occurs in ``y_true`` or ``y_pred``, sorted. Computed by
    ``sklearn.metrics.confusion_matrix``.
    """
    y_true = _labels_1d("y_true", y_true)
    y_pred = _labels_1d("y_pred", y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and y_pred must have one label per sample each; "
            f"got {len(y_true)} in y_true and {len(y_pred)} in y_pred"
        )
    if len(y_true) == 0:
        raise ValueError("y_true must contain at least one label; got 0")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) == 0:
            raise ValueError(
                f"labels must be a non-empty 1-D list of classes; got {labels!r}"
            )
        if len(np.unique(labels)) != len(labels):
            raise ValueError(f"labels must not repeat a class; got {labels.tolist()}")
        if not np.isin(y_true, labels).any():
            raise ValueError(
                "labels must include at least one of the classes in y_true"
            )
    return confusion_matrix(y_true, y_pred, labels=labels)


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    labels: Sequence[Any] | None = None,
    *,
    title: str | None = None,
) -> tuple[Figure, Any]:
    """Draw the confusion matrix of :func:`confusion_counts` with the count written in every cell.

    Rows are the true classes, columns the predicted ones, so the diagonal
    holds the correct predictions. ``labels`` chooses the classes and their
    order as in :func:`confusion_counts`, and names the ticks. The default
    title gives the accuracy, the diagonal's sum over the total.
    """
    counts = confusion_counts(y_true, y_pred, labels)
    classes = (
        np.asarray(labels)
        if labels is not None
        else unique_labels(_labels_1d("y_true", y_true), _labels_1d("y_pred", y_pred))
    )
    names = [str(c) for c in classes]

    n = len(classes)
    cell = 0.55 if n <= 12 else max(0.25, 6.6 / n)
    fig, ax = plt.subplots(
        figsize=(cell * n + 2.2, cell * n + 1.4), layout="constrained"
    )
    colormap = plt.get_cmap("Blues")
    norm = plt.Normalize(0.0, max(int(counts.max()), 1))
    image = ax.imshow(counts, cmap=colormap, norm=norm)
    fontsize = 10 if n <= 12 else max(5, 120 // n)
    for (r, c), value in np.ndenumerate(counts):
        red, green, blue, _ = colormap(norm(value))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
        ax.text(
            c,
            r,
            str(value),
            ha="center",
            va="center",
            fontsize=fontsize,
            color="white" if dark else "black",
        )
    ax.set_xticks(np.arange(n), names, rotation=90 if max(map(len, names)) > 3 else 0)
    ax.set_yticks(np.arange(n), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    fig.colorbar(image, ax=ax, shrink=0.8, label="count")
    if title is None:
        accuracy = np.trace(counts) / max(int(counts.sum()), 1)
        title = (
            f"confusion matrix: accuracy {accuracy:.3f} on {int(counts.sum())} samples"
        )
    ax.set_title(title, fontsize=10)
    return fig, ax
