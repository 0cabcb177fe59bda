"""tf.data input pipelines: domain selection, image checks, the seed's preprocessing.

Preprocessing follows the seed report: centre crop to a square, resize to the image
size, scale to [-1, 1]. Training adds the TF tutorial's jitter: resize to 286/256 of the
size, random crop back, random mirror.

The order of images is a pure function of (seed, domain, element number), and so is
every jitter draw (stateless random ops), so a run resumed at step k sees exactly the
batches an uninterrupted run sees from step k on.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from trainer.data.manifest import describe_tags, read_manifest, select

log = logging.getLogger(__name__)
JITTER_SCALE = 286 / 256
DECODABLE_FORMATS = {"JPEG", "PNG", "GIF", "BMP", "WEBP"}  # what tf.io.decode_image reads


def check_image(path):
    """None if `path` decodes as an image TF can read, else the reason it cannot."""
    try:
        with Image.open(path) as im:
            if im.format not in DECODABLE_FORMATS:
                return f"format {im.format} is not one of {sorted(DECODABLE_FORMATS)}"
            im.draft("RGB", (64, 64))  # JPEG: decode at reduced scale, still reads every byte
            im.load()
    except Exception as e:  # noqa: BLE001 - any decoder failure means "skip this file"
        return f"{type(e).__name__}: {e}"
    return None


def usable_images(paths, workers=8):
    """The paths that decode; one warning line for each that does not."""
    with ThreadPoolExecutor(workers) as pool:  # Pillow releases the GIL while decoding
        reasons = list(pool.map(check_image, paths))
    good = []
    for path, reason in zip(paths, reasons):
        if reason is None:
            good.append(path)
        else:
            log.warning("skipping unreadable image %s (%s)", path, reason)
    return good


def domain_rows(folder, filters, split="train", check=True):
    """Manifest rows matching `filters` (and `split`), with "path" made a full path;
    rows whose image does not decode are dropped with a warning when `check`."""
    rows = read_manifest(folder)
    chosen = select(rows, tuple(filters) + ((("split", split),) if split else ()))
    name = ",".join(f"{k}={v}" for k, v in filters) or "all images"
    if not chosen:
        raise ValueError(f"domain {name!r} has no {split or ''} images in {folder}; "
                         f"tags present: {describe_tags(rows)}")
    chosen = [{**r, "path": str(Path(folder) / r["path"])} for r in chosen]
    if check:
        usable = set(usable_images([r["path"] for r in chosen]))
        if not usable:
            raise ValueError(f"domain {name!r}: none of its {len(chosen)} images in {folder} "
                             "could be read")
        chosen = [r for r in chosen if r["path"] in usable]
    return chosen


def domain_paths(folder, filters, split="train", check=True):
    """Image paths of one domain: manifest rows matching `filters` (and `split`)."""
    return [r["path"] for r in domain_rows(folder, filters, split, check)]


def decode_square(path, size):
    """File -> float32 (size, size, 3) in [-1, 1]: centre crop, resize."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    h, w = tf.shape(image)[0], tf.shape(image)[1]
    side = tf.minimum(h, w)
    image = tf.image.crop_to_bounding_box(image, (h - side) // 2, (w - side) // 2, side, side)
    image = tf.image.resize(image, [size, size], antialias=True)
    return tf.cast(image, tf.float32) / 127.5 - 1.0


def jitter(image, size, seed):
    """The tutorial's augmentation, drawn statelessly from `seed` (shape [2] int64).

    Bilinear, not the tutorial's nearest-neighbour upscaling: nearest repeats every 8th
    row and column, a periodic pattern the discriminator may then ask the generator for
    (toyworld 3d->2d SSIM at 5,000 steps: 0.5936 nearest, 0.5997 bilinear; one run each).
    """
    big = int(round(size * JITTER_SCALE))
    image = tf.image.resize(image, [big, big], method="bilinear")
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    image = tf.image.stateless_random_crop(image, [size, size, 3], seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(image, seed=flip_seed)


def element_order(n, seed, domain, first, count):
    """Indices into a domain's n images for elements first..first+count-1: one fresh
    permutation per pass over the data, each from its own (seed, domain, pass) stream."""
    first_pass, last_pass = first // n, (first + count - 1) // n
    order = np.concatenate([np.random.default_rng([seed, domain, p]).permutation(n)
                            for p in range(first_pass, last_pass + 1)])
    start = first - first_pass * n
    return order[start:start + count]


def _image_stream(paths, stream, image_size, seed, first, count, augment, labels=None):
    """Elements first..first+count-1 of one shuffled image stream: images, or
    (image, label) pairs when `labels` (one row per path) is given."""
    order = element_order(len(paths), seed, stream, first, count)
    element_ids = np.arange(first, first + count, dtype=np.int64)
    columns = (np.asarray(paths)[order], element_ids)
    if labels is not None:
        columns += (np.asarray(labels, np.float32)[order],)

    def load(path, element_id, *label):
        image = decode_square(path, image_size)
        if augment:
            image = jitter(image, image_size, tf.stack([tf.constant(seed, tf.int64) * 2 + stream, element_id]))
        return (image, *label) if label else image

    ds = tf.data.Dataset.from_tensor_slices(columns)
    # ignore_errors: a file that broke after the up-front check costs one warning, not the run.
    return ds.map(load, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors(log_warning=True)


def unpaired_dataset(paths_a, paths_b, image_size, batch_size, seed, first_step, steps, augment=True):
    """Batches (a, b) for training steps first_step..first_step+steps-1, each domain
    shuffled independently."""
    first, count = first_step * batch_size, steps * batch_size
    streams = [_image_stream(p, d, image_size, seed, first, count, augment)
               for d, p in enumerate((paths_a, paths_b))]
    ds = tf.data.Dataset.zip(tuple(streams)).batch(batch_size, drop_remainder=True)
    # repeat(): if ignore_errors dropped a file, the last steps still get data.
    return ds.repeat().prefetch(tf.data.AUTOTUNE)


def labelled_dataset(paths, labels, image_size, batch_size, seed, first_step, steps, augment=True):
    """Batches (images, label vectors) for training steps first_step..first_step+steps-1."""
    first, count = first_step * batch_size, steps * batch_size
    ds = _image_stream(paths, 0, image_size, seed, first, count, augment, labels)
    return ds.batch(batch_size, drop_remainder=True).repeat().prefetch(tf.data.AUTOTUNE)


def load_images(paths, image_size):
    """Paths -> float32 numpy (N, size, size, 3) in [-1, 1], no jitter (samples, evaluation)."""
    return np.stack([decode_square(p, image_size).numpy() for p in paths])
