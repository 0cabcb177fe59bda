"""Learning-rate schedules."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="trainer")
class LinearDecayInSecondHalf(keras.optimizers.schedules.LearningRateSchedule):
    """Constant for the first half of `total_steps`, then linear to 0 (the CycleGAN paper:
    100 epochs at 2e-4, then 100 decaying to 0)."""

    def __init__(self, initial_learning_rate, total_steps):
        self.initial_learning_rate = float(initial_learning_rate)
        self.total_steps = int(total_steps)

    def __call__(self, step):
        half = self.total_steps / 2
        progress = (ops.cast(step, "float32") - half) / max(half, 1.0)
        return self.initial_learning_rate * ops.clip(1.0 - progress, 0.0, 1.0)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "total_steps": self.total_steps}
