"""Keras' Conv2DTranspose with a kernel gradient that GPUs run fast on the JAX backend.

XLA writes the kernel gradient of a transposed convolution as one convolution whose
window spans the whole input (128x128 for the U-Net's last layer at 256 px), and cuDNN
runs that with a slow generic kernel: on an H100 this gradient of the two generators'
`to_rgb` layers took over half of a bf16 CycleGAN step. The same gradient is the kernel
gradient of the strided convolution that the transposed one is the adjoint of, which XLA
hands to cuDNN's backward-filter kernels. Same maths, weights and layer config; on
TensorFlow, which has a filter-gradient op of its own, the layer is Keras' as is.
"""

import functools

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="hub")
class Conv2DTranspose(layers.Conv2DTranspose):
    def call(self, inputs):
        if keras.backend.backend() != "jax" or self.data_format != "channels_last":
            return super().call(inputs)
        options = (("strides", tuple(self.strides)), ("padding", self.padding),
                   ("output_padding", self.output_padding), ("dilation_rate", self.dilation_rate))
        outputs = _jax_conv_transpose()(inputs, ops.convert_to_tensor(self.kernel), options)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        return outputs if self.activation is None else self.activation(outputs)


@functools.cache
def _jax_conv_transpose():
    """conv_transpose(x, kernel, options) as ops.conv_transpose, with the kernel gradient above."""
    import jax  # only on the JAX backend

    @functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
    def conv_transpose(x, kernel, options):
        return ops.conv_transpose(x, kernel, **dict(options))

    def forward(x, kernel, options):
        return conv_transpose(x, kernel, options), (x, kernel)

    def backward(options, residuals, grad):
        x, kernel = residuals

        def adjoint(k):  # conv_transpose is linear in x: its transpose, a strided convolution of grad
            (transposed,) = jax.linear_transpose(lambda v: ops.conv_transpose(v, k, **dict(options)), x)(grad)
            return transposed

        # <conv_transpose(x, k), grad> = <x, adjoint(k)> for every k, so both have one kernel gradient.
        grad_x, pullback = jax.vjp(adjoint, kernel)
        (grad_kernel,) = pullback(x)
        return grad_x, grad_kernel

    conv_transpose.defvjp(forward, backward)
    return conv_transpose
