"""CycleGAN training (Zhu et al., ICCV 2017), as the seed report ran it and better, and
the unpaired objectives that share its runs (--objective cut | fastcut: trainer.objectives.cut).

`python -m trainer.cyclegan --data DIR --domain-a medium=3d --domain-b medium=2d --out RUN_DIR`

Names follow the paper: gen_G maps domain A (X) to B (Y), gen_F maps B back to A;
disc_X judges domain A images, disc_Y domain B images.

RUN_DIR holds config.json, checkpoints/latest.npz, samples/epoch_NNN.png, logs/
(TensorBoard) and, at the end, model/ (a `hub.CycleGAN` folder).
"""

import dataclasses
import logging

import keras
import numpy as np
from keras import ops

from hub.imaging import from_uint8
from trainer.config import CycleGANConfig
from trainer.data import arrays
from trainer.data.domains import sample_paths, two_domains
from trainer.data.manifest import summarize
from trainer.engine import builders, distribute, run
from trainer.engine.augment import device_jitter
from trainer.engine.callbacks import sample_grid
from trainer.engine.image_pool import ImagePool
from trainer.engine.multi_loss import LOSS_NAMES, TwoWayTrainer
from trainer.engine.objective import Objective
from trainer.objectives import cut, edge_smoothing, losses

log = logging.getLogger("trainer.cyclegan")


class CycleGANTrainer(TwoWayTrainer):
    """The two generators and two discriminators, trained together by `fit` on either
    backend (trainer.engine.multi_loss), each by its own loss."""

    def __init__(self, gen_G, gen_F, disc_X, disc_Y, pool_size=0, image_shape=None, seed=None, jitter=True,
                 **kwargs):
        super().__init__(gen_G, gen_F, disc_X, disc_Y, **kwargs)
        # Pools of past translations for D (paper Sec. 4); None = show D the current ones.
        self.pool_X = ImagePool(pool_size, image_shape, seed=seed, name="pool_X") if pool_size else None
        self.pool_Y = ImagePool(pool_size, image_shape, seed=None if seed is None else seed + 1,
                                name="pool_Y") if pool_size else None
        # Batches arrive as uint8 and are jittered here, on the device; jitter=False takes
        # float batches in [-1, 1] as they are (tests comparing backends).
        self.jitter = device_jitter(jitter, None if seed is None else seed + 2)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in LOSS_NAMES}
        self.built = True  # every part exists now; fit need not trace a call() to build it

    def compile(self, optimizer, objective=None, jit_compile=False, **terms):
        """One Adam for all four networks: Adam works per weight, so this is the tutorial's
        four equal optimizers in one (and one set of optimizer variables for Keras' JAX fit).
        objective: what the losses read (trainer.engine.objective; default: CycleGANConfig's), with
        `terms` changed."""
        super().compile(optimizer=optimizer, jit_compile=jit_compile)
        optimizer.build(self.trainable_variables)  # so a checkpoint can restore its state
        self.objective = (objective or Objective.of(CycleGANConfig())).replace(**terms)

    def compute_losses(self, real_a, real_b, smoothed_b=None, training=True):
        """The four losses of one step (Zhu et al. 2017, Sec. 3-4), from one forward pass that
        the TF and JAX steps share -> {name_loss: scalar}. smoothed_b: domain B images with
        their edges blurred (trainer.objectives.edge_smoothing), for the edge-promoting term.

        Images that go through the same network go in one call, stacked along the batch
        (instance norm is per image, so this computes what separate calls would): four
        generator calls and two discriminator calls instead of the tutorial's ten, and each
        discriminator judges a translation once, for its own loss and the generator's.
        """
        def stacked(net, *batches):
            return ops.split(net(ops.concatenate(batches, axis=0), training=training), len(batches), axis=0)

        # 1. G: A -> B and F: B -> A translate, map their own domain (for the identity
        #    term) and translate back (for the cycle).
        fake_b, same_b = stacked(self.gen_G, real_a, real_b)  # (B, H, W, 3) each, in [-1, 1]
        fake_a, same_a = stacked(self.gen_F, real_b, real_a)
        cycled_a, cycled_b = self.gen_F(fake_b, training=training), self.gen_G(fake_a, training=training)

        # 2. D_X and D_Y judge real images and translations - D the pooled ones (paper, Sec. 4),
        #    G its current ones; D_Y also B's edge-smoothed images, as fakes (CartoonGAN).
        #    Each loss trains only its own networks, so D's loss needs no stop_gradient.
        def judged(disc, real, fake, pool, *extra):
            """-> (real logits, the fakes' logits for D, the fakes' logits for G, *extra's)."""
            if pool is None:
                real_logits, fake_logits, *rest = stacked(disc, real, fake, *extra)
                return (real_logits, fake_logits, fake_logits, *rest)
            return stacked(disc, real, pool(fake), fake, *extra)

        real_x, pooled_x, fake_x = judged(self.disc_X, real_a, fake_a, self.pool_X)
        real_y, pooled_y, fake_y, *smoothed_y = judged(self.disc_Y, real_b, fake_b, self.pool_Y,
                                                       *([] if smoothed_b is None else [smoothed_b]))

        # 3. The losses: D's adversarial ones; each G's adversarial, cycle and identity terms
        #    (and G's total variation, --tv-weight).
        o = self.objective
        disc_X_loss = losses.discriminator_loss(real_x, pooled_x, o.adversarial_loss)
        disc_Y_loss = losses.discriminator_loss(real_y, pooled_y, o.adversarial_loss)
        if smoothed_y:
            disc_Y_loss += losses.edge_promoting_loss(smoothed_y[0], o.edge_promoting_weight, o.adversarial_loss)
        cycle = (losses.cycle_loss(real_a, cycled_a, o.lambda_cycle, o.cycle_blur)
                 + losses.cycle_loss(real_b, cycled_b, o.lambda_cycle, o.cycle_blur))
        gen_G_loss = (losses.generator_adversarial_loss(fake_y, o.adversarial_loss) + cycle
                      + losses.identity_loss(real_b, same_b, o.lambda_cycle, o.identity_weight)
                      + losses.flat_fill_loss(fake_b, o.tv_weight))
        gen_F_loss = (losses.generator_adversarial_loss(fake_x, o.adversarial_loss) + cycle
                      + losses.identity_loss(real_a, same_a, o.lambda_cycle, o.identity_weight))
        return {"gen_G_loss": gen_G_loss, "gen_F_loss": gen_F_loss, "disc_X_loss": disc_X_loss,
                "disc_Y_loss": disc_Y_loss}


