"""Training speed on this machine (TensorFlow backend), each next to the seed's step
measured in the same run.

`python -m bench.train_step [--size 256] [--base-filters 64] [--generators unet resnet]
[--batch-size 1] [--also-batch 4] [--steps 2] [--rounds 3] [--jit-compile] [--mixed-precision] [--caae]
[--objectives pix2pix cut fastcut] [--memory [OBJECTIVE ...]] [--full-size-head]`

For each generator: the seed's step (bench.seed_step: the tutorial's tf.function, batch
1) and the project's default step as `python -m trainer.cyclegan` builds it (one Adam,
stacked network calls, jitter inside the step; Keras' own compiled train function, fed
uint8 batches held in memory), and with --jit-compile / --mixed-precision the same step
compiled by XLA / in bfloat16, and with --also-batch the default step at other batch
sizes (per image pair: a batch reads each weight once for all its images, which the deep
layers' small activations at batch 1 leave the CPU waiting on). After 2 warm-up steps
each (tracing), they take turns: `--rounds` rounds of `--steps` steps each, the median
round counting, so that a slow spell of the machine hits all of them alike. --objectives
adds other objectives' steps on the same generator (pix2pix: trainer.objectives.pix2pix; cut, fastcut: trainer.objectives.cut, both
directions as the CycleGAN), in the same rounds, each against the CycleGAN step, as is the
U-Net with --full-size-head (hub.nets) when that flag is given; --memory
also measures each objective's training memory (or that of those it names) in a process
of its own (peak resident memory over its first steps, less what the process held once
the trainer was built). With
--caae, the CAAE trainer at its defaults (the seed's settings) in its
adversarial phase, through `fit`.
"""

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from bench.seed_step import seed_train_step
from trainer.config import CAAEConfig, CycleGANConfig, Pix2PixConfig
from trainer.objectives import caae, cyclegan, pix2pix

WARMUP = 2


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def random_uint8(count, size, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (count, size, size, 3), np.uint8)


def seed_runner(size, base_filters, generator):
    """run(steps) on the seed's step; finishes (reads the loss) before returning."""
    keras.mixed_precision.set_global_policy("float32")
    step = seed_train_step(size, base_filters, generator)
    real_x, real_y = (tf.constant(random_uint8(1, size, seed) / 127.5 - 1, tf.float32) for seed in (1, 2))

    def run(steps):
        for _ in range(steps):
            loss = step(real_x, real_y)
        loss.numpy()
    return run


# objective -> (its config class, the trainer builder, the config fields that pick it)
OBJECTIVES = {"cyclegan": (CycleGANConfig, cyclegan.build_trainer, {}),
              "pix2pix": (Pix2PixConfig, pix2pix.build_trainer, {}),
              "cut": (CycleGANConfig, cyclegan.build_trainer, {"objective": "cut"}),
              "fastcut": (CycleGANConfig, cyclegan.build_trainer, {"objective": "fastcut"})}


def project_runner(size, base_filters, generator, batch, objective="cyclegan", **flags):
    """run(steps) on the trainer's own compiled step (what `fit` calls), in-memory batches."""
    config_cls, build_trainer, fields = OBJECTIVES[objective]
    config = config_cls(data="-", image_size=size, base_filters=base_filters, generator=generator,
                        batch_size=batch, epochs=1, steps_per_epoch=1, **fields, **flags)
    trainer = build_trainer(config)
    images_a, images_b = random_uint8(batch, size, 1), random_uint8(batch, size, 2)
    batches = iter(tf.data.Dataset.from_tensors((images_a, images_b)).repeat())
    trainer.make_train_function()
    train_function = trainer.train_function

    def run(steps):
        for _ in range(steps):
            logs = train_function(batches)
        tf.nest.map_structure(lambda v: v.numpy(), logs)
    return run


