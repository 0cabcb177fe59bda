"""CycleGAN training speed on the JAX backend (the trainer's `fit`, trainer.engine.jax_step): ms
per image pair for batch sizes and precisions, model FLOPs per step, and the model FLOP
utilisation (MFU) against the bf16 matrix-product rate measured in the same run; with
--caae, the CAAE trainer at its defaults (batch 16) in each precision too.

`python -m bench.jax_train [--size 256] [--generator unet] [--batches 1 32] [--precisions float32 bfloat16] [--caae]
[--compare-rgb-conv] [--profile DIR]`

The first row (batch 1, float32) is the seed's setup. Data are random uint8 images held in
memory (trainer.data.arrays), jittered on the device inside the step, as in training.
Runs where JAX finds a GPU, and on the CPU.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import argparse  # noqa: E402 - the backend must be chosen before Keras is imported
import contextlib  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402

import numpy as np  # noqa: E402

from bench import profile  # noqa: E402
from hub import nets  # noqa: E402
from hub.labels import LabelSpace  # noqa: E402
from trainer.objectives import cyclegan  # noqa: E402
from trainer.config import CAAEConfig, CycleGANConfig  # noqa: E402
from trainer.data.arrays import Batches  # noqa: E402
from trainer.objectives import caae


def matmul_rate(dtype=jnp.bfloat16, n=8192, repeats=20):
    """FLOP/s of a large square matrix product on the default device."""
    a = jax.random.normal(jax.random.key(0), (n, n), dtype)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    start = time.perf_counter()
    for _ in range(repeats):
        out = f(a)
    out.block_until_ready()
    return 2 * n ** 3 * repeats / (time.perf_counter() - start)


def flops_per_step(trainer, images):
    """Model FLOPs of one step: 6 generator and 4 discriminator forward passes per image
    pair (CycleGANTrainer.compute_losses judges each image once), with the backward pass
    counted as twice the forward (the usual MFU convention). A forward pass is counted
    from its jaxpr: every convolution and matrix product, the zeros that JAX inserts for a
    transposed convolution left out. Device-independent, unlike XLA's cost analysis,
    which on a GPU leaves cuDNN's convolutions out."""
    forward = sum(passes * _jaxpr_flops(jax.make_jaxpr(lambda x, n=net: n(x, training=False))(images).jaxpr)
                  for passes, net in ((6, trainer.gen_G), (4, trainer.disc_X)))
    return 3 * forward


def _jaxpr_flops(jaxpr):
    total = 0
    for eqn in jaxpr.eqns:
        out = eqn.outvars[0].aval
        if eqn.primitive.name == "conv_general_dilated":
            kernel = eqn.invars[1].aval
            out_features = kernel.shape[eqn.params["dimension_numbers"].rhs_spec[0]]
            inserted = math.prod(eqn.params.get("lhs_dilation") or (1,))  # a transposed conv's zeros
            total += 2 * math.prod(out.shape) * math.prod(kernel.shape) // out_features // inserted
        elif eqn.primitive.name == "dot_general":
            (contracting, _), _ = eqn.params["dimension_numbers"]
            lhs = eqn.invars[0].aval
            total += 2 * math.prod(out.shape) * math.prod(lhs.shape[d] for d in contracting)
        for value in eqn.params.values():
            for sub in value if isinstance(value, (list, tuple)) else [value]:
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    total += _jaxpr_flops(inner)
    return total


PROFILED_STEPS = 5


@contextlib.contextmanager
def rgb_conv_in_compute_dtype():
    """Networks built inside compute their RGB conv in the policy's dtype (bf16 under mixed
    precision), only its tanh in float32: hub.nets.RGB_CONV_DTYPE's candidate."""
    project_dtype = nets.RGB_CONV_DTYPE
    nets.RGB_CONV_DTYPE = None
    try:
        yield
    finally:
        nets.RGB_CONV_DTYPE = project_dtype


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def measure(size, generator, base_filters, batch, precision, steps, warmup, profile_dir=None):
    """Build the trainer as `python -m trainer.cyclegan` does and time `fit` on uint8 batches
    held in memory: one epoch of `warmup` steps (compiling), then one of `steps`; with
    profile_dir, then a few more steps under `jax.profiler.trace`, untimed."""
    config = CycleGANConfig(data="-", image_size=size, generator=generator, base_filters=base_filters,
                            batch_size=batch, mixed_precision=precision == "bfloat16", epochs=2,
                            steps_per_epoch=warmup + steps)
    trainer = cyclegan.build_trainer(config)
    rng = np.random.default_rng(0)
    images_a, images_b = (rng.integers(0, 256, (2 * batch, size, size, 3), np.uint8) for _ in range(2))
    timer = EpochTimer()
    start = time.perf_counter()
    trainer.fit(Batches([(images_a,), (images_b,)], batch, 0, 0, warmup), epochs=1, verbose=0, shuffle=False)
    compile_seconds = time.perf_counter() - start
    history = trainer.fit(Batches([(images_a,), (images_b,)], batch, 0, warmup, steps), epochs=1,
                          callbacks=[timer], verbose=0, shuffle=False)
    if profile_dir:
        with jax.profiler.trace(profile_dir):
            trainer.fit(Batches([(images_a,), (images_b,)], batch, 0, warmup + steps, PROFILED_STEPS), epochs=1,
                        verbose=0, shuffle=False)
    probe = jnp.zeros((batch, size, size, 3), jnp.float32)
    return {"seconds": timer.seconds / steps, "flops": flops_per_step(trainer, probe), "compile": compile_seconds,
            "losses": {k: float(v[-1]) for k, v in history.history.items()}}


