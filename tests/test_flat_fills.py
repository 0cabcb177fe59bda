"""Flat fills (hub.flat_fills): grain inside regions goes, outlines stay; a CycleGAN folder
says which directions' outputs get them, a call can say otherwise, and `python -m hub
flat-fills` and `trainer.evaluate --flat-fills` set and measure it, per direction."""

import json

import cv2
import numpy as np
import pytest

from hub import CAAE, CycleGAN, flat_fills
from hub.__main__ import main as hub_main
from tests.helpers import tiny_models
from tests.helpers.media import cel_frames
from tests.helpers.tiny_models import identity_model
from trainer import evaluate
from trainer.evaluation import outlines


def grainy_cel_frames():
    images, masks = cel_frames()
    grain = np.random.default_rng(1).normal(0, 6, images.shape)
    return np.clip(images + grain, 0, 255).astype(np.uint8), images, masks


def test_grain_inside_regions_is_averaged_away_and_the_outlines_stay():
    grainy, clean, masks = grainy_cel_frames()
    flattened = flat_fills.flatten(grainy, 128)
    before, after = outlines.look_scores(grainy, masks, clean), outlines.look_scores(flattened, masks, clean)
    assert after["flat_texture"] < before["flat_texture"] / 2
    assert after["outline_f1"] > 0.95 and after["edge_sharpness"] > 0.9
    # a region far from every line ends nearer its clean colour than the grain left it
    region = ~np.stack([np.pad(m, 3)[3:-3, 3:-3] for m in masks])  # masks are sparse: most pixels qualify
    error = lambda images: np.abs(images.astype(float) - clean)[region].mean()  # noqa: E731
    assert error(flattened) < error(grainy) / 2


def test_the_window_grows_with_the_network_size():
    # grain in 2 px blocks, as a network run at twice the size paints it: the window of a
    # 128 px network (3 px) averages it away better than a 32 px one's (1 px)
    grainy, clean, _ = grainy_cel_frames()
    coarse, target = (np.repeat(np.repeat(images[:, ::2, ::2], 2, 1), 2, 2) for images in (grainy, clean))
    error = lambda size: np.abs(flat_fills.flatten(coarse, size).astype(float) - target).mean()  # noqa: E731
    assert error(128) < 0.8 * error(32)


def test_above_128_px_a_pyramid_flattens_as_the_wider_window_did():
    # the frames at 256 px, grain in 2 px blocks: a 3 px window over a two-level pyramid
    # against the 6 px window that 256 px outputs had before (3.6x its time, bench.inference)
    grainy, clean, masks = (np.repeat(np.repeat(a, 2, 1), 2, 2) for a in grainy_cel_frames())
    assert flat_fills.window(256) == (3, 2)
    wide = np.stack([cv2.pyrMeanShiftFiltering(image, 6, flat_fills.COLOUR_DISTANCE) for image in grainy])
    grain, pyramid, before = (outlines.look_scores(images, masks, clean)
                              for images in (grainy, flat_fills.flatten(grainy, 256), wide))
    assert pyramid["flat_texture"] < min(grain["flat_texture"] / 5, 1.5 * before["flat_texture"])
    assert pyramid["outline_f1"] >= before["outline_f1"] - 0.01


@pytest.mark.slow
def test_a_folder_setting_applies_to_translate_and_a_call_overrides_it(tmp_path):
    model = tiny_models.without_onnx(tiny_models.cyclegan())  # the setting is the subject, not the export
    images = np.random.default_rng(2).integers(0, 255, (2, 32, 32, 3), np.uint8)
    raw = model.translate_array(images)
    assert not model.flat_fills
    np.testing.assert_array_equal(model.translate_array(images, flat_fills=True), flat_fills.flatten(raw, 32))
    folder = tmp_path / "model"
    model.save_pretrained(folder)
    hub_main(["flat-fills", str(folder), "a2b"])  # only towards B, the cel side
    served = CycleGAN.from_pretrained(folder, runtime="keras")
    assert served.flat_fills == ("a2b",) and json.loads((folder / "config.json").read_text())["flat_fills"] == ["a2b"]
    assert "smooths the 3d -> 2d outputs" in (folder / "README.md").read_text()
    np.testing.assert_array_equal(served.translate_array(images), flat_fills.flatten(raw, 32))
    np.testing.assert_array_equal(served.translate_array(images, flat_fills=False), raw)
    np.testing.assert_array_equal(served.translate_array(images, "2d -> 3d"), model.translate_array(images, "b2a"))
    picture = served.translate(images[0], "3d -> 2d")  # the PIL path runs at the training size, 32 px here
    np.testing.assert_array_equal(np.asarray(picture), flat_fills.flatten(raw[:1], 32)[0])
    hub_main(["flat-fills", str(folder), "none"])
    assert CycleGAN.from_pretrained(folder, runtime="keras").flat_fills == ()


