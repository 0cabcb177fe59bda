"""Fetch and prepare throughput on this machine, against the tests' fake
animationscreencaps.com on 127.0.0.1 (tests/helpers/fake_screencaps.py) serving full-HD JPEGs.

`python -m bench.data [--frames 120] [--size 1920x1080]`

Fetches the same gallery three times into fresh folders: at the default politeness
(4 workers, 4 requests/s), with `--workers 16` (the rate cap still 4/s), and with 16
workers and no cap (what the loopback server and this machine allow). Then prepares the
frames to 256 px with one process and with all cores. Loopback has no network latency:
against the real site the polite settings are the limit, not the machine.
"""

import argparse
import io
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tests.helpers.fake_screencaps import FakeScreencaps  # the fake site lives with the tests
from trainer.data import fetch, movies, prepare


def full_hd_frames(count, width, height):
    """Eight distinct photo-like JPEGs (smooth gradients plus noise), served in turn."""
    pictures = []
    y, x = np.mgrid[0:height, 0:width]
    for k in range(8):
        rng = np.random.default_rng(k)
        base = np.stack([(x * (k + 1)) % 256, (y * 2 + k * 30) % 256, ((x + y) // 3) % 256], -1)
        noisy = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(noisy).save(buffer, "JPEG", quality=90)
        pictures.append(buffer.getvalue())
    return lambda frame: pictures[frame % len(pictures)]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args(argv)
    width, height = map(int, args.size.split("x"))
    picture = full_hd_frames(args.frames, width, height)
    megabytes = sum(len(picture(f)) for f in range(1, args.frames + 1)) / 1e6
    luca = movies.KNOWN_MOVIES["luca"]
    with tempfile.TemporaryDirectory() as tmp, \
            FakeScreencaps(frames=range(1, args.frames + 1), per_page=60, picture=picture) as site:
        print(f"{args.frames} frames of {width}x{height}, {megabytes:.1f} MB, from {site.url}")
        for run, (label, options) in enumerate([("default politeness (4 workers, 4 requests/s)", dict(workers=4, rate=4.0)),
                               ("--workers 16 (still 4 requests/s)", dict(workers=16, rate=4.0)),
                               ("--workers 16 --rate 0 (no cap)", dict(workers=16, rate=0))]):
            out = Path(tmp) / f"raw{run}" / "luca"
            start = time.perf_counter()
            summary = fetch.fetch(site.gallery, out, luca, progress=False, **options)
            seconds = time.perf_counter() - start
            print(f"fetch, {label}: {summary.downloaded} frames in {seconds:.1f} s = "
                  f"{summary.downloaded / seconds:.1f} frames/s, {megabytes / seconds:.1f} MB/s")
        raw = Path(tmp) / "raw0"
        for workers in (1, None):
            summary = prepare.prepare(raw, Path(tmp) / f"prepared-{workers}", size=256, workers=workers,
                                      progress=False)
            print(f"prepare to 256 px, {workers or 'all'} process(es): {summary.prepared} frames in "
                  f"{summary.seconds:.1f} s = {summary.prepared / summary.seconds:.1f} frames/s")


if __name__ == "__main__":
    main()
