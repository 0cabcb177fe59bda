"""Flat fills: an edge-preserving smoothing of a generator's output, for models trained
towards a cel look (README, "The 2D look").

A GAN trained on a CPU budget paints cel regions with grain where the target frames are
flat. Mean-shift filtering (OpenCV's pyrMeanShiftFiltering) replaces each pixel by the
mean colour of its neighbours within a small colour distance: grain inside a region is
averaged away, while an outline or a region edge, far apart in colour, is kept. It is a
post-process at inference, as White-box cartoonization's guided filter is; a model
folder's config.json says which directions' outputs get it ("flat_fills").

OpenCV comes with the app and train extras, not with the core install: there, the outputs
come unfiltered, with a warning that says how to add it.
"""

import warnings

import numpy as np

from hub.directions import KEYS

# Measured on toyworld's 101 held-out cel pairs at 128 px (README, "The 2D look"): a 3 px
# window and 20 grey levels of colour distance lower the grain by a third and keep the
# outlines (F1 unchanged); wider windows or distances flatten more and lose thin lines.
RADIUS_PER_128_PX = 3
COLOUR_DISTANCE = 20

# What `python -m hub flat-fills` and `trainer.evaluate --flat-fills` take.
CHOICES = (*KEYS, "none")


def directions(words):
    """Words from CHOICES -> the sorted direction keys whose outputs get flat fills."""
    return sorted(set(words) - {"none"})


def flatten(images, network_size):
    """uint8 (N, H, W, 3) outputs of a network run at `network_size` px -> the same,
    smoothed inside regions; the window grows with the network size, since lines and
    grain do."""
    try:
        import cv2
    except ImportError:
        warnings.warn("flat fills need OpenCV (pip install opencv-python-headless); the outputs are "
                      "given without them", stacklevel=2)
        return images
    radius = max(1, round(RADIUS_PER_128_PX * network_size / 128))
    return np.stack([cv2.pyrMeanShiftFiltering(np.ascontiguousarray(image), radius, COLOUR_DISTANCE)
                     for image in images])
