"""trainer.jax_step (the JAX backend's CycleGAN step) against the TF step: the same four
losses on the same weights and batch, and the same losses after one step of all four
Adam optimizers. The JAX side runs in a subprocess (one Keras backend per process)."""

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from hub import nets
from trainer.cyclegan import CycleGANTrainer

pytest.importorskip("jax")
HELPER = Path(__file__).resolve().parent / "jax_step_losses.py"
NAMES = ("gen_G", "gen_F", "disc_X", "disc_Y")


def test_the_jax_step_matches_the_tf_step(tmp_path):
    keras.utils.set_random_seed(0)
    # ResNet generators: no dropout, so both backends compute the same function.
    networks = [nets.build_generator("resnet", 32, 4, name=name) for name in NAMES[:2]]
    networks += [nets.patchgan_discriminator(4, name=name) for name in NAMES[2:]]
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32) for _ in range(2))
    np.savez(tmp_path / "batch.npz", a=a, b=b)
    for net in networks:
        net.save_weights(tmp_path / f"{net.name}.weights.h5")

    trainer = CycleGANTrainer(*networks)
    trainer.compile(*(keras.optimizers.Adam(2e-4, beta_1=0.5) for _ in range(4)), adversarial="lsgan")
    before = trainer.compute_losses(a, b)
    trainer.train_step((a, b))
    after = trainer.compute_losses(a, b)

    result = subprocess.run([sys.executable, str(HELPER), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    jax_losses = json.loads(result.stdout.strip().splitlines()[-1])
    tf_before = [float(before[f"{n}_loss"]) for n in NAMES]
    tf_after = [float(after[f"{n}_loss"]) for n in NAMES]
    np.testing.assert_allclose(jax_losses["before"], tf_before, rtol=1e-4)
    np.testing.assert_allclose(jax_losses["after"], tf_after, rtol=1e-3)
    assert not np.allclose(tf_before, tf_after)  # the step changed the networks
