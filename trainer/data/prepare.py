"""`python -m trainer.data prepare data/raw --out data/prepared`: fetched frames -> a
dataset folder (images/ + manifest.jsonl) that the trainers read.

- Each movie folder of `raw` (with the fetch.jsonl that `fetch` or `frames` writes) gives
  its tags (movie, and studio, medium or any other its records hold) and its frames in order.
- Frames are cut to a square as the seed did (centre crop; `--fit pad` letterboxes
  instead, keeping the whole frame) and resized to `--size`, in parallel over the cores.
- Optional filters, counted in the summary: `--drop-blank` (near-uniform frames: black,
  white, fades, title cards on a flat colour) and `--drop-duplicates` (a frame whose
  8x8 average hash is within 3 bits of the last kept frame's: a held shot).
- Train/test split by contiguous blocks of frames, since neighbouring frames are near
  duplicates and a frame-by-frame split leaks: every k-th block of `--block` frames is
  test (k = 1 / --test-fraction), and train frames within `--gap` frame numbers of a test
  frame are left out. A movie too short for one such cycle gets smaller blocks (two test
  blocks), and the summary says so.
- Incremental: frames already prepared with the same settings are not decoded again.
"""

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from tqdm import tqdm

from hub.atomic import atomic_path, write_json
from trainer.data.records import RECORD, read_records
from trainer.data.splits import split_blocks
from trainer.data.manifest import write_manifest

SETTINGS = "prepare.json"
JPEG_QUALITY = 95
BLANK_STD = 6.0  # grey-level standard deviation below which a frame counts as blank
DUPLICATE_BITS = 3  # average-hash distance at or below which a frame repeats the last kept one
BOOKKEEPING = {"frame", "url", "file", "bytes", "sha256"}  # a record's keys that are not tags


@dataclass
class Summary:
    movies: dict = field(default_factory=dict)  # movie -> {"train": n, "test": n}
    prepared: int = 0  # decoded and written this run
    reused: int = 0  # already there from an earlier run
    blank: int = 0
    duplicates: int = 0
    gap: int = 0  # train frames left out next to a test block
    seconds: float = 0.0
    notes: list = field(default_factory=list)  # what was done differently from the flags, and why

    def report(self):
        lines = [f"{self.prepared} frames prepared, {self.reused} reused ({self.prepared / max(self.seconds, 1e-9):.1f} "
                 f"frames/s over {self.seconds:.1f} s); left out: {self.blank} blank, {self.duplicates} near "
                 f"duplicates, {self.gap} train frames next to a test block"]
        lines += [f"  {movie}: {n['train']} train, {n['test']} test" for movie, n in sorted(self.movies.items())]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def square(image, size, fit):
    """The seed's centre crop to a square (fit='crop'), or the whole frame letterboxed on
    black (fit='pad'); then resized to size x size."""
    image = image.convert("RGB")
    if fit == "pad":
        return ImageOps.pad(image, (size, size), Image.Resampling.LANCZOS, color=(0, 0, 0))
    return ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def _prepare_one(task):
    """(source, destination, size, fit, reuse) -> (grey mean, grey std, average hash)."""
    source, destination, size, fit, reuse = task
    if reuse:
        with Image.open(destination) as image:
            return _features(image)
    with Image.open(source) as image:
        result = square(image, size, fit)
    with atomic_path(destination) as tmp:
        result.save(tmp, format="JPEG", quality=JPEG_QUALITY)
    return _features(result)


def _features(image):
    grey_image = image.convert("L")
    grey = np.asarray(grey_image, np.float32)
    small = np.asarray(grey_image.resize((8, 8), Image.Resampling.BOX), np.float32)
    bits = (small > small.mean()).flatten()
    return float(grey.mean()), float(grey.std()), int("".join("1" if b else "0" for b in bits), 2)


