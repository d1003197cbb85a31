"""Training a small model in a notebook, one short line every few epochs.

:class:`EpochLogger` and :func:`fit_quietly` train with one short, rounded
line every few epochs instead of Keras's progress bars, whose timings and
control characters change from run to run. The figures that judge the result,
learning curves and confusion matrices, are in :mod:`utils.evaluation`.

Import :mod:`utils` before this module (or before Keras) so that TensorFlow
starts quietly; importing ``utils.training`` does that for you. Nothing here
prints, trains or changes global state at import.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np

from ._checks import non_negative_int, positive_int

__all__ = ["EpochLogger", "fit_quietly"]


def _log_order(keys: Sequence[str]) -> list[str]:
    """Log keys as the logger shows them: training keys, then validation keys, loss first in each."""
    train = [k for k in keys if not k.startswith("val_")]
    val = [k for k in keys if k.startswith("val_")]
    return [
        k
        for group in (train, val)
        for k in sorted(group, key=lambda k: not k.endswith("loss"))
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
    if getattr(model, "optimizer", None) is None or not getattr(
        model, "compiled", True
    ):
        raise ValueError(
            f"model {model.name!r} is not compiled yet: call model.compile(optimizer, loss, "
            "metrics) before training it"
        )
    epochs = positive_int("epochs", epochs)
    batch_size = positive_int("batch_size", batch_size)
    logger = EpochLogger(every=every, digits=digits)
    if isinstance(validation_split, bool) or not isinstance(
        validation_split, numbers.Real
    ):
        raise TypeError(
            f"validation_split must be a number in [0, 1); got {validation_split!r}"
        )
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
            "validation_data[0]",
            validation_data[0],
            "validation_data[1]",
            validation_data[1],
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
