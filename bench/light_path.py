"""Where the served light model's time goes at 256 px: `CycleGAN.translate` on an example
render at 256x256 taken apart (the network through ONNX Runtime, the flat fills, the rest: fitting,
conversions), each timed alone in interleaved rounds, then ONNX Runtime's own profile of
the network grouped by operator (what the optimized graph runs: convolutions, the layout
reorders around them, the instance norms' moments, resizes).

`python -m bench.light_path [--rounds 5] [--repeats 20] [--size 256]`
"""

import argparse
import collections
import json
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from bench.inference import best_ms_per_frame
from hub import CycleGAN, flat_fills
from hub.imaging import from_uint8
from space.models import DEMO_CYCLEGANS
from space.ui import EXAMPLES


def operator_shares(onnx_path, image, runs):
    """{operator: ms a run} from ONNX Runtime's profile of `runs` runs on `image` (NHWC float32)."""
    options = ort.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "light")
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    for _ in range(runs + 3):  # the profile counts the warm-up runs too: subtracted by the share
        session.run(None, {name: image})
    totals = collections.Counter()
    for event in json.loads(Path(session.end_profiling()).read_text()):
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            totals[event["args"]["op_name"]] += event["dur"] / 1000
    return {op: ms / (runs + 3) for op, ms in totals.most_common()}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.light_path", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args(argv)
    folder = Path(DEMO_CYCLEGANS[0])
    model = CycleGAN.from_pretrained(folder)
    # A real render, not noise: the flat fills' mean shift works longer on noise.
    picture = np.asarray(Image.open(EXAMPLES[0]).convert("RGB").resize((args.size, args.size)))
    batch = picture[None]
    network = model.generators["a2b"]
    raw = model.translate_array(batch, "a2b", flat_fills=False)
    runs = {
        "translate (as served: flat fills)": lambda: model.translate(picture, "a2b"),
        "translate_array, no flat fills": lambda: model.translate_array(batch, "a2b", flat_fills=False),
        "the network alone": lambda: network.predict_on_batch(from_uint8(batch)),
        "flat fills alone": lambda: flat_fills.flatten(raw, args.size),
    }
    for run in runs.values():
        run()  # warm-up
    best = best_ms_per_frame(runs, args.rounds, args.repeats)
    served = best["translate (as served: flat fills)"]
    print(f"{folder.name} at {args.size}x{args.size}, best of {args.rounds} rounds of {args.repeats}, interleaved")
    for name, ms in best.items():
        print(f"  {name:<36}{ms:8.2f} ms  {ms / served:6.0%} of translate")
    shares = operator_shares(folder / "generator_a2b.onnx", from_uint8(batch).astype(np.float32), args.repeats)
    total = sum(shares.values())
    print(f"ONNX Runtime's profile of the network, by operator ({total:.2f} ms of kernels a run):")
    for op, ms in list(shares.items())[:12]:
        print(f"  {op:<24}{ms:7.2f} ms  {ms / total:6.1%}")
    return best, shares


if __name__ == "__main__":
    main()
