"""The trainers' training step on the JAX backend (KERAS_BACKEND=jax), for GPU machines
without TensorFlow: Keras' JAX `fit` calls it with the trainer's state as arrays and
compiles it with XLA, so it is a pure function of that state.

One forward pass serves every loss (trainer.engine.multi_loss, as the TF step); `jax.vjp` then
takes each trained loss's gradient with respect to its own networks only, as the TF step's
persistent tape does; XLA drops the gradient paths nobody uses. The trainer's optimizer
then steps them all, as on TensorFlow.
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
    trained = trainer.trained_losses()

    def losses(trainable):
        mapping = (_stateless(trainer.trainable_variables, trainable)
                   + _stateless(trainer.non_trainable_variables, non_trainable))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            values = trainer.compute_losses(*trainer.prepare_batch(data), training=True)
        values = {name: jnp.asarray(value, jnp.float32) for name, value in values.items()}
        updated = _new_values(scope, trainer.non_trainable_variables, non_trainable)
        return tuple(values[name] for name, _ in trained), (values, updated)

    _, backward, (values, non_trainable) = jax.vjp(losses, trainable, has_aux=True)
    position = {id(v): i for i, v in enumerate(trainer.trainable_variables)}
    grads = [None] * len(trainable)  # None: a network no loss trains now (the optimizer skips it)
    for k, (_, variables) in enumerate(trained):
        (grads_k,) = backward(tuple(jnp.float32(i == k) for i in range(len(trained))))
        for v in variables:
            grads[position[id(v)]] = grads_k[position[id(v)]]
    trainable, optimizer_vars = trainer.optimizer.stateless_apply(optimizer_vars, grads, trainable)

    with keras.StatelessScope(state_mapping=_stateless(trainer.metrics_variables, metrics_vars)) as scope:
        logs = trainer.update_trackers(values)
    metrics_vars = _new_values(scope, trainer.metrics_variables, metrics_vars)
    return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)
