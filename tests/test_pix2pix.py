"""pix2pix both ways (trainer.objectives.pix2pix): its losses on a closed case, a tiny real training
that saves a hub.CycleGAN folder, and an exact resume after SIGKILL."""

import math

import keras
import numpy as np
import pytest

from hub import auto
from hub.cyclegan import CycleGAN
from tests.helpers import training_cli
from trainer.config import Pix2PixConfig
from trainer.engine.callbacks import LossHistory
from trainer.engine.multi_loss import LOSS_NAMES
from trainer.objectives import pix2pix

TINY = ["--image-size", "32", "--base-filters", "4", "--samples", "2", "--batch-size", "2", "--no-onnx"]


def test_the_losses_are_the_conditional_gan_plus_100_l1():
    rng = np.random.default_rng(0)
    real_a, real_b = (rng.uniform(-1, 1, (2, 8, 8, 3)).astype("float32") for _ in range(2))
    seen = {}

    def network(name, channels, output):
        """A model that notes the shape it is called on and returns output(its input)."""
        def call(t):
            seen[name] = tuple(t.shape)
            return output(t)

        x = keras.Input((None, None, channels))
        return keras.Model(x, keras.layers.Lambda(call)(x), name=name)

    grey = lambda t: keras.ops.zeros_like(t)  # noqa: E731 - a generator that outputs grey
    blind = lambda t: keras.ops.zeros_like(t[:, :2, :2, :1])  # noqa: E731 - a discriminator that cannot tell: logit 0
    trainer = pix2pix.Pix2PixTrainer(network("gen_G", 3, grey), network("gen_F", 3, grey),
                                     network("disc_X", 6, blind), network("disc_Y", 6, blind), jitter=False)
    trainer.compile(keras.optimizers.Adam())
    values = {k: float(v) for k, v in trainer.compute_losses(real_a, real_b).items()}
    assert seen["disc_X"] == seen["disc_Y"] == (4, 8, 8, 6)  # (real pair, fake pair), input beside output
    assert values["gen_G_loss"] == pytest.approx(math.log(2) + 100 * np.abs(real_b).mean(), rel=1e-5)
    assert values["gen_F_loss"] == pytest.approx(math.log(2) + 100 * np.abs(real_a).mean(), rel=1e-5)
    assert values["disc_X_loss"] == pytest.approx(math.log(2)) == values["disc_Y_loss"]


def test_tv_weight_adds_the_total_variation_of_the_a2b_translations_only():
    rng = np.random.default_rng(2)
    real_a, real_b = (rng.uniform(-1, 1, (2, 8, 8, 3)).astype("float32") for _ in range(2))

    def network(name, channels, output):
        x = keras.Input((None, None, channels))
        return keras.Model(x, keras.layers.Lambda(output)(x), name=name)

    same = lambda t: t  # noqa: E731 - a generator whose translation is its input
    blind = lambda t: keras.ops.zeros_like(t[:, :2, :2, :1])  # noqa: E731 - a discriminator that cannot tell
    trainer = pix2pix.Pix2PixTrainer(network("gen_G", 3, same), network("gen_F", 3, same),
                                     network("disc_X", 6, blind), network("disc_Y", 6, blind), jitter=False)

    def losses_with(weight):
        trainer.compile(keras.optimizers.Adam(), tv_weight=weight)
        return {k: float(v) for k, v in trainer.compute_losses(real_a, real_b).items()}
    plain, flat = losses_with(0.0), losses_with(2.5)
    tv = np.abs(np.diff(real_a, axis=1)).mean() + np.abs(np.diff(real_a, axis=2)).mean()  # of G(A) = A
    assert flat["gen_G_loss"] == pytest.approx(plain["gen_G_loss"] + 2.5 * tv, rel=1e-5)
    assert flat["gen_F_loss"] == pytest.approx(plain["gen_F_loss"])
    assert trainer.objective.record() == {"objective": "pix2pix", "adversarial_loss": "bce", "lambda_l1": 100.0,
                                          "tv_weight": 2.5}
    with pytest.raises(ValueError, match="--tv-weight must be >= 0"):
        Pix2PixConfig(data="x", tv_weight=-1.0).validate()
    with pytest.raises(ValueError, match="--adversarial-loss 'hinge': choose bce, lsgan"):  # its flag's choices
        trainer.objective.replace(adversarial_loss="hinge")


