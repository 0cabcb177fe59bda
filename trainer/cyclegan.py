"""CycleGAN training (Zhu et al., ICCV 2017), as the seed report ran it and better, and
the unpaired objectives that share its runs (--objective cut | fastcut: trainer.cut).

`python -m trainer.cyclegan --data DIR --domain-a medium=3d --domain-b medium=2d --out RUN_DIR`

Names follow the paper: gen_G maps domain A (X) to B (Y), gen_F maps B back to A;
disc_X judges domain A images, disc_Y domain B images.

RUN_DIR holds config.json, checkpoints/latest.npz, samples/epoch_NNN.png, logs/
(TensorBoard) and, at the end, model/ (a `hub.CycleGAN` folder).
"""

from trainer.cli import help_if_asked  # noqa: E402 - before Keras: `--help` answers without TensorFlow
from trainer.config import CycleGANConfig  # noqa: E402

help_if_asked(__name__, "trainer.cyclegan", __doc__, CycleGANConfig)

import dataclasses
import logging
import time

import keras
import numpy as np
from keras import ops

from hub import nets
from hub.cyclegan import CycleGAN as CycleGANModel
from hub.directions import domain_name
from hub.imaging import from_uint8
from trainer import distribute, edge_smoothing, losses, run
from trainer.augment import device_jitter
from trainer.callbacks import sample_grid
from trainer.data import arrays
from trainer.data.manifest import summarize
from trainer.image_pool import ImagePool
from trainer.multi_loss import LOSS_NAMES, TwoWayTrainer
from trainer.schedules import learning_rate

log = logging.getLogger("trainer.cyclegan")


