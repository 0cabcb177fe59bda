"""The CycleGAN training step for the JAX backend (KERAS_BACKEND=jax), for GPU machines
without TensorFlow: the losses of trainer.cyclegan's TF step (trainer.losses, no history
pool), as one pure function of the four networks' and four optimizers' variables,
compiled by XLA with `jax.jit`.

One forward pass serves all four losses; `jax.vjp` then takes each loss's gradient with
respect to its own network only (generator G, F, discriminator X, Y), as the TF step's
persistent tape does; XLA drops the gradient paths nobody uses. The four Adam optimizers
step together.
"""

import jax
import jax.numpy as jnp
import keras

from trainer import losses

NETS = ("gen_G", "gen_F", "disc_X", "disc_Y")  # the order of nets, optimizers and losses


class CycleGANStep:
    """step(real_a, real_b) -> the four losses; the networks' variables are updated in
    place of their Keras variables only by `sync_to_keras` (the state lives on device)."""

    def __init__(self, gen_G, gen_F, disc_X, disc_Y, optimizers, adversarial="bce", lambda_cycle=10.0,
                 identity_weight=0.5):
        if keras.backend.backend() != "jax":
            raise RuntimeError("trainer.jax_step needs KERAS_BACKEND=jax")
        self.nets = (gen_G, gen_F, disc_X, disc_Y)
        self.optimizers = tuple(optimizers)
        self.adversarial, self.lambda_cycle, self.identity_weight = adversarial, lambda_cycle, identity_weight
        for optimizer, net in zip(self.optimizers, self.nets):
            optimizer.build(net.trainable_variables)
        self.state = (
            [[v.value for v in net.trainable_variables] for net in self.nets],
            [[v.value for v in net.non_trainable_variables] for net in self.nets],
            [[v.value for v in optimizer.variables] for optimizer in self.optimizers],
        )
        self._jitted = jax.jit(self.pure_step, donate_argnums=0)

    def losses(self, trainable, non_trainable, real_a, real_b):
        """(gen_G, gen_F, disc_X, disc_Y losses as float32), updated non-trainable variables."""
        non_trainable = list(non_trainable)

        def run(name, x):
            k = NETS.index(name)
            y, non_trainable[k] = self.nets[k].stateless_call(trainable[k], non_trainable[k], x, training=True)
            return y

        values = losses.cyclegan_losses(run, real_a, real_b, self.adversarial, self.lambda_cycle,
                                        self.identity_weight)
        return tuple(jnp.asarray(values[f"{name}_loss"], jnp.float32) for name in NETS), non_trainable

    def pure_step(self, state, real_a, real_b):
        trainable, non_trainable, optimizer_vars = state
        values, backward, non_trainable = jax.vjp(
            lambda tv: self.losses(tv, non_trainable, real_a, real_b), trainable, has_aux=True)
        new_trainable, new_optimizer_vars = [], []
        for k, optimizer in enumerate(self.optimizers):
            (grads,) = backward(tuple(jnp.float32(i == k) for i in range(4)))
            variables, opt_vars = optimizer.stateless_apply(optimizer_vars[k], grads[k], trainable[k])
            new_trainable.append(variables)
            new_optimizer_vars.append(opt_vars)
        return (new_trainable, non_trainable, new_optimizer_vars), values

    def step(self, real_a, real_b):
        """One training step on float32 batches in [-1, 1]; returns the losses (device arrays)."""
        self.state, values = self._jitted(self.state, real_a, real_b)
        return dict(zip(("gen_G_loss", "gen_F_loss", "disc_X_loss", "disc_Y_loss"), values))

    def sync_to_keras(self):
        """Write the device state back into the Keras variables (to save or evaluate)."""
        trainable, non_trainable, optimizer_vars = self.state
        for net, tv, ntv in zip(self.nets, trainable, non_trainable):
            for variable, value in zip(net.trainable_variables, tv):
                variable.assign(value)
            for variable, value in zip(net.non_trainable_variables, ntv):
                variable.assign(value)
        for optimizer, values in zip(self.optimizers, optimizer_vars):
            for variable, value in zip(optimizer.variables, values):
                variable.assign(value)
