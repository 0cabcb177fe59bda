"""CycleGAN training speed on the JAX backend (trainer.jax_step, XLA): ms per image pair
for batch sizes and precisions, FLOPs per step from XLA's cost analysis, and the model
FLOP utilisation (MFU) against the bf16 matrix-product rate measured in the same run.

`python -m bench.jax_train [--size 256] [--generator unet] [--batches 1 32] [--precisions float32 bfloat16]`

The first row (batch 1, float32) is the seed's setup. Data are random images already on
the device (the input pipeline is measured separately), so this is the step alone.
Runs where JAX finds a GPU, and on the CPU.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import argparse  # noqa: E402 - the backend must be chosen before Keras is imported
import math  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402

from hub import nets  # noqa: E402
from trainer.jax_step import CycleGANStep  # noqa: E402


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


def flops_per_step(step, real_a, real_b):
    """Model FLOPs of one step: 6 generator and 6 discriminator forward passes, with the
    backward pass counted as twice the forward (the usual MFU convention). A forward pass
    is counted from its jaxpr: every convolution and matrix product, the zeros that JAX
    inserts for a transposed convolution left out. Device-independent, unlike XLA's cost
    analysis, which on a GPU leaves cuDNN's convolutions out."""
    gen, disc = step.nets[0], step.nets[2]
    forward = sum(6 * _jaxpr_flops(jax.make_jaxpr(lambda x, n=net: n(x, training=False))(real_a).jaxpr)
                  for net in (gen, disc))
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


class StatsInFloat32InstanceNorm(keras.layers.Layer):
    """An experiment: instance norm with per-channel mean and variance over H, W taken
    directly (no grouping reshape), statistics in float32, as the candidate replacement
    for GroupNormalization(groups=-1). Same weights: gamma and beta per channel."""

    def build(self, shape):
        self.gamma = self.add_weight(shape=(shape[-1],), initializer=keras.initializers.RandomNormal(1.0, 0.02),
                                     name="gamma")
        self.beta = self.add_weight(shape=(shape[-1],), initializer="zeros", name="beta")

    def call(self, x):
        ops = keras.ops
        x32 = ops.cast(x, "float32")
        mean = ops.mean(x32, axis=(1, 2), keepdims=True)
        variance = ops.maximum(ops.mean(ops.square(x32), axis=(1, 2), keepdims=True) - ops.square(mean), 0.0)
        scale = ops.rsqrt(variance + 1e-5) * ops.cast(self.gamma, "float32")
        return ops.cast(x32 * scale + (ops.cast(self.beta, "float32") - mean * scale), x.dtype)


def build_step(size, generator, base_filters, precision, norm="group"):
    if norm == "direct":
        nets.instance_norm = lambda name=None, affine=True: StatsInFloat32InstanceNorm(name=name)
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    keras.utils.set_random_seed(0)
    networks = [nets.build_generator(generator, size, base_filters, name=name, upsample="transpose")
                for name in ("gen_G", "gen_F")]
    networks += [nets.patchgan_discriminator(base_filters, name=name) for name in ("disc_X", "disc_Y")]
    optimizers = [keras.optimizers.Adam(2e-4, beta_1=0.5) for _ in range(4)]
    return CycleGANStep(*networks, optimizers)


def measure(size, generator, base_filters, batch, precision, steps, warmup, norm="group"):
    step = build_step(size, generator, base_filters, precision, norm)
    keys = jax.random.split(jax.random.key(1), 2)
    real_a, real_b = (jax.random.uniform(k, (batch, size, size, 3), jnp.float32, -1.0, 1.0) for k in keys)
    flops = flops_per_step(step, real_a, real_b)
    start = time.perf_counter()
    first = {k: float(v) for k, v in step.step(real_a, real_b).items()}  # compiles
    compile_seconds = time.perf_counter() - start
    for _ in range(warmup):
        step.step(real_a, real_b)
    jax.block_until_ready(step.state)
    start = time.perf_counter()
    for _ in range(steps):
        last = step.step(real_a, real_b)
    jax.block_until_ready(last)
    seconds = (time.perf_counter() - start) / steps
    return {"seconds": seconds, "flops": flops, "compile": compile_seconds, "first": first,
            "last": {k: float(v) for k, v in last.items()}}


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
    parser.add_argument("--norm", choices=["group", "direct"], default="group",
                        help="group: GroupNormalization(groups=-1), as the project's nets; direct: an experiment")
    args = parser.parse_args(argv)
    device = jax.devices()[0]
    peak = matmul_rate()
    print(f"device: {device.device_kind} ({device.platform}); bf16 matrix product {peak / 1e12:.1f} TFLOP/s measured")
    print(f"{args.generator} {args.size} px, base {args.base_filters}, Adam, BCE, no pool, norm {args.norm}")
    baseline = None
    for precision in args.precisions:
        for batch in args.batches:
            r = measure(args.size, args.generator, args.base_filters, batch, precision, args.steps, args.warmup,
                        args.norm)
            per_pair = r["seconds"] / batch
            baseline = baseline or per_pair
            mfu = r["flops"] / r["seconds"] / peak if r["flops"] else float("nan")
            print(f"{precision:9s} batch {batch:3d}: {r['seconds'] * 1e3:8.2f} ms/step, {per_pair * 1e3:8.3f} ms/pair "
                  f"({baseline / per_pair:6.1f}x the first row), {r['flops'] / 1e12:.2f} TFLOP/step, MFU {mfu:.1%}, "
                  f"compile {r['compile']:.0f} s; gen_G loss {r['first']['gen_G_loss']:.3f} -> "
                  f"{r['last']['gen_G_loss']:.3f}, disc_X {r['first']['disc_X_loss']:.3f} -> "
                  f"{r['last']['disc_X_loss']:.3f}", flush=True)


if __name__ == "__main__":
    main()
