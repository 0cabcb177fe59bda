"""The marks of a 2D cel frame, measured against a render's own outline mask: are the
dark lines drawn where the 2d render draws them, are the region edges crisp, and are the
regions flat?

- Lines in an image are its thin dark structures: the black top-hat of its grey levels
  (closing minus the image) above LINE_CONTRAST, the larger of a horizontal and a vertical
  closing with a segment a little longer than a line is wide (any line but a horizontal
  one is thin along a row; a horizontal one along a column). Flat colour regions, even
  dark ones and their corners, give nothing; a line or a one-pixel crack does.
- Outline precision is the share of detected line pixels within `tolerance` px of the
  mask, recall the share of mask pixels within `tolerance` px of a detected line, and F1
  their harmonic mean, all pooled over the images (so a sparse image weighs as much as
  its lines).
- Flat texture is the mean gradient magnitude (Sobel, grey levels) of an image where the
  render is painted flat: at least 2 px from its outlines, where its own gradient is under
  FLAT_GRADIENT. A cel fill scores about 1; grain, dither or 3d shading kept inside a
  region raise it (toyworld's 3d renders: about 12), which neither the lines nor SSIM
  single out.
- Edge sharpness is the mean gradient magnitude (Sobel, on grey levels) in the band of
  the mask's pixels, relative to the same in the reference render: blur spreads an
  edge's contrast over more pixels, so a soft picture scores below 1.

NumPy and OpenCV only, so it runs wherever the metrics are read.
"""

import cv2
import numpy as np
from PIL import Image

# Grey levels (0-255) a line must be darker than its surroundings. Calibrated on toyworld's
# 128 px test renders, so that the cel render scores high, a slightly blurred one lower and
# the 3d render low (docs/training.md, "Measuring the style and the flicker").
LINE_CONTRAST = 16


# Sobel magnitude under which a render's pixel counts as painted flat: on toyworld's 128 px
# test renders, most of a cel frame away from its outlines lies under it, and watercolor's
# paper grain lifts a good share above it.
FLAT_GRADIENT = 16


def _grey(images):
    return [cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY) for image in images]


def _disc(radius):
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def line_radius(size):
    """Half the black-hat segment for images `size` px on a side: lines are about
    size / 160 px wide in toyworld (and in most frames), so a 5 px segment at 128."""
    return max(2, round(size / 64))


def detect_lines(images, radius=None):
    """uint8 (N, H, W, 3) -> bool (N, H, W): the thin dark lines of each image."""
    length = 2 * (radius or line_radius(images[0].shape[0])) + 1
    segments = [np.ones((1, length), np.uint8), np.ones((length, 1), np.uint8)]
    found = [np.maximum(*(cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, segment) for segment in segments))
             > LINE_CONTRAST for grey in _grey(images)]
    return np.stack(found)


def outline_scores(images, masks, tolerance=1):
    """Lines detected in `images` against the outline `masks` (bool (N, H, W)) ->
    {'outline_precision', 'outline_recall', 'outline_f1'}."""
    return line_scores(detect_lines(images), masks, tolerance)


def line_scores(lines, masks, tolerance=1):
    """outline_scores of line maps already found (bool (N, H, W), as detect_lines gives)."""
    near = _disc(tolerance) if tolerance else np.ones((1, 1), np.uint8)
    hits_p = hits_r = n_lines = n_mask = 0
    for found, mask in zip(lines, np.asarray(masks, bool)):
        near_mask = cv2.dilate(mask.astype(np.uint8), near).astype(bool)
        near_found = cv2.dilate(found.astype(np.uint8), near).astype(bool)
        hits_p += int((found & near_mask).sum())
        hits_r += int((mask & near_found).sum())
        n_lines, n_mask = n_lines + int(found.sum()), n_mask + int(mask.sum())
    precision = hits_p / n_lines if n_lines else 0.0
    recall = hits_r / n_mask if n_mask else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"outline_precision": precision, "outline_recall": recall, "outline_f1": f1}


def _gradients(images):
    """uint8 (N, H, W, 3) -> float32 (N, H, W): Sobel gradient magnitude of the grey levels."""
    def magnitude(grey):
        grey = grey.astype(np.float32)
        return np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3))
    return np.stack([magnitude(grey) for grey in _grey(images)])


def _edge_gradient(images, masks):
    bands = np.stack([cv2.dilate(mask.astype(np.uint8), _disc(1)) for mask in np.asarray(masks, bool)]).astype(bool)
    return float(_gradients(images)[bands].mean()) if bands.any() else 0.0


def edge_sharpness(images, masks, reference):
    """Mean gradient magnitude of `images` on the masks' edge band, over that of
    `reference` (the renders the masks belong to): 1 is as crisp as the render."""
    return _edge_gradient(images, masks) / max(_edge_gradient(reference, masks), 1e-6)


def flat_texture(images, masks, reference):
    """Mean gradient magnitude of `images` where the `reference` renders are painted flat
    (2 px or more from their outline `masks`, their own gradient under FLAT_GRADIENT)."""
    square = np.ones((5, 5), np.uint8)  # 2 px in every direction: a gradient there reads no outline pixel
    far = np.stack([~cv2.dilate(mask.astype(np.uint8), square).astype(bool) for mask in np.asarray(masks, bool)])
    flat = far & (_gradients(reference) < FLAT_GRADIENT)
    return float(_gradients(images)[flat].mean()) if flat.any() else 0.0


def look_scores(images, masks, reference):
    """Outline precision, recall, F1, edge sharpness and flat texture of `images` (uint8
    (N, H, W, 3)) against the outline masks of the `reference` renders."""
    return {**outline_scores(images, masks), "edge_sharpness": edge_sharpness(images, masks, reference),
            "flat_texture": flat_texture(images, masks, reference)}


def load_masks(paths, size):
    """Outline mask PNGs -> bool (N, size, size); a mask of another size is scaled by area,
    and a pixel any line touches stays set."""
    masks = []
    for path in paths:
        with Image.open(path) as image:
            mask = (np.asarray(image.convert("L")) > 0).astype(np.float32)
        if mask.shape != (size, size):
            mask = cv2.resize(mask, (size, size), interpolation=cv2.INTER_AREA)
        masks.append(mask > 0)
    return np.stack(masks)
