"""docs/results.md's 2D look tables from `bash bench/look_ablation.sh`'s results: one markdown row
per evaluated model, with the identity and the target render first, for the pairs of every
2d render (runs/eval_NAME.json) or the cel studio's only (--cel: runs/celeval_NAME.json).

`python -m bench.look_table [--cel] [--runs runs] NAME [NAME ...]`
"""

import argparse
import json
import sys
from pathlib import Path

HEADER = ("| 3d -> 2d | SSIM | outline P | R | F1 | edge sharpness | flat texture | judged 2d | 2d -> 3d SSIM |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")


def _row(title, ssim, look, judged, back_ssim):
    flat = f"{look['flat_texture']:.2f}" if "flat_texture" in look else ""  # results from before it existed
    return (f"| {title} | {ssim:.4f} | {look['outline_precision']:.3f} | {look['outline_recall']:.3f} | "
            f"{look['outline_f1']:.3f} | {look['edge_sharpness']:.3f} | {flat} | {judged:.3f} | {back_ssim:.4f} |")


def rows(results):
    """{name: trainer.evaluate's JSON} -> the table's lines: identity, the render, each model."""
    first = next(iter(results.values()))
    identity = first["directions"]["3d -> 2d"]["identity"]["ssim"]
    look = first["look"]["3d -> 2d"]
    lines = [HEADER, _row("identity (the 3d input)", identity, look["identity"],
                          first["style"]["directions"]["3d -> 2d"]["classifier"]["identity"], identity),
             _row("the 2d render itself", 1.0, look["target"],
                  first["style"]["directions"]["3d -> 2d"]["classifier"]["real target"], 1.0)]
    for name, r in results.items():
        lines.append(_row(name, r["directions"]["3d -> 2d"]["model"]["ssim"], r["look"]["3d -> 2d"]["model"],
                          r["style"]["directions"]["3d -> 2d"]["classifier"]["model"],
                          r["directions"]["2d -> 3d"]["model"]["ssim"]))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.look_table", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+", help="rows of the ablation (runs/eval_NAME.json)")
    parser.add_argument("--cel", action="store_true", help="the cel studio's pairs (runs/celeval_NAME.json)")
    parser.add_argument("--runs", default="runs")
    args = parser.parse_args(argv)
    prefix = "celeval" if args.cel else "eval"
    try:
        results = {name: json.loads((Path(args.runs) / f"{prefix}_{name}.json").read_text()) for name in args.names}
    except FileNotFoundError as e:
        sys.exit(f"error: {e.filename} is missing: run bash bench/look_ablation.sh first")
    print("\n".join(rows(results)))


if __name__ == "__main__":
    main()
