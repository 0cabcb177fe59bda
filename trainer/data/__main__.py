"""`python -m trainer.data toyworld ...`: make datasets."""

import argparse
import sys
import time

from trainer.data import toyworld_dataset


def _toyworld(args):
    start = time.perf_counter()
    rows = toyworld_dataset.generate(args.out, args.count, size=args.size, seed=args.seed,
                                     sequences=args.sequences, workers=args.workers)
    seconds = time.perf_counter() - start
    pairs = len(rows) // 2
    print(f"wrote {pairs} scene pairs ({len(rows)} images) to {args.out} in {seconds:.1f} s "
          f"({pairs / max(seconds, 1e-9):.1f} pairs/s)")


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m trainer.data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    toy = commands.add_parser("toyworld", help="render synthetic 3d/2d scene pairs",
                              description=toyworld_dataset.__doc__)
    toy.add_argument("--out", required=True, help="dataset folder to write")
    toy.add_argument("--count", type=int, required=True, help="number of scene pairs")
    toy.add_argument("--size", type=int, default=256, help="image side in pixels")
    toy.add_argument("--seed", type=int, default=0)
    toy.add_argument("--sequences", type=int, default=0,
                     help="camera-orbit clips of 61 frames to add (for video tests)")
    toy.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    toy.set_defaults(run=_toyworld)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