@pytest.mark.slow
def test_a_caae_blends_into_flat_fills_by_its_labels_weight(tmp_path):
    folder = tmp_path / "caae"
    tiny_models.without_onnx(tiny_models.caae()).save_pretrained(folder)
    with pytest.raises(SystemExit, match="no a2b to give flat fills; choose from medium=2d, .*studio=cel"):
        hub_main(["flat-fills", str(folder), "a2b"])
    hub_main(["flat-fills", str(folder), "studio=cel"])
    model = CAAE.from_pretrained(folder, runtime="keras")
    assert model.flat_fills == ("studio=cel",)
    images = np.random.default_rng(4).integers(0, 255, (3, 32, 32, 3), np.uint8)
    latents = model.encode(images)
    labels = [{"medium=2d": 1.0, "studio=cel": w, "studio=clay": 1 - w} for w in (0.0, 0.25, 1.0)]
    raw = model.decode(latents, labels, flat_fills=False)
    served = model.decode(latents, labels)
    flat = flat_fills.flatten(raw, 32).astype(np.float32)
    np.testing.assert_array_equal(served[0], raw[0])  # no weight on cel: untouched
    np.testing.assert_array_equal(served[1], np.round(0.75 * raw[1] + 0.25 * flat[1]).astype(np.uint8))
    np.testing.assert_array_equal(served[2], flat[2].astype(np.uint8))


def test_evaluate_measures_either_setting_and_records_only_the_folders_own(toyworld_64, tmp_path, capsys):
    folder = tmp_path / "model"
    identity_model(64).save_pretrained(folder)
    raw = evaluate.main(["--model", str(folder), "--data", str(toyworld_64), "--no-style"])
    flat = evaluate.main(["--model", str(folder), "--data", str(toyworld_64), "--no-style", "--flat-fills", "a2b"])
    assert raw["flat_fills"] == [] and flat["flat_fills"] == ["a2b"]
    assert "pairs at 64 px (flat fills on a2b)" in capsys.readouterr().out
    look_raw, look_flat = raw["look"]["3d -> 2d"], flat["look"]["3d -> 2d"]
    assert look_flat["identity"] == look_raw["identity"]  # the input is scored as it is
    assert look_flat["model"]["flat_texture"] < look_raw["model"]["flat_texture"]
    assert flat["directions"]["2d -> 3d"] == raw["directions"]["2d -> 3d"]  # the other way is left alone
    with pytest.raises(SystemExit, match="python -m hub flat-fills .* a2b"):
        evaluate.main(["--model", str(folder), "--data", str(toyworld_64), "--no-style", "--flat-fills", "a2b",
                       "--record"])
    assert "flat_fills" not in json.loads((folder / "config.json").read_text())


@pytest.mark.parametrize("shape, network_size", [((64, 64), 128), ((96, 70), 256), ((61, 53), 512)])
def test_the_numpy_mean_shift_is_opencvs_pixel_for_pixel(shape, network_size):
    from hub import mean_shift

    rng = np.random.default_rng(sum(shape))
    flat = np.repeat(np.repeat(rng.integers(0, 256, (shape[0] // 8 + 1, shape[1] // 8 + 1, 3)), 8, 0), 8, 1)
    image = np.clip(flat[:shape[0], :shape[1]] + rng.integers(-12, 13, (*shape, 3)), 0, 255).astype(np.uint8)
    radius, levels = flat_fills.window(network_size)
    expected = cv2.pyrMeanShiftFiltering(image, radius, flat_fills.COLOUR_DISTANCE, maxLevel=levels)
    np.testing.assert_array_equal(mean_shift.pyr_mean_shift_filtering(image, radius, flat_fills.COLOUR_DISTANCE,
                                                                       levels), expected)
    for height, width in ((2 * shape[0], 2 * shape[1]), (2 * shape[0] - 1, 2 * shape[1] - 1)):
        np.testing.assert_array_equal(mean_shift.pyr_up(image, height, width),
                                      cv2.pyrUp(image, dstsize=(width, height)))
    np.testing.assert_array_equal(mean_shift.pyr_down(image), cv2.pyrDown(image))
