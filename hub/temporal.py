"""Temporal consistency of translated video: optical flow between *input* frames,
occlusion masks, the warping error of Lai et al. (ECCV 2018), and a flow-guided blend
that lowers it.

Flow is OpenCV's DIS (Kroeger et al. 2016) on grey input frames. A pixel counts as
visible in both frames where the forward and backward flows agree and no motion
boundary crosses it (the checks of Ruder et al. 2016, which Lai et al. use), and where
the flow does not point outside the frame.
"""

import cv2
import numpy as np

BLEND = 0.5  # share of the warped previous output in the temporal mode's blend
FLOW_SIDE = 320  # the temporal mode's flow runs at most at this long side
# OpenCV's DIS presets: "medium" for videos, "fast" where a frame's time is short (a live stream)
PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
           "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}
# The temporal mode also needs the warped previous input to match the current one this
# closely (mean over channels, 0-255): a scene cut or a flow error blends nothing.
PHOTOMETRIC_TOLERANCE = 16.0
# OpenCV's DIS fails on small frames, and frames 8-14 px high and 40-64 px wide crash the
# process (a segfault no `try` catches): grey frames are padded to this side first.
MIN_FLOW_SIDE = 32


class FlowEstimator:
    """flow(previous, current) -> (backward flow, visible mask) between uint8 RGB frames.

    backward[y, x] is where pixel (x, y) of `current` was in `previous`
    (current(p) ~ previous(p + backward(p))); visible is a bool (H, W) mask.
    max_side: frames larger than this are scaled down for the flow, which is scaled back
    up (the temporal mode's speed: flow at 720p costs more than a 64 px translation).
    preset: DIS's, a PRESETS name.
    """

    def __init__(self, max_side=None, preset="medium"):
        self.dis = cv2.DISOpticalFlow_create(PRESETS[preset])
        self.max_side = max_side

    def __call__(self, previous, current):
        h, w = current.shape[:2]
        scale = min(1.0, self.max_side / max(h, w)) if self.max_side else 1.0
        greys = []
        for frame in (previous, current):
            grey = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
            if scale < 1:
                grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))),
                                  interpolation=cv2.INTER_AREA)
            greys.append(grey)
        small_h, small_w = greys[0].shape
        pad_h, pad_w = max(0, MIN_FLOW_SIDE - small_h), max(0, MIN_FLOW_SIDE - small_w)
        if pad_h or pad_w:  # replicated edges: no motion there, cropped off below
            greys = [cv2.copyMakeBorder(g, 0, pad_h, 0, pad_w, cv2.BORDER_REPLICATE) for g in greys]
        backward = self.dis.calc(greys[1], greys[0], None)
        visible = visible_mask(backward, self.dis.calc(greys[0], greys[1], None))
        if pad_h or pad_w:
            backward = np.ascontiguousarray(backward[:small_h, :small_w])
            visible = visible[:small_h, :small_w] & _inside(backward)
        if scale < 1:
            backward = cv2.resize(backward, (w, h), interpolation=cv2.INTER_LINEAR)
            backward *= np.array([w / small_w, h / small_h], np.float32)
            visible = cv2.resize(visible.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
        return backward, visible


def _sampling_grid(flow):
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return xs + flow[..., 0], ys + flow[..., 1]


def warp(image, backward, grid=None):
    """`image` (a frame at t-1) moved onto frame t along the backward flow, bilinear
    (grid: _sampling_grid(backward), when already at hand)."""
    map_x, map_y = grid or _sampling_grid(backward)
    return cv2.remap(np.ascontiguousarray(image), map_x, map_y, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def visible_mask(backward, forward):
    """True where the pixel of frame t is seen in frame t-1: forward-backward consistency
    |b + f(p + b)|^2 <= 0.01 (|b|^2 + |f(p + b)|^2) + 0.5, no motion boundary
    (|grad b|^2 <= 0.01 |b|^2 + 0.002), and p + b inside frame t-1."""
    forward_there = warp(forward, backward)
    mismatch = np.sum((backward + forward_there) ** 2, axis=-1)
    consistent = mismatch <= 0.01 * (np.sum(backward ** 2, -1) + np.sum(forward_there ** 2, -1)) + 0.5
    gradient = sum(np.sum(np.stack(np.gradient(backward[..., c]), -1) ** 2, -1) for c in range(2))
    smooth = gradient <= 0.01 * np.sum(backward ** 2, -1) + 0.002
    return consistent & smooth & _inside(backward)


def _inside(backward):
    """True where p + b(p) lies inside the frame."""
    map_x, map_y = _sampling_grid(backward)
    h, w = backward.shape[:2]
    return (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)


def input_flows(inputs):
    """[(backward flow, visible mask)] from each input frame to the next, at full size:
    what warping_error needs, computed once to score several outputs of one clip."""
    flow = FlowEstimator()
    return [flow(previous, current) for previous, current in zip(inputs[:-1], inputs[1:])]


def warping_error(inputs, outputs, flows=None):
    """Lai et al.'s warping error of `outputs` (uint8 frames, the video as translated),
    with flow and visibility from `inputs` (the frames they were made from; or `flows`,
    input_flows(inputs) already computed):
    the mean over t >= 1 of sum(M_t |O_t - warp(O_{t-1})|^2) / sum(M_t): the mean squared
    difference over the visible pixels and the colour channels, pixels in [0, 1]."""
    outputs = [np.asarray(frame, np.float32) / 255.0 for frame in outputs]
    if len(outputs) < 2:
        raise ValueError("the warping error needs two or more frames")
    flows = flows if flows is not None else input_flows(list(inputs))
    errors = []
    for (backward, visible), previous, current in zip(flows, outputs[:-1], outputs[1:]):
        squared = np.mean((current - warp(previous, backward)) ** 2, axis=-1)
        errors.append(float(squared[visible].sum() / max(1, visible.sum())))
    return float(np.mean(errors))


class TemporalBlend:
    """The temporal mode: each translated frame is blended with the previous *output*
    warped onto it, where the input flow says the pixel is visible in both frames:
    O_t = M (a warp(O_{t-1}) + (1 - a) T_t) + (1 - M) T_t. The recursion carries a
    pixel's colour along its motion over about 1 / (1 - a) frames; occluded or newly
    visible pixels take the fresh translation T_t, as do pixels whose warped previous
    input does not match the current input (a scene cut, a wrong flow), so nothing
    ghosts. Call it on frames in playing order."""

    def __init__(self, blend=BLEND, flow_side=FLOW_SIDE, preset="medium"):
        if not 0 <= blend < 1:
            raise ValueError(f"the temporal blend must be in [0, 1), got {blend}")
        self.blend, self.flow = blend, FlowEstimator(flow_side, preset)
        self.previous_in = self.previous_out = None

    def __call__(self, frame_in, translated):
        translated = np.asarray(translated)
        # The flow is the input's: a frame of another size (a new clip, a resizing
        # translator) starts afresh.
        if self.previous_in is not None and translated.shape == frame_in.shape == self.previous_in.shape:
            backward, visible = self.flow(self.previous_in, frame_in)
            grid = _sampling_grid(backward)
            # uint8 OpenCV operations throughout: at 720p numpy's float arrays cost more than the flow
            moved_in = warp(self.previous_in, backward, grid)
            difference = cv2.transform(cv2.absdiff(moved_in, np.ascontiguousarray(frame_in)),
                                       np.full((1, 3), 1 / 3, np.float32))
            visible &= difference <= PHOTOMETRIC_TOLERANCE
            carried = warp(self.previous_out, backward, grid)
            mixed = cv2.addWeighted(carried, self.blend, np.ascontiguousarray(translated, np.uint8), 1 - self.blend, 0)
            translated = np.array(translated, np.uint8)
            np.copyto(translated, mixed, where=visible[..., None])
        self.previous_in, self.previous_out = frame_in, translated
        return translated
