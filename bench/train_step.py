"""Training speed on this machine (TensorFlow backend), each next to the seed's step
measured in the same run.

`python -m bench.train_step [--size 256] [--base-filters 64] [--generators unet resnet] [--batch-size 1] [--steps 5] [--jit-compile] [--mixed-precision] [--caae]`

For each generator: the seed's step (bench.seed_step: the tutorial's tf.function, batch
1), then the project's default step as `python -m trainer.cyclegan` builds it (one Adam,
stacked network calls, jitter inside the step), fed uint8 batches held in memory, and
with --jit-compile / --mixed-precision the same step compiled by XLA / in bfloat16. With --caae, the CAAE trainer at
its defaults (the seed's settings) in its adversarial phase. Each: one warm-up epoch of 2
steps (tracing), then `--steps` timed. The ratio to the seed's step is what holds across
machines.
"""

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

from bench.seed_step import seed_train_step
from trainer import caae, cyclegan
from trainer.config import CAAEConfig, CycleGANConfig
from trainer.data.arrays import UnpairedBatches, as_tf_dataset

WARMUP = 2


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def random_uint8(count, size, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (count, size, size, 3), np.uint8)


def seed_seconds(size, base_filters, generator, steps):
    step = seed_train_step(size, base_filters, generator)
    real_x, real_y = (tf.constant(random_uint8(1, size, seed) / 127.5 - 1, tf.float32) for seed in (1, 2))
    for _ in range(WARMUP):
        step(real_x, real_y).numpy()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step(real_x, real_y)
    loss.numpy()
    return (time.perf_counter() - start) / steps


def timed_fit(trainer, make_data, steps):
    """Seconds per step of the second of two fits: WARMUP steps, then `steps`."""
    trainer.fit(make_data(0, WARMUP), epochs=1, verbose=0, shuffle=False)
    timer = EpochTimer()
    trainer.fit(make_data(WARMUP, steps), epochs=1, callbacks=[timer], verbose=0, shuffle=False)
    return timer.seconds / steps


def project_seconds(size, base_filters, generator, batch, steps, **flags):
    config = CycleGANConfig(data="-", image_size=size, base_filters=base_filters, generator=generator,
                            batch_size=batch, epochs=1, steps_per_epoch=WARMUP + steps, **flags)
    trainer = cyclegan.build_trainer(config)
    images_a, images_b = random_uint8(2 * batch, size, 1), random_uint8(2 * batch, size, 2)
    return timed_fit(trainer, lambda first, count: as_tf_dataset(UnpairedBatches(images_a, images_b, batch, 0, first,
                                                                                 count)), steps)


def caae_seconds(size, steps):
    from hub.labels import LabelSpace

    config = CAAEConfig(data="-", image_size=size, epochs=1, steps_per_epoch=WARMUP + steps)
    rows = [{"medium": m, "studio": s, "movie": f"{s}-{i}"} for m, s in (("3d", "pixar"), ("2d", "ghibli"))
            for i in range(4)]
    label_space = LabelSpace.from_rows(rows, config.label_tags)
    trainer = caae.build_trainer(config, label_space)
    trainer.set_pretraining(False)
    images = random_uint8(config.batch_size, size) / 127.5 - 1
    labels = np.stack([label_space.encode(rows[i % len(rows)]) for i in range(config.batch_size)])

    def make_data(first, count):
        ds = tf.data.Dataset.from_tensors((images.astype(np.float32), labels.astype(np.float32)))
        return ds.repeat(count)

    return timed_fit(trainer, make_data, steps), config.batch_size


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.train_step", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--base-filters", type=int, default=64)
    parser.add_argument("--generators", nargs="+", default=["unet", "resnet"], choices=["unet", "resnet"])
    parser.add_argument("--batch-size", type=int, default=1, help="the project step's batch (the seed's is 1)")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--jit-compile", action="store_true", help="also time the project step under XLA")
    parser.add_argument("--mixed-precision", action="store_true", help="also time the project step in bfloat16")
    parser.add_argument("--caae", action="store_true", help="also time the CAAE trainer")
    args = parser.parse_args(argv)
    gpus = tf.config.list_physical_devices("GPU")
    print(f"training, {args.size} px, base {args.base_filters}, TensorFlow on {len(gpus) or 'no'} GPU(s)")
    for generator in args.generators:
        seed = seed_seconds(args.size, args.base_filters, generator, args.steps)
        print(f"  {generator:6s} seed's step (batch 1):            {seed * 1e3:9.1f} ms/pair", flush=True)
        variants = [("project default", {})]
        variants += [("project, --jit-compile", {"jit_compile": True})] if args.jit_compile else []
        variants += [("project, --mixed-precision", {"mixed_precision": True})] if args.mixed_precision else []
        for name, flags in variants:
            per_pair = project_seconds(args.size, args.base_filters, generator, args.batch_size, args.steps,
                                       **flags) / args.batch_size
            print(f"  {generator:6s} {name + f' (batch {args.batch_size})':33s} {per_pair * 1e3:9.1f} ms/pair "
                  f"= {per_pair / seed:.2f}x the seed's step", flush=True)
    if args.caae:
        seconds, batch = caae_seconds(args.size, args.steps)
        print(f"  CAAE at its defaults (batch {batch}, adversarial phase): {seconds * 1e3:9.1f} ms/step, "
              f"{seconds / batch * 1e3:.1f} ms/image", flush=True)


if __name__ == "__main__":
    main()