def build_trainer(config):
    """Networks, pool, jitter and optimizer for `config`, compiled and ready for `fit`
    (under --distribute, inside the strategy's scope); a trainer.objectives.cut.CUTTrainer for
    --objective cut / fastcut."""
    builders.seed_and_precision(config)
    objective = Objective.of(config)
    with distribute.trainer_scope(config):
        gen_G, gen_F = (builders.generator(config, name) for name in ("gen_G", "gen_F"))
        disc_X, disc_Y = (builders.discriminator(config, name) for name in ("disc_X", "disc_Y"))
        if objective.name != "cyclegan":
            trainer = cut.CUTTrainer(gen_G, gen_F, disc_X, disc_Y, objective, config.generator, seed=config.seed,
                                     jitter=builders.jitter_options(config))
            trainer.compile(builders.optimizer(config), jit_compile=builders.jit_compile(config))
            return trainer
        trainer = CycleGANTrainer(gen_G, gen_F, disc_X, disc_Y, pool_size=config.pool_size,
                                  image_shape=(config.image_size, config.image_size, 3), seed=config.seed,
                                  jitter=builders.jitter_options(config))
        trainer.compile(builders.optimizer(config), objective, jit_compile=builders.jit_compile(config))
    return trainer


def card_objective(config):
    """What the card says of the objective a CycleGANConfig trained: the Objective's record,
    with CUT's settings as they were resolved."""
    objective = Objective.of(config)
    if objective.name == "cyclegan":
        return {"preset": config.preset, **objective.record(), "pool_size": config.pool_size}
    return {"preset": config.preset, **objective.record(), **cut.settings(objective, config.generator)}


class Unpaired(run.Recipe):
    """A CycleGAN or CUT run: the images of two domains, unpaired."""

    def prepare(self, config):
        domain_a, domain_b, rows_a, rows_b = two_domains(config.data, config.domain_a, config.domain_b,
                                                         config.batch_size)
        config = dataclasses.replace(config, domain_a=domain_a, domain_b=domain_b)
        paths_a, paths_b = [r["path"] for r in rows_a], [r["path"] for r in rows_b]
        log.info("domain A (%s): %d images, domain B (%s): %d images", domain_a, len(paths_a), domain_b, len(paths_b))

        def sample_images(tags, fallback):
            paths = sample_paths(config.data, tags, config.samples, fallback)
            return from_uint8(arrays.decode_all(paths, config.image_size)) if paths else np.zeros((0,))

        samples = (sample_images(domain_a, paths_a), sample_images(domain_b, paths_b))
        data = {"rows": (rows_a, rows_b), "paths": (paths_a, paths_b), "samples": samples}
        return config, data, max(len(paths_a), len(paths_b))  # an epoch: the larger domain once

    def build(self, config, data):
        return build_trainer(config)

    def sample_grid(self, config, data):
        return lambda model: sample_grid(model.gen_G, model.gen_F, *data["samples"])

    def batches(self, config, data):
        paths_a, paths_b = data["paths"]
        if config.input_pipeline == "arrays":
            arrays.require_memory(len(paths_a) + len(paths_b), config.image_size)  # both domains together
            images_a, images_b = (arrays.decode_all(paths, config.image_size) for paths in (paths_a, paths_b))
            # B's stream: its images, and with the edge-promoting loss each one edge-smoothed
            stream_b = (images_b,) if not config.edge_promoting_weight else (
                images_b, edge_smoothing.smoothed_images(images_b, paths_b, config.data, config.image_size))
            return builders.array_batches(config, [(images_a,), stream_b])
        from trainer.data.loading import unpaired_dataset  # imports tensorflow

        def make_dataset(first_step, steps):
            return unpaired_dataset(paths_a, paths_b, config.image_size, config.batch_size, config.seed,
                                    first_step=first_step, steps=steps)
        return make_dataset

    def export(self, trainer, config, run_dir, data, seconds):
        rows_a, rows_b = data["rows"]
        samples_a, samples_b = data["samples"]

        def final_grid(gen_a2b, gen_b2a):
            return sample_grid(gen_a2b, gen_b2a, samples_a, samples_b) if len(samples_a) and len(samples_b) else None

        return builders.export_cyclegan(trainer, config, run_dir,
                                        {config.domain_a: summarize(rows_a), config.domain_b: summarize(rows_b)},
                                        final_grid, seconds, card_objective(config))


def train(config, run_dir, resume=False, verbose="auto", from_epoch=None):
    """Train (or continue) the run in `run_dir`; returns the exported model folder."""
    return run.train(Unpaired(), config, run_dir, resume, verbose, from_epoch)


def main(argv=None):
    run.main(argv, "trainer.cyclegan", __doc__, CycleGANConfig, train)


if __name__ == "__main__":
    main()
