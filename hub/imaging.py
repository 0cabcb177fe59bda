"""Conversions between network tensors ([-1, 1] floats) and pictures, and image grids."""

import numpy as np
from PIL import Image

from hub.atomic import atomic_path


def to_uint8(images):
    """[-1, 1] floats -> uint8, any leading shape."""
    return np.clip((np.asarray(images, np.float32) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def from_uint8(images):
    """uint8 -> [-1, 1] float32, any leading shape."""
    return np.asarray(images, np.float32) / 127.5 - 1.0


def grid(rows, gap=2):
    """rows: list of lists of equal-size HxWx3 uint8 images -> one uint8 image, white gaps."""
    h, w = rows[0][0].shape[:2]
    cols = max(len(r) for r in rows)
    out = np.full((len(rows) * (h + gap) - gap, cols * (w + gap) - gap, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        for j, image in enumerate(row):
            out[i * (h + gap):i * (h + gap) + h, j * (w + gap):j * (w + gap) + w] = image
    return out


def save_png(array, path):
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")
