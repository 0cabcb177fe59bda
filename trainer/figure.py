"""A side-by-side figure of several translators on the same pictures: held-out toyworld
scenes (input | each model | the target render) and real photos (input | each model).

`python -m trainer.figure --model "today's demo=space/demo_models/cyclegan-toyworld"
--model pix2pix=runs/p2p128/model --data data/toyworld128 --scenes 6
--photos docs/photos/coffee.jpg docs/photos/astronaut.jpg --size 128 --out docs/look.png`

Every model is a `hub.CycleGAN` folder (CycleGAN, pix2pix, CUT) and translates at --size,
in --direction. Photos are centre-cropped to a square. Column titles are drawn above.
"""

import argparse
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hub import CycleGAN
from hub.errors import HubError
from hub.imaging import grid, read_image, resize, save_png
from trainer.data.arrays import decode_square
from trainer.data.pairs import paired_rows

TITLE_HEIGHT = 16


def square(picture, size):
    """Any picture -> its centred square at size x size."""
    h, w = picture.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return resize(np.ascontiguousarray(picture[top:top + side, left:left + side]), size, size)


def figure(models, inputs, targets, size, direction="a2b"):
    """models: {title: hub.CycleGAN}; inputs: uint8 (N, S, S, 3); targets: as many images or
    None each -> uint8 figure, a row per input, titled columns."""
    outputs = {title: model.translate_array(inputs, direction) for title, model in models.items()}
    blank = np.full((size, size, 3), 255, np.uint8)
    rows = [[inputs[i], *(outputs[t][i] for t in models), targets[i] if targets[i] is not None else blank]
            for i in range(len(inputs))]
    body = grid(rows)
    titles = ["input", *models, "target render"]
    canvas = Image.new("RGB", (body.shape[1], body.shape[0] + TITLE_HEIGHT), "white")
    canvas.paste(Image.fromarray(body), (0, TITLE_HEIGHT))
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default()
    for k, title in enumerate(titles):
        draw.text((k * (size + 2) + 2, 2), title[: size // 6], fill="black", font=font)
    return np.asarray(canvas)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m trainer.figure", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, metavar="TITLE=FOLDER",
                        help="a column: its title and a hub.CycleGAN folder or Hub repo; repeat")
    parser.add_argument("--data", default=None, help="paired toyworld data for the scene rows")
    parser.add_argument("--scenes", type=int, default=6, help="held-out scenes (the first of the test split)")
    parser.add_argument("--domain-a", default=None, help="tag filter of the scenes' inputs (default: the first model's)")
    parser.add_argument("--domain-b", default=None, help="tag filter of their targets (default: the first model's)")
    parser.add_argument("--photos", nargs="*", default=[], help="real pictures for more rows")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--direction", default="a2b")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        models = {}
        for entry in args.model:
            title, sep, source = entry.partition("=")
            if not sep:
                raise ValueError(f"--model takes TITLE=FOLDER, got {entry!r}")
            models[title] = CycleGAN.from_pretrained(source)
        inputs, targets = [], []
        if args.data:
            model = next(iter(models.values()))
            rows_a, rows_b = paired_rows(args.data, args.domain_a or model.config["domain_a"],
                                         args.domain_b or model.config["domain_b"])
            if args.direction in ("b2a",) or args.direction.replace(" ", "").startswith(
                    model.config["domain_b_name"] + "->"):
                rows_a, rows_b = rows_b, rows_a
            for a, b in list(zip(rows_a, rows_b))[:args.scenes]:
                inputs.append(decode_square(a["path"], args.size))
                targets.append(decode_square(b["path"], args.size))
        for path in args.photos:
            inputs.append(square(read_image(path), args.size))
            targets.append(None)
        if not inputs:
            raise ValueError("nothing to show: give --data with test pairs, or --photos")
        save_png(figure(models, np.stack(inputs), targets, args.size, args.direction), args.out)
    except (ValueError, FileNotFoundError, HubError) as e:
        sys.exit(f"error: {e}")
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