def measure_caae(size, precision, steps, warmup):
    """The CAAE trainer at its defaults (batch 16), adversarial phase, timed as `measure`:
    seconds per step."""
    config = CAAEConfig(data="-", image_size=size, mixed_precision=precision == "bfloat16", epochs=1,
                        steps_per_epoch=warmup + steps)
    rows = [{"medium": m, "studio": s, "movie": f"{s}-{i}"} for m, s in (("3d", "pixar"), ("2d", "ghibli"))
            for i in range(4)]
    label_space = LabelSpace.from_rows(rows, config.label_tags)
    trainer = caae.build_trainer(config, label_space)
    trainer.set_pretraining(False)
    batch = config.batch_size
    images = np.random.default_rng(0).integers(0, 256, (2 * batch, size, size, 3), np.uint8)
    labels = np.stack([label_space.encode(rows[i % len(rows)]) for i in range(2 * batch)])
    trainer.fit(Batches([(images, labels)], batch, 0, 0, warmup), epochs=1, verbose=0, shuffle=False)
    timer = EpochTimer()
    trainer.fit(Batches([(images, labels)], batch, 0, warmup, steps), epochs=1, callbacks=[timer], verbose=0,
                shuffle=False)
    return timer.seconds / steps, batch


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.jax_train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--generator", choices=["unet", "resnet"], default="unet")
    parser.add_argument("--base-filters", type=int, default=64)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--precisions", nargs="+", default=["float32", "bfloat16"])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--caae", action="store_true", help="also time the CAAE trainer")
    parser.add_argument("--compare-rgb-conv", action="store_true",
                        help="time the last configuration (and the CAAE's) again with the RGB convs computing in "
                             "the compute precision (bf16 under mixed precision), only the tanh in float32")
    parser.add_argument("--profile", metavar="DIR",
                        help="trace the last configuration's steps into DIR and list its top device kernels")
    args = parser.parse_args(argv)
    device = jax.devices()[0]
    peak = matmul_rate()
    print(f"device: {device.device_kind} ({device.platform}); bf16 matrix product {peak / 1e12:.1f} TFLOP/s measured")
    print(f"{args.generator} {args.size} px, base {args.base_filters}, the trainer's defaults (BCE, no pool)")
    baseline = None
    last = (args.precisions[-1], args.batches[-1])
    for precision in args.precisions:
        for batch in args.batches:
            r = measure(args.size, args.generator, args.base_filters, batch, precision, args.steps, args.warmup,
                        args.profile if (precision, batch) == last else None)
            per_pair = r["seconds"] / batch
            baseline = baseline or per_pair
            mfu = r["flops"] / r["seconds"] / peak if r["flops"] else float("nan")
            print(f"{precision:9s} batch {batch:3d}: {r['seconds'] * 1e3:8.2f} ms/step, {per_pair * 1e3:8.3f} ms/pair "
                  f"({baseline / per_pair:6.1f}x the first row), {r['flops'] / 1e12:.2f} TFLOP/step, MFU {mfu:.1%}, "
                  f"first epoch (compiling) {r['compile']:.0f} s; mean losses gen_G {r['losses']['gen_G_loss']:.3f}, "
                  f"disc_X {r['losses']['disc_X_loss']:.3f}", flush=True)
    if args.compare_rgb_conv:
        with rgb_conv_in_compute_dtype():
            after = measure(args.size, args.generator, args.base_filters, last[1], last[0], args.steps, args.warmup)
        print(f"{last[0]:9s} batch {last[1]:3d}, RGB convs in {last[0]}: {after['seconds'] * 1e3:8.2f} ms/step, "
              f"{r['seconds'] / after['seconds']:.2f}x the speed of the float32 RGB convs above", flush=True)
    if args.profile:
        print(f"\nprofile of {last[0]} batch {last[1]}, {PROFILED_STEPS} steps:")
        profile.report(args.profile)
    for precision in args.precisions if args.caae else []:
        seconds, batch = measure_caae(args.size, precision, args.steps, args.warmup)
        print(f"CAAE {precision:9s} batch {batch}: {seconds * 1e3:8.2f} ms/step, {seconds / batch * 1e3:8.3f} ms/image",
              flush=True)
        if args.compare_rgb_conv:
            with rgb_conv_in_compute_dtype():
                after, _ = measure_caae(args.size, precision, args.steps, args.warmup)
            print(f"CAAE {precision:9s} batch {batch}, RGB conv in {precision}: {after * 1e3:8.2f} ms/step, "
                  f"{seconds / after:.2f}x the speed of the float32 one above", flush=True)


if __name__ == "__main__":
    main()
