"""The TF tutorial's jitter, run on the device inside the trainers' training steps on the
uint8 batches that both input pipelines deliver: scale to [-1, 1], resize to 286/256 of
the side (or --load-size), random crop back, random mirror (unless --no-flip). Bilinear,
not the tutorial's nearest-neighbour upscaling: nearest repeats every 8th row and column, a periodic pattern the discriminator
may then ask the generator for (bilinear scored a little higher on toyworld, one run each;
docs/results.md). A layer, so its random state is one of the trainer's
variables and checkpoints keep it: a resumed run draws what an uninterrupted one draws."""

import keras
from keras import ops

from trainer.engine import distribute

JITTER_SCALE = 286 / 256  # the tutorial's: 256 -> 286


class DeviceJitter(keras.layers.Layer):
    """scale: the resized side over the crop's (--load-size / --image-size); flip: mirror
    half the images (--flip). The same draws are taken whatever the options."""

    def __init__(self, seed=None, scale=JITTER_SCALE, flip=True, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.flip = scale, flip
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # no weights to make; its random state already exists

    def call(self, images):
        """uint8 (B, S, S, C) -> float32 (B, S, S, C) in [-1, 1], each image jittered (a pair
        stacked along C gets one crop and mirror: pix2pix)."""
        batch, size, channels = ops.shape(images)[0], images.shape[1], images.shape[3]  # B may be unknown in TF
        big = int(round(size * self.scale))
        x = ops.cast(images, "float32") / 127.5 - 1.0
        x = ops.image.resize(x, (big, big), interpolation="bilinear")
        draws = distribute.replica_uniform((batch, 3), self.seed_generator)  # crop offsets, mirror flag
        # Per-image crop offsets, applied as one gather along each axis.
        offsets = ops.cast(ops.floor(draws[:, :2] * (big - size + 1)), "int32")
        steps = ops.arange(size, dtype="int32")
        rows = ops.expand_dims(offsets[:, 0:1] + steps, (2, 3))  # (B, S, 1, 1)
        cols = ops.expand_dims(offsets[:, 1:2] + steps, (1, 3))  # (B, 1, S, 1)
        x = ops.take_along_axis(x, ops.broadcast_to(rows, (batch, size, big, channels)), axis=1)
        x = ops.take_along_axis(x, ops.broadcast_to(cols, (batch, size, size, channels)), axis=2)
        if not self.flip:
            return x
        mirror = ops.reshape(draws[:, 2] < 0.5, (-1, 1, 1, 1))
        return ops.where(mirror, ops.flip(x, axis=2), x)

    def compute_output_shape(self, input_shape):
        return input_shape


def device_jitter(jitter, seed):
    """A trainer's `jitter` argument -> its DeviceJitter layer: None for False, the defaults
    for True, or a dict of DeviceJitter's options (trainer.engine.builders.jitter_options gives a config's)."""
    if not jitter:
        return None
    return DeviceJitter(seed, name="jitter", **({} if jitter is True else jitter))
