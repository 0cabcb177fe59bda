"""The training steps of both trainers on every path they can take: the JAX backend's step
(trainer.engine.jax_step) against the TF step, the TF step compiled with XLA, and in bfloat16 -
each on the same weights and batch (tests/helpers/tiny_trainers.py) - and whole runs on the JAX
backend from the CLI. JAX runs in subprocesses (one Keras backend per process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from hub.caae import CAAE
from hub.cyclegan import CycleGAN
from tests.helpers import tiny_trainers
from trainer.engine.callbacks import LossHistory

ROOT = Path(__file__).resolve().parents[1]
MODELS = list(tiny_trainers.BUILD)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A folder with each tiny trainer's weights and batch."""
    folder = tmp_path_factory.mktemp("trainers")
    keras.utils.set_random_seed(0)
    for model in MODELS:
        tiny_trainers.save(folder, model)
    return folder


@pytest.fixture(scope="module")
def tf_replays(saved):
    """The plain TF step's record for each model: the reference for the other paths."""
    return {model: tiny_trainers.replay(saved, model) for model in MODELS}


def assert_same_losses(got, want, rtol_before, rtol_after):
    """Loss records of one replay against another: the same losses, close at every point."""
    assert [sorted(r) for r in got] == [sorted(r) for r in want]
    for i, (g, w) in enumerate(zip(got, want)):
        names = sorted(w)
        np.testing.assert_allclose([g[n] for n in names], [w[n] for n in names],
                                   rtol=rtol_before if i == 0 else rtol_after, err_msg=f"record {i}: {names}")


@pytest.mark.slow
def test_the_tf_steps_train_each_network_with_its_own_optimizer(tf_replays):
    assert tf_replays["cyclegan"]["iterations"] == [1]  # one Adam for all four networks
    # The CAAE's discriminators rest while pretraining, so their Adams start a step later.
    assert tf_replays["caae"]["iterations"] == [2, 1, 1]
    for replay in tf_replays.values():
        first, *later = replay["losses"]
        assert all(first[n] != later[0][n] for n in first)  # the first step changed every loss


@pytest.mark.slow
def test_the_jax_step_matches_the_tf_step(saved, tf_replays):
    pytest.importorskip("jax")
    result = subprocess.run([sys.executable, "-m", "tests.helpers.jax_step_losses", str(saved)], capture_output=True,
                            text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    jax_replays = json.loads(result.stdout.strip().splitlines()[-1])
    for model in MODELS:
        assert jax_replays[model]["iterations"] == tf_replays[model]["iterations"]
        assert_same_losses(jax_replays[model]["losses"], tf_replays[model]["losses"], 1e-4, 1e-3)


@pytest.mark.slow
def test_the_xla_compiled_tf_step_matches_the_plain_one(saved, tf_replays):
    xla = tiny_trainers.replay(saved, "cyclegan", jit_compile=True)
    assert_same_losses(xla["losses"], tf_replays["cyclegan"]["losses"], 1e-5, 1e-4)


@pytest.mark.slow
def test_the_bfloat16_step_stays_near_the_float32_one(saved, tf_replays, mixed_bfloat16):
    assert tiny_trainers.build("cyclegan").gen_G.layers[2].compute_dtype == "bfloat16"
    bf16 = tiny_trainers.replay(saved, "cyclegan")
    # bfloat16 keeps 8 bits of mantissa (~0.4%); the losses average thousands of them.
    assert_same_losses(bf16["losses"], tf_replays["cyclegan"]["losses"], 0.03, 0.03)


@pytest.mark.slow
def test_a_whole_run_on_the_jax_backend(toyworld_64, tmp_path):
    pytest.importorskip("jax")
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "trainer.objectives.cyclegan", "--data", str(toyworld_64), "--image-size", "32",
         "--base-filters", "4", "--samples", "2", "--epochs", "2", "--steps-per-epoch", "2", "--batch-size", "2",
         "--pool-size", "2", "--out", str(out)],
        env={**os.environ, "KERAS_BACKEND": "jax"}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "input: arrays" in result.stderr  # no tf.data on JAX
    assert json.loads((out / "config.json").read_text())["input_pipeline"] == "arrays"
    assert (out / "samples" / "epoch_002.png").is_file()
    model = CycleGAN.from_pretrained(out / "model", runtime="keras")  # loads here, on TensorFlow
    assert model.config["training"]["steps"] == 4
    assert all(np.isfinite(w).all() for w in model.generators["a2b"].get_weights())
    # No TensorFlow writer is needed for the loss history.
    assert [row["step"] for row in LossHistory.read(out / "logs" / "history.jsonl")] == [2, 4]


@pytest.mark.slow
def test_a_whole_caae_run_on_the_jax_backend(toyworld_64, tmp_path):
    pytest.importorskip("jax")
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "trainer.objectives.caae", "--data", str(toyworld_64), "--image-size", "32", "--base-filters", "4",
         "--latent-dim", "16", "--stages", "3", "--samples", "2", "--pretrain-epochs", "1", "--epochs", "1",
         "--steps-per-epoch", "2", "--batch-size", "4", "--out", str(out)],
        env={**os.environ, "KERAS_BACKEND": "jax"}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "input: arrays" in result.stderr
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]
    model = CAAE.from_pretrained(out / "model")  # loads here, on TensorFlow
    assert (model.config["training"]["steps"], model.config["training"]["pretrain_steps"]) == (4, 2)
    assert all(np.isfinite(w).all() for w in model.decoder.get_weights())
    # The adversarial epoch logs the discriminators' losses too, in the same file.
    pretraining, adversarial = LossHistory.read(out / "logs" / "history.jsonl")
    assert "disc_img_loss" not in pretraining and np.isfinite(adversarial["disc_img_loss"])
