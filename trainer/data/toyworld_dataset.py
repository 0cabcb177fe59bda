"""Writes toyworld scenes as a dataset folder: JPEG images + manifest.jsonl.

Layout: images/<medium>/<scene>.jpg for stills, images/clips/<clip>/<medium>/<frame>.jpg
for the orbit clips. The last tenth of the stills (a contiguous block) is the test split;
clip frames are test data too and carry a "clip" tag. Each 2d render's row names its
outline mask ("outline": a PNG beside it under outlines/, white where the render draws a
line), which only evaluation reads.
"""

import multiprocessing
import os
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from hub.atomic import atomic_path
from trainer.data import toyworld
from trainer.data.manifest import write_facts, write_manifest

TEST_FRACTION = 0.1
JPEG_QUALITY = 95


def _save_jpeg(array, path):
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="JPEG", quality=JPEG_QUALITY)


def _rows(scene, rel_paths, frame, split, scene_id, extra=None):
    rows = []
    for medium, studio, rel in zip(("3d", "2d"), (scene.studio_3d, scene.studio_2d), rel_paths):
        rows.append({
            "path": rel, "medium": medium, "studio": studio, "movie": f"{studio}-{scene.theme}",
            "style": f"{medium}-{studio}", "scene": scene_id, "frame": frame, "split": split,
            **(extra or {}),
        })
    rows[1]["outline"] = outline_path(rel_paths[1])
    return rows


def still_scene(scene_id, seed=0):
    """The Scene behind a still's `scene` tag ("s000007"), as `generate(seed=seed)` drew it;
    None for a clip frame's."""
    if not (scene_id.startswith("s") and scene_id[1:].isdigit()):
        return None
    return toyworld.sample_scene(toyworld.scene_rng(seed, toyworld.STILLS, int(scene_id[1:])))


def outline_path(rel_path):
    """images/2d/000007.jpg -> images/outlines/2d/000007.png"""
    return str(Path("images/outlines", *Path(rel_path).parts[1:]).with_suffix(".png"))


def _render_task(task):
    """One still scene or one clip frame -> its two manifest rows (runs in a worker)."""
    kind, seed, index, frame, size, out, split = task
    if kind == "still":
        scene_id = f"s{index:06d}"
        scene = still_scene(scene_id, seed)
        images = toyworld.render_pair(scene, size)
        rel = [f"images/{m}/{index:06d}.jpg" for m in ("3d", "2d")]
        rows = _rows(scene, rel, index, split, scene_id)
    else:
        scene = toyworld.sample_scene(toyworld.scene_rng(seed, toyworld.CLIPS, index))
        offset = np.radians(frame * toyworld.CLIP_DEGREES_PER_FRAME)
        images = toyworld.render_pair(scene, size, azimuth_offset=offset)
        clip = f"orbit-{index:03d}"
        rel = [f"images/clips/{clip}/{m}/{frame:04d}.jpg" for m in ("3d", "2d")]
        rows = _rows(scene, rel, frame, split, f"{clip}-{frame:04d}", {"clip": clip})
    for image, r in zip(images[:2], rel):
        _save_jpeg(image, Path(out) / r)
    with atomic_path(Path(out) / rows[1]["outline"]) as tmp:
        Image.fromarray(images[2]).save(tmp, format="PNG")  # bool -> 1-bit PNG
    return rows


def generate(out, count, size=256, seed=0, sequences=0, workers=None, progress=True):
    """Render `count` scene pairs and `sequences` orbit clips into `out`; returns the rows."""
    if count < 0 or sequences < 0:
        raise ValueError("--count and --sequences must be >= 0")
    if size < 8:
        raise ValueError(f"--size must be at least 8, got {size}")
    n_test = max(1, round(count * TEST_FRACTION)) if count >= 2 else 0
    tasks = [("still", seed, i, 0, size, str(out), "test" if i >= count - n_test else "train")
             for i in range(count)]
    tasks += [("clip", seed, k, f, size, str(out), "test")
              for k in range(sequences) for f in range(toyworld.CLIP_FRAMES)]
    workers = workers or os.cpu_count() or 1
    rows = []
    bar = tqdm(total=len(tasks), unit="pair", desc="toyworld", disable=not progress)
    if workers == 1:
        results = map(_render_task, tasks)
    else:
        # spawn: the parent may hold TensorFlow threads, which fork does not survive.
        pool = multiprocessing.get_context("spawn").Pool(workers)
        results = pool.imap(_render_task, tasks, chunksize=4)
    try:
        for pair in results:
            rows.extend(pair)
            bar.update()
    finally:
        bar.close()
        if workers != 1:
            pool.terminate()
    write_manifest(out, rows)
    # Rendered here from nothing but code: the weights trained on it take the project's licence.
    write_facts(out, license="mit", source="synthetic scenes rendered by `python -m trainer.data toyworld`")
    return rows
