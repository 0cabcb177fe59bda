"""Flat fills: an edge-preserving smoothing of a generator's output, for models trained
towards a cel look (docs/results.md, "The 2D look at 128 px").

A GAN trained on a CPU budget paints cel regions with grain where the target frames are
flat. Mean-shift filtering (OpenCV's pyrMeanShiftFiltering) replaces each pixel by the
mean colour of its neighbours within a small colour distance: grain inside a region is
averaged away, while an outline or a region edge, far apart in colour, is kept. It is a
post-process at inference, as White-box cartoonization's guided filter is; a model
folder's config.json says which directions' outputs get it ("flat_fills").

OpenCV comes with the app and train extras, not with the core install: there the same
filter runs in numpy (hub.mean_shift, pixel for pixel OpenCV's, and slower), so a
picture translated in the core install is the app's.
"""

import math

import numpy as np

from hub.directions import KEYS
from hub.errors import HubError
from hub.labels import LabelSpace

# Chosen on toyworld's held-out cel pairs at 128 px (docs/results.md, "The 2D look at 128 px"):
# they lower the grain and keep the outlines; wider windows or distances flatten more and
# lose thin lines.
RADIUS_PER_128_PX = 3
COLOUR_DISTANCE = 20
NETWORK_SIZE = 128  # where the window above was measured

# What `python -m hub flat-fills` and `trainer.evaluate --flat-fills` take.
CHOICES = (*KEYS, "none")


def directions(words):
    """Words from CHOICES -> the sorted direction keys whose outputs get flat fills."""
    return sorted(set(words) - {"none"})


def chosen(words, config, name):
    """`words` (what `python -m hub flat-fills` and `trainer.evaluate --flat-fills` take) ->
    the sorted outputs of the model of `config` (its config.json) that get flat fills: a
    CycleGAN's direction keys, a CAAE's label names; "none" for none. Raises HubError,
    after `name`, naming the choices."""
    if config.get("architecture") == "caae":
        allowed = LabelSpace.from_config(config["label_groups"]).names
    else:
        allowed = list(KEYS)
    picked = directions(words)
    unknown = set(picked) - set(allowed)
    if unknown:
        raise HubError(f"{name}: no {', '.join(sorted(unknown))} to give flat fills; choose from "
                       f"{', '.join([*allowed, 'none'])}")
    return picked


def flatten(images, network_size):
    """uint8 (N, H, W, 3) outputs of a network run at `network_size` px -> the same,
    smoothed inside regions; the window grows with the network size, since lines and
    grain do."""
    radius, max_level = window(network_size)
    try:
        import cv2
    except ImportError:  # the core install: the same filter in numpy
        from hub.mean_shift import pyr_mean_shift_filtering

        return np.stack([pyr_mean_shift_filtering(image, radius, COLOUR_DISTANCE, max_level) for image in images])
    return np.stack([cv2.pyrMeanShiftFiltering(np.ascontiguousarray(image), radius, COLOUR_DISTANCE,
                                               maxLevel=max_level) for image in images])


def window(network_size):
    """(radius, pyramid levels) of the mean shift for outputs of `network_size` px. Above
    128 px the window stays 3 px and the pyramid gets one level more for each halving down to
    128 px: OpenCV filters the coarsest level and refines only near edges on the finer ones.
    That is far faster than a window scaled with the size, whose cost grows with its area,
    and close to its output (bench.inference; docs/results.md)."""
    halvings = max(0, round(math.log2(network_size / NETWORK_SIZE)))
    return max(1, round(RADIUS_PER_128_PX * network_size / NETWORK_SIZE / 2 ** halvings)), 1 + halvings