def test_a_pair_keeps_one_crop_and_mirror_through_the_jitter(toyworld_64):
    config = Pix2PixConfig(data=str(toyworld_64), image_size=32, base_filters=4, epochs=1, steps_per_epoch=1)
    trainer = pix2pix.build_trainer(config)
    images = np.random.default_rng(1).integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)
    a, b = trainer.prepare_batch((images, images))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


@pytest.mark.slow
def test_tiny_training_saves_a_cyclegan_folder_that_loads_everywhere(toyworld_64, tmp_path):
    out = tmp_path / "run"
    config = Pix2PixConfig(data=str(toyworld_64), image_size=32, base_filters=4, epochs=2, steps_per_epoch=3,
                           batch_size=2, samples=2)
    model_dir = pix2pix.train(config, out, verbose=0)
    history = LossHistory.read(out / "logs" / "history.jsonl")
    assert [(row["epoch"], row["step"]) for row in history] == [(1, 3), (2, 6)]
    assert all(np.isfinite(row[name]) for row in history for name in LOSS_NAMES)
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]
    model = CycleGAN.from_pretrained(model_dir)
    assert isinstance(auto.from_pretrained(model_dir), CycleGAN)
    assert {k: d.name for k, d in model.directions.items()} == {"a2b": "3d -> 2d", "b2a": "2d -> 3d"}
    assert model.config["training"]["objective"] == "pix2pix" and model.config["training"]["pairs"] == 27
    assert model.config["training"]["tv_weight"] == 0.0  # every term of the objective, recorded
    card = (model_dir / "README.md").read_text()
    assert "trained at 32 px on paired images with pix2pix's objective (Isola et al." in card
    assert "Each row: an image of each domain, its translation, and the paired image it should give." in card
    assert model.translate_array(np.zeros((1, 64, 64, 3), np.uint8), "a2b").shape == (1, 64, 64, 3)


@pytest.mark.slow
def test_full_size_head_and_no_sample_grids(toyworld_64, tmp_path):
    out = tmp_path / "run"
    config = Pix2PixConfig(data=str(toyworld_64), image_size=32, base_filters=4, epochs=1, steps_per_epoch=2,
                           batch_size=2, samples=0, full_size_head=True, onnx=False)
    model_dir = pix2pix.train(config, out, verbose=0)
    assert not (out / "samples").exists() and not (model_dir / "samples.png").exists()
    model = CycleGAN.from_pretrained(model_dir, runtime="keras")
    assert model.config["full_size_head"] is True
    assert "full_size_conv" in [layer.name for layer in model.generators["a2b"].layers]
    assert model.translate_array(np.zeros((1, 32, 32, 3), np.uint8), "a2b").shape == (1, 32, 32, 3)


def test_data_without_pairs_fails_before_training(toyworld_64, tmp_path):
    error = training_cli.error_of("trainer.pix2pix", ["--data", str(toyworld_64), *TINY, "--domain-b",
                                                      "medium=4d", "--out", str(tmp_path / "run")])
    assert "error: no scene of split 'train'" in error
    assert not (tmp_path / "run" / "checkpoints").exists()


@pytest.mark.slow
def test_kill_and_resume_matches_an_uninterrupted_run(toyworld_64, tmp_path):
    training_cli.assert_kill_and_resume_match("trainer.pix2pix", [
        "--data", str(toyworld_64), *TINY, "--epochs", "2", "--steps-per-epoch", "6", "--checkpoint-every", "4",
        "--seed", "5"], 8, tmp_path)
