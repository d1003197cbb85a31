"""Teaching code for *Convolutional Neural Networks, from the Ground Up*.

Import this package before TensorFlow or Keras. Importing it only sets three
environment variables, which TensorFlow reads once, when it is first imported:

- ``TF_CPP_MIN_LOG_LEVEL=3`` silences TensorFlow's C++ start-up logs;
- ``TF_ENABLE_ONEDNN_OPTS=0`` turns off oneDNN kernels, whose float rounding
  changes between runs and machines;
- ``KERAS_BACKEND=tensorflow`` makes Keras use TensorFlow.

A value the reader has already set is kept. Nothing else happens at import:
seeding is the explicit call :func:`setup_notebook`.

Modules, one per concept:

- :mod:`utils.images`: the bundled sample photos as float arrays;
- :mod:`utils.plotting`: image grids, feature maps, arrays with their numbers;
- :mod:`utils.arithmetic`: output sizes and padding amounts;
- :mod:`utils.conv`, :mod:`utils.pooling`, :mod:`utils.dense`: the layers from scratch
  in NumPy, each as the chapter's loop and vectorized, with the gradients of
  convolution and pooling;
- :mod:`utils.source`: a function's code, shown on a chapter's page;
- :mod:`utils.layers`: small Keras wrappers (hand-set kernels, summaries, every layer's output);
- :mod:`utils.geometry`: one step of a convolution, the window on the padded input;
- :mod:`utils.animation`: every step of it, as a looping GIF;
- :mod:`utils.explorer`: sliders that redraw it for any n, f, s, p, d;
- :mod:`utils.training`: quiet training, one short line every few epochs;
- :mod:`utils.evaluation`: learning curves and confusion matrices;
- :mod:`utils.receptive_field`: the theoretical receptive field of any Keras model;
- :mod:`utils.receptive_field_rules`: how each kind of layer changes that field;
- :mod:`utils.erf`: the effective receptive field, measured by backpropagation;
- :mod:`utils.erf_stats`: the spread of an effective receptive field, in a few numbers;
- :mod:`utils.conv_stack`: the stacks of convolutions whose effective field the
  receptive-field chapter measures;
- :mod:`utils.conv_family`: depthwise, depthwise-separable and transposed convolution
  from scratch;
- :mod:`utils.cost`: parameters, multiply-accumulates and activation memory of any
  Keras model, layer by layer.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__all__ = ["setup_notebook"]


def setup_notebook(seed: int = 0) -> None:
    """Make a notebook's results repeatable and its printed numbers short.

    Seeds Python's ``random``, NumPy and TensorFlow with ``seed`` (through
    ``keras.utils.set_random_seed``), asks TensorFlow for deterministic
    kernels, and sets NumPy to print four decimals without scientific notation.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TypeError(f"seed must be a non-negative int; got {seed!r}")
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    np.set_printoptions(precision=4, suppress=True)
