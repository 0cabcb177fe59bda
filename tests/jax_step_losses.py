"""Helper run in a subprocess with KERAS_BACKEND=jax by tests/test_jax_step.py: the JAX
step's losses on given weights and batch, before and after one training step, as JSON.

python tests/jax_step_losses.py FOLDER  (FOLDER holds the four nets' .weights.h5 and batch.npz)
"""

import json
import os
import sys
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from hub import nets  # noqa: E402
from trainer.jax_step import NETS, CycleGANStep  # noqa: E402

folder = Path(sys.argv[1])
batch = np.load(folder / "batch.npz")
networks = [nets.build_generator("resnet", 32, 4, name=name) for name in NETS[:2]]
networks += [nets.patchgan_discriminator(4, name=name) for name in NETS[2:]]
for net in networks:
    net.build((None, 32, 32, 3))
    net.load_weights(folder / f"{net.name}.weights.h5")
step = CycleGANStep(*networks, [keras.optimizers.Adam(2e-4, beta_1=0.5) for _ in range(4)], adversarial="lsgan")
trainable, non_trainable, _ = step.state
before, _ = step.losses(trainable, non_trainable, batch["a"], batch["b"])
step.step(batch["a"], batch["b"])
after, _ = step.losses(step.state[0], step.state[1], batch["a"], batch["b"])
print(json.dumps({"before": [float(v) for v in before], "after": [float(v) for v in after]}))
