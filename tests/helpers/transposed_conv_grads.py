"""Helper run in a subprocess with KERAS_BACKEND=jax by tests/test_transposed_conv.py:
hub.transposed_conv.Conv2DTranspose against Keras' own on the same weights and input, for
the generators' settings, and the convolutions that each one's kernel gradient runs.
Prints one JSON line: a record per case.

python -m tests.helpers.transposed_conv_grads
"""

import json
import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from hub.transposed_conv import Conv2DTranspose  # noqa: E402

# (kernel, bias, activation, dtype policy): the U-Net's up blocks and to_rgb, the ResNet's up blocks, bf16.
CASES = [(4, False, None, "float32"), (4, True, None, "float32"), (3, True, None, "float32"),
         (4, False, None, "mixed_bfloat16")]


def loss_and_grads(layer, x, weights, target):
    def loss(x, weights):
        out, _ = layer.stateless_call(weights, [], x)
        return jnp.sum(out.astype(jnp.float32) * target)

    value, grads = jax.value_and_grad(loss, argnums=(0, 1))(x, weights)
    return float(value), [np.asarray(g, np.float32) for g in (grads[0], *grads[1])]


def lhs_dilations(layer, x, weights):
    """lhs_dilation of every convolution in the jaxpr of the kernel gradient."""
    jaxpr = jax.make_jaxpr(jax.grad(lambda w: jnp.sum(layer.stateless_call([w, *weights[1:]], [], x)[0])))(weights[0])
    return [list(e.params["lhs_dilation"]) for e in jaxpr.jaxpr.eqns if e.primitive.name == "conv_general_dilated"]


records = []
rng = np.random.default_rng(0)
for kernel, bias, activation, policy in CASES:
    x = rng.normal(size=(2, 8, 8, 6)).astype(np.float32)
    target = rng.normal(size=(2, 16, 16, 5)).astype(np.float32)
    made = [cls(5, kernel, strides=2, padding="same", use_bias=bias, activation=activation, dtype=policy,
                kernel_initializer="glorot_normal", bias_initializer="random_normal")
            for cls in (keras.layers.Conv2DTranspose, Conv2DTranspose)]
    for layer in made:
        layer.build(x.shape)
    weights = [v.value for v in made[0].trainable_variables]
    (keras_loss, keras_grads), (hub_loss, hub_grads) = (loss_and_grads(layer, x, weights, target) for layer in made)
    records.append({
        "case": [kernel, bias, activation, policy],
        "losses": [keras_loss, hub_loss],
        "grad_gaps": [float(np.abs(a - b).max() / np.abs(a).max()) for a, b in zip(keras_grads, hub_grads)],
        "lhs_dilations": {name: lhs_dilations(layer, x, weights) for name, layer in zip(("keras", "hub"), made)},
    })
print(json.dumps(records))
