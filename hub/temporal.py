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
# The temporal mode also needs the warped previous input to match the current one this
# closely (mean over channels, 0-255): a scene cut or a flow error blends nothing.
PHOTOMETRIC_TOLERANCE = 16.0


class FlowEstimator:
    """flow(previous, current) -> (backward flow, visible mask) between uint8 RGB frames.

    backward[y, x] is where pixel (x, y) of `current` was in `previous`
    (current(p) ~ previous(p + backward(p))); visible is a bool (H, W) mask.
    """

    def __init__(self):
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

    def __call__(self, previous, current):
        grey_prev = cv2.cvtColor(np.ascontiguousarray(previous), cv2.COLOR_RGB2GRAY)
        grey_cur = cv2.cvtColor(np.ascontiguousarray(current), cv2.COLOR_RGB2GRAY)
        backward = self.dis.calc(grey_cur, grey_prev, None)
        forward = self.dis.calc(grey_prev, grey_cur, None)
        return backward, visible_mask(backward, forward)


def _sampling_grid(flow):
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return xs + flow[..., 0], ys + flow[..., 1]


def warp(image, backward):
    """`image` (a frame at t-1) moved onto frame t along the backward flow, bilinear."""
    map_x, map_y = _sampling_grid(backward)
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
    map_x, map_y = _sampling_grid(backward)
    h, w = backward.shape[:2]
    inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
    return consistent & smooth & inside


def warping_error(inputs, outputs, flow=None):
    """Lai et al.'s warping error of `outputs` (uint8 frames, the video as translated),
    with flow and visibility from `inputs` (the frames they were made from):
    the mean over t >= 1 of sum(M_t |O_t - warp(O_{t-1})|^2) / sum(M_t), pixels in [0, 1],
    squared differences summed over the colour channels' mean."""
    flow = flow or FlowEstimator()
    errors, previous_in, previous_out = [], None, None
    for frame_in, frame_out in zip(inputs, outputs):
        frame_out = np.asarray(frame_out, np.float32) / 255.0
        if previous_in is not None:
            backward, visible = flow(previous_in, frame_in)
            squared = np.mean((frame_out - warp(previous_out, backward)) ** 2, axis=-1)
            errors.append(float(squared[visible].sum() / max(1, visible.sum())))
        previous_in, previous_out = frame_in, frame_out
    if not errors:
        raise ValueError("the warping error needs two or more frames")
    return float(np.mean(errors))


class TemporalBlend:
    """The temporal mode: each translated frame is blended with the previous *output*
    warped onto it, where the input flow says the pixel is visible in both frames:
    O_t = M (a warp(O_{t-1}) + (1 - a) T_t) + (1 - M) T_t. The recursion carries a
    pixel's colour along its motion over about 1 / (1 - a) frames; occluded or newly
    visible pixels take the fresh translation T_t, as do pixels whose warped previous
    input does not match the current input (a scene cut, a wrong flow), so nothing
    ghosts. Call it on frames in playing order."""

    def __init__(self, blend=BLEND):
        if not 0 <= blend < 1:
            raise ValueError(f"the temporal blend must be in [0, 1), got {blend}")
        self.blend, self.flow = blend, FlowEstimator()
        self.previous_in = self.previous_out = None

    def __call__(self, frame_in, translated):
        translated = np.asarray(translated)
        # The flow is the input's: a frame of another size (a new clip, a resizing
        # translator) starts afresh.
        if self.previous_in is not None and translated.shape == frame_in.shape == self.previous_in.shape:
            backward, visible = self.flow(self.previous_in, frame_in)
            moved_in = warp(self.previous_in, backward).astype(np.float32)
            visible &= np.abs(moved_in - frame_in).mean(axis=-1) <= PHOTOMETRIC_TOLERANCE
            carried = warp(self.previous_out, backward).astype(np.float32)
            mixed = self.blend * carried + (1 - self.blend) * translated
            blended = np.where(visible[..., None], mixed, translated)
            translated = np.clip(np.round(blended), 0, 255).astype(np.uint8)
        self.previous_in, self.previous_out = frame_in, translated
        return translated
