"""How fast the app's style sliders answer: one slider release restyles the picture twice
(the blend and the reconstruction, space.handlers.restyle), through ONNX Runtime.

`python -m bench.restyle [--model FOLDER ...] [--size 256] [--repeats 5] [--rounds 5]`

Times `CAAE.restyle([picture, picture], [blend, own])` on a 3d example picture scaled to
--size on its long side, for each CAAE folder (default: the app's demo CAAE, the baseline,
and any --model beside it), each in turn per round after a pause (bench.inference's
best_ms_per_frame); a model's figure is its best round. Prints ms a release and the ratio
to the first model, measured in the same run.
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from bench.inference import best_ms_per_frame
from hub.caae import CAAE
from space.models import DEMO_FOLDER

EXAMPLE = Path(__file__).resolve().parent.parent / "space" / "examples" / "3d-clay-meadow.jpg"


def release(model, picture):
    """One slider release: the picture under a half-way blend of its own style and another,
    and under its own."""
    own, other = (model.label_vector(style) for style in (model.styles[0], model.styles[-1]))
    return lambda: model.restyle([picture, picture], [0.5 * own + 0.5 * other, own])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.restyle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="*", default=[], help="CAAE folders to time beside the demo's")
    parser.add_argument("--baseline", default=str(DEMO_FOLDER / "caae-toyworld"), help="the first model timed")
    parser.add_argument("--size", type=int, default=256, help="the picture's long side")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with Image.open(EXAMPLE) as image:
        image = image.convert("RGB")
        image.thumbnail((args.size, args.size))
        picture = np.asarray(image)
    folders = [args.baseline, *args.model]
    runs = {}
    for folder in folders:
        model = CAAE.from_pretrained(folder)
        run = release(model, picture)
        run()  # warm-up
        runs[folder] = run
    ms = best_ms_per_frame(runs, args.rounds, args.repeats)
    print(f"slider release ({picture.shape[1]}x{picture.shape[0]} picture, ONNX Runtime), best of "
          f"{args.rounds} rounds of {args.repeats}")
    for folder in folders:
        print(f"{folder:<48}{ms[folder]:>9.1f} ms{ms[folder] / ms[folders[0]]:>8.2f}x")
    return ms


if __name__ == "__main__":
    main()
