"""Training input speed on this machine: image pairs per second each pipeline delivers,
next to the seed's pipeline measured in the same run.

`python -m bench.input_pipeline [--images 200] [--size 256] [--source-size 640x360] [--batch-size 1]`

Writes `--images` photo-like JPEGs per domain at the source size, then times the pairs per
second of: the seed's tf.data pipeline (decode, resize, and the tutorial's jitter in
float32 on the CPU, per image), the project's tf.data pipeline (decode and resize to
uint8; the jitter runs inside the training step), and the arrays pipeline (all images
decoded once with Pillow, then batches from memory; the one-time decoding is printed
apart). A step that takes longer per pair than a pipeline's time per pair never waits.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from trainer.data import arrays, loading
from trainer.engine.augment import JITTER_SCALE


def write_images(folder, count, width, height, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    paths = []
    for i in range(count):
        base = np.stack([(x + 7 * i) % 256, (y + 3 * i) % 256, (x + y) % 256], -1)
        image = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        paths.append(str(folder / f"{seed}-{i:04d}.jpg"))
        Image.fromarray(image).save(paths[-1], quality=90)
    return paths


def seed_jitter(image, size):
    """The TF tutorial's random_jitter, as the seed ran it on each image on the CPU."""
    big = int(round(size * JITTER_SCALE))
    image = tf.image.resize(image, [big, big], method="nearest")
    image = tf.image.random_crop(image, [size, size, 3])
    return tf.image.random_flip_left_right(image)


def seed_pipeline(paths_a, paths_b, size, batch):
    def load(path):
        return seed_jitter(loading.decode_square(path, size), size)

    streams = [tf.data.Dataset.from_tensor_slices(p).map(load, num_parallel_calls=tf.data.AUTOTUNE)
               for p in (paths_a, paths_b)]
    return tf.data.Dataset.zip(tuple(streams)).batch(batch).prefetch(tf.data.AUTOTUNE)


def pairs_per_second(batches, count, batch):
    start = time.perf_counter()
    for _ in zip(range(count // batch), batches):
        pass
    return count // batch * batch / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.input_pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--source-size", default="640x360")
    parser.add_argument("--batch-size", type=int, default=1)
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.source_size.split("x"))
    n, size, batch = args.images, args.size, args.batch_size
    with tempfile.TemporaryDirectory() as tmp:
        paths_a, paths_b = (write_images(Path(tmp), n, width, height, seed) for seed in (1, 2))
        print(f"input pipelines, {n} pairs of {width}x{height} JPEGs -> {size} px, batch {batch}")
        seed = pairs_per_second(seed_pipeline(paths_a, paths_b, size, batch), n, batch)
        print(f"  the seed's tf.data (decode, resize, jitter in float32): {seed:8.1f} pairs/s", flush=True)
        project = pairs_per_second(loading.unpaired_dataset(paths_a, paths_b, size, batch, 0, 0, n // batch),
                                   n, batch)
        print(f"  the project's tf.data (decode, resize to uint8):        {project:8.1f} pairs/s "
              f"= {project / seed:.2f}x the seed's", flush=True)
        start = time.perf_counter()
        images_a, images_b = arrays.decode_all(paths_a, size), arrays.decode_all(paths_b, size)
        decode_seconds = time.perf_counter() - start
        in_memory = pairs_per_second(iter(arrays.Batches([(images_a,), (images_b,)], batch, 0, 0, n // batch)),
                                     n, batch)
        print(f"  arrays, batches from memory:                            {in_memory:8.1f} pairs/s "
              f"= {in_memory / seed:.0f}x the seed's (after decoding once: {2 * n / decode_seconds:.1f} images/s)")


if __name__ == "__main__":
    main()
