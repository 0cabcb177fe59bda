"""Flat fills: an edge-preserving smoothing of a generator's output, for models trained
towards a cel look (README, "The 2D look").

A GAN trained on a CPU budget paints cel regions with grain where the target frames are
flat. Mean-shift filtering (OpenCV's pyrMeanShiftFiltering) replaces each pixel by the
mean colour of its neighbours within a small colour distance: grain inside a region is
averaged away, while an outline or a region edge, far apart in colour, is kept. It is a
post-process at inference, as White-box cartoonization's guided filter is; a model
folder's config.json says which directions' outputs get it ("flat_fills").

OpenCV comes with the app and train extras, not with the core install: there the same
filter runs in numpy (hub.mean_shift, pixel for pixel OpenCV's, about 12x slower), so a
picture translated in the core install is the app's.
"""

import math

import numpy as np

from hub.directions import KEYS
from hub.errors import HubError
from hub.labels import LabelSpace

# Measured on toyworld's 101 held-out cel pairs at 128 px (README, "The 2D look"): a 3 px
# window and 20 grey levels of colour distance lower the grain by a third and keep the
# outlines (F1 unchanged); wider windows or distances flatten more and lose thin lines.
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
    At 512 px that is 15x as fast as a 12 px window, whose cost grows with its area (14.5
    against 217 ms a frame on 2 cores, bench.inference), at 37 dB PSNR from its output."""
    halvings = max(0, round(math.log2(network_size / NETWORK_SIZE)))
    return max(1, round(RADIUS_PER_128_PX * network_size / NETWORK_SIZE / 2 ** halvings)), 1 + halvings
