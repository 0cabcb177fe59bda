"""CartoonGAN's edge-smoothed cartoons (Chen et al., CVPR 2018, Sec. 3.2.2): the target
domain's own images with their edges blurred, shown to the discriminator as fakes, so
that it learns that a cartoon without crisp edges is not a cartoon and the generator
must draw them.

Edges are found with OpenCV's Canny on the grey image, dilated into a band, and only
inside that band is the image replaced by its Gaussian blur: flat regions stay as they
are. The smoothed images of a domain are made once per dataset, image size and path list,
and cached beside the data (DATA/edge_smoothed/), written atomically.
"""

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np

from hub.atomic import atomic_path

CANNY_THRESHOLDS = (100, 200)  # CartoonGAN's reference code uses Canny with these


def smooth_edges(image, band=None, sigma=None):
    """uint8 (S, S, 3) -> uint8 (S, S, 3): blurred inside a band around its Canny edges.
    band: the band's half-width in px (default: S / 128, at least 1); sigma: the blur's
    (default: the band's width)."""
    size = image.shape[0]
    band = band or max(1, round(size / 128))
    sigma = sigma or float(band + 1)
    edges = cv2.Canny(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), *CANNY_THRESHOLDS)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    near_edges = cv2.dilate(edges, kernel) > 0
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    return np.where(near_edges[..., None], blurred, image)


def smoothed_images(images, paths, data, size):
    """The edge-smoothed `images` (uint8 (N, S, S, 3), decoded from `paths` of dataset
    folder `data`), from the cache when it holds these very paths at this size."""
    key = hashlib.sha256(json.dumps([size, [str(p) for p in paths]]).encode()).hexdigest()[:16]
    cache = Path(data) / "edge_smoothed" / f"{size}px-{key}.npz"
    if cache.is_file():
        with np.load(cache) as saved:
            if saved["images"].shape == images.shape:
                return saved["images"]
    smoothed = np.stack([smooth_edges(image) for image in images])
    with atomic_path(cache) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, images=smoothed)
    return smoothed
