"""`python -m trainer.data clips data/prepared --out data/clips --length 61`: ordered runs
of consecutive frames for the video-consistency evaluation (61 frames = 30.5 s at 2 FPS,
as the seed's clips), each as a folder of JPEGs and as an H.264 MP4.

A clip is `--length` frames whose numbers follow one another with no gap (no frame
left out by `prepare`'s filters or split) inside one movie and one split (the test split
by default, so clips are never training data). Per movie, up to `--count` clips are
taken, spread evenly over the runs that are long enough. `clips.jsonl` lists them.
"""

import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from hub.video import write_mp4
from trainer.data.manifest import read_manifest, write_jsonl

RECORD = "clips.jsonl"


def runs(frames):
    """Sorted frame numbers -> lists of consecutive numbers."""
    result = []
    for frame in frames:
        if result and frame == result[-1][-1] + 1:
            result[-1].append(frame)
        else:
            result.append([frame])
    return result


def windows(frames, length, count):
    """Up to `count` non-overlapping windows of `length` consecutive frames, spread evenly."""
    candidates = [run[i:i + length] for run in runs(sorted(frames)) for i in range(0, len(run) - length + 1, length)]
    if count is None or len(candidates) <= count:
        return candidates
    return [candidates[round(i)] for i in np.linspace(0, len(candidates) - 1, count)]


def make_clips(prepared, out, length=61, count=None, split="test", fps=2.0):
    """Write the clips; returns their records."""
    prepared, out = Path(prepared), Path(out)
    rows = [r for r in read_manifest(prepared) if split == "all" or r["split"] == split]
    records = []
    for movie in sorted({r["movie"] for r in rows}):
        by_frame = {r["frame"]: r for r in rows if r["movie"] == movie}
        for frames in windows(list(by_frame), length, count):
            name = f"{movie}-{frames[0]:06d}"
            folder = out / name
            folder.mkdir(parents=True, exist_ok=True)
            for i, frame in enumerate(frames):
                shutil.copyfile(prepared / by_frame[frame]["path"], folder / f"{i:03d}.jpg")
            write_mp4((np.asarray(Image.open(folder / f"{i:03d}.jpg").convert("RGB")) for i in range(length)),
                      out / f"{name}.mp4", fps)
            first = by_frame[frames[0]]
            records.append({"clip": name, "movie": movie, "studio": first["studio"], "medium": first["medium"],
                            "split": first["split"], "first_frame": frames[0], "frames": length, "fps": fps,
                            "folder": name, "video": f"{name}.mp4"})
    if not records:
        raise ValueError(f"no run of {length} consecutive {split} frames in {prepared}: "
                         f"try a shorter --length or --split all")
    write_jsonl(out / RECORD, records)
    return records
