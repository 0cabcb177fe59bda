"""What the app's events do, as plain functions of the loaded models and the inputs:
space.ui wires them to components, and the tests call them directly. Bad input raises
gr.Error with a message the user can act on, and the app keeps serving."""

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from hub import video
from hub.errors import ImageError, LabelError, VideoError
from hub import imaging
from hub.imaging import image_size, read_image
from space.console import user_error, user_warning, without_path

ALL_FRAMES = 0  # the fps choice that keeps every frame
MAX_FPS = 30  # the highest sampling rate offered
MAX_DETAIL = 8  # the largest network size offered, as a multiple of the training size
OUTPUT_MAX_AGE_S = 3600  # finished videos are served for an hour, then deleted


@dataclass(frozen=True)
class VideoLimits:
    """What one video job may cost: its length, and the wall-clock time of the job. The
    frames written are bounded by the top rate offered over the longest clip, so "all
    frames" of a 1000 fps clip is refused rather than run for hours."""
    seconds: float = video.MAX_SECONDS
    job_seconds: float = 300.0

    @property
    def frames(self):
        return math.ceil(self.seconds * MAX_FPS)


def translate_image(models, image, direction, model_name=None, size=None, strength=1.0):
    """A picture (path, PIL or array) -> the translated PIL image, at the input's size.
    size: the short side the network sees (default: its training size). strength: 0 gives
    the picture back, 1 the translation, between them a blend of the two."""
    cyclegan = _cyclegan(models, model_name)
    if size is not None:
        largest = MAX_DETAIL * cyclegan.config["image_size"]
        size = _number(size, "size", 16, largest, f"a number of pixels from 16 to {largest}")
    strength = _strength(strength)
    picture = read_picture(image)
    try:
        with models.idle.working():
            translated = cyclegan.translate(picture, direction, size=size and round(size))
    except ValueError as e:  # an unknown direction name
        raise user_error(str(e)) from None
    return translated if strength == 1 else Image.blend(Image.fromarray(picture), translated, strength)


def detail_size(image, training_size):
    """The network size a picture starts at: its short side, from the training size up to
    DETAIL_PX (a photo translated at 64 px comes back as a blurred thumbnail), on the
    slider's steps of half the training size; DETAIL_PX before there is a picture."""
    return imaging.detail_size(imaging.DETAIL_PX if image is None else min(picture_size(image)), training_size)


def restyle(models, image, weights, own_style, strength=1.0):
    """(picture, {label name: weight}, the picture's own style name) ->
    (picture re-rendered under the weighted labels, its reconstruction under its own style).
    A label group whose weights are all zero takes the even blend of its values, as
    hub.CAAE does for a group left out. strength: 0 renders the picture under its own
    style, 1 under the weights, between them a blend of the two labels."""
    caae = models.caae.model
    picture = read_picture(image)
    names = style_names(caae)
    if own_style and own_style not in names:
        raise user_error(f"unknown style {own_style!r}; this model knows: {', '.join(names)}")
    weights = {name: _number(w, f"the weight of {name}", 0, 1, "a number from 0 to 1") for name, w in weights.items()}
    strength = _strength(strength)
    own = caae.label_vector(caae.styles[names.index(own_style) if own_style else 0])
    try:
        target = caae.label_space.weighted(_without_empty_groups(caae, weights))
    except LabelError as e:  # an unknown label name
        raise user_error(str(e)) from None
    with models.idle.working():
        restyled, reconstruction = caae.restyle([picture, picture], [(1 - strength) * own + strength * target, own])
    return restyled, reconstruction


def _without_empty_groups(caae, weights):
    """The weights, less the groups whose every weight is zero (left out, a group takes
    the even blend of its values)."""
    kept = dict(weights)
    for tag, values in caae.label_space.groups:
        names = [f"{tag}={value}" for value in values]
        if all(weights.get(name, 0) == 0 for name in names):
            for name in names:
                kept.pop(name, None)
    return kept


def translate_video(models, path, direction, fps, out_dir, model_name=None,
                    limits=VideoLimits(), progress=None, temporal=True, cancelled=None):
    """A video (or GIF) file -> the path of the translated MP4 in out_dir.
    fps: frames per second to sample (1-30), or ALL_FRAMES. limits: a VideoLimits.
    progress: a gr.Progress. cancelled: asked between frames whether the client has gone.
    temporal: the flow-guided blend against flicker (hub.temporal), on by default: it
    costs less than half the per-frame time again (docs/results.md)."""
    if path is None:
        raise user_error("Upload a video or a GIF first.")
    cyclegan = _cyclegan(models, model_name)
    try:
        key = cyclegan.direction(direction).key
    except ValueError as e:
        raise user_error(str(e)) from None
    fps = _check_fps(fps)
    out_dir = Path(out_dir)
    _remove_old_outputs(out_dir)
    out_path = out_dir / f"{Path(str(path)).stem[:40]}-{key}-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns()}.mp4"

    def report(done, total, seconds_left):
        if progress is not None:
            progress((done, total), desc=f"{done}/{total} frames, about {seconds_left:.0f} s left", unit="frames")

    def translate_frames(frames):
        return [np.asarray(image) for image in cyclegan.translate(frames, key, size=cyclegan.config["image_size"])]

    try:
        with models.idle.working():
            info = video.translate_video(path, out_path, translate_frames, fps=fps or None,
                                         max_seconds=limits.seconds, max_frames=limits.frames,
                                         time_budget=limits.job_seconds, progress=report, temporal=bool(temporal),
                                         cancelled=cancelled)
    except VideoError as e:
        raise user_error(f"Cannot translate this video: {_named(str(e), path)}") from None
    for note in info.notes:  # translated all the same; the user hears what was dropped
        user_warning(f"Note: {note}.")
    return str(out_path)


