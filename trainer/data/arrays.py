"""The input pipeline without TensorFlow: every training image decoded once (Pillow, in
threads) into uint8 arrays in memory, then batches of those arrays as a Keras PyDataset.
The jitter runs on the device (trainer.engine.augment), so a GPU never waits on JPEG decoding.
The JAX backend's pipeline; `--input-pipeline arrays` on TensorFlow, where the batches go
through tf.data with fixed shapes.
"""

import logging
import os
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
from PIL import Image

from hub.imaging import read_image
from trainer.data.domains import element_order

log = logging.getLogger(__name__)
MEMORY_SHARE = 0.5  # refuse to hold more than this share of the machine's memory


def decode_square(path, size):
    """File -> uint8 (size, size, 3): centre crop, resize, as loading.decode_square. Read by
    hub.imaging, so huge, 16-bit, transparent or broken files get its checks and errors;
    resized bilinear (antialiased), as tf.data does, not hub.imaging's Lanczos."""
    image = read_image(path)
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = Image.fromarray(image[top:top + side, left:left + side])
    return np.asarray(crop.resize((size, size), Image.BILINEAR))


def _memory_bytes():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def require_memory(count, size):
    """Refuse, with what to do instead, to hold `count` images that would take more than
    MEMORY_SHARE of this machine's memory."""
    need, memory = count * size * size * 3, _memory_bytes()
    if memory and need > MEMORY_SHARE * memory:
        raise ValueError(f"{count} images at {size} px need {need / 2**30:.1f} GiB in memory, more than "
                         f"half of this machine's {memory / 2**30:.1f} GiB: use --input-pipeline tfdata, "
                         "or a smaller --image-size")


def _decode_each(paths, size, workers=8):
    """uint8 (size, size, 3) per path, None (and a warning) for each that does not decode."""
    require_memory(len(paths), size)

    def decode(path):
        try:
            return decode_square(path, size)
        except Exception as e:  # noqa: BLE001 - any decoder failure means "skip this file"
            log.warning("skipping unreadable image %s (%s: %s)", path, type(e).__name__, e)
            return None

    with ThreadPoolExecutor(workers) as pool:  # Pillow releases the GIL while decoding
        images = list(pool.map(decode, paths))
    if all(im is None for im in images):
        raise ValueError(f"none of the {len(paths)} images could be read")
    return images


def decode_all(paths, size):
    """uint8 (N, size, size, 3) of the images that decode; a warning for each that does not."""
    return np.stack([im for im in _decode_each(paths, size) if im is not None])


def decode_pairs(paths_a, paths_b, size):
    """(uint8 images A, uint8 images B) of the pairs whose two images both decode."""
    require_memory(len(paths_a) + len(paths_b), size)
    images = _decode_each([*paths_a, *paths_b], size)
    pairs = [(a, b) for a, b in zip(images[:len(paths_a)], images[len(paths_a):]) if a is not None and b is not None]
    if not pairs:
        raise ValueError(f"none of the {len(paths_a)} pairs has two images that could be read")
    return np.stack([a for a, _ in pairs]), np.stack([b for _, b in pairs])


def decode_labelled(paths, labels, size):
    """(uint8 images, their rows of `labels`) for the images that decode."""
    images = _decode_each(paths, size)
    kept = [i for i, im in enumerate(images) if im is not None]
    return np.stack([images[i] for i in kept]), np.asarray(labels, np.float32)[kept]


def decode_targeted(paths, labels, targets, size):
    """(uint8 images, their labels, their targets' images, the targets' labels) for the
    images that decode; targets: each image's index in `paths` of its target, or None.
    An image without a target, or whose target does not decode, is its own target."""
    images = _decode_each(paths, size)
    labels = np.asarray(labels, np.float32)
    kept = [i for i, im in enumerate(images) if im is not None]
    chosen = [t if t is not None and images[t] is not None else i for i, t in ((i, targets[i]) for i in kept)]
    return (np.stack([images[i] for i in kept]), labels[kept], np.stack([images[t] for t in chosen]), labels[chosen])


class Batches(keras.utils.PyDataset):
    """Batches for training steps first_step..first_step+steps-1 from arrays in memory, in
    the tf.data pipelines' order. Each stream is a tuple of equally long arrays that share
    one shuffled order (images and their labels), and is shuffled on its own (the CycleGAN's
    two domains); a batch is every stream's arrays, in order. share (index, count): this
    process's slice of every batch, when `count` processes feed one global batch
    (trainer.engine.distribute.process_share)."""

    def __init__(self, streams, batch_size, seed, first_step, steps, share=(0, 1)):
        super().__init__()
        process, processes = share
        if batch_size % processes:
            raise ValueError(f"--batch-size {batch_size} must be a multiple of the {processes} processes")
        first, count = first_step * batch_size, steps * batch_size
        self.streams = [tuple(stream) for stream in streams]
        self.orders = [element_order(len(stream[0]), seed, k, first, count) for k, stream in enumerate(self.streams)]
        self.batch_size, self.steps = batch_size, steps
        share_size = batch_size // processes
        self.rows = slice(process * share_size, (process + 1) * share_size)  # of each batch

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        start = index * self.batch_size
        chosen = slice(start + self.rows.start, start + self.rows.stop)
        return tuple(array[order[chosen]] for stream, order in zip(self.streams, self.orders) for array in stream)


def for_fit(batches):
    """The batches as this backend's `fit` takes them fastest: on TensorFlow a tf.data.Dataset
    with every shape fixed (Keras' own PyDataset adapter leaves the batch size unknown, and
    TF's CPU step then runs slower); on JAX the PyDataset itself."""
    if keras.backend.backend() != "tensorflow":
        return batches
    import tensorflow as tf

    spec = tuple(tf.TensorSpec(array.shape, array.dtype) for array in batches[0])
    ds = tf.data.Dataset.from_generator(lambda: (batches[i] for i in range(len(batches))), output_signature=spec)
    return ds.apply(tf.data.experimental.assert_cardinality(len(batches))).prefetch(2)
