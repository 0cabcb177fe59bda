"""Helper run in a subprocess by tests/test_distribute.py: build a tiny CycleGAN trainer
(ResNet generators and no jitter, so nothing random happens in a step), fit it for two
steps of a global batch of 4 on fixed images, and save how far its weights moved to OUT.npz.

python tests/distributed_fit.py OUT [--devices N] [--distribute]

The backend comes from KERAS_BACKEND; --devices N makes N virtual CPU devices (TF logical
devices, or XLA's host platform device count on JAX); TF_CONFIG, when set, makes this
process one worker of a multi-worker run.
"""

import argparse
import os
import sys
from contextlib import nullcontext
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--devices", type=int, default=1)
parser.add_argument("--distribute", action="store_true")
args = parser.parse_args()
if os.environ.get("KERAS_BACKEND") == "jax":
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={args.devices}"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.devices)

from hub import nets  # noqa: E402
from trainer import distribute  # noqa: E402
from trainer.cyclegan import CycleGANTrainer  # noqa: E402

scope, replicas = distribute.replicas_scope(4) if args.distribute else (nullcontext(), 1)
keras.utils.set_random_seed(0)
with scope:
    networks = [nets.build_generator("resnet", 32, 4, name=name) for name in ("gen_G", "gen_F")]
    networks += [nets.patchgan_discriminator(4, name=name) for name in ("disc_X", "disc_Y")]
    trainer = CycleGANTrainer(*networks, jitter=False)
    # SGD: a step is linear in the gradients, so rounding (the order replicas sum in) stays
    # tiny, while a gradient counted twice or halved would double or halve the step.
    trainer.compile(keras.optimizers.SGD(0.01), adversarial="lsgan",
                    jit_compile=keras.backend.backend() == "jax")
start = [keras.ops.convert_to_numpy(v) for v in trainer.trainable_variables]
rng = np.random.default_rng(0)
a, b = (rng.uniform(-1, 1, (8, 32, 32, 3)).astype(np.float32) for _ in range(2))
history = trainer.fit(a, b, batch_size=4, epochs=1, shuffle=False, verbose=0)
np.savez(args.out, replicas=replicas, step=trainer.step,
         **{f"u{i}": keras.ops.convert_to_numpy(v) - w for i, (v, w) in enumerate(zip(trainer.trainable_variables, start))})
print("losses", {k: float(v[-1]) for k, v in history.history.items()})