def video_preview(path, limits=VideoLimits(), fps=2):
    """An uploaded clip -> (its first frame, a line saying what will be translated), or a
    gr.Error saying what is wrong with it before anyone waits for a translation."""
    if path is None:
        return None, ""
    every_frame = _check_fps(fps) == ALL_FRAMES
    try:
        info = video.probe(path)
        first = next(video.sample_frames(path, fps=None, max_seconds=limits.seconds), None)
    except VideoError as e:
        raise user_error(f"Cannot translate this video: {_named(str(e), path)}") from None
    if first is None:
        raise user_error(f"Cannot translate this video: {Path(str(path)).name} has no frames")
    rate = info.fps if every_frame else fps
    frames = max(1, math.ceil(info.duration * rate))
    sound = "with sound" if info.has_audio else "no sound"
    return Image.fromarray(first), (f"{info.duration:.1f} s, {info.fps:.3g} fps, {info.width}x{info.height}, {sound}: "
                                    f"{frames} frames to translate at the chosen rate")


def style_names(caae):
    """'2d / cel / cel-desert' for each label combination seen in training."""
    return [" / ".join(style[tag] for tag in caae.label_space.tags) for style in caae.styles]


def style_weights(caae, style_name):
    """The slider values that select one training style: 1 for its labels, 0 elsewhere."""
    style = caae.styles[style_names(caae).index(style_name)]
    chosen = {f"{tag}={value}" for tag, value in style.items()}
    return [1.0 if name in chosen else 0.0 for name in caae.label_names]


def _cyclegan(models, model_name):
    try:
        return models.cyclegan(model_name).model if model_name else models.cyclegans[0].model
    except KeyError:
        raise user_error(f"No model named {model_name!r}; loaded: "
                       f"{', '.join(m.name for m in models.cyclegans)}") from None


def read_picture(image):
    """An uploaded picture -> RGB uint8 array, or a gr.Error saying what is wrong with it."""
    if image is None:
        raise user_error("Upload, paste or take a picture first.")
    try:
        return read_image(image)
    except ImageError as e:
        raise user_error(f"Cannot use this picture: {_named(str(e), image)}") from None


def picture_size(image):
    """An uploaded picture's (width, height), read from its header, or a gr.Error."""
    if not isinstance(image, (str, Path)):
        return read_picture(image).shape[1::-1]
    try:
        return image_size(image)
    except ImageError as e:
        raise user_error(f"Cannot use this picture: {_named(str(e), image)}") from None


def upload_problem(path, name=None):
    """What is wrong with an uploaded file that Gradio could not open as an image, in
    hub.imaging's words, naming the file as the user knows it."""
    name = name or "the upload"
    try:
        read_image(path)
    except ImageError as e:
        return f"Cannot use this picture: {_named(str(e), path, name)}"
    return f"Cannot use this picture: {name} could not be opened as an image."


def _named(message, path, name=None):
    """`message` with the server path of an upload replaced by its file name (or `name`)."""
    if not isinstance(path, (str, Path)):
        return message
    return without_path(message, path, name or Path(path).name)


def _number(value, what, low, high, expected):
    """A client's value for a number input -> float in [low, high], or a gr.Error."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not low <= number <= high:  # NaN fails this too
        raise user_error(f"{what} must be {expected}, got {value!r}")
    return number


def _strength(value):
    return 1.0 if value is None else _number(value, "strength", 0, 1, "a number from 0 to 1")


def _check_fps(fps):
    try:
        fps = int(fps)
    except (TypeError, ValueError, OverflowError):
        raise user_error(f"fps must be a whole number from 1 to {MAX_FPS}, or {ALL_FRAMES} for all frames; "
                       f"got {fps!r}") from None
    if fps != ALL_FRAMES and not 1 <= fps <= MAX_FPS:
        raise user_error(f"fps must be from 1 to {MAX_FPS}, or {ALL_FRAMES} for all frames; got {fps}")
    return fps


def _remove_old_outputs(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - OUTPUT_MAX_AGE_S
    for old in out_dir.glob("*.mp4"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
