"""Evaluation of a CycleGAN or a CAAE: paired metrics where the data has them, style
scores always; `python -m trainer.evaluate video ...` measures video flicker
(trainer.flicker).

`python -m trainer.evaluate --model RUN_DIR/model --data DIR --domain-a medium=3d
--domain-b medium=2d [--split test] [--out metrics.json] [--record]`

Style scores (trainer.style_scores): a style classifier's verdict on the translations,
FID and KID against the real target images, and for a CAAE per label and per slider.

The look (trainer.outlines), where the target images have outline masks (toyworld's 2d
renders): outline precision, recall and F1, edge sharpness and flat texture of the model's
output, the input (identity) and the target render itself (the ceiling).

Paired metrics need toyworld-style data. Pairs are the test images of domain A and
domain B that share a "scene" tag (clip frames are left out). For each direction it reports mean L1 (on [0, 1] pixels), PSNR
and SSIM of translation vs ground truth, next to the identity baseline (the untouched
input vs ground truth): a translator that learned nothing scores the baseline.
A CAAE translates by re-rendering the input under the label of the ground-truth image
(its medium, studio, movie tags). Its reconstructions (each image under its own label)
are scored against the input, since a blurry or identity-losing autoencoder shows there
first, and against the ground truth ("own label"): the gap to "model" is what the label
change itself achieved.
"""

import argparse
import sys
from pathlib import Path

import tensorflow as tf

from hub.atomic import write_json
from hub import auto, flat_fills, model_folder
from hub.errors import HubError
from hub.caae import CAAE
from hub.cyclegan import CycleGAN, domain_name
from hub.imaging import to_uint8
from trainer import outlines, style_scores
from trainer.data.loading import load_images
from trainer.data.pairs import PairsUnavailable, paired_rows


def image_metrics(predicted, target):
    """uint8 (N, H, W, 3) arrays -> {'l1', 'psnr', 'ssim'} means over the images."""
    p = tf.convert_to_tensor(predicted, tf.float32) / 255.0
    t = tf.convert_to_tensor(target, tf.float32) / 255.0
    return {
        "l1": float(tf.reduce_mean(tf.abs(p - t))),
        "psnr": float(tf.reduce_mean(tf.image.psnr(p, t, max_val=1.0))),
        "ssim": float(tf.reduce_mean(tf.image.ssim(p, t, max_val=1.0))),
    }


def evaluate(model, data, domain_a, domain_b, split="test", size=None):
    """Metrics of both directions and of the identity baseline, as a JSON-able dict."""
    is_caae = isinstance(model, CAAE)
    if is_caae and size not in (None, model.config["image_size"]):
        raise ValueError(f"a CAAE runs at its training size only ({model.config['image_size']} px)")
    size = size or model.config["image_size"]
    rows_a, rows_b = paired_rows(data, domain_a, domain_b, split)
    skipped = 0
    if is_caae:  # a CAAE can only render labels it was trained on
        known = [i for i, (a, b) in enumerate(zip(rows_a, rows_b))
                 if model.label_space.knows(a) and model.label_space.knows(b)]
        skipped = len(rows_a) - len(known)
        if not known:
            raise ValueError(f"none of the {len(rows_a)} pairs has labels this CAAE was trained on")
        rows_a, rows_b = [rows_a[i] for i in known], [rows_b[i] for i in known]
    real_a = to_uint8(load_images([r["path"] for r in rows_a], size))
    real_b = to_uint8(load_images([r["path"] for r in rows_b], size))
    names = {"a2b": f"{domain_name(domain_a)} -> {domain_name(domain_b)}",
             "b2a": f"{domain_name(domain_b)} -> {domain_name(domain_a)}"}
    results = {"pairs": len(rows_a), "image_size": size, "split": split, "directions": {}}
    if not is_caae:
        results["flat_fills"] = list(model.flat_fills)
    if skipped:
        results["pairs_with_unknown_labels_skipped"] = skipped
    if is_caae:
        results["reconstruction"] = {}
    for direction, source, source_rows, source_domain, target, target_rows in (
            ("a2b", real_a, rows_a, domain_a, real_b, rows_b), ("b2a", real_b, rows_b, domain_b, real_a, rows_a)):
        row = results["directions"][names[direction]] = {}
        if is_caae:
            z = model.encode(source)
            translated = model.decode(z, target_rows)
            # The same z under its own label: what the label change adds is model - own label.
            kept = model.decode(z, source_rows)
            row["own label"] = image_metrics(kept, target)
            results["reconstruction"][domain_name(source_domain)] = image_metrics(kept, source)
        else:
            translated = model.translate_array(source, direction)
        row["model"] = image_metrics(translated, target)
        row["identity"] = image_metrics(source, target)
        if all("outline" in r for r in target_rows):
            masks = outlines.load_masks([r["outline"] for r in target_rows], size)
            results.setdefault("look", {})[names[direction]] = {
                name: outlines.look_scores(images, masks, target)
                for name, images in (("model", translated), ("identity", source), ("target", target))}
    return results