def _movie_folders(raw):
    folders = sorted(p.parent for p in Path(raw).glob(f"*/{RECORD}"))
    if not folders:
        raise FileNotFoundError(f"no movie folders with a {RECORD} under {raw} "
                                f"(make them with `python -m trainer.data fetch --movie NAME`, or from videos with "
                                f"`python -m trainer.data frames VIDEO --out DIR`)")
    return folders


def prepare(raw, out, size=256, fit="crop", test_fraction=0.1, block=200, gap=10, drop_blank=False,
            drop_duplicates=False, workers=None, progress=True):
    """Prepare every movie under `raw` into the dataset folder `out`; returns a Summary."""
    if fit not in ("crop", "pad"):
        raise ValueError(f"fit must be 'crop' or 'pad', got {fit!r}")
    started = time.perf_counter()
    out = Path(out)
    settings = {"size": size, "fit": fit}
    settings_path = out / SETTINGS
    same_settings = settings_path.is_file() and json.loads(settings_path.read_text()) == settings
    summary, rows, tasks = Summary(), [], []
    for folder in _movie_folders(raw):
        records = read_records(folder)
        for frame in sorted(records):
            record, source = records[frame], folder / records[frame]["file"]
            if not source.is_file():
                continue
            relative = f"images/{record['movie']}/{frame:06d}.jpg"
            destination = out / relative
            reuse = (same_settings and destination.is_file()
                     and destination.stat().st_mtime >= source.stat().st_mtime)
            tasks.append((str(source), str(destination), size, fit, reuse))
            tags = {k: v for k, v in record.items() if k not in BOOKKEEPING}
            rows.append({**tags, "path": relative, "frame": frame, "source": record.get("url")})
    (out / "images").mkdir(parents=True, exist_ok=True)
    for movie in {r["movie"] for r in rows}:
        (out / "images" / movie).mkdir(exist_ok=True)
    with ProcessPoolExecutor(workers or os.cpu_count()) as pool:
        features = list(tqdm(pool.map(_prepare_one, tasks, chunksize=16), total=len(tasks), unit="frame",
                             desc="prepare", disable=not progress))
    # Only now: a run killed after changing the settings leaves the old ones, so the next
    # run prepares everything again instead of mixing sizes.
    write_json(settings_path, settings)
    summary.reused = sum(1 for t in tasks if t[4])
    summary.prepared = len(tasks) - summary.reused
    kept = _filter(rows, features, drop_blank, drop_duplicates, summary, out)
    manifest = []
    for movie in sorted({r["movie"] for r in kept}):
        movie_rows = [r for r in kept if r["movie"] == movie]
        split, movie_block = split_blocks([r["frame"] for r in movie_rows], block, test_fraction, gap)
        if movie_block != block:
            summary.notes.append(f"{movie}: {len(movie_rows)} frames, too few to hold a test block of --block "
                                 f"{block}; split in blocks of {movie_block} frames instead")
        counts = {"train": 0, "test": 0}
        for row in movie_rows:
            if split[row["frame"]] is None:
                summary.gap += 1
                continue
            counts[split[row["frame"]]] += 1
            manifest.append({**row, "split": split[row["frame"]]})
        summary.movies[movie] = counts
    write_manifest(out, manifest)
    summary.seconds = time.perf_counter() - started
    return summary


def _filter(rows, features, drop_blank, drop_duplicates, summary, out):
    kept, last_hash, last_movie = [], None, None
    for row, (_, std, average_hash) in zip(rows, features):
        if row["movie"] != last_movie:
            last_hash, last_movie = None, row["movie"]
        if drop_blank and std < BLANK_STD:
            summary.blank += 1
        elif drop_duplicates and last_hash is not None and bin(average_hash ^ last_hash).count("1") <= DUPLICATE_BITS:
            summary.duplicates += 1
        else:
            kept.append(row)
            last_hash = average_hash
            continue
        (out / row["path"]).unlink(missing_ok=True)  # a left-out frame leaves no file behind
    return kept
