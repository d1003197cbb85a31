"""Training small models in a notebook, and looking at what they learned.

- :class:`EpochLogger` and :func:`fit_quietly` train with one short, rounded
  line every few epochs instead of Keras's progress bars, whose timings and
  control characters change from run to run;
- :func:`plot_learning_curves` draws the training and validation curves;
- :func:`confusion_counts` and :func:`plot_confusion_matrix` count which
  classes are mistaken for which;
- :func:`layer_outputs` and :func:`show_layer_outputs` follow one input
  through every layer of a model.

Import :mod:`utils` before this module (or before Keras) so that TensorFlow
starts quietly; importing ``utils.training`` does that for you. Nothing here
prints, trains or changes global state at import.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import confusion_matrix
from sklearn.utils.multiclass import unique_labels

from ._checks import non_negative_int, positive_int
from .layers import layer_output, model_inputs
from .plotting import WINDOW_COLOR, contrast_limits

__all__ = [
    "EpochLogger",
    "confusion_counts",
    "fit_quietly",
    "layer_outputs",
    "plot_confusion_matrix",
    "plot_learning_curves",
    "show_layer_outputs",
]


def _names(name: str, value: Any) -> tuple[str, ...]:
    """``value`` as a non-empty tuple of strings (one string is allowed too)."""
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Sequence) or not value or not all(isinstance(v, str) for v in value):
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
            raise ValueError(f"history has no epochs for {metric!r}: train for at least one epoch")
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(4.2 * len(metrics), 3.2), squeeze=False, layout="constrained"
    )
    axes = axes[0]
    for ax, metric in zip(axes, metrics):
        curves = [("training", metric, "C0")]
        if f"val_{metric}" in values:
            curves.append(("validation", f"val_{metric}", "C1"))
        for label, key, color in curves:
            epochs = np.arange(1, len(values[key]) + 1)
            marker = "o" if len(epochs) <= 30 else None
            ax.plot(epochs, values[key], marker=marker, markersize=3, color=color, label=label)
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
        raise ValueError(f"{name} must be a 1-D array of class labels; got shape {array.shape}")
    return array


def confusion_counts(y_true: Any, y_pred: Any, labels: Sequence[Any] | None = None) -> np.ndarray:
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
            raise ValueError(f"labels must be a non-empty 1-D list of classes; got {labels!r}")
        if len(np.unique(labels)) != len(labels):
            raise ValueError(f"labels must not repeat a class; got {labels.tolist()}")
        if not np.isin(y_true, labels).any():
            raise ValueError("labels must include at least one of the classes in y_true")
    return confusion_matrix(y_true, y_pred, labels=labels)


def plot_confusion_matrix(
    y_true: Any, y_pred: Any, labels: Sequence[Any] | None = None, *, title: str | None = None
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
    fig, ax = plt.subplots(figsize=(cell * n + 2.2, cell * n + 1.4), layout="constrained")
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
        title = f"confusion matrix: accuracy {accuracy:.3f} on {int(counts.sum())} samples"
    ax.set_title(title, fontsize=10)
    return fig, ax


def _log_order(keys: Sequence[str]) -> list[str]:
    """Log keys as the logger shows them: training keys, then validation keys, loss first in each."""
    train = [k for k in keys if not k.startswith("val_")]
    val = [k for k in keys if k.startswith("val_")]
    return [
        k for group in (train, val) for k in sorted(group, key=lambda k: not k.endswith("loss"))
    ]


class EpochLogger(keras.callbacks.Callback):
    """Print one short line every few epochs, for example::

        epoch   1  loss 0.6931  accuracy 0.512  val_loss 0.6902  val_accuracy 0.550
        epoch   5  loss 0.2310  accuracy 0.947  val_loss 0.2711  val_accuracy 0.925

    A line is printed after epoch 1, after every ``every``-th epoch and after
    the last one (also when a callback such as ``EarlyStopping`` ends
    training early). It shows every logged value, training values first, then
    validation values, the loss first in each group, rounded to ``digits``
    decimals (losses to one more).

    The line goes through plain ``print``, so a notebook stores it as the
    cell's ordinary output; it has fixed widths and no timings, so it is the
    same on every run of a seeded notebook. Pass it to ``model.fit`` yourself,
    with ``verbose=0``, to combine it with other callbacks.
    """

    def __init__(self, every: int = 5, digits: int = 3) -> None:
        super().__init__()
        self.every = positive_int("every", every)
        self.digits = non_negative_int("digits", digits)
        self._last: tuple[int, dict[str, Any]] | None = None
        self._printed: int | None = None

    def _total_epochs(self) -> int | None:
        """The number of the last epoch, when Keras has told the callback."""
        epochs = (self.params or {}).get("epochs")
        return int(epochs) if isinstance(epochs, numbers.Integral) else None

    def format_line(self, epoch: int, logs: Mapping[str, Any]) -> str:
        """The line printed after ``epoch`` (counted from 1) with these ``logs``."""
        total = self._total_epochs()
        width = max(3, len(str(total if total is not None else epoch)))
        parts = [f"epoch {epoch:>{width}}"]
        for key in _log_order(list(logs)):
            decimals = self.digits + 1 if key.endswith("loss") else self.digits
            value = round(float(logs[key]), decimals) + 0.0  # + 0.0: no "-0.000"
            parts.append(f"{key} {value:>{decimals + 2}.{decimals}f}")
        return "  ".join(parts)

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._last = None
        self._printed = None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        number = epoch + 1  # Keras counts epochs from 0, people from 1
        logs = dict(logs or {})
        self._last = (number, logs)
        if number == 1 or number % self.every == 0 or number == self._total_epochs():
            print(self.format_line(number, logs))
            self._printed = number

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self._last is not None and self._printed != self._last[0]:
            print(self.format_line(*self._last))
            self._printed = self._last[0]


def _num_samples(name: str, value: Any) -> int:
    """Length of the leading (sample) axis of an array."""
    if value is None:
        raise TypeError(f"{name} must be an array with one entry per sample; got None")
    shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
    if len(shape) == 0:
        raise ValueError(f"{name} must have a leading sample axis; got a scalar")
    return int(shape[0])


def _check_pair(x_name: str, x: Any, y_name: str, y: Any) -> None:
    """Raise unless inputs and targets have the same number of samples."""
    nx, ny = _num_samples(x_name, x), _num_samples(y_name, y)
    if nx != ny:
        raise ValueError(
            f"{x_name} and {y_name} must have one entry per sample each; "
            f"got {nx} in {x_name} and {ny} in {y_name}"
        )
    if nx == 0:
        raise ValueError(f"{x_name} must contain at least one sample; got 0")


def fit_quietly(
    model: keras.Model,
    x: Any,
    y: Any,
    *,
    epochs: int,
    batch_size: int = 32,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.0,
    every: int = 5,
    digits: int = 3,
    shuffle: bool = True,
) -> keras.callbacks.History:
    """``model.fit`` without progress bars: one :class:`EpochLogger` line every ``every`` epochs.

    ``x`` and ``y`` are arrays with one entry per sample. ``validation_data``
    is ``(x_val, y_val)``; ``validation_split`` is the fraction of ``(x, y)``
    held out instead (Keras keeps the last ones). For data sets, callbacks or
    other options of ``model.fit``, call it with ``verbose=0`` and
    ``callbacks=[EpochLogger()]``.

    Returns the ``History`` that ``model.fit`` returns. Call
    :func:`utils.setup_notebook` before building the model for a run that
    prints the same numbers every time.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a Keras model; got {type(model).__name__}")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError(
            f"model {model.name!r} is not compiled yet: call model.compile(optimizer, loss, "
            "metrics) before training it"
        )
    epochs = positive_int("epochs", epochs)
    batch_size = positive_int("batch_size", batch_size)
    logger = EpochLogger(every=every, digits=digits)
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise TypeError(f"validation_split must be a number in [0, 1); got {validation_split!r}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1); got {validation_split}")
    if validation_split and validation_data is not None:
        raise ValueError("give validation_data or validation_split, not both")
    _check_pair("x", x, "y", y)
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            got = (
                f"a {type(validation_data).__name__} of length {len(validation_data)}"
                if isinstance(validation_data, (tuple, list))
                else type(validation_data).__name__
            )
            raise TypeError(f"validation_data must be a pair (x_val, y_val); got {got}")
        _check_pair(
            "validation_data[0]", validation_data[0], "validation_data[1]", validation_data[1]
        )
    return model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=shuffle,
        validation_data=validation_data,
        validation_split=float(validation_split),
        verbose=0,
        callbacks=[logger],
    )


