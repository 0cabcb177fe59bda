"""CycleGAN training (Zhu et al., ICCV 2017), as the seed report ran it and better.

`python -m trainer.cyclegan --data DIR --domain-a medium=3d --domain-b medium=2d --out RUN_DIR`

Names follow the paper: gen_G maps domain A (X) to B (Y), gen_F maps B back to A;
disc_X judges domain A images, disc_Y domain B images.

RUN_DIR holds config.json, checkpoints/latest.npz, samples/epoch_NNN.png, logs/
(TensorBoard) and, at the end, model/ (a `hub.CycleGAN` folder).
"""

import dataclasses
import logging
import os
import time
from pathlib import Path

import keras
import tensorflow as tf

from hub import nets
from hub.cyclegan import CycleGAN as CycleGANModel
from hub.cyclegan import domain_name
from trainer import config as config_lib, losses, run
from trainer.callbacks import Checkpointing, SampleGrid, sample_grid
from trainer.config import CycleGANConfig
from trainer.data.loading import domain_paths, domain_rows, load_images, unpaired_dataset, usable_images
from trainer.data.manifest import parse_filter, summarize
from trainer.image_pool import ImagePool
from trainer.schedules import LinearDecayInSecondHalf

log = logging.getLogger("trainer.cyclegan")


class CycleGANTrainer(keras.Model):
    """The two generators and two discriminators, trained together by `fit`."""

    def __init__(self, gen_G, gen_F, disc_X, disc_Y, pool_size=0, image_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.gen_G, self.gen_F = gen_G, gen_F
        self.disc_X, self.disc_Y = disc_X, disc_Y
        # Pools of past translations for D (paper Sec. 4); None = show D the current ones.
        self.pool_X = ImagePool(pool_size, image_shape, seed=seed, name="pool_X") if pool_size else None
        self.pool_Y = ImagePool(pool_size, image_shape, seed=None if seed is None else seed + 1,
                                name="pool_Y") if pool_size else None
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("gen_G_loss", "gen_F_loss", "disc_X_loss", "disc_Y_loss")}

    def compile(self, gen_G_optimizer, gen_F_optimizer, disc_X_optimizer, disc_Y_optimizer,
                adversarial="bce", lambda_cycle=10.0, identity_weight=0.5, jit_compile=False):
        super().compile(jit_compile=jit_compile)
        self.optimizers = [gen_G_optimizer, gen_F_optimizer, disc_X_optimizer, disc_Y_optimizer]
        for optimizer, net in zip(self.optimizers, self.nets):
            optimizer.build(net.trainable_variables)  # so a checkpoint can restore their state
        self.adversarial = adversarial
        self.lambda_cycle = lambda_cycle
        self.identity_weight = identity_weight

    @property
    def nets(self):
        return (self.gen_G, self.gen_F, self.disc_X, self.disc_Y)

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def step(self):
        return int(keras.ops.convert_to_numpy(self.optimizers[0].iterations))

    def compute_losses(self, real_a, real_b, training=True):
        """Forward pass of all four networks -> the four total losses (backend-neutral)."""
        networks = {"gen_G": self.gen_G, "gen_F": self.gen_F, "disc_X": self.disc_X, "disc_Y": self.disc_Y}
        return losses.cyclegan_losses(lambda name, x: networks[name](x, training=training),
                                      real_a, real_b, self.adversarial, self.lambda_cycle, self.identity_weight,
                                      self.pool_X, self.pool_Y)

    def train_step(self, batch):
        # 1. Forward: translate both ways, cycle back, identity-map, judge (one tape).
        # 2. Each of the four losses is differentiated w.r.t. its own network only.
        # 3. The four Adam optimizers step together, as the TF tutorial.
        real_a, real_b = batch
        with tf.GradientTape(persistent=True) as tape:
            loss = self.compute_losses(real_a, real_b, training=True)
        for name, net, optimizer in zip(self.trackers, self.nets, self.optimizers):  # same order
            grads = tape.gradient(loss[name], net.trainable_variables)
            optimizer.apply_gradients(zip(grads, net.trainable_variables))
        del tape
        for name, value in loss.items():
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}


def make_optimizer(config, total_steps):
    rate = config.learning_rate
    if config.lr_decay:
        rate = LinearDecayInSecondHalf(rate, total_steps)
    return keras.optimizers.Adam(rate, beta_1=config.beta_1)


def build_trainer(config):
    """Networks, pools and optimizers for `config`, compiled and ready for `fit`."""
    keras.utils.set_random_seed(config.seed)
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if config.mixed_precision else "float32")
    gen_G = nets.build_generator(config.generator, config.image_size, config.base_filters, name="gen_G",
                                 upsample=config.upsample)
    gen_F = nets.build_generator(config.generator, config.image_size, config.base_filters, name="gen_F",
                                 upsample=config.upsample)
    disc_X = nets.patchgan_discriminator(config.base_filters, name="disc_X")
    disc_Y = nets.patchgan_discriminator(config.base_filters, name="disc_Y")
    trainer = CycleGANTrainer(gen_G, gen_F, disc_X, disc_Y, pool_size=config.pool_size,
                              image_shape=(config.image_size, config.image_size, 3), seed=config.seed)
    total = config.epochs * config.steps_per_epoch
    trainer.compile(*(make_optimizer(config, total) for _ in range(4)), adversarial=config.adversarial_loss,
                    lambda_cycle=config.lambda_cycle, identity_weight=config.identity_weight,
                    jit_compile=config.jit_compile)
    return trainer


