"""CycleGAN inference speed per frame on this machine: Keras (TensorFlow) vs ONNX Runtime.

`python -m bench.inference [--model FOLDER] [--sizes 256 512] [--repeats 10]`

Without --model it builds the full-width U-Net of the seed (54,414,979 parameters) with
random weights, saves it as a model folder (which exports the ONNX files) and loads it
twice: runtime="keras" and runtime="onnx". Each size runs one warm-up frame, then
`--repeats` timed frames through `CycleGAN.translate_array` (the network only, no
resizing), batch 1. Prints ms per frame and the ONNX / Keras ratio measured in the same
run, which is what to compare across machines.
"""

import argparse
import tempfile
import time

import numpy as np

from hub import CycleGAN, nets


def random_cyclegan(folder, image_size=256, base_filters=64):
    config = {"architecture": "cyclegan", "generator": "unet", "base_filters": base_filters,
              "image_size": image_size, "size_multiple": nets.size_multiple("unet", image_size),
              "upsample": "transpose", "domain_a": "medium=3d", "domain_b": "medium=2d",
              "domain_a_name": "3d", "domain_b_name": "2d"}
    CycleGAN(nets.unet_generator(image_size, base_filters, name="generator_a2b"),
             nets.unet_generator(image_size, base_filters, name="generator_b2a"), config).save_pretrained(folder)


def ms_per_frame(model, size, repeats):
    frame = np.random.default_rng(0).integers(0, 255, (1, size, size, 3), np.uint8)
    model.translate_array(frame)  # warm-up: graph building, first allocations
    start = time.perf_counter()
    for _ in range(repeats):
        model.translate_array(frame)
    return (time.perf_counter() - start) / repeats * 1000


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.inference", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="a CycleGAN model folder with ONNX files")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--base-filters", type=int, default=64, help="width of the random U-Net without --model")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.model
        if folder is None:
            folder = f"{tmp}/model"
            start = time.perf_counter()
            random_cyclegan(folder, base_filters=args.base_filters)
            print(f"saved the U-Net (base {args.base_filters}) with ONNX export in {time.perf_counter() - start:.0f} s")
        runtimes = {name: CycleGAN.from_pretrained(folder, runtime=name) for name in ("keras", "onnx")}
        print(f"{'size':>6}{'keras ms':>11}{'onnx ms':>10}{'onnx/keras':>12}")
        for size in args.sizes:
            keras_ms, onnx_ms = (ms_per_frame(runtimes[name], size, args.repeats) for name in ("keras", "onnx"))
            print(f"{size:>6}{keras_ms:>11.0f}{onnx_ms:>10.0f}{onnx_ms / keras_ms:>12.2f}")


if __name__ == "__main__":
    main()
