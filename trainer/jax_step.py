"""CycleGANTrainer's training step on the JAX backend (KERAS_BACKEND=jax), for GPU machines
without TensorFlow: Keras' JAX `fit` calls it with the trainer's state as arrays and
compiles it with XLA, so it is a pure function of that state.

One forward pass serves all four losses (trainer.losses.cyclegan_losses, as the TF step);
`jax.vjp` then takes each loss's gradient with respect to its own network only (generator
G, F, discriminator X, Y), as the TF step's persistent tape does; XLA drops the gradient
paths nobody uses. One Adam steps all four networks, as the TF step.
"""

import jax
import jax.numpy as jnp
import keras


def _stateless(variables, values):
    return list(zip(variables, values))


def _new_values(scope, variables, old_values):
    """The values a StatelessScope assigned to `variables`, else their old ones."""
    return [old if (new := scope.get_current_value(v)) is None else new for v, old in zip(variables, old_values)]


def train_step(trainer, state, data):
    """Keras' JAX train_step contract: (state, batch) -> (logs, new state)."""
    trainable, non_trainable, optimizer_vars, metrics_vars = state

    def losses(trainable):
        mapping = (_stateless(trainer.trainable_variables, trainable)
                   + _stateless(trainer.non_trainable_variables, non_trainable))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            real_a, real_b = trainer.prepare_batch(data)
            values = trainer.compute_losses(real_a, real_b, training=True)
        updated = _new_values(scope, trainer.non_trainable_variables, non_trainable)
        return tuple(jnp.asarray(values[name], jnp.float32) for name in trainer.loss_names), updated

    values, backward, non_trainable = jax.vjp(losses, trainable, has_aux=True)
    grads = [None] * len(trainable)
    for k, positions in enumerate(trainer.net_positions):  # loss k trains net k only
        (grads_k,) = backward(tuple(jnp.float32(i == k) for i in range(len(values))))
        for i in positions:
            grads[i] = grads_k[i]
    trainable, optimizer_vars = trainer.optimizer.stateless_apply(optimizer_vars, grads, trainable)

    with keras.StatelessScope(state_mapping=_stateless(trainer.metrics_variables, metrics_vars)) as scope:
        logs = trainer.update_trackers(dict(zip(trainer.loss_names, values)))
    metrics_vars = _new_values(scope, trainer.metrics_variables, metrics_vars)
    return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)
