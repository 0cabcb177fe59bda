"""trainer.evaluation.outlines on closed cases: lines drawn where the mask is score 1, lines moved
3 px score low, a blur lowers F1 and sharpness, flat regions give no line, grain inside the
regions raises the flat texture and nothing at the outlines does."""

import cv2
import numpy as np
import pytest

from tests.helpers.media import cel_frames
from trainer.evaluation import outlines


def test_lines_where_the_mask_is_score_one():
    images, masks = cel_frames()
    scores = outlines.look_scores(images, masks, images)
    assert scores["outline_precision"] > 0.97 and scores["outline_recall"] > 0.97
    assert scores["outline_f1"] > 0.97 and scores["edge_sharpness"] == pytest.approx(1.0)


def test_lines_moved_3_px_score_low():
    images, masks = cel_frames()
    moved = np.roll(images, 3, axis=(1, 2))
    scores = outlines.outline_scores(moved, masks)
    assert scores["outline_f1"] < 0.25
    assert outlines.outline_scores(moved, masks, tolerance=3)["outline_f1"] > 0.9  # the tolerance sees it


def test_a_blur_loses_lines_and_sharpness():
    images, masks = cel_frames()
    blurred = np.stack([cv2.GaussianBlur(image, (0, 0), 1.5) for image in images])
    sharp, soft = outlines.look_scores(images, masks, images), outlines.look_scores(blurred, masks, images)
    assert soft["outline_f1"] < sharp["outline_f1"] and soft["edge_sharpness"] < 0.7


def test_flat_regions_even_dark_ones_are_no_lines():
    image = np.full((1, 128, 128, 3), 200, np.uint8)
    image[0, 20:100, 30:90] = 10  # a large dark region
    assert not outlines.detect_lines(image).any()
    scores = outlines.outline_scores(image, np.zeros((1, 128, 128), bool))
    assert scores == {"outline_precision": 0.0, "outline_recall": 0.0, "outline_f1": 0.0}


def test_masks_of_another_size_are_scaled_keeping_every_line(tmp_path):
    from PIL import Image

    mask = np.zeros((128, 128), bool)
    mask[40, 10:100] = True  # one 1 px line
    Image.fromarray(mask).save(tmp_path / "mask.png")
    small = outlines.load_masks([tmp_path / "mask.png"], 64)
    assert small.shape == (1, 64, 64) and small[0, 20, 5:50].all() and small.sum() == 45


def test_grain_inside_the_regions_raises_the_flat_texture_and_the_outlines_do_not():
    images, masks = cel_frames()
    assert outlines.flat_texture(images, masks, images) == 0.0  # flat fills
    rng = np.random.default_rng(1)
    grainy = np.clip(images + rng.normal(0, 6, images.shape), 0, 255).astype(np.uint8)
    assert outlines.flat_texture(grainy, masks, images) > 10
    # thicker, paler outlines change only pixels within 1 px of the mask: not the flat regions
    band = np.stack([cv2.dilate(m.astype(np.uint8), np.ones((3, 3), np.uint8)) for m in masks]).astype(bool)
    redrawn = images.copy()
    redrawn[band] = 120
    assert outlines.flat_texture(redrawn, masks, images) == 0.0
    assert outlines.look_scores(grainy, masks, images)["flat_texture"] == outlines.flat_texture(grainy, masks, images)