def _resident_kb(field):
    return int(re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def step_memory_mb(size, base_filters, generator, batch, objective, steps=3):
    """In this process: build the objective's trainer, then run `steps` steps -> MB of
    peak resident memory above what the built trainer held. The first step's tracing is
    in it (about the same for every objective); the activations of a step, which the
    allocator keeps for the next, are most of it at real sizes."""
    run = project_runner(size, base_filters, generator, batch, objective)
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
    before = _resident_kb("VmRSS")
    run(steps)
    return (_resident_kb("VmHWM") - before) / 1024


def memory_in_subprocesses(size, base_filters, generator, batch, objectives):
    """{objective: MB} with each objective in a fresh process, so none sees another's memory."""
    found = {}
    for objective in objectives:
        done = subprocess.run([sys.executable, "-m", "bench.train_step", "--memory-child", objective,
                               "--size", str(size), "--base-filters", str(base_filters), "--generators", generator,
                               "--batch-size", str(batch)], capture_output=True, text=True, timeout=1200)
        found[objective] = float(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    return found


def interleaved_seconds(runners, steps, rounds):
    """Seconds per step of each runner: after WARMUP steps each, `rounds` rounds of `steps`
    steps of every runner in turn, so slow spells of a noisy machine hit them all alike;
    the median round counts."""
    for run in runners.values():
        run(WARMUP)
    times = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            start = time.perf_counter()
            run(steps)
            times[name].append((time.perf_counter() - start) / steps)
    return {name: float(np.median(t)) for name, t in times.items()}


def timed_fit(trainer, make_data, steps):
    """Seconds per step of the second of two fits: WARMUP steps, then `steps`."""
    trainer.fit(make_data(0, WARMUP), epochs=1, verbose=0, shuffle=False)
    timer = EpochTimer()
    trainer.fit(make_data(WARMUP, steps), epochs=1, callbacks=[timer], verbose=0, shuffle=False)
    return timer.seconds / steps


def caae_seconds(size, steps):
    from hub.labels import LabelSpace

    config = CAAEConfig(data="-", image_size=size, epochs=1, steps_per_epoch=WARMUP + steps)
    rows = [{"medium": m, "studio": s, "movie": f"{s}-{i}"} for m, s in (("3d", "pixar"), ("2d", "ghibli"))
            for i in range(4)]
    label_space = LabelSpace.from_rows(rows, config.label_tags)
    trainer = caae.build_trainer(config, label_space)
    trainer.set_pretraining(False)
    images = random_uint8(config.batch_size, size)  # jittered on the device, as the pipelines' batches
    labels = np.stack([label_space.encode(rows[i % len(rows)]) for i in range(config.batch_size)])

    def make_data(first, count):
        ds = tf.data.Dataset.from_tensors((images, labels.astype(np.float32)))
        return ds.repeat(count)

    return timed_fit(trainer, make_data, steps), config.batch_size


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.train_step", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--base-filters", type=int, default=64)
    parser.add_argument("--generators", nargs="+", default=["unet", "resnet"], choices=["unet", "resnet"])
    parser.add_argument("--batch-size", type=int, default=1, help="the project step's batch (the seed's is 1)")
    parser.add_argument("--also-batch", type=int, nargs="*", default=[],
                        help="also time the project's default step at these batches, per image pair")
    parser.add_argument("--steps", type=int, default=2, help="steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jit-compile", action="store_true", help="also time the project step under XLA")
    parser.add_argument("--mixed-precision", action="store_true", help="also time the project step in bfloat16")
    parser.add_argument("--caae", action="store_true", help="also time the CAAE trainer")
    parser.add_argument("--objectives", nargs="*", default=[], choices=[k for k in OBJECTIVES if k != "cyclegan"],
                        help="also time these objectives' steps, against the CycleGAN step")
    parser.add_argument("--full-size-head", action="store_true",
                        help="also time the CycleGAN step with the U-Net's full-size head")
    parser.add_argument("--memory", nargs="*", choices=list(OBJECTIVES), metavar="OBJECTIVE",
                        help="also measure the step memory of these objectives (none named: the CycleGAN's and "
                             "--objectives'), one process each (Linux)")
    parser.add_argument("--memory-child", choices=list(OBJECTIVES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:  # one objective's memory, printed for the parent's table
        print(step_memory_mb(args.size, args.base_filters, args.generators[0], args.batch_size, args.memory_child))
        return
    gpus = tf.config.list_physical_devices("GPU")
    print(f"training, {args.size} px, base {args.base_filters}, TensorFlow on {len(gpus) or 'no'} GPU(s); "
          f"median of {args.rounds} interleaved rounds of {args.steps} steps")
    for generator in args.generators:
        variants = {"seed's step (batch 1)": {}, f"project default (batch {args.batch_size})": {}}
        for batch in args.also_batch:
            variants[f"project default (batch {batch})"] = {"batch_size": batch}
        if args.jit_compile:
            variants[f"project, --jit-compile (batch {args.batch_size})"] = {"jit_compile": True}
        if args.mixed_precision:
            variants[f"project, --mixed-precision (batch {args.batch_size})"] = {"mixed_precision": True}
        for objective in args.objectives:
            variants[f"{objective} (batch {args.batch_size})"] = {"objective": objective}
        if args.full_size_head and generator == "unet":
            variants[f"--full-size-head (batch {args.batch_size})"] = {"full_size_head": True}
        against_project = [name for name, flags in variants.items()
                           if "objective" in flags or "full_size_head" in flags]
        runners = {name: (seed_runner(args.size, args.base_filters, generator) if name.startswith("seed")
                          else project_runner(args.size, args.base_filters, generator,
                                              flags.get("batch_size", args.batch_size),
                                              **{k: v for k, v in flags.items() if k != "batch_size"}))
                   for name, flags in variants.items()}
        seconds = interleaved_seconds(runners, args.steps, args.rounds)
        seed = seconds.pop("seed's step (batch 1)")
        project = seconds[f"project default (batch {args.batch_size})"]
        print(f"  {generator:6s} {'seed' + chr(39) + 's step (batch 1)':36s} {seed * 1e3:9.1f} ms/pair", flush=True)
        for name, step_seconds in seconds.items():
            per_pair = step_seconds / variants[name].get("batch_size", args.batch_size)
            versus = (f"{step_seconds / project:.2f}x the CycleGAN step" if name in against_project
                      else f"{per_pair / seed:.2f}x the seed's step")
            print(f"  {generator:6s} {name:36s} {per_pair * 1e3:9.1f} ms/pair = {versus}", flush=True)
        if args.memory is not None:
            memory = memory_in_subprocesses(args.size, args.base_filters, generator, args.batch_size,
                                            args.memory or ["cyclegan", *args.objectives])
            for objective, mb in memory.items():
                versus = (f" = {mb / memory['cyclegan']:.2f}x the CycleGAN step's" if mb and memory.get("cyclegan")
                          and objective != "cyclegan" else "")
                print(f"  {generator:6s} {objective:10s} training memory {mb:.0f} MB per step of batch "
                      f"{args.batch_size}{versus}" if mb is not None else f"  {objective}: memory not measured",
                      flush=True)
    if args.caae:
        seconds, batch = caae_seconds(args.size, args.steps * args.rounds)
        print(f"  CAAE at its defaults (batch {batch}, adversarial phase): {seconds * 1e3:9.1f} ms/step, "
              f"{seconds / batch * 1e3:.1f} ms/image", flush=True)


if __name__ == "__main__":
    main()