class CycleGANTrainer(TwoWayTrainer):
    """The two generators and two discriminators, trained together by `fit` on either
    backend (trainer.multi_loss), each by its own loss."""

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

    def compile(self, optimizer, adversarial="bce", lambda_cycle=10.0, identity_weight=0.5, edge_weight=0.0,
                tv_weight=0.0, cycle_blur=0.0, jit_compile=False):
        """One Adam for all four networks: Adam works per weight, so this is the tutorial's
        four equal optimizers in one (and one set of optimizer variables for Keras' JAX fit)."""
        super().compile(optimizer=optimizer, jit_compile=jit_compile)
        optimizer.build(self.trainable_variables)  # so a checkpoint can restore its state
        self.adversarial = adversarial
        self.lambda_cycle = lambda_cycle
        self.identity_weight = identity_weight
        self.edge_weight = edge_weight
        self.tv_weight = tv_weight
        self.cycle_blur = cycle_blur

    def compute_losses(self, real_a, real_b, smoothed_b=None, training=True):
        """The four losses of one step (Zhu et al. 2017, Sec. 3-4), from one forward pass that
        the TF and JAX steps share -> {name_loss: scalar}. smoothed_b: domain B images with
        their edges blurred (trainer.edge_smoothing), for the edge-promoting term.

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
        adversarial = self.adversarial
        disc_X_loss = losses.discriminator_loss(real_x, pooled_x, adversarial)
        disc_Y_loss = losses.discriminator_loss(real_y, pooled_y, adversarial)
        if smoothed_y:
            disc_Y_loss += losses.edge_promoting_loss(smoothed_y[0], self.edge_weight, adversarial)
        cycle = (losses.cycle_loss(real_a, cycled_a, self.lambda_cycle, self.cycle_blur)
                 + losses.cycle_loss(real_b, cycled_b, self.lambda_cycle, self.cycle_blur))
        gen_G_loss = (losses.generator_adversarial_loss(fake_y, adversarial) + cycle
                      + losses.identity_loss(real_b, same_b, self.lambda_cycle, self.identity_weight)
                      + losses.flat_fill_loss(fake_b, self.tv_weight))
        gen_F_loss = (losses.generator_adversarial_loss(fake_x, adversarial) + cycle
                      + losses.identity_loss(real_a, same_a, self.lambda_cycle, self.identity_weight))
        return {"gen_G_loss": gen_G_loss, "gen_F_loss": gen_F_loss, "disc_X_loss": disc_X_loss,
                "disc_Y_loss": disc_Y_loss}


def make_optimizer(config):
    return keras.optimizers.Adam(learning_rate(config), beta_1=config.beta_1)


def build_generator(config, name):
    """The generator the config of a CycleGAN or pix2pix run describes."""
    return nets.build_generator(config.generator, config.image_size, config.base_filters, name=name,
                                upsample=config.upsample, full_size_head=config.full_size_head)


def build_trainer(config):
    """Networks, pool, jitter and optimizer for `config`, compiled and ready for `fit`
    (under --distribute, inside the strategy's scope); a trainer.cut.CUTTrainer for
    --objective cut / fastcut."""
    run.seed_and_precision(config)
    with distribute.trainer_scope(config):
        gen_G, gen_F = (build_generator(config, name) for name in ("gen_G", "gen_F"))
        disc_X, disc_Y = (run.discriminator(config, name) for name in ("disc_X", "disc_Y"))
        optimizer = make_optimizer(config)
        if config.objective != "cyclegan":
            from trainer import cut  # it imports this module

            settings = cut.settings(config)
            trainer = cut.CUTTrainer(gen_G, gen_F, disc_X, disc_Y, config.generator, settings["identity_nce"],
                                     seed=config.seed, jitter=run.jitter_options(config), layers=settings["layers"],
                                     patches=settings["patches"], temperature=settings["temperature"],
                                     flip_equivariance=settings["flip_equivariance"])
            trainer.compile(optimizer, adversarial=config.adversarial_loss, lambda_nce=settings["lambda_nce"],
                            edge_weight=config.edge_promoting_weight, tv_weight=config.tv_weight,
                            jit_compile=run.jit_compile(config))
            return trainer
        trainer = CycleGANTrainer(gen_G, gen_F, disc_X, disc_Y, pool_size=config.pool_size,
                                  image_shape=(config.image_size, config.image_size, 3), seed=config.seed,
                                  jitter=run.jitter_options(config))
        trainer.compile(optimizer, adversarial=config.adversarial_loss, lambda_cycle=config.lambda_cycle,
                        identity_weight=config.identity_weight, edge_weight=config.edge_promoting_weight,
                        tv_weight=config.tv_weight, cycle_blur=config.cycle_blur, jit_compile=run.jit_compile(config))
    return trainer


def _objective_settings(config):
    """What the card says of the objective a CycleGANConfig trained."""
    settings = {"preset": config.preset, "objective": config.objective, "adversarial_loss": config.adversarial_loss,
                "edge_promoting_weight": config.edge_promoting_weight, "tv_weight": config.tv_weight}
    if config.objective == "cyclegan":
        return {**settings, "lambda_cycle": config.lambda_cycle, "cycle_blur": config.cycle_blur,
                "pool_size": config.pool_size}
    from trainer import cut

    nce = cut.settings(config)
    return {**settings, "lambda_nce": nce["lambda_nce"], "nce_identity": nce["identity_nce"],
            "nce_layers": list(nce["layers"]), "nce_patches": nce["patches"], "nce_temperature": nce["temperature"],
            "flip_equivariance": nce["flip_equivariance"]}


def export_model(trainer, config, run_dir, data, sample_image, seconds, objective=None):
    """RUN_DIR/model: the generators as a `hub.CycleGAN` folder, with `sample_image`
    (make_samples(gen a2b, gen b2a) -> uint8 grid, or None). objective: the training
    settings of the objective, for the card (default: CycleGAN's)."""
    model_config = {
        "architecture": "cyclegan",
        "generator": config.generator,
        "base_filters": config.base_filters,
        "upsample": config.upsample,
        "full_size_head": config.full_size_head,
        "image_size": config.image_size,
        "size_multiple": nets.size_multiple(config.generator, config.image_size),
        "domain_a": config.domain_a,
        "domain_b": config.domain_b,
        "domain_a_name": domain_name(config.domain_a),
        "domain_b_name": domain_name(config.domain_b),
        "flat_fills": ["a2b"] if config.flat_fills else [],
        "training": {
            **run.data_facts(config),
            "steps": trainer.step, "epochs": config.total_epochs, "batch_size": config.batch_size,
            **(objective or _objective_settings(config)),
            "seed": config.seed, "seconds_this_session": round(seconds, 1), "data": data,
        },
    }
    exported = run.float32_copies(lambda: {d: build_generator(config, f"generator_{d}") for d in ("a2b", "b2a")},
                                  {"a2b": trainer.gen_G, "b2a": trainer.gen_F})
    return run.save_model(CycleGANModel(exported["a2b"], exported["b2a"], model_config,
                                        sample_image(exported["a2b"], exported["b2a"])), config, run_dir)


def train(config, run_dir, resume=False, verbose="auto", from_epoch=None):
    """Train (or continue) the run in `run_dir`; returns the exported model folder.
    Under multi-worker --distribute, workers other than the chief write to a scratch folder."""
    run_dir = run.output_dir(run_dir)
    if config.edge_promoting_weight and config.input_pipeline == "auto":  # the smoothed images live in memory
        config = dataclasses.replace(config, input_pipeline="arrays")
    config = run.resolve_input_pipeline(config)
    config, rows_a, rows_b = run.unpaired_domains(config, run_dir)
    paths_a, paths_b = [r["path"] for r in rows_a], [r["path"] for r in rows_b]
    log.info("domain A (%s): %d images, domain B (%s): %d images, %d steps per epoch, input: %s",
             config.domain_a, len(paths_a), config.domain_b, len(paths_b), config.steps_per_epoch,
             config.input_pipeline)

    trainer = build_trainer(config)
    run.restore(trainer, run_dir, resume, from_epoch)

    def sample_images(tags, fallback):
        paths = run.sample_paths(config, tags, fallback)
        return from_uint8(arrays.decode_all(paths, config.image_size)) if paths else np.zeros((0,))

    samples_a, samples_b = sample_images(config.domain_a, paths_a), sample_images(config.domain_b, paths_b)

    start = time.perf_counter()
    grid = ((lambda model: sample_grid(model.gen_G, model.gen_F, samples_a, samples_b))
            if config.samples else None)  # --samples 0: no grids
    callbacks = run.callbacks(run_dir, config, grid)
    total_steps = config.total_epochs * config.steps_per_epoch

    if config.input_pipeline == "arrays":
        arrays.require_memory(len(paths_a) + len(paths_b), config.image_size)  # both domains together
        images_a, images_b = (arrays.decode_all(paths, config.image_size) for paths in (paths_a, paths_b))
        # B's stream: its images, and with the edge-promoting loss each one edge-smoothed
        stream_b = (images_b,) if not config.edge_promoting_weight else (
            images_b, edge_smoothing.smoothed_images(images_b, paths_b, config.data, config.image_size))
        make_dataset = run.array_batches(config, [(images_a,), stream_b])
    else:
        from trainer.data.loading import unpaired_dataset  # imports tensorflow

        def make_dataset(first_step, steps):
            return unpaired_dataset(paths_a, paths_b, config.image_size, config.batch_size, config.seed,
                                    first_step=first_step, steps=steps)

    run.fit_until(trainer, make_dataset, config.steps_per_epoch, total_steps, callbacks, verbose)
    data = {config.domain_a: summarize(rows_a), config.domain_b: summarize(rows_b)}

    def final_grid(gen_a2b, gen_b2a):
        return sample_grid(gen_a2b, gen_b2a, samples_a, samples_b) if len(samples_a) and len(samples_b) else None

    return export_model(trainer, config, run_dir, data, final_grid, time.perf_counter() - start)


def main(argv=None):
    run.main(argv, "trainer.cyclegan", __doc__, CycleGANConfig, train)


if __name__ == "__main__":
    main()
