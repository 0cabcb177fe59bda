"""Tiny CycleGAN and CAAE trainers at 32 px for the training-step tests, built the same way
in the test process and in the backend subprocesses (tests/helpers/jax_step_losses.py,
tests/helpers/distributed_fit.py). Nothing random happens inside their steps - ResNet generators
(no dropout), no pool, no jitter, and a CAAE prior that is a fixed function of z - so every
backend, compiler and device layout computes the same function, and results can be compared.
"""

import keras
import numpy as np

from hub import caae_nets, nets
from trainer.objectives.caae import CAAETrainer
from trainer.objectives.cyclegan import CycleGANTrainer

SIZE = 32
LABEL_WIDTHS = (2, 2)  # two one-hot groups


def cyclegan(optimizer, jit_compile):
    # Two residual blocks, not the paper's nine: the same layers, a quarter of the graph to
    # trace and compile on every backend and device layout.
    networks = [nets.resnet_generator(4, residual_blocks=2, name=name) for name in ("gen_G", "gen_F")]
    networks += [nets.patchgan_discriminator(4, name=name) for name in ("disc_X", "disc_Y")]
    trainer = CycleGANTrainer(*networks, jitter=False)
    trainer.compile(optimizer(), adversarial_loss="lsgan", jit_compile=jit_compile)
    return trainer


def caae(optimizer, jit_compile):
    label_dim = sum(LABEL_WIDTHS)
    trainer = CAAETrainer(caae_nets.encoder(SIZE, 4, 16, 3), caae_nets.decoder(SIZE, label_dim, 4, 16, 3),
                          caae_nets.latent_discriminator((16,)), caae_nets.image_discriminator(SIZE, label_dim, 4, 3),
                          label_widths=LABEL_WIDTHS, jitter=False)
    trainer.sample_prior = lambda z: keras.ops.sin(3.0 * z)  # not the backend's random numbers
    trainer.compile([optimizer() for _ in trainer.updates], jit_compile=jit_compile)
    return trainer


BUILD = {"cyclegan": cyclegan, "caae": caae}


def cyclegan_of(gen_G, gen_F, disc_X, disc_Y, pool=None, **compile_args):
    """A CycleGAN trainer of these networks, compiled with `compile_args`, for checking its
    losses; pool: a stand-in for both history pools (anything D should see instead of the
    current translations)."""
    trainer = CycleGANTrainer(gen_G, gen_F, disc_X, disc_Y, jitter=False)
    trainer.compile(keras.optimizers.Adam(), **compile_args)
    trainer.pool_X = trainer.pool_Y = pool
    return trainer


def copying_cyclegan(**compile_args):
    """A CycleGAN trainer whose generators copy their input and whose discriminators cannot
    tell (logit 0 everywhere), so its losses are known in closed form."""
    x = keras.Input((None, None, 3))
    copy = [keras.Model(x, keras.layers.Identity()(x), name=name) for name in ("gen_G", "gen_F")]
    blind = [keras.Model(x, keras.layers.Lambda(lambda t: keras.ops.zeros_like(t[:, :2, :2, :1]))(x), name=name)
             for name in ("disc_X", "disc_Y")]
    return cyclegan_of(*copy, *blind, **compile_args)


def build(model, optimizer=lambda: keras.optimizers.Adam(2e-4, beta_1=0.5), jit_compile=None):
    """A tiny trainer of `model`; XLA by default only on JAX (its fit is built for it)."""
    jit_compile = keras.backend.backend() == "jax" if jit_compile is None else jit_compile
    return BUILD[model](optimizer, jit_compile)


def networks(trainer):
    """The trainer's networks (sub-models), whose weights tests copy between processes."""
    return [layer for layer in trainer.layers if isinstance(layer, keras.Model)]


def batch(model, size, seed=0):
    """A fixed batch of `size`: CycleGAN (a, b) images, CAAE (images, one-hot labels)."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (size, SIZE, SIZE, 3)).astype(np.float32)
    if model == "cyclegan":
        return images, rng.uniform(-1, 1, (size, SIZE, SIZE, 3)).astype(np.float32)
    labels = np.concatenate([np.eye(w, dtype=np.float32)[rng.integers(0, w, size)] for w in LABEL_WIDTHS], axis=1)
    return images, labels


def save(folder, model):
    """A fresh tiny trainer's weights and a batch, into `folder`."""
    for net in networks(build(model)):
        net.save_weights(folder / f"{model}-{net.name}.weights.h5")
    np.savez(folder / f"{model}-batch.npz", *batch(model, 2))


def replay(folder, model, jit_compile=None):
    """The trainer saved in `folder`, trained on its batch by `fit`: every loss before
    training and after each step, and each optimizer's step count. The CycleGAN takes one
    step; the CAAE one pretraining step, then one adversarial step."""
    trainer = build(model, jit_compile=jit_compile)
    for net in networks(trainer):
        net.load_weights(folder / f"{model}-{net.name}.weights.h5")
    with np.load(folder / f"{model}-batch.npz") as saved:
        data = (saved["arr_0"], saved["arr_1"])

    def losses():
        tensors = [keras.ops.convert_to_tensor(x) for x in data]
        return {name: float(value) for name, value in trainer.compute_losses(*tensors).items()}

    def step():
        trainer.fit(*data, batch_size=len(data[0]), epochs=1, shuffle=False, verbose=0)
        return losses()

    record = [losses(), step()]
    if model == "caae":
        trainer.set_pretraining(False)
        record += [losses(), step()]
    members = getattr(trainer.optimizer, "members", [trainer.optimizer])
    return {"losses": record, "iterations": [int(keras.ops.convert_to_numpy(m.iterations)) for m in members]}
