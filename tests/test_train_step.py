"""The CycleGAN training step on every path it can take: the JAX backend's step
(trainer.jax_step) against the TF step, the TF step compiled with XLA, and in bfloat16 -
each on the same weights and batch - and a whole run on the JAX backend from the CLI.
JAX runs in subprocesses (one Keras backend per process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from hub import nets
from hub.cyclegan import CycleGAN
from trainer.cyclegan import CycleGANTrainer

HELPER = Path(__file__).resolve().parent / "jax_step_losses.py"
NAMES = ("gen_G", "gen_F", "disc_X", "disc_Y")


@pytest.fixture(scope="module")
def saved_nets_and_batch(tmp_path_factory):
    """Four tiny nets' weights and a batch in a folder. ResNet generators: no dropout, so
    every path computes the same function."""
    folder = tmp_path_factory.mktemp("nets")
    keras.utils.set_random_seed(0)
    for net in build_nets():
        net.save_weights(folder / f"{net.name}.weights.h5")
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32) for _ in range(2))
    np.savez(folder / "batch.npz", a=a, b=b)
    return folder, a, b


@pytest.fixture(scope="module")
def tf_step_losses(saved_nets_and_batch):
    """The plain TF step's losses before and after its step: the reference for the others."""
    return losses_before_and_after_one_step(*saved_nets_and_batch)


def build_nets():
    networks = [nets.build_generator("resnet", 32, 4, name=name) for name in NAMES[:2]]
    return networks + [nets.patchgan_discriminator(4, name=name) for name in NAMES[2:]]


def losses_before_and_after_one_step(folder, a, b, jit_compile=False):
    networks = build_nets()
    for net in networks:
        net.load_weights(folder / f"{net.name}.weights.h5")
    trainer = CycleGANTrainer(*networks, jitter=False)
    trainer.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), adversarial="lsgan", jit_compile=jit_compile)
    before = trainer.compute_losses(a, b)
    trainer.fit(a, b, batch_size=len(a), epochs=1, shuffle=False, verbose=0)
    after = trainer.compute_losses(a, b)
    assert trainer.step == 1
    return [float(before[f"{n}_loss"]) for n in NAMES], [float(after[f"{n}_loss"]) for n in NAMES]


def test_the_jax_step_matches_the_tf_step(saved_nets_and_batch, tf_step_losses):
    pytest.importorskip("jax")
    folder, _, _ = saved_nets_and_batch
    tf_before, tf_after = tf_step_losses
    result = subprocess.run([sys.executable, str(HELPER), str(folder)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    jax_losses = json.loads(result.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(jax_losses["before"], tf_before, rtol=1e-4)
    np.testing.assert_allclose(jax_losses["after"], tf_after, rtol=1e-3)
    assert jax_losses["step"] == 1
    assert not np.allclose(tf_before, tf_after)  # the step changed the networks


def test_the_xla_compiled_tf_step_matches_the_plain_one(saved_nets_and_batch, tf_step_losses):
    plain_before, plain_after = tf_step_losses
    xla_before, xla_after = losses_before_and_after_one_step(*saved_nets_and_batch, jit_compile=True)
    np.testing.assert_allclose(xla_before, plain_before, rtol=1e-5)
    np.testing.assert_allclose(xla_after, plain_after, rtol=1e-4)
    assert not np.allclose(plain_before, plain_after)


def test_the_bfloat16_step_stays_near_the_float32_one(saved_nets_and_batch, tf_step_losses):
    f32_before, f32_after = tf_step_losses
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        assert build_nets()[0].layers[2].compute_dtype == "bfloat16"
        bf16_before, bf16_after = losses_before_and_after_one_step(*saved_nets_and_batch)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    # bfloat16 keeps 8 bits of mantissa (~0.4%); the losses average thousands of them.
    np.testing.assert_allclose(bf16_before, f32_before, rtol=0.03)
    np.testing.assert_allclose(bf16_after, f32_after, rtol=0.03)


def test_a_whole_run_on_the_jax_backend(toyworld_64, tmp_path):
    pytest.importorskip("jax")
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "trainer.cyclegan", "--data", str(toyworld_64), "--image-size", "32",
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
