# The reference program of `make bench`: the ten lines a reader writes first to convolve
# and pool a photo with TensorFlow and look at the result. benchmarks/bench.py runs it in a
# fresh kernel, as it runs the notebooks, and reports each notebook's time as a multiple
# of this program's.
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from sklearn.datasets import load_sample_image

photo = load_sample_image("flower.jpg").astype("float32") / 255.0
conv = tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu")
maps = tf.keras.layers.MaxPool2D(2)(conv(photo[np.newaxis]))
plt.imshow(maps[0, :, :, 0], cmap="gray")
plt.show()
