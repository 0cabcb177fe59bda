"""CUT and FastCUT (trainer.objectives.cut, `python -m trainer.cyclegan --objective cut|fastcut`):
PatchNCE against a naive loop, tiny real trainings that save a hub.CycleGAN folder, and an
exact resume after SIGKILL."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from hub import auto
from hub.cyclegan import CycleGAN
from hub.generators import GENERATORS
from tests.helpers import training_cli
from trainer.config import CycleGANConfig
from trainer.engine.objective import Objective
from trainer.objectives import cut, cyclegan, losses

TINY = ["--image-size", "32", "--base-filters", "4", "--samples", "2", "--batch-size", "2",
        "--adversarial-loss", "lsgan", "--no-onnx"]


def unit_rows(rng, shape):
    x = rng.normal(size=shape).astype("float32")
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_patch_nce_equals_a_naive_loop_and_treats_the_key_as_a_fixed_target():
    rng = np.random.default_rng(0)
    query, key = unit_rows(rng, (2, 6, 5)), unit_rows(rng, (2, 6, 5))
    naive = []
    for b in range(2):  # each output patch picks its own input patch among the image's six
        for s in range(6):
            logits = np.array([query[b, s] @ key[b, t] for t in range(6)]) / 0.07
            naive.append(np.log(np.exp(logits).sum()) - logits[s])
    assert float(losses.patch_nce_loss(query, key, 0.07)) == pytest.approx(np.mean(naive), rel=1e-5)
    q, k = tf.Variable(query), tf.Variable(key)
    with tf.GradientTape() as tape:
        value = losses.patch_nce_loss(q, k, 0.07)
    grad_q, grad_k = tape.gradient(value, [q, k])
    assert np.abs(grad_q.numpy()).sum() > 0 and grad_k is None
    # matching patches (query = key) score far lower than unrelated ones
    assert float(losses.patch_nce_loss(key, key)) < 0.5 * float(losses.patch_nce_loss(query, key))


@pytest.mark.parametrize("objective, identity, generator", [("cut", True, "unet"), ("fastcut", False, "light")])
@pytest.mark.slow
def test_the_objectives_train_both_generators_and_their_heads(toyworld_64, objective, identity, generator):
    config = CycleGANConfig(data=str(toyworld_64), image_size=32, base_filters=4, batch_size=2, epochs=1,
                            steps_per_epoch=2, objective=objective, adversarial_loss="lsgan",
                            input_pipeline="arrays", tv_weight=0.5, generator=generator, upsample="resize")
    trainer = cyclegan.build_trainer(config)
    assert isinstance(trainer, cut.CUTTrainer) and trainer.identity_nce is identity and trainer.objective.tv_weight == 0.5
    assert trainer.lambda_nce == cut.OBJECTIVES[objective]["lambda_nce"]
    assert len(trainer.heads["gen_G"]) == len(GENERATORS[generator].encoder_layers) == 5
    before = [v.numpy().copy() for v in trainer.trainable_variables]
    images = np.random.default_rng(1).integers(0, 255, (2, 32, 32, 3), np.uint8)
    history = trainer.fit(tf.data.Dataset.from_tensors((images, images)).repeat(2), epochs=1, verbose=0,
                          shuffle=False)
    assert all(np.isfinite(history.history[name]).all() for name in ("gen_G_loss", "nce_G", "disc_Y_loss"))
    changed = {id(v) for v, old in zip(trainer.trainable_variables, before) if not np.allclose(v.numpy(), old)}
    for net in (trainer.gen_G, trainer.gen_F, trainer.disc_X, trainer.disc_Y, *trainer.heads["gen_G"],
                *trainer.heads["gen_F"]):
        assert any(id(v) in changed for v in net.trainable_variables), net.name


@pytest.mark.slow
def test_a_tiny_fastcut_run_saves_a_cyclegan_folder_and_resumes_exactly_after_sigkill(toyworld_64, tmp_path):
    straight, _ = training_cli.assert_kill_and_resume_match("trainer.cyclegan", [
        "--data", str(toyworld_64), *TINY, "--objective", "fastcut", "--epochs", "2", "--steps-per-epoch", "4",
        "--checkpoint-every", "3", "--seed", "4"], 6, tmp_path)
    model = CycleGAN.from_pretrained(straight / "model")
    assert isinstance(auto.from_pretrained(straight / "model"), CycleGAN)
    assert model.config["training"]["objective"] == "fastcut" and model.config["training"]["lambda_nce"] == 10.0
    assert model.translate_array(np.zeros((1, 32, 64, 3), np.uint8), "b2a").shape == (1, 32, 64, 3)


def test_the_pool_is_refused_for_cut():
    with pytest.raises(ValueError, match="--pool-size is for --objective cyclegan"):
        CycleGANConfig(data="x", objective="cut", pool_size=50).validate()
    keras.backend.clear_session()


def test_the_nce_flags_reach_the_trainer_and_are_refused_for_the_cycle():
    config = CycleGANConfig(data="x", image_size=32, base_filters=4, objective="fastcut", nce_weight=3.0,
                            nce_patches=16, nce_temperature=0.2, nce_idt="on", flip_equivariance="off",
                            nce_layers="image,down1_act")
    config.validate()
    trainer = cyclegan.build_trainer(config)
    assert (trainer.lambda_nce, trainer.patches, trainer.temperature) == (3.0, 16, 0.2)
    assert trainer.identity_nce is True and trainer.flip_equivariance is False
    assert len(trainer.heads["gen_G"]) == 2
    defaults = cut.settings(Objective.of(CycleGANConfig(data="x", objective="fastcut")), "unet")
    assert (defaults["lambda_nce"], defaults["identity_nce"], defaults["flip_equivariance"]) == (10.0, False, True)
    with pytest.raises(ValueError, match="no layer nope"):
        cyclegan.build_trainer(dataclasses.replace(config, nce_layers="image,nope"))
    with pytest.raises(ValueError, match="--nce-patches, --flip-equivariance: for --objective cut or fastcut"):
        CycleGANConfig(data="x", nce_patches=64, flip_equivariance="on").validate()
    keras.backend.clear_session()