def layer_outputs(model: keras.Model, x: Any) -> dict[str, np.ndarray]:
    """The output of every layer of ``model`` for the batch ``x``, keyed by layer name.

    The model must be a Sequential or Functional model with a defined input
    (for example a ``keras.Input`` first). Layers come in the order the model
    runs them; the input layer is skipped. Layers run in inference mode
    (dropout off, batch normalization with its moving statistics).
    """
    inputs = model_inputs(model)
    if len(inputs) == 1:
        expected = tuple(inputs[0].shape)
        x = np.asarray(x)
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
            raise TypeError(f"x must be a numeric array; got dtype {x.dtype}")
        fits = x.ndim == len(expected) and all(
            e is None or e == s for e, s in zip(expected[1:], x.shape[1:])
        )
        if not fits:
            layout = (
                "(batch, " + ", ".join("?" if e is None else str(e) for e in expected[1:]) + ")"
            )
            raise ValueError(
                f"x must be a batch of shape {layout} for model {model.name!r}; got shape "
                f"{x.shape} (one sample needs a batch axis: x[None] or x[i:i + 1])"
            )
        x = x.astype(inputs[0].dtype) if x.dtype != inputs[0].dtype else x
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    outputs = [layer_output(model, layer) for layer in layers]
    # One input as a tensor, not a one-element list: Keras warns when the structures differ.
    extractor = keras.Model(inputs=inputs[0] if len(inputs) == 1 else model.inputs, outputs=outputs)
    values = extractor(x, training=False)
    if len(layers) == 1 and not isinstance(values, (list, tuple)):
        values = [values]
    return {layer.name: keras.ops.convert_to_numpy(value) for layer, value in zip(layers, values)}


