"""`python -m bench`: every speed figure of docs/results.md on this machine in one run, each
next to its baseline measured in the same run, so the ratios hold on noisy machines.

On TensorFlow: training (the seed's step vs the project's, U-Net and ResNet, and the
CAAE), training input pipelines, inference (Keras vs ONNX Runtime at 256 and 512 px),
ONNX Runtime's session settings against its defaults, the light model's path as served
taken apart, video end to end, and the webcam tab's frame rate over HTTP. With
KERAS_BACKEND=jax (GPU machines without TensorFlow): the JAX training benchmark (CycleGAN
and CAAE), batch sizes and precisions, with MFU.

`python -m bench [--quick] [--parts inference video]`: --quick runs every part at toy sizes in a
few minutes, to check the benchmarks themselves; docs/results.md's numbers come from the full run.
"""

import argparse
import os

FULL = {
    "train": ["--size", "256", "--generators", "unet", "resnet", "--also-batch", "4", "--jit-compile",
              "--mixed-precision", "--caae", "--objectives", "pix2pix", "cut", "fastcut", "--memory"],
    "input": [],
    "inference": [],
    "ort": [],
    "video": [],
    "light": [],
    "webcam": [],
    "jax": ["--batches", "1", "64", "128", "--caae", "--compare-rgb-conv"],
}
QUICK = {
    "train": ["--size", "64", "--base-filters", "8", "--rounds", "2", "--generators", "unet", "--also-batch", "2",
              "--caae", "--objectives", "pix2pix", "cut", "--memory", "cyclegan"],  # fastcut: cut's code, other settings
    "input": ["--images", "24", "--size", "64"],
    "inference": ["--sizes", "256", "--repeats", "2", "--rounds", "2", "--base-filters", "8"],
    "ort": ["--sizes", "256", "--repeats", "2", "--rounds", "2", "--base-filters", "8"],
    "video": ["--seconds", "1", "--rounds", "1"],
    "light": ["--sizes", "256", "--rounds", "1", "--repeats", "2", "--base-filters", "8"],
    "webcam": ["--frames", "8", "--rounds", "1"],
    "jax": ["--size", "64", "--base-filters", "8", "--batches", "1", "4", "--steps", "3", "--warmup", "2", "--caae",
            "--compare-rgb-conv"],
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="toy sizes: check that every benchmark runs")
    parts = ("train", "input", "inference", "ort", "light", "video", "webcam")
    parser.add_argument("--parts", nargs="+", choices=parts, default=parts,
                        help="the TensorFlow parts to run (default: all); the JAX benchmark is one part")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if os.environ.get("KERAS_BACKEND") == "jax":
        from bench import jax_train

        jax_train.main(settings["jax"])
        return
    from bench import inference, input_pipeline, light_path, ort_settings, train_step, video, webcam

    for title, part, key in (("training", train_step, "train"), ("input pipelines", input_pipeline, "input"),
                             ("inference", inference, "inference"), ("ONNX Runtime settings", ort_settings, "ort"),
                             ("the light path as served", light_path, "light"),
                             ("video", video, "video"), ("webcam", webcam, "webcam")):
        if key not in args.parts:
            continue
        print(f"\n== {title}: python -m {part.__name__} {' '.join(settings[key])}", flush=True)
        part.main(settings[key])


if __name__ == "__main__":
    main()
