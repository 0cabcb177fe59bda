"""The generators' transposed convolutions on the JAX backend: hub.transposed_conv's layer
(what the nets use) against Keras' own Conv2DTranspose (the baseline), the same CycleGAN
trained through `fit` in the same run, timed epochs interleaved. Prints ms per image pair
of each and the speed-up.

`python -m bench.transposed_conv [--size 256] [--base-filters 64] [--batch 64]
[--precision bfloat16] [--steps 10] [--rounds 3]`

Runs where JAX finds a GPU, and on the CPU (e.g. `--size 64 --base-filters 16 --batch 4`).
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import argparse  # noqa: E402 - the backend must be chosen before Keras is imported

import keras  # noqa: E402
import numpy as np  # noqa: E402

from bench.jax_train import EpochTimer  # noqa: E402
from hub import nets  # noqa: E402
from trainer.objectives import cyclegan  # noqa: E402
from trainer.config import CycleGANConfig  # noqa: E402
from trainer.data.arrays import Batches  # noqa: E402

LAYERS = {"keras": keras.layers.Conv2DTranspose, "hub": nets.Conv2DTranspose}


def build(layer, args):
    """A compiled CycleGAN trainer whose up-convolutions are `layer`, and its uint8 data."""
    project_layer = nets.Conv2DTranspose
    nets.Conv2DTranspose = layer  # what hub.nets.upsample_conv builds
    try:
        config = CycleGANConfig(data="-", image_size=args.size, base_filters=args.base_filters,
                                batch_size=args.batch, mixed_precision=args.precision == "bfloat16", epochs=1,
                                steps_per_epoch=2 + args.rounds * args.steps)
        trainer = cyclegan.build_trainer(config)
    finally:
        nets.Conv2DTranspose = project_layer
    rng = np.random.default_rng(0)
    images = [(rng.integers(0, 256, (2 * args.batch, args.size, args.size, 3), np.uint8),) for _ in range(2)]
    trainer.fit(Batches(images, args.batch, 0, 0, 2), epochs=1, verbose=0, shuffle=False)  # compiles
    return trainer, images


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.transposed_conv", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--base-filters", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--precision", choices=["float32", "bfloat16"], default="bfloat16")
    parser.add_argument("--steps", type=int, default=10, help="steps per timed epoch")
    parser.add_argument("--rounds", type=int, default=3, help="timed epochs of each, interleaved")
    args = parser.parse_args(argv)
    built = {name: build(layer, args) for name, layer in LAYERS.items()}
    seconds = {name: [] for name in LAYERS}
    for _ in range(args.rounds):
        for name, (trainer, images) in built.items():
            timer = EpochTimer()
            trainer.fit(Batches(images, args.batch, 0, 2, args.steps), epochs=1, callbacks=[timer], verbose=0,
                        shuffle=False)
            seconds[name].append(timer.seconds / args.steps / args.batch)
    print(f"{keras.backend.backend()} on {keras.distribution.list_devices()[0]}: U-Net {args.size} px, "
          f"base {args.base_filters}, batch {args.batch}, {args.precision}; ms per image pair, each round:")
    for name, values in seconds.items():
        print(f"  {name:6s} Conv2DTranspose: " + ", ".join(f"{v * 1e3:.3f}" for v in values))
    print(f"  hub's layer is {np.median(seconds['keras']) / np.median(seconds['hub']):.2f}x as fast (medians)")


if __name__ == "__main__":
    main()
