"""tf.data input pipelines. Preprocessing follows the seed report: centre crop to a square,
resize to the image size. Training batches are uint8, and the trainers jitter and scale
them to [-1, 1] on the device (trainer.engine.augment).

The order of images (trainer.data.domains) is a pure function of the seed and the element
number, so a run resumed at step k sees exactly the batches an uninterrupted run sees from
step k on.
"""

import numpy as np
import tensorflow as tf

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


def _image_stream(paths, stream, seed, first, count, size, labels=None):
    """Elements first..first+count-1 of one shuffled stream of uint8 images, or of (image,
    label) pairs when `labels` (one row per path) is given."""
    order = element_order(len(paths), seed, stream, first, count)
    columns = (np.asarray(paths)[order],)
    if labels is not None:
        columns += (np.asarray(labels, np.float32)[order],)

    def load_element(path, *label):
        image = decode_uint8(path, size)
        return (image, *label) if label else image

    ds = tf.data.Dataset.from_tensor_slices(columns)
    # ignore_errors: a file that broke after the up-front check costs one warning, not the run.
    return ds.map(load_element, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors(log_warning=True)


def unpaired_dataset(paths_a, paths_b, image_size, batch_size, seed, first_step, steps):
    """Batches (a, b) of uint8 images for training steps first_step..first_step+steps-1,
    each domain shuffled independently; the CycleGAN trainer jitters them on the device."""
    first, count = first_step * batch_size, steps * batch_size
    streams = [_image_stream(p, d, seed, first, count, image_size) for d, p in enumerate((paths_a, paths_b))]
    ds = tf.data.Dataset.zip(tuple(streams)).batch(batch_size, drop_remainder=True)
    # repeat(): if ignore_errors dropped a file, the last steps still get data.
    return ds.repeat().prefetch(tf.data.AUTOTUNE)


def labelled_dataset(paths, labels, image_size, batch_size, seed, first_step, steps):
    """Batches (uint8 images, label vectors) for training steps first_step..first_step+steps-1;
    the CAAE trainer jitters the images on the device."""
    first, count = first_step * batch_size, steps * batch_size
    ds = _image_stream(paths, 0, seed, first, count, image_size, labels)
    return ds.batch(batch_size, drop_remainder=True).repeat().prefetch(tf.data.AUTOTUNE)
