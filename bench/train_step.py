"""Steady-state CycleGAN training speed on this machine.

`python -m bench.train_step --data DIR [--image-size 256] [--base-filters 64] [--batch-size 1] [--generator unet] [--upsample transpose] [--steps 20]`

Builds the trainer exactly as `python -m trainer.cyclegan` does and runs `fit` for two
epochs of `--steps`: the first warms up (tracing, first-call allocation), the second is
timed. Prints seconds per step and per image pair.
"""

import argparse
import time

import keras

from trainer import cyclegan
from trainer.config import CycleGANConfig
from trainer.data.domains import domain_paths
from trainer.data.loading import unpaired_dataset
from trainer.data.manifest import parse_filter


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.train_step", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--base-filters", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--generator", default="unet")
    parser.add_argument("--upsample", default="transpose")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)

    total = 2 * args.steps
    config = CycleGANConfig(data=args.data, image_size=args.image_size, base_filters=args.base_filters,
                            batch_size=args.batch_size, generator=args.generator, upsample=args.upsample, epochs=1,
                            steps_per_epoch=total)
    trainer = cyclegan.build_trainer(config)
    data = unpaired_dataset(domain_paths(args.data, parse_filter(config.domain_a)),
                            domain_paths(args.data, parse_filter(config.domain_b)),
                            args.image_size, args.batch_size, seed=0, first_step=0, steps=total)
    timer = EpochTimer()
    trainer.fit(data, epochs=2, steps_per_epoch=args.steps, callbacks=[timer], verbose=0, shuffle=False)
    seconds = timer.seconds / args.steps  # the second epoch
    print(f"{args.generator} ({args.upsample}) {args.image_size}px base_filters={args.base_filters} "
          f"batch={args.batch_size}: "
          f"{seconds:.3f} s/step, {seconds / args.batch_size:.3f} s/image pair")


if __name__ == "__main__":
    main()
