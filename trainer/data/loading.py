"""tf.data input pipelines. Preprocessing follows the seed report: centre crop to a square,
resize to the image size, scale to [-1, 1]. The CAAE's batches get the TF tutorial's
jitter here (resize to 286/256 of the size, random crop back, random mirror); the
CycleGAN's arrive as uint8 and are jittered on the device (trainer.augment).

The order of images (trainer.data.domains) and every jitter draw (stateless random ops)
are pure functions of the seed and the element number, so a run resumed at step k sees
exactly the batches an uninterrupted run sees from step k on.
"""

import numpy as np
import tensorflow as tf

from trainer.augment import JITTER_SCALE
from trainer.data.domains import element_order


def decode_uint8(path, size):
    """File -> uint8 (size, size, 3): centre crop, resize (antialiased)."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    h, w = tf.shape(image)[0], tf.shape(image)[1]
    side = tf.minimum(h, w)
    image = tf.image.crop_to_bounding_box(image, (h - side) // 2, (w - side) // 2, side, side)
    image = tf.image.resize(image, [size, size], antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def decode_square(path, size):
    """File -> float32 (size, size, 3) in [-1, 1]: centre crop, resize."""
    return tf.cast(decode_uint8(path, size), tf.float32) / 127.5 - 1.0


def jitter(image, size, seed):
    """The tutorial's augmentation (bilinear: see trainer.augment), drawn statelessly from
    `seed` (shape [2] int64)."""
    big = int(round(size * JITTER_SCALE))
    image = tf.image.resize(image, [big, big], method="bilinear")
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    image = tf.image.stateless_random_crop(image, [size, size, 3], seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(image, seed=flip_seed)


def _image_stream(paths, stream, seed, first, count, load, labels=None):
    """Elements first..first+count-1 of one shuffled image stream: load(path, element_id),
    or (that, label) pairs when `labels` (one row per path) is given."""
    order = element_order(len(paths), seed, stream, first, count)
    element_ids = np.arange(first, first + count, dtype=np.int64)
    columns = (np.asarray(paths)[order], element_ids)
    if labels is not None:
        columns += (np.asarray(labels, np.float32)[order],)

    def load_element(path, element_id, *label):
        image = load(path, element_id)
        return (image, *label) if label else image

    ds = tf.data.Dataset.from_tensor_slices(columns)
    # ignore_errors: a file that broke after the up-front check costs one warning, not the run.
    return ds.map(load_element, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors(log_warning=True)


def unpaired_dataset(paths_a, paths_b, image_size, batch_size, seed, first_step, steps):
    """Batches (a, b) of uint8 images for training steps first_step..first_step+steps-1,
    each domain shuffled independently; the CycleGAN trainer jitters them on the device."""
    first, count = first_step * batch_size, steps * batch_size
    streams = [_image_stream(p, d, seed, first, count, lambda path, _: decode_uint8(path, image_size))
               for d, p in enumerate((paths_a, paths_b))]
    ds = tf.data.Dataset.zip(tuple(streams)).batch(batch_size, drop_remainder=True)
    # repeat(): if ignore_errors dropped a file, the last steps still get data.
    return ds.repeat().prefetch(tf.data.AUTOTUNE)


def labelled_dataset(paths, labels, image_size, batch_size, seed, first_step, steps, augment=True):
    """Batches (images in [-1, 1], label vectors) for training steps first_step..first_step+steps-1."""
    first, count = first_step * batch_size, steps * batch_size

    def load(path, element_id):
        image = decode_square(path, image_size)
        if augment:
            image = jitter(image, image_size, tf.stack([tf.constant(seed, tf.int64) * 2, element_id]))
        return image

    ds = _image_stream(paths, 0, seed, first, count, load, labels)
    return ds.batch(batch_size, drop_remainder=True).repeat().prefetch(tf.data.AUTOTUNE)


def load_images(paths, image_size):
    """Paths -> float32 numpy (N, size, size, 3) in [-1, 1], no jitter (samples, evaluation)."""
    return np.stack([decode_square(p, image_size).numpy() for p in paths])
