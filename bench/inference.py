"""CycleGAN inference speed per frame on this machine: Keras (TensorFlow) vs ONNX Runtime,
for the seed's U-Net, the cartoon preset's U-Net and the light generator.

`python -m bench.inference [--model FOLDER] [--sizes 256 512] [--repeats 5] [--rounds 5]`

Without --model it builds each generator at full width (--base-filters) with random
weights: the seed's U-Net (54,414,979 parameters), the cartoon preset's (resize steps and
a full-size head) and the light one (`--generator light --full-size-head`). Each is saved as
a model folder (which exports the ONNX files) and loaded twice: runtime="keras" and
runtime="onnx". The app's demo weights (space.models.DEMO_CYCLEGANS: the distilled light
student and the narrow U-Net it learned from) are timed beside them as served, through
ONNX Runtime alone. Each size runs one warm-up frame per model, then `--rounds` rounds, each
timing `--repeats` frames of every model in turn (after a pause that lets the last one's
threads go idle) through `CycleGAN.translate_array` (the
network only, no resizing), batch 1; a model's figure is its best round. Prints ms per
frame, the ONNX / Keras ratio and how many times the light generator's ONNX time each
ONNX time is: ratios measured in the same run are what to compare across machines. Then
the served flat fills (a post-process after the light demo's network), timed the same way
against their old setting.
"""

import argparse
import functools
import tempfile
import time

import cv2
import numpy as np
from PIL import Image

from hub import CycleGAN, flat_fills, nets
from space.models import DEMO_CYCLEGANS, DEMO_FOLDER

# name: (generator, upsample, full_size_head)
GENERATORS = {"U-Net (seed)": ("unet", "transpose", False),
              "U-Net (cartoon preset)": ("unet", "resize", True),
              "light (cartoon preset)": ("light", "resize", True)}


def random_cyclegan(folder, generator="unet", upsample="transpose", full_size_head=False, image_size=256,
                    base_filters=64):
    config = {"architecture": "cyclegan", "generator": generator, "base_filters": base_filters,
              "image_size": image_size, "size_multiple": nets.size_multiple(generator, image_size),
              "upsample": upsample, "full_size_head": full_size_head, "domain_a": "medium=3d",
              "domain_b": "medium=2d", "domain_a_name": "3d", "domain_b_name": "2d"}
    CycleGAN(*(nets.build_generator(generator, image_size, base_filters, f"generator_{d}", upsample, full_size_head)
               for d in ("a2b", "b2a")), config).save_pretrained(folder)


# Idle time before each model's frames: the last model's runtime threads (ONNX Runtime's
# workers, TensorFlow's pools) spin for a while after a run, and on 2 cores that made the
# next model measurably slower. The app runs one network at a time; so does this.
SETTLE_SECONDS = 0.2


def best_ms_per_frame(runs, rounds, repeats):
    """{key: ms a call in its best round} of each run (a call that takes no arguments):
    `rounds` rounds, each timing `repeats` calls of every run in turn after the settle pause,
    so that a slow spell of the machine hits every run."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for key, run in runs.items():
            time.sleep(SETTLE_SECONDS)
            start = time.perf_counter()
            for _ in range(repeats):
                run()
            best[key] = min(best[key], (time.perf_counter() - start) / repeats * 1000)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.inference", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="a CycleGAN model folder with ONNX files, instead")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base-filters", type=int, default=64, help="width of the random generators without --model")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            folders = {args.model: args.model}
        else:
            folders = {name: f"{tmp}/{'-'.join(map(str, kind))}" for name, kind in GENERATORS.items()}
            for name, kind in GENERATORS.items():
                start = time.perf_counter()
                random_cyclegan(folders[name], *kind, base_filters=args.base_filters)
                print(f"saved {name} (base {args.base_filters}) with its ONNX export in "
                      f"{time.perf_counter() - start:.0f} s")
        runtimes = {(name, runtime): CycleGAN.from_pretrained(folder, runtime=runtime)
                    for name, folder in folders.items() for runtime in ("keras", "onnx")}
        if not args.model:  # the app's demo weights, as served: float16 ONNX files alone
            for folder in DEMO_CYCLEGANS:
                folders[f"served: {folder.name}"] = str(folder)
                runtimes[f"served: {folder.name}", "onnx"] = CycleGAN.from_pretrained(folder, runtime="onnx")
        light = "light (cartoon preset)"
        print(f"{'size':>6}  {'model':<32}{'keras ms':>10}{'onnx ms':>9}{'onnx/keras':>12}"
              + (f"{'x light (onnx)':>16}" if light in folders else ""))
        for size in args.sizes:
            frame = np.random.default_rng(0).integers(0, 255, (1, size, size, 3), np.uint8)
            for model in runtimes.values():
                model.translate_array(frame)  # warm-up: graph building, first allocations
            # the network alone, as the random ones
            best = best_ms_per_frame({key: functools.partial(model.translate_array, frame, flat_fills=False)
                                      for key, model in runtimes.items()}, args.rounds, args.repeats)
            for name in folders:
                keras_ms, onnx_ms = best.get((name, "keras")), best[name, "onnx"]
                line = (f"{size:>6}  {name:<32}{keras_ms:>10.0f}{onnx_ms:>9.1f}{onnx_ms / keras_ms:>12.2f}" if keras_ms
                        else f"{size:>6}  {name:<32}{'-':>10}{onnx_ms:>9.1f}{'-':>12}")
                if light in folders:
                    line += f"{onnx_ms / best[light, 'onnx']:>16.1f}"
                print(line, flush=True)
        if not args.model:
            flat_fills_rows(runtimes[f"served: {DEMO_CYCLEGANS[0].name}", "onnx"], args.sizes, args.rounds)


FLAT_FILLS_EXAMPLE = DEMO_FOLDER.parent / "examples" / "3d-clay-desert.jpg"  # one of the app's examples


def flat_fills_rows(model, sizes, rounds):
    """ms a frame of the served flat fills (hub.flat_fills) on a demo's output of an app
    example, against the one-level mean shift whose window grew with the size (its old
    setting), rounds interleaved, best of each."""
    image = Image.open(FLAT_FILLS_EXAMPLE).convert("RGB")
    print(f"flat fills on {DEMO_CYCLEGANS[0].name}'s output of {FLAT_FILLS_EXAMPLE.name}:")
    for size in sizes:
        output = model.translate_array(np.asarray(image.resize((size, size)))[None], flat_fills=False)
        one_level = max(1, round(flat_fills.RADIUS_PER_128_PX * size / flat_fills.NETWORK_SIZE))
        ways = {"served": lambda: flat_fills.flatten(output, size),
                f"one level, {one_level} px window": lambda: cv2.pyrMeanShiftFiltering(
                    output[0], one_level, flat_fills.COLOUR_DISTANCE)}
        best = dict.fromkeys(ways, float("inf"))
        for _ in range(rounds):
            for name, run in ways.items():
                start = time.perf_counter()
                run()
                best[name] = min(best[name], (time.perf_counter() - start) * 1000)
        served, before = best.values()
        print(f"{size:>6}  served (radius, levels {flat_fills.window(size)}) {served:.1f} ms; "
              f"{list(ways)[1]} {before:.1f} ms ({before / served:.1f}x)", flush=True)


if __name__ == "__main__":
    main()