def show_layer_outputs(
    model: keras.Model, x: Any, *, max_channels: int = 8, size: float = 1.6
) -> tuple[Figure, list[np.ndarray]]:
    """Follow one input image through every layer of ``model``: one row per layer.

    ``x`` is one image with its batch axis, shape ``(1, height, width,
    channels)``. A layer whose output is a stack of feature maps
    ``(1, height, width, channels)`` gets a row with its first
    ``max_channels`` channels, each with its own contrast, in gray (each
    column's channel number is written once, above its first panel); a layer
    whose output is a vector ``(1, units)`` (``Flatten``, ``Dense``) gets a
    bar chart of its values, and the largest value of the last layer (the
    predicted class) is drawn in red. Each row is labelled with the layer's
    name and output shape.

    Returns the figure and a list with one entry per layer: an array of the
    row's image axes, or a one-element array holding its bar-chart axes.
    """
    max_channels = positive_int("max_channels", max_channels)
    if isinstance(size, bool) or not isinstance(size, numbers.Real) or not size > 0:
        raise ValueError(f"size must be a positive number of inches; got {size!r}")
    model_inputs(model)
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(
            "x must be one image with a batch axis, shape (1, height, width, channels); "
            f"got shape {x.shape} (take x[None] of one image, or x[i:i + 1] of a batch)"
        )
    outputs = layer_outputs(model, x)
    if not outputs:
        raise ValueError(f"model {model.name!r} has no layers to show")

    ncols = max([min(v.shape[-1], max_channels) for v in outputs.values() if v.ndim == 4] + [4])
    heights = [1.0 if v.ndim == 4 else 1.25 for v in outputs.values()]
    fig = plt.figure(figsize=(size * ncols + 2.2, size * sum(heights) + 0.3), layout="constrained")
    grid = fig.add_gridspec(len(outputs), ncols, height_ratios=heights)
    rows: list[np.ndarray] = []
    titled: set[int] = set()
    names = list(outputs)
    for r, (name, value) in enumerate(outputs.items()):
        label = f"{name}\n{tuple(value.shape)}"
        if value.ndim == 4:
            shown = min(value.shape[-1], max_channels)
            if shown < value.shape[-1]:
                label += f"\nfirst {shown} of {value.shape[-1]}"
            axes = []
            for c in range(shown):
                ax = fig.add_subplot(grid[r, c])
                fmap = value[0, :, :, c]
                low, high = contrast_limits(fmap)
                ax.imshow(fmap, cmap="gray", vmin=low, vmax=high)
                ax.set_xticks([])
                ax.set_yticks([])
                if c not in titled:  # each column's channel number once, at its top
                    ax.set_title(f"channel {c}", fontsize=8)
                    titled.add(c)
                axes.append(ax)
        else:
            ax = fig.add_subplot(grid[r, :])
            flat = value.reshape(-1)
            colors = ["C0"] * len(flat)
            if name == names[-1] and flat.size > 1:
                colors[int(np.argmax(flat))] = WINDOW_COLOR
            ax.bar(
                np.arange(len(flat)),
                flat,
                width=0.8 if len(flat) <= 64 else 1.0,
                color=colors,
                linewidth=0,
            )
            ax.axhline(0.0, color="0.5", linewidth=0.6)
            ax.set_xlim(-0.7, len(flat) - 0.3)
            if len(flat) <= 20:
                ax.set_xticks(np.arange(len(flat)))
            else:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.tick_params(labelsize=8)
            ax.yaxis.tick_right()
            ax.set_xlabel("unit", fontsize=8, labelpad=1)
            axes = [ax]
        axes[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9, labelpad=8)
        rows.append(np.array(axes, dtype=object))
    fig.suptitle(f"one input through {model.name!r}, layer by layer", fontsize=10)
    return fig, rows
