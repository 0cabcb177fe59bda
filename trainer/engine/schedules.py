"""Learning-rate schedules."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="trainer")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant for `constant_steps`, then linear to 0 over `decay_steps` (the CycleGAN
    paper's 100 epochs at 2e-4, then 100 decaying to 0; junyanz's n_epochs and
    n_epochs_decay)."""

    def __init__(self, initial_learning_rate, constant_steps, decay_steps):
        self.initial_learning_rate = float(initial_learning_rate)
        self.constant_steps = float(constant_steps)
        self.decay_steps = float(decay_steps)

    def __call__(self, step):
        progress = (ops.cast(step, "float32") - self.constant_steps) / max(self.decay_steps, 1.0)
        return self.initial_learning_rate * ops.clip(1.0 - progress, 0.0, 1.0)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "constant_steps": self.constant_steps,
                "decay_steps": self.decay_steps}


def learning_rate(config):
    """A run's learning rate: constant, or a LinearDecay after --epochs when --epochs-decay
    is given, or over the second half of training with --lr-decay."""
    steps = config.steps_per_epoch
    if getattr(config, "epochs_decay", 0):
        return LinearDecay(config.learning_rate, config.epochs * steps, config.epochs_decay * steps)
    if getattr(config, "lr_decay", False):
        half = config.total_epochs * steps / 2
        return LinearDecay(config.learning_rate, half, half)
    return config.learning_rate
