"""A network's export twin: the same weights and maths, with the layers whose Keras-ops
form exports to many small ONNX ops swapped for forms that tf2onnx turns into a few fused
ones. Only ONNX export uses it, and export runs on the TensorFlow backend only.

- Instance norm (`GroupNormalization`, one group per channel): Keras reshapes to groups
  and back, with transposes around it in the ONNX graph; the twin takes moments over H
  and W, which ONNX Runtime runs as GlobalAveragePool.
- `BilinearUpsample2x`: ~30 slices, concats and multiplies each; the twin is one ONNX Resize
  (bilinear, half-pixel centres: the same numbers).
"""

import keras
import tensorflow as tf
from keras import layers

from hub.nets import BilinearUpsample2x


class _MomentsInstanceNorm(layers.GroupNormalization):
    def call(self, x):
        mean, variance = tf.nn.moments(x, axes=[1, 2], keepdims=True)
        scale = tf.math.rsqrt(variance + self.epsilon)
        if self.scale:
            scale = scale * self.gamma
        y = (x - mean) * scale
        return y + self.beta if self.center else y


class _ResizeUpsample2x(BilinearUpsample2x):
    def call(self, x):
        return tf.image.resize(x, tf.shape(x)[1:3] * 2, method="bilinear")


def _twin_class(layer):
    """The class that stands in for `layer` in the export, None where it stays itself."""
    if isinstance(layer, layers.GroupNormalization) and layer.groups == layer.input.shape[-1]:
        return _MomentsInstanceNorm  # instance norm: one group per channel
    if type(layer) is BilinearUpsample2x:
        return _ResizeUpsample2x
    return None


def _twin_layer(layer):
    twin_class = _twin_class(layer)
    return twin_class.from_config(layer.get_config()) if twin_class else layer  # others shared, weights and all


def export_twin(net):
    """`net` (a functional model) itself when nothing in it has a faster export form;
    otherwise a copy that shares its other layers and copies the swapped ones' weights."""
    swapped = [layer.name for layer in net.layers if _twin_class(layer)]
    if not swapped:
        return net
    twin = keras.models.clone_model(net, clone_function=_twin_layer)
    for name in swapped:
        twin.get_layer(name).set_weights(net.get_layer(name).get_weights())
    return twin
