"""`python -m trainer.data frames VIDEO... --out DIR --fps 2 --tag medium=3d`: one's own
films -> a dataset folder the trainers read, as the seed sampled its clips at 2 FPS.

Each video's frames are sampled at --fps (PyAV, hub.video.sample_frames: upright, any
length) into DIR/raw/MOVIE/ with a fetch.jsonl, as `fetch` leaves a gallery; MOVIE is the
video's file name, or --tag movie=NAME for a single video. `prepare` then writes DIR/images
and DIR/manifest.jsonl from all of DIR/raw: the same square crop, block split and
near-duplicate filter (--drop-duplicates) as for fetched frames, and its flags.

Resumes: a video sampled completely before, unchanged and at the same rate, is not decoded
again; one cut short by a kill is decoded again, and its frames already on disk are kept.
"""

import json
import math
import re
import time
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from hub.atomic import atomic_path, write_json
from hub.imaging import resize
from trainer.data.records import RECORD, frame_file

DONE = "frames.json"  # in a movie folder: the video and rate it is sampled from, and whether completely
MAX_SIDE = 1280  # raw frames are kept at most this large; prepare makes them --size squares
JPEG_QUALITY = 95


def movie_name(video):
    """A video's file name -> a tag value and folder name: letters, digits, - and _."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", Path(video).stem).strip("-").lower() or "video"


def source_facts(video, fps):
    stat = Path(video).stat()
    return {"video": str(Path(video).resolve()), "bytes": stat.st_size, "mtime": stat.st_mtime, "fps": fps}


def sample_video(video, folder, tags, fps=2.0, progress=True):
    """Sample one video into `folder` (frames and fetch.jsonl); -> (frames written, frames
    kept from before). Raises hub.errors.VideoError for a file that is not a usable video."""
    from hub import video as video_lib  # PyAV: the train and app extras

    folder = Path(folder)
    facts = source_facts(video, fps)
    done = folder / DONE
    previous = json.loads(done.read_text()) if done.is_file() else None
    if previous == {**facts, "complete": True}:
        return 0, sum(1 for _ in folder.glob("*.jpg"))
    if previous is not None and {k: v for k, v in previous.items() if k != "complete"} != facts:
        for stale in [*folder.glob("*.jpg"), folder / RECORD]:  # another video, or another rate
            stale.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(done, {**facts, "complete": False})
    info = video_lib.probe(video)
    written = kept = 0
    lines = []
    bar = tqdm(total=math.ceil(info.duration * fps), unit="frame", desc=folder.name, disable=not progress)
    for number, frame in enumerate(video_lib.sample_frames(video, fps, max_seconds=math.inf, max_frames=math.inf)):
        path = folder / frame_file(number)
        if path.is_file():
            kept += 1
        else:
            scale = min(1.0, MAX_SIDE / max(frame.shape[:2]))
            frame = resize(frame, round(frame.shape[1] * scale), round(frame.shape[0] * scale))
            with atomic_path(path) as tmp:
                Image.fromarray(frame).save(tmp, format="JPEG", quality=JPEG_QUALITY)
            written += 1
        lines.append(json.dumps({"frame": number, "file": path.name, "url": facts["video"],
                                 "seconds": round(number / fps, 3), **tags}, sort_keys=True))
        bar.update()
    bar.close()
    with atomic_path(folder / RECORD) as tmp:
        Path(tmp).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    write_json(done, {**facts, "complete": True})  # last: a kill before this decodes the video again
    return written, kept


def frames(videos, out, fps=2.0, tags=(), progress=True, **prepare_options):
    """Sample every video into OUT/raw and prepare OUT from them; returns prepare's Summary
    with a note per video."""
    from trainer.data import prepare

    if fps <= 0 or fps > 60:
        raise ValueError(f"--fps {fps}: choose a rate above 0 and at most 60 frames per second")
    tags = dict(tags)
    if "movie" in tags and len(videos) > 1:
        raise ValueError("--tag movie=NAME names one video's movie; with several videos each is named after "
                         "its file")
    missing = [v for v in videos if not Path(v).is_file()]
    if missing:
        raise FileNotFoundError(f"no such video file: {', '.join(map(str, missing))}")
    out = Path(out)
    notes = []
    started = time.perf_counter()
    for video in videos:
        name = tags.get("movie") or movie_name(video)
        written, kept = sample_video(video, out / "raw" / name, {**tags, "movie": name}, fps, progress)
        notes.append(f"{Path(video).name} -> {name}: {written} frames sampled at {fps:g} FPS"
                     + (f", {kept} kept from an earlier run" if kept else ""))
    seconds = time.perf_counter() - started
    summary = prepare.prepare(out / "raw", out, progress=progress, **prepare_options)
    summary.notes = [*notes, f"sampling took {seconds:.1f} s", *summary.notes]
    return summary
