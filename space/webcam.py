"""The live webcam: each streamed frame scaled to STREAM_SIDE on its short side, translated
by the first (light) model, steadied against the previous frames (hub.temporal), and the
rate at which frames come back, for the page. A stream's state lives in the viewer's
session (gr.State), so two viewers never share a blend."""

import time
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from hub.temporal import TemporalBlend
from space import handlers
from space.console import user_error

STREAM_SIDE = 256  # the short side a webcam frame is translated at
STREAM_SECONDS = 120  # one stream's length: it holds the webcam slot for that long at most
STREAM_EVERY_S = 1 / 30  # how often the page sends a frame (it waits for each answer)
RATE_WINDOW = 16  # frames the shown rate is averaged over
NEW_STREAM_AFTER_S = 2.0  # a pause this long (Stop, then Record) starts a new stream: no blend, no rate across it
# Less flicker, live: the flow at a smaller side with DIS's fast preset, much cheaper per
# frame than the video tab's for most of its effect (docs/results.md, "The webcam tab").
LIVE_FLOW_SIDE = 160
LIVE_PRESET = "fast"


def live_blend():
    """The temporal blend of a live stream (hub.temporal.TemporalBlend)."""
    return TemporalBlend(flow_side=LIVE_FLOW_SIDE, preset=LIVE_PRESET)


@dataclass
class Stream:
    """One viewer's stream: its temporal blend (None with Less flicker off) and the times
    its last frames came back."""
    blend: TemporalBlend | None = None
    done: deque = field(default_factory=lambda: deque(maxlen=RATE_WINDOW))

    def rate(self):
        """Frames per second over the last RATE_WINDOW frames (0 before two)."""
        if len(self.done) < 2:
            return 0.0
        return (len(self.done) - 1) / max(self.done[-1] - self.done[0], 1e-6)


def stream_frame(frame, side=STREAM_SIDE):
    """A webcam frame (RGB uint8) with its short side at most `side`, scaled by area."""
    height, width = frame.shape[:2]
    scale = side / min(height, width)
    if scale >= 1:
        return frame
    return cv2.resize(frame, (max(1, round(width * scale)), max(1, round(height * scale))),
                      interpolation=cv2.INTER_AREA)


def translate_stream_frame(models, frame, direction, less_flicker=True, stream=None):
    """One frame of a live stream -> (its translation, the stream's state, the rate shown).
    frame: what the webcam input gives (a path; an array in direct calls)."""
    if frame is None:  # the camera is not on yet
        return None, stream, ""
    picture = stream_frame(handlers.read_picture(frame))
    cyclegan = models.cyclegans[0].model  # the light one, first in the app
    if not isinstance(stream, Stream) or (stream.done and time.monotonic() - stream.done[-1] > NEW_STREAM_AFTER_S):
        stream = Stream()
    if bool(less_flicker) != (stream.blend is not None):
        stream.blend = live_blend() if less_flicker else None
    try:
        with models.idle.working():
            translated = np.asarray(cyclegan.translate(picture, direction))
    except ValueError as e:  # an unknown direction name
        raise user_error(str(e)) from None
    if stream.blend is not None:
        translated = stream.blend(picture, translated)
    stream.done.append(time.monotonic())
    rate = stream.rate()
    return translated, stream, f"{rate:.1f} frames per second" if rate else "starting…"