def export_model(trainer, config, run_dir, data, samples_a, samples_b, seconds):
    """RUN_DIR/model: the generators as a `hub.CycleGAN` folder, plus a sample grid."""
    model_config = {
        "architecture": "cyclegan",
        "generator": config.generator,
        "base_filters": config.base_filters,
        "upsample": config.upsample,
        "image_size": config.image_size,
        "size_multiple": nets.size_multiple(config.generator, config.image_size),
        "domain_a": config.domain_a,
        "domain_b": config.domain_b,
        "domain_a_name": domain_name(config.domain_a),
        "domain_b_name": domain_name(config.domain_b),
        "training": {
            "dataset": os.path.basename(os.path.normpath(config.data)),
            "steps": trainer.step, "epochs": config.epochs, "batch_size": config.batch_size,
            "adversarial_loss": config.adversarial_loss, "lambda_cycle": config.lambda_cycle,
            "pool_size": config.pool_size, "seed": config.seed,
            "seconds_this_session": round(seconds, 1), "data": data,
        },
    }
    # The exported generators run in float32 whatever the training precision was.
    keras.mixed_precision.set_global_policy("float32")
    exported = {}
    for direction, source in (("a2b", trainer.gen_G), ("b2a", trainer.gen_F)):
        net = nets.build_generator(config.generator, config.image_size, config.base_filters,
                                   name=f"generator_{direction}", upsample=config.upsample)
        net.set_weights(source.get_weights())
        exported[direction] = net
    sample_image = (sample_grid(exported["a2b"], exported["b2a"], samples_a, samples_b)
                    if len(samples_a) and len(samples_b) else None)
    model_dir = Path(run_dir) / "model"
    CycleGANModel(exported["a2b"], exported["b2a"], model_config, sample_image).save_pretrained(model_dir)
    return model_dir


def train(config, run_dir, resume=False, verbose="auto"):
    """Train (or continue) the run in `run_dir`; returns the exported model folder."""
    run_dir = Path(run_dir)
    filters_a, filters_b = parse_filter(config.domain_a), parse_filter(config.domain_b)
    rows_a, rows_b = domain_rows(config.data, filters_a), domain_rows(config.data, filters_b)
    paths_a, paths_b = [r["path"] for r in rows_a], [r["path"] for r in rows_b]
    if config.steps_per_epoch == 0:  # one pass over the larger domain, fixed for the run
        config = dataclasses.replace(
            config, steps_per_epoch=max(1, max(len(paths_a), len(paths_b)) // config.batch_size))
    config_lib.save(config, run_dir / "config.json")
    log.info("domain A (%s): %d images, domain B (%s): %d images, %d steps per epoch",
             config.domain_a, len(paths_a), config.domain_b, len(paths_b), config.steps_per_epoch)

    trainer = build_trainer(config)
    run.restore(trainer, run_dir, resume)

    # Fixed images for the grids: test split if the domain has one, else the first training ones.
    # Only the few chosen test images are decoded for the check, not the whole split.
    def sample_paths(filters, fallback):
        try:
            test_paths = domain_paths(config.data, filters, split="test", check=False)
        except ValueError:
            return fallback[:config.samples]
        return usable_images(test_paths[:config.samples]) or fallback[:config.samples]

    samples_a = load_images(sample_paths(filters_a, paths_a), config.image_size)
    samples_b = load_images(sample_paths(filters_b, paths_b), config.image_size)

    start = time.perf_counter()
    callbacks = [
        Checkpointing(run.checkpoint_path(run_dir), config.checkpoint_every),
        SampleGrid(run_dir / "samples", lambda model: sample_grid(model.gen_G, model.gen_F, samples_a, samples_b)),
        keras.callbacks.TensorBoard(str(run_dir / "logs"), update_freq="epoch"),
    ]
    total_steps = config.epochs * config.steps_per_epoch

    def make_dataset(first_step, steps):
        return unpaired_dataset(paths_a, paths_b, config.image_size, config.batch_size, config.seed,
                                first_step=first_step, steps=steps)

    run.fit_until(trainer, make_dataset, config.steps_per_epoch, total_steps, callbacks, verbose)
    data = {config.domain_a: summarize(rows_a), config.domain_b: summarize(rows_b)}
    return export_model(trainer, config, run_dir, data, samples_a, samples_b, time.perf_counter() - start)


def main(argv=None):
    run.main(argv, "trainer.cyclegan", __doc__, CycleGANConfig, train)


if __name__ == "__main__":
    main()
