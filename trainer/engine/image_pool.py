"""History of translated images for the discriminators (Shrivastava et al. 2017, used by
the CycleGAN paper with 50 images): D sees a mix of current and older fakes, which damps
oscillation. Its buffer and random state are layer variables, so checkpoints keep them.
"""

import keras
from keras import ops


class ImagePool(keras.layers.Layer):
    def __init__(self, pool_size, image_shape, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pool_size
        self.image_shape = tuple(image_shape)
        self.images = self.add_weight(shape=(pool_size,) + self.image_shape, initializer="zeros",
                                      trainable=False, name="images")
        self.count = self.add_weight(shape=(), dtype="int32", initializer="zeros",
                                     trainable=False, name="count")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # its variables exist from the start

    def _query_one(self, image):
        """Store `image`; return it, or (once full, with p=0.5) a stored one it replaces."""
        # Values, not the variables: JAX no longer turns a variable into an array by itself.
        images, count = ops.convert_to_tensor(self.images), ops.convert_to_tensor(self.count)
        filling = count < self.pool_size
        swap = keras.random.uniform((), seed=self.seed_generator) > 0.5
        slot = ops.where(filling, count, keras.random.randint((), 0, self.pool_size, seed=self.seed_generator))
        stored = ops.take(images, slot, axis=0)
        returned = ops.where(ops.logical_and(ops.logical_not(filling), swap), stored, image)
        write = ops.logical_or(filling, swap)
        updated = ops.slice_update(images, [slot, 0, 0, 0], ops.expand_dims(image, 0))
        self.images.assign(ops.where(write, updated, images))
        self.count.assign(ops.minimum(count + 1, self.pool_size))
        return returned

    def call(self, batch):
        # The batch size is static during training, so this loop unrolls.
        return ops.stack([self._query_one(batch[i]) for i in range(batch.shape[0])])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "image_shape": self.image_shape}
