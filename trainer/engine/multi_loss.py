"""The training step every trainer shares: networks trained together by Keras' `fit`, where
each loss trains its own networks only (a GAN's generators and discriminators), on either
backend - the TF step below, or trainer.engine.jax_step on KERAS_BACKEND=jax. TwoWayTrainer adds
what the translators between two domains (CycleGAN, pix2pix, CUT) share.

A subclass gives
- prepare_batch(batch): the batch as compute_losses' arguments (on the device: jitter);
- compute_losses(*args, training): {name: scalar}, the trained losses and any others to log;
- trained_losses(): ((loss name, the variables it trains), ...) for the losses trained now;
- trackers: {name: keras.metrics.Mean} for every name compute_losses may return.
"""

import keras


class MultiLossTrainer(keras.Model):
    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def step(self):
        """The global step: the optimizer's iterations."""
        return int(keras.ops.convert_to_numpy(self.optimizer.iterations))

    def update_trackers(self, loss):
        for name, value in loss.items():
            self.trackers[name].update_state(value)
        return {name: self.trackers[name].result() for name in loss}

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras 3's TF fit averages a first batch over the replicas here only to build an
        # unbuilt model, and that average fails under MultiWorkerMirroredStrategy; these
        # trainers are built from the start.
        if not self.built:
            super()._maybe_symbolic_build(iterator, data_batch)

    def train_step(self, *args):
        if keras.backend.backend() == "jax":
            from trainer.engine import jax_step  # imports jax
            return jax_step.train_step(self, *args)
        return self._tf_train_step(*args)

    def _tf_train_step(self, batch):
        # 1. Forward: every network, once, on one tape.
        # 2. Each loss is differentiated w.r.t. its own networks only.
        # 3. The optimizer steps them all.
        import tensorflow as tf

        inputs = self.prepare_batch(batch)
        trained = self.trained_losses()
        # Under tf.distribute each replica sees a slice of the batch and the optimizer sums
        # the replicas' gradients: dividing makes the step follow the global batch's mean.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape(persistent=True) as tape:
            loss = self.compute_losses(*inputs, training=True)
            scaled = [loss[name] / replicas for name, _ in trained]
        grads, variables = [], []
        for value, (_, net_variables) in zip(scaled, trained):
            grads += tape.gradient(value, net_variables)
            variables += net_variables
        del tape
        self.optimizer.apply_gradients(zip(grads, variables))
        logs = self.update_trackers(loss)
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3 averages each worker's logs along axis 0, which a scalar lacks.
            logs = {name: tf.reshape(value, (1,)) for name, value in logs.items()}
        return logs


LOSS_NAMES = ("gen_G_loss", "gen_F_loss", "disc_X_loss", "disc_Y_loss")  # one per net, in `nets` order


class TwoWayTrainer(MultiLossTrainer):
    """Two generators, gen_G (A -> B) and gen_F (B -> A), and two discriminators, disc_X
    (judges A) and disc_Y (judges B), each trained by its own loss of LOSS_NAMES. A
    subclass sets `jitter` (a trainer.engine.augment.DeviceJitter, or None)."""

    def __init__(self, gen_G, gen_F, disc_X, disc_Y, **kwargs):
        super().__init__(**kwargs)
        self.gen_G, self.gen_F = gen_G, gen_F
        self.disc_X, self.disc_Y = disc_X, disc_Y

    @property
    def nets(self):
        return (self.gen_G, self.gen_F, self.disc_X, self.disc_Y)

    def trained_losses(self):
        return [(name, net.trainable_variables) for name, net in zip(LOSS_NAMES, self.nets)]

    def prepare_batch(self, batch):
        """(A, B) or, with the edge-promoting loss, (A, B, B with its edges smoothed), each
        jittered on its own."""
        return tuple(self.jitter(images) for images in batch) if self.jitter is not None else tuple(batch)