def evaluate_all(model, data, domain_a, domain_b, split="test", size=None, style=True, classifier_tag=None,
                 features=None):
    """Paired metrics (or why there are none) and, with `style`, results["style"]: the
    style scores (trainer.style_scores; features as there)."""
    try:
        results = evaluate(model, data, domain_a, domain_b, split, size)
    except PairsUnavailable as e:
        results = {"paired_unavailable": str(e), "split": split}
    if style:
        try:
            results["style"] = style_scores.style_scores(model, data, domain_a, domain_b, split, classifier_tag,
                                                         features)
        except style_scores.TooFewImages as e:  # the paired metrics still stand
            results["style_unavailable"] = str(e)
    return results


def format_table(results):
    if "directions" not in results:
        return f"no paired metrics: {results['paired_unavailable']}"
    skipped = results.get("pairs_with_unknown_labels_skipped")
    lines = [f"{results['pairs']} {results['split']} pairs at {results['image_size']} px"
             + (f" (flat fills on {', '.join(results['flat_fills'])})" if results.get("flat_fills") else "")
             + (f" ({skipped} skipped: labels the model was not trained on)" if skipped else ""),
             f"{'direction':<16}{'':<10}{'L1':>8}{'PSNR':>8}{'SSIM':>8}"]
    for direction, rows in results["directions"].items():
        for name, m in rows.items():
            lines.append(f"{direction:<16}{name:<10}{m['l1']:>8.4f}{m['psnr']:>8.2f}{m['ssim']:>8.4f}")
    for domain, m in results.get("reconstruction", {}).items():
        lines.append(f"{domain + ' itself':<16}{'recon':<10}{m['l1']:>8.4f}{m['psnr']:>8.2f}{m['ssim']:>8.4f}")
    if "look" in results:
        lines += ["", "the look, against the target renders' outline masks (1 px tolerance); flat texture: "
                  "the mean gradient where the render is flat",
                  f"{'direction':<16}{'':<10}{'lines P':>9}{'R':>7}{'F1':>7}{'sharpness':>11}{'flat texture':>14}"]
        for direction, rows in results["look"].items():
            for name, m in rows.items():
                lines.append(f"{direction:<16}{name:<10}{m['outline_precision']:>9.3f}{m['outline_recall']:>7.3f}"
                             f"{m['outline_f1']:>7.3f}{m['edge_sharpness']:>11.3f}{m['flat_texture']:>14.2f}")
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["video"]:
        from trainer import flicker  # here, not at the top: flicker uses this module's image_metrics

        return flicker.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m trainer.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="model folder (RUN_DIR/model) or Hub repo id")
    parser.add_argument("--data", required=True, help="dataset folder (paired metrics need toyworld's scene tags)")
    parser.add_argument("--domain-a", default=None,
                        help="tag filter of domain A (default: a CycleGAN's own, medium=3d for a CAAE)")
    parser.add_argument("--domain-b", default=None,
                        help="tag filter of domain B (default: a CycleGAN's own, medium=2d for a CAAE)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--size", type=int, default=None, help="evaluation size (default: training size)")
    parser.add_argument("--no-style", action="store_true", help="paired metrics only: no classifier, FID or KID")
    parser.add_argument("--classifier-tag", default=None,
                        help="the tag the style classifier learns (default: the tag the two domains differ in)")
    parser.add_argument("--no-fid", action="store_true", help="style classifier only: no InceptionV3 FID/KID")
    parser.add_argument("--flat-fills", nargs="+", choices=flat_fills.CHOICES, default=None,
                        help="the directions of a CycleGAN whose outputs get flat fills (hub.flat_fills), or "
                             "none (default: as the folder says)")
    parser.add_argument("--out", default=None, help="write the metrics as JSON here")
    parser.add_argument("--record", action="store_true",
                        help="also store the metrics in the (local) model folder's config.json and model card")
    args = parser.parse_args(argv)
    try:
        if args.record and not Path(args.model).is_dir():
            raise ValueError("--record needs a local model folder (download it, record, then push it)")
        model = auto.from_pretrained(args.model)
        if args.flat_fills is not None:
            if not isinstance(model, CycleGAN):
                raise ValueError("--flat-fills applies to a CycleGAN's outputs only")
            directions = flat_fills.directions(args.flat_fills)
            if args.record and set(directions) != set(model.flat_fills):
                raise ValueError("--record stores how the folder serves: set its flat fills first "
                                 f"(python -m hub flat-fills {args.model} {' '.join(directions) or 'none'})")
            model.config["flat_fills"] = directions  # this run's setting; the folder keeps its own
        # A CAAE has no domains of its own: it is scored on the toyworld media by default.
        results = evaluate_all(model, args.data, args.domain_a or model.config.get("domain_a", "medium=3d"),
                               args.domain_b or model.config.get("domain_b", "medium=2d"), args.split, args.size,
                               not args.no_style, args.classifier_tag, False if args.no_fid else None)
    except (ValueError, FileNotFoundError, HubError) as e:
        sys.exit(f"error: {e}")
    print(format_table(results))
    if "style" in results:
        print(style_scores.format_table(results["style"]))
    elif "style_unavailable" in results:
        print(f"no style scores: {results['style_unavailable']}")
    if args.out:
        write_json(args.out, results)
        print(f"metrics written to {args.out}")
    if args.record:
        model_folder.update_config(args.model, evaluation={**results, "dataset": Path(args.data).name})
        print(f"metrics recorded in {args.model}/config.json and its model card")
    return results


if __name__ == "__main__":
    main()
