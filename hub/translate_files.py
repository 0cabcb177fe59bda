"""`python -m hub translate INPUT... --model M`: translate pictures, folders (recursively,
keeping their relative paths) and videos on disk with a CycleGAN, or restyle them with a
CAAE under labels. A file that cannot be used is reported and skipped; the others go on,
and a summary at the end counts both. Every output is written atomically.

Videos need PyAV (the app extra) and keep their audio; their less-flicker blend needs
OpenCV's optical flow (the app or train extra) and is skipped with a warning without it.
"""

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from hub.errors import HubError
from hub.imaging import read_image, save_png

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"}


@dataclass
class Job:
    source: Path
    target: Path  # without its suffix: pictures become .png, videos .mp4

    @property
    def is_video(self):
        return self.source.suffix.lower() in VIDEO_SUFFIXES


@dataclass
class Summary:
    written: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (source, reason)
    notes: list = field(default_factory=list)  # (source, what was dropped on the way): written all the same

    def report(self):
        lines = [f"{len(self.written)} written, {len(self.failed)} failed"]
        lines += [f"  note: {source}: {note}" for source, note in self.notes]
        lines += [f"  failed: {source}: {reason}" for source, reason in self.failed]
        return "\n".join(lines)


def files_under(folder, suffixes):
    """The files under `folder` whose suffix is one of `suffixes` (lower case), recursively
    and in name order, hidden files and folders left out."""
    folder = Path(folder)
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def jobs(inputs, out_dir):
    """Input paths (pictures, videos, folders) -> Jobs. A folder's pictures and videos,
    found recursively, keep their paths relative to it, under OUT/FOLDER_NAME/. Raises
    HubError for an input that does not exist, or a folder with nothing to translate."""
    out_dir = Path(out_dir)
    found = []
    for item in map(Path, inputs):
        if item.is_dir():
            files = files_under(item, IMAGE_SUFFIXES | VIDEO_SUFFIXES)
            if not files:
                raise HubError(f"{item}: no pictures ({', '.join(sorted(IMAGE_SUFFIXES))}) or videos "
                               f"({', '.join(sorted(VIDEO_SUFFIXES))}) in this folder")
            found += [Job(p, out_dir / item.resolve().name / p.relative_to(item).with_suffix("")) for p in files]
        elif item.is_file():
            found.append(Job(item, out_dir / item.stem))
        else:
            raise HubError(f"{item}: no such file or folder")
    targets = {}
    for job in found:
        suffix = ".mp4" if job.is_video else ".png"
        job.target = job.target.with_name(job.target.name + suffix)
        if job.target.resolve() == job.source.resolve():
            raise HubError(f"{job.source}: the output would overwrite it; choose another --out")
        if job.target in targets:  # a.jpg and a.png in one folder
            job.target = job.target.with_name(f"{job.target.stem}-{job.source.suffix.lstrip('.')}{suffix}")
        targets[job.target] = job
    return found


class Translator:
    """One model and one setting (a CycleGAN's direction, or a CAAE's labels) applied to
    lists of uint8 frames."""

    def __init__(self, model, direction=None, labels=None, size=None, flat_fills=None):
        self.model, self.size, self.flat_fills, self.labels = model, size, flat_fills, None
        if model.config.get("architecture") == "caae":
            if labels is None:
                raise HubError(f"a CAAE restyles under labels: give --restyle, e.g. "
                               f"--restyle {','.join(_example_labels(model))}")
            self.labels = dict(labels)
            model.label_vector(self.labels)  # a LabelError now, not after the first file
            self.description = "restyled under " + ",".join(f"{k}={v}" for k, v in self.labels.items())
        else:
            if labels is not None:
                raise HubError("--restyle is for a CAAE; this model is a CycleGAN: give --direction")
            try:
                self.direction = model.direction(direction or "a2b")
            except ValueError as e:
                raise HubError(str(e)) from None
            self.description = f"translated {self.direction.name}"

    def __call__(self, frames, size=None):
        """uint8 frames -> as many translated ones. A CycleGAN translates pictures at
        --size, else at their detail size (hub.imaging.detail_size, as the app does)."""
        if self.labels is not None:
            return [np.asarray(image) for image in self.model.restyle(list(frames), self.labels)]
        return [np.asarray(image) for image in self.model.translate(list(frames), self.direction.key,
                                                                    size=self.size or size, flat_fills=self.flat_fills)]

    def video_frames(self, frames):
        """As a call, but at the training size unless --size says otherwise, as the app's
        videos are: a quarter of the pixels of a 256 px detail size for a 128 px model."""
        return self(frames, size=self.model.config["image_size"])


def translate_all(translator, found, fps=2.0, temporal=True, progress=True):
    """Run every Job; a file that fails is recorded in the Summary, not raised."""
    summary = Summary()
    bar = tqdm(total=len(found), unit="file", disable=not progress)
    for job in found:
        bar.set_postfix_str(job.source.name[-40:])
        try:
            job.target.parent.mkdir(parents=True, exist_ok=True)
            if job.is_video:
                summary.notes += [(job.source, note) for note in _video(translator, job, fps, temporal, progress)]
            else:
                _picture(translator, job)
            summary.written.append(job.target)
        except (HubError, OSError) as e:
            summary.failed.append((job.source, str(e)))
        bar.update()
    bar.close()
    return summary


def _picture(translator, job):
    save_png(translator([read_image(job.source)])[0], job.target)


def _video(translator, job, fps, temporal, progress):
    try:
        from hub import video
    except ImportError:
        raise HubError("videos need PyAV: pip install 'animation-style[app]' (or pip install av)") from None
    if temporal:
        try:
            import cv2  # noqa: F401 - the temporal blend's optical flow
        except ImportError:
            warnings.warn("the less-flicker blend needs OpenCV (pip install opencv-python-headless); "
                          "this video is translated frame by frame", stacklevel=2)
            temporal = False
    bar = tqdm(unit="frame", leave=False, disable=not progress, desc=job.source.name[-30:])

    def report(done, total, seconds_left):
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        return video.translate_video(job.source, job.target, translator.video_frames, fps=fps or None,
                                     max_seconds=math.inf, max_frames=math.inf, progress=report,
                                     temporal=temporal).notes
    finally:
        bar.close()


def _example_labels(model):
    style = (model.styles or [{}])[0]
    return [f"{tag}={value}" for tag, value in style.items()] or model.label_names[:1]
