"""A side-by-side figure of several translators on the same pictures: held-out toyworld
scenes (input | each model | the target render) and real photos (input | each model).

`python -m trainer.figure --model "today's demo=space/demo_models/cyclegan-toyworld"
--model pix2pix=runs/p2p128/model --data data/toyworld128 --scenes 6
--photos docs/photos/coffee.jpg docs/photos/astronaut.jpg --size 128 --out docs/look.png`

A CycleGAN folder (CycleGAN, pix2pix, CUT) translates at --size, in --direction. A CAAE
folder restyles at its training size, under the label its column names after an "@":
- a number W from 0 to 1: W of the way from each input's own label to its target render's
  (`--model "CAAE, 0.5=runs/caae/model@0.5"`), as the app's sliders blend them;
- tag=value pairs: that label for every row (`@medium=2d,studio=watercolor,movie=watercolor-dusk`).
A photo has no label: its own is the CAAE's first training style in --domain-a and its
target the first in --domain-b. Photos are centre-cropped to a square. Column titles are
drawn above.
"""

import argparse
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hub import auto
from hub.caae import CAAE
from hub.errors import HubError
from hub.imaging import grid, read_image, resize, save_png
from trainer.data.arrays import decode_square
from trainer.data.pairs import paired_rows
from trainer.evaluation.style_scores import target_styles

TITLE_HEIGHT = 16


def square(picture, size):
    """Any picture -> its centred square at size x size."""
    h, w = picture.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return resize(np.ascontiguousarray(picture[top:top + side, left:left + side]), size, size)


def caae_labels(model, spec, own_rows, target_rows):
    """One label vector per row for a CAAE column's `spec` (a weight, or tag=value pairs)."""
    try:
        weight = float(spec)
    except ValueError:
        fixed = model.label_vector(dict(pair.split("=", 1) for pair in spec.split(",")))
        return [fixed] * len(own_rows)
    if not 0 <= weight <= 1:
        raise ValueError(f"a CAAE column's weight must be from 0 to 1, got {spec}")
    return [(1 - weight) * model.label_vector(own) + weight * model.label_vector(target)
            for own, target in zip(own_rows, target_rows)]


def outputs_of(model, spec, inputs, own_rows, target_rows, direction, domains):
    """A column's images: a CycleGAN's translations, or a CAAE's restyled inputs (photos,
    whose rows are None, from its first style of domain A to its first of domain B)."""
    if not isinstance(model, CAAE):
        return model.translate_array(inputs, direction)
    size = model.config["image_size"]
    own_rows = [row or target_styles(model, domains[0])[0] for row in own_rows]
    target_rows = [row or target_styles(model, domains[1])[0] for row in target_rows]
    labels = caae_labels(model, spec, own_rows, target_rows)
    squares = np.stack([resize(image, size, size) for image in inputs])
    return np.stack([resize(image, inputs.shape[1], inputs.shape[2]) for image in model.decode(model.encode(squares), labels)])


def figure(models, inputs, targets, size, direction="a2b", own_rows=None, target_rows=None, domains=None):
    """models: {title: (hub.CycleGAN or hub.CAAE, its label spec or None)}; inputs: uint8
    (N, S, S, 3); targets: as many images or None each; own_rows, target_rows: each
    input's manifest row and its target's, None for a photo (a CAAE's labels) -> uint8
    figure, a row per input, titled columns."""
    own_rows = own_rows or [None] * len(inputs)
    target_rows = target_rows or [None] * len(inputs)
    outputs = {title: outputs_of(model, spec, inputs, own_rows, target_rows, direction, domains)
               for title, (model, spec) in models.items()}
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
            source, _, spec = source.partition("@")
            model = auto.from_pretrained(source)
            if isinstance(model, CAAE) != bool(spec):
                raise ValueError(f"{entry!r}: a CAAE column needs FOLDER@LABEL, and only a CAAE takes one")
            models[title] = (model, spec or None)
        first = next(iter(models.values()))[0]
        domains = (args.domain_a or first.config.get("domain_a", "medium=3d"),
                   args.domain_b or first.config.get("domain_b", "medium=2d"))
        inputs, targets, own_rows, target_rows = [], [], [], []
        if args.data:
            rows_a, rows_b = paired_rows(args.data, *domains)
            if args.direction in ("b2a",) or args.direction.replace(" ", "").startswith(
                    first.config.get("domain_b_name", "2d") + "->"):
                rows_a, rows_b = rows_b, rows_a
                domains = domains[::-1]
            for a, b in list(zip(rows_a, rows_b))[:args.scenes]:
                inputs.append(decode_square(a["path"], args.size))
                targets.append(decode_square(b["path"], args.size))
                own_rows.append(a)
                target_rows.append(b)
        for path in args.photos:
            inputs.append(square(read_image(path), args.size))
            targets.append(None)
            own_rows.append(None)
            target_rows.append(None)
        if not inputs:
            raise ValueError("nothing to show: give --data with test pairs, or --photos")
        save_png(figure(models, np.stack(inputs), targets, args.size, args.direction, own_rows, target_rows, domains),
                 args.out)
    except (ValueError, FileNotFoundError, HubError) as e:
        sys.exit(f"error: {e}")
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
