"""Helper run in a subprocess with KERAS_BACKEND=jax by tests/test_jax_step.py: the JAX
step's losses on given weights and batch, before and after one step of `fit`, as JSON.

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
from trainer.cyclegan import CycleGANTrainer  # noqa: E402

folder = Path(sys.argv[1])
batch = np.load(folder / "batch.npz")
networks = [nets.build_generator("resnet", 32, 4, name=name) for name in ("gen_G", "gen_F")]
networks += [nets.patchgan_discriminator(4, name=name) for name in ("disc_X", "disc_Y")]
for net in networks:
    net.build((None, 32, 32, 3))
    net.load_weights(folder / f"{net.name}.weights.h5")
trainer = CycleGANTrainer(*networks, jitter=False)
trainer.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), adversarial="lsgan", jit_compile=True)
before = trainer.compute_losses(batch["a"], batch["b"])
trainer.fit(batch["a"], batch["b"], batch_size=len(batch["a"]), epochs=1, shuffle=False, verbose=0)
after = trainer.compute_losses(batch["a"], batch["b"])
names = [name for name, _ in trainer.trained_losses()]
print(json.dumps({"before": [float(before[n]) for n in names], "after": [float(after[n]) for n in names],
                  "step": trainer.step}))
