"""Paired evaluation of a CycleGAN on toyworld-style data.

`python -m trainer.evaluate --model RUN_DIR/model --data DIR --domain-a medium=3d
--domain-b medium=2d [--split test] [--out metrics.json]`

Pairs are the test images of domain A and domain B that share a "scene" tag (clip
frames are left out). For each direction it reports mean L1 (on [0, 1] pixels), PSNR
and SSIM of translation vs ground truth, next to the identity baseline (the untouched
input vs ground truth): a translator that learned nothing scores the baseline.
"""

import argparse
import sys
from pathlib import Path

import tensorflow as tf

from hub.atomic import write_json
from hub.cyclegan import CycleGAN
from hub.imaging import to_uint8
from trainer.data.loading import load_images
from trainer.data.manifest import parse_filter, read_manifest, select


def paired_paths(data, domain_a, domain_b, split="test"):
    """(paths_a, paths_b) of the scenes present in both domains, in scene order."""
    rows = [r for r in read_manifest(data) if "clip" not in r and str(r.get("split")) == split]
    by_scene = []
    for filters in (parse_filter(domain_a), parse_filter(domain_b)):
        chosen = select(rows, filters)
        if chosen and "scene" not in chosen[0]:
            raise ValueError("paired evaluation needs a 'scene' tag shared by the two renders "
                             "of a scene (toyworld data has one)")
        by_scene.append({r["scene"]: str(Path(data) / r["path"]) for r in chosen})
    scenes = sorted(set(by_scene[0]) & set(by_scene[1]))
    if not scenes:
        raise ValueError(f"no scene of split {split!r} in {data} has images in both {domain_a!r} "
                         f"and {domain_b!r}")
    return [by_scene[0][s] for s in scenes], [by_scene[1][s] for s in scenes]


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
    size = size or model.config["image_size"]
    paths_a, paths_b = paired_paths(data, domain_a, domain_b, split)
    real_a = to_uint8(load_images(paths_a, size))
    real_b = to_uint8(load_images(paths_b, size))
    results = {"pairs": len(paths_a), "image_size": size, "split": split, "directions": {}}
    for direction, source, target in (("a2b", real_a, real_b), ("b2a", real_b, real_a)):
        translated = model.translate_array(source, direction)
        results["directions"][model.directions[direction]] = {
            "model": image_metrics(translated, target),
            "identity": image_metrics(source, target),
        }
    return results


def format_table(results):
    lines = [f"{results['pairs']} test pairs at {results['image_size']} px",
             f"{'direction':<16}{'':<10}{'L1':>8}{'PSNR':>8}{'SSIM':>8}"]
    for direction, rows in results["directions"].items():
        for name in ("model", "identity"):
            m = rows[name]
            lines.append(f"{direction:<16}{name:<10}{m['l1']:>8.4f}{m['psnr']:>8.2f}{m['ssim']:>8.4f}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m trainer.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="model folder (RUN_DIR/model) or Hub repo id")
    parser.add_argument("--data", required=True, help="paired dataset folder (toyworld)")
    parser.add_argument("--domain-a", default=None, help="tag filter of domain A (default: the model's)")
    parser.add_argument("--domain-b", default=None, help="tag filter of domain B (default: the model's)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--size", type=int, default=None, help="evaluation size (default: training size)")
    parser.add_argument("--out", default=None, help="write the metrics as JSON here")
    args = parser.parse_args(argv)
    try:
        model = CycleGAN.from_pretrained(args.model)
        results = evaluate(model, args.data, args.domain_a or model.config["domain_a"],
                           args.domain_b or model.config["domain_b"], args.split, args.size)
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f"error: {e}")
    print(format_table(results))
    if args.out:
        write_json(args.out, results)
        print(f"metrics written to {args.out}")
    return results


if __name__ == "__main__":
    main()
