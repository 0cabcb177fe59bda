"""CartoonGAN's edge-promoting loss (trainer.objectives.edge_smoothing, --edge-promoting-weight): the
smoothing blurs only the bands around edges, is cached per dataset, and a tiny CycleGAN
trains with it; disc_Y's loss gains the smoothed images' fake term."""

import math

import cv2
import numpy as np
import pytest

from hub.cyclegan import CycleGAN
from tests.helpers import tiny_trainers
from trainer.config import CycleGANConfig
from trainer.objectives import cyclegan, edge_smoothing


def cel_square(size=128):
    image = np.full((size, size, 3), 200, np.uint8)
    image[32:96, 32:96] = (60, 90, 160)  # a flat square: one crisp edge all round
    image[30:32, 32:96] = image[96:98, 32:96] = 20  # and an outline on two sides
    return image


def test_only_the_bands_around_edges_are_blurred():
    image = cel_square()
    smoothed = edge_smoothing.smooth_edges(image)
    changed = np.abs(smoothed.astype(int) - image).max(axis=-1) > 0
    assert changed.any()
    near = cv2.dilate(cv2.Canny(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), 100, 200), np.ones((5, 5), np.uint8)) > 0
    assert not (changed & ~near).any()  # flat regions keep every pixel
    np.testing.assert_array_equal(smoothed[50:80, 50:80], image[50:80, 50:80])
    # across the edge the step becomes a ramp: the gradient there falls
    gradient = [np.abs(np.diff(x[64, 20:44].astype(int), axis=0)).max() for x in (image, smoothed)]
    assert gradient[1] < gradient[0] / 2


def test_the_smoothed_images_are_cached_per_dataset_size_and_paths(tmp_path):
    images = np.stack([cel_square(64), cel_square(64)[::-1]])
    first = edge_smoothing.smoothed_images(images, ["a.jpg", "b.jpg"], tmp_path, 64)
    [cache] = (tmp_path / "edge_smoothed").iterdir()
    stamp = cache.stat().st_mtime_ns
    again = edge_smoothing.smoothed_images(images, ["a.jpg", "b.jpg"], tmp_path, 64)
    np.testing.assert_array_equal(first, again)
    assert cache.stat().st_mtime_ns == stamp  # read, not rewritten
    edge_smoothing.smoothed_images(images, ["a.jpg", "c.jpg"], tmp_path, 64)  # other paths: another file
    assert len(list((tmp_path / "edge_smoothed").iterdir())) == 2


def test_disc_y_calls_the_smoothed_images_fake_with_the_weight():
    rng = np.random.default_rng(0)
    real_a, real_b, smoothed = (rng.uniform(-1, 1, (2, 8, 8, 3)).astype("float32") for _ in range(3))

    plain = tiny_trainers.copying_cyclegan().compute_losses(real_a, real_b)
    edged = tiny_trainers.copying_cyclegan(edge_promoting_weight=2.0).compute_losses(real_a, real_b, smoothed)
    assert float(edged["disc_Y_loss"]) == pytest.approx(float(plain["disc_Y_loss"]) + 0.5 * 2.0 * math.log(2))
    assert float(edged["disc_X_loss"]) == pytest.approx(float(plain["disc_X_loss"]))
    assert float(edged["gen_G_loss"]) == pytest.approx(float(plain["gen_G_loss"]))


@pytest.mark.slow
def test_a_tiny_cyclegan_trains_with_the_edge_promoting_flat_fill_and_blurred_cycle_losses(toyworld_64, tmp_path):
    config = CycleGANConfig(data=str(toyworld_64), image_size=32, base_filters=4, epochs=1, steps_per_epoch=3,
                            batch_size=2, pool_size=2, edge_promoting_weight=1.0, tv_weight=0.5, cycle_blur=1.5,
                            samples=1, onnx=False)
    model_dir = cyclegan.train(config, tmp_path / "run", verbose=0)
    model = CycleGAN.from_pretrained(model_dir)
    training = model.config["training"]
    assert training["edge_promoting_weight"] == 1.0 and training["tv_weight"] == 0.5 and training["cycle_blur"] == 1.5
    assert list((toyworld_64 / "edge_smoothed").glob("32px-*.npz"))
    with pytest.raises(ValueError, match="needs --input-pipeline arrays"):
        CycleGANConfig(data="x", edge_promoting_weight=1.0, input_pipeline="tfdata").validate()
    with pytest.raises(ValueError, match="--cycle-blur is for --objective cyclegan; cut has no cycle"):
        CycleGANConfig(data="x", objective="cut", pool_size=0, cycle_blur=1.0).validate()
