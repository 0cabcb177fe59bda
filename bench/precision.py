"""Does bfloat16 train like float32? The same CycleGAN run (same seed, data order and
initial weights) in float32 and with --mixed-precision, next to a float32 run with another
seed: a GAN's losses wander between seeds anyway, and that spread is the yardstick. Per
loss and epoch it prints the three curves (logs/history.jsonl of each run), then the mean
gap of each run to the float32 one, and, where the data has toyworld pairs, the paired
SSIM of each run's model.

`python -m bench.precision [--data DIR] [--size 64] [--base-filters 32] [--batch-size 16]
[--epochs 10] [--steps-per-epoch 50] [--out DIR]`

Without --data it renders a toyworld set at --size first. Runs on TensorFlow and on
KERAS_BACKEND=jax (the GPU machines, which have no TensorFlow).
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from trainer.config import CycleGANConfig
from trainer.engine import run
from trainer.engine.callbacks import LossHistory
from trainer.engine.multi_loss import LOSS_NAMES
from trainer.objectives import cyclegan

RUNS = (("float32", 0), ("bfloat16", 0), ("float32", 1))  # the first is the reference


def train_runs(args, data, out):
    """{(precision, seed): (history rows, model folder, seconds in fit)} for RUNS."""
    results = {}
    for precision, seed in RUNS:
        config = CycleGANConfig(
            data=str(data), image_size=args.size, base_filters=args.base_filters, batch_size=args.batch_size,
            epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, seed=seed, learning_rate=args.learning_rate,
            mixed_precision=precision == "bfloat16", adversarial_loss="lsgan", pool_size=50, upsample="resize",
            checkpoint_every=args.epochs * args.steps_per_epoch, samples=2)
        run_dir = Path(out) / f"{precision}-seed{seed}"
        model_dir = cyclegan.train(config, run_dir, verbose=0)
        seconds = json.loads((model_dir / "config.json").read_text())["training"]["seconds_this_session"]
        results[precision, seed] = (LossHistory.read(run.history_path(run_dir)), model_dir, seconds)
        print(f"trained {precision} seed {seed} in {run_dir}", flush=True)
    return results


def curve_gaps(results):
    """{loss: {run: mean over epochs of |run - reference| / mean |reference|}}."""
    reference = results[RUNS[0]][0]
    gaps = {}
    for name in LOSS_NAMES:
        ref = np.array([row[name] for row in reference])
        gaps[name] = {key: float(np.mean(np.abs(np.array([row[name] for row in rows]) - ref)) / np.mean(np.abs(ref)))
                      for key, (rows, _, _) in results.items() if key != RUNS[0]}
    return gaps


def paired_ssim(model_dir, data):
    """3d -> 2d and 2d -> 3d SSIM of the model on the test pairs, or None without pairs."""
    from hub.cyclegan import CycleGAN
    from trainer.data.pairs import PairsUnavailable
    from trainer.evaluation.paired import evaluate

    model = CycleGAN.from_pretrained(model_dir, runtime="keras")
    try:
        results = evaluate(model, data, model.config["domain_a"], model.config["domain_b"])
    except PairsUnavailable:
        return None
    return {direction: rows["model"]["ssim"] for direction, rows in results["directions"].items()}


def report(results, data):
    names = [f"{p} s{s}" for p, s in RUNS]
    for loss in LOSS_NAMES:
        print(f"\n{loss}: epoch mean\n{'epoch':>5}{'step':>7}" + "".join(f"{n:>14}" for n in names))
        for i, row in enumerate(results[RUNS[0]][0]):
            print(f"{row['epoch']:>5}{row['step']:>7}" + "".join(f"{results[k][0][i][loss]:>14.4f}" for k in RUNS))
    print("\nmean gap to the float32 seed-0 curve, relative to its mean (bfloat16 / another seed):")
    for loss, by_run in curve_gaps(results).items():
        bf16, seed = by_run[RUNS[1]], by_run[RUNS[2]]
        print(f"  {loss:12s} {bf16:6.1%} / {seed:6.1%}  ({bf16 / seed:.2f}x the seed-to-seed gap)")
    print("\ntime in fit, compiling and per-epoch grids included: "
          + ", ".join(f"{n} {results[k][2] / results[k][0][-1]['step'] * 1e3:.0f} ms/step" for n, k in zip(names, RUNS)))
    scores = {n: paired_ssim(results[k][1], data) for n, k in zip(names, RUNS)}
    if all(scores.values()):
        print("paired SSIM on the test pairs: " + "; ".join(
            f"{n} " + ", ".join(f"{d} {v:.4f}" for d, v in s.items()) for n, s in scores.items()))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.precision", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="a dataset folder with 3d and 2d images (default: render toyworld)")
    parser.add_argument("--scenes", type=int, default=300, help="toyworld scenes to render without --data")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps-per-epoch", type=int, default=50)
    parser.add_argument("--out", help="where the three runs go (default: a scratch folder)")
    args = parser.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="precision-"))
    data = args.data
    if not data:
        from trainer.data import toyworld_dataset

        data = out / "toyworld"
        toyworld_dataset.generate(data, count=args.scenes, size=args.size, seed=0, progress=False)
    report(train_runs(args, data, out), data)


if __name__ == "__main__":
    main()
