"""`python -m trainer.data toyworld|fetch|frames|prepare|clips|stats|junyanz ...`: make datasets."""

import argparse
import sys
import time

from hub.errors import HubError

from trainer.data import clips, fetch, frames, junyanz, manifest, movies, prepare, stats, toyworld_dataset


def _toyworld(args):
    start = time.perf_counter()
    rows = toyworld_dataset.generate(args.out, args.count, size=args.size, seed=args.seed,
                                     sequences=args.sequences, workers=args.workers)
    seconds = time.perf_counter() - start
    pairs = len(rows) // 2
    print(f"wrote {pairs} scene pairs ({len(rows)} images) to {args.out} in {seconds:.1f} s "
          f"({pairs / max(seconds, 1e-9):.1f} pairs/s)")


def _fetch(args):
    movie, gallery_url = movies.resolve(args.movie, args.gallery_url, args.studio, args.medium)
    summary = fetch.fetch(gallery_url, args.out or f"data/raw/{movie.name}", movie, workers=args.workers,
                          rate=args.rate, max_images=args.max_images, timeout=args.timeout)
    print(summary.report())
    if summary.failed:
        sys.exit(f"{len(summary.failed)} frames failed; run the same command again to retry them")


def _prepare_options(args):
    return dict(size=args.size, fit=args.fit, test_fraction=args.test_fraction, block=args.block, gap=args.gap,
                drop_blank=args.drop_blank, drop_duplicates=args.drop_duplicates, workers=args.workers)


def _prepare(args):
    print(prepare.prepare(args.raw, args.out, **_prepare_options(args)).report())


def _frames(args):
    tags = [tag for text in args.tag for tag in manifest.parse_filter(text)]
    try:
        summary = frames.frames(args.videos, args.out, fps=args.fps, tags=tags, **_prepare_options(args))
    except (ValueError, FileNotFoundError, HubError) as e:
        sys.exit(f"error: {e}")
    print(summary.report())


def _clips(args):
    records = clips.make_clips(args.prepared, args.out, length=args.length, count=args.count, split=args.split,
                               fps=args.fps)
    print(f"wrote {len(records)} clip{'s' * (len(records) != 1)} of {args.length} frames to {args.out}: "
          + ", ".join(sorted({r['movie'] for r in records})))


def _junyanz(args):
    try:
        counts = junyanz.write(args.data, args.out, args.domain_a, args.domain_b)
    except (ValueError, FileNotFoundError, FileExistsError) as e:
        sys.exit(f"error: {e}")
    print(f"wrote {args.out}: " + ", ".join(f"{name} {count}" for name, count in counts.items()))


def _stats(args):
    print(stats.report(args.prepared, args.sheet_frames))


def add_prepare_flags(parser):
    """prepare's flags, which `frames` passes on to it."""
    parser.add_argument("--size", type=int, default=256, help="image side in pixels (default 256)")
    parser.add_argument("--fit", choices=["crop", "pad"], default="crop",
                        help="crop: the seed's centre crop (default); pad: the whole frame, letterboxed")
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--block", type=int, default=200, help="frames per split block (default 200 = 100 s at 2 FPS)")
    parser.add_argument("--gap", type=int, default=10, help="train frames this close to a test frame are left out")
    parser.add_argument("--drop-blank", action="store_true", help="leave out near-uniform frames (fades, black)")
    parser.add_argument("--drop-duplicates", action="store_true", help="leave out frames repeating the last kept one")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")


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

    get = commands.add_parser("fetch", help="download a movie's frames from animationscreencaps.com",
                              description=fetch.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    get.add_argument("gallery_url", nargs="?", help="the movie's gallery (default: from the known-movie table)")
    get.add_argument("--movie", required=True, help=f"the movie tag; known: {', '.join(movies.KNOWN_MOVIES)}")
    get.add_argument("--studio", help="studio tag (default: the known movie's)")
    get.add_argument("--medium", help="medium tag, 2d or 3d (default: the known movie's)")
    get.add_argument("--out", help="folder for the frames (default: data/raw/MOVIE)")
    get.add_argument("--workers", type=int, default=4, help="parallel downloads (default 4)")
    get.add_argument("--rate", type=float, default=4.0, help="requests per second, all workers together (default 4)")
    get.add_argument("--max-images", type=int, default=None, help="stop after this many frames")
    get.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    get.set_defaults(run=_fetch)

    prep = commands.add_parser("prepare", help="fetched frames -> a dataset folder with a train/test split",
                               description=prepare.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    prep.add_argument("raw", help="folder of movie folders written by fetch (e.g. data/raw)")
    prep.add_argument("--out", required=True, help="dataset folder to write (e.g. data/prepared)")
    add_prepare_flags(prep)
    prep.set_defaults(run=_prepare)

    own = commands.add_parser("frames", help="your own videos -> a dataset folder (sampled at --fps, then prepared)",
                              description=frames.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    own.add_argument("videos", nargs="+", metavar="VIDEO", help="video files (MP4, MOV, MKV, WebM, ...)")
    own.add_argument("--out", required=True, help="dataset folder to write (its raw/ keeps the sampled frames)")
    own.add_argument("--fps", type=float, default=2.0, help="frames sampled per second (default 2, as the seed)")
    own.add_argument("--tag", action="append", default=[], metavar="TAG=VALUE",
                     help="a tag for every frame, e.g. medium=3d or studio=pixar (repeat it, or join with ','); "
                          "movie=NAME names a single video's movie (default: its file name)")
    add_prepare_flags(own)
    own.set_defaults(run=_frames)

    clip = commands.add_parser("clips", help="runs of consecutive frames as folders and MP4s",
                               description=clips.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    clip.add_argument("prepared", help="a dataset folder written by prepare")
    clip.add_argument("--out", required=True, help="folder for the clips (e.g. data/clips)")
    clip.add_argument("--length", type=int, default=61, help="frames per clip (default 61 = 30.5 s at 2 FPS)")
    clip.add_argument("--count", type=int, default=None, help="clips per movie at most (default: all)")
    clip.add_argument("--split", choices=["test", "train", "all"], default="test")
    clip.add_argument("--fps", type=float, default=2.0, help="playback rate of the MP4s (default 2)")
    clip.set_defaults(run=_clips)

    out = commands.add_parser("junyanz", help="a dataset's two domains as trainA, trainB, testA, testB",
                              description="Write two domains of a dataset folder in junyanz's layout "
                                          "(pytorch-CycleGAN-and-pix2pix), which every trainer here also reads.")
    out.add_argument("data", help="a dataset folder")
    out.add_argument("--out", required=True, help="an empty folder for trainA, trainB, testA, testB")
    out.add_argument("--domain-a", default="medium=3d", help="tag filter of domain A (default medium=3d)")
    out.add_argument("--domain-b", default="medium=2d", help="tag filter of domain B (default medium=2d)")
    out.set_defaults(run=_junyanz)

    stat = commands.add_parser("stats", help="images per tag and split, and a contact sheet per movie",
                               description=stats.__doc__)
    stat.add_argument("prepared", help="a dataset folder")
    stat.add_argument("--sheet-frames", type=int, default=24, help="frames on each contact sheet (default 24)")
    stat.set_defaults(run=_stats)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
