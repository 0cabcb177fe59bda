"""pix2pix training (Isola et al., CVPR 2017), both ways, on paired images: the paired
ceiling that an unpaired translator (CycleGAN) can approach with the same networks and
budget, and a mode for people who have aligned frames.

`python -m trainer.pix2pix --data DIR --domain-a medium=3d --domain-b medium=2d --out RUN_DIR`

The images of the two domains pair by their "scene" tag (toyworld's 3d and 2d renders of
one scene). gen_G maps A to B and gen_F B to A, as in trainer.objectives.cyclegan; disc_Y judges
(A, B) pairs and disc_X (B, A) pairs: the conditional PatchGAN. RUN_DIR is laid out as a
CycleGAN run's, and RUN_DIR/model is a `hub.CycleGAN` folder, so `from_pretrained`, the app
and `python -m trainer.evaluate` take it as they are.
"""

import logging

import keras
from keras import ops

from hub.imaging import from_uint8, grid, to_uint8
from trainer.config import Pix2PixConfig
from trainer.data import arrays
from trainer.data.domains import check_batch
from trainer.data.manifest import summarize
from trainer.data.pairs import paired_rows
from trainer.engine import builders, distribute, run
from trainer.engine.augment import device_jitter
from trainer.engine.multi_loss import LOSS_NAMES, TwoWayTrainer
from trainer.engine.objective import Objective
from trainer.objectives import losses

log = logging.getLogger("trainer.pix2pix")


class Pix2PixTrainer(TwoWayTrainer):
    """The two generators and two conditional discriminators, trained together by `fit`,
    each by its own loss (trainer.engine.multi_loss), on batches of aligned pairs."""

    config_class = Pix2PixConfig  # whose defaults give the objective of a trainer built in code

    def __init__(self, gen_G, gen_F, disc_X, disc_Y, seed=None, jitter=True, **kwargs):
        super().__init__(gen_G, gen_F, disc_X, disc_Y, **kwargs)
        # One crop and mirror for both images of a pair: they stay aligned.
        self.jitter = device_jitter(jitter, seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in LOSS_NAMES}
        self.built = True

    def compile(self, optimizer, objective=None, jit_compile=False, **terms):
        """One Adam for all four networks, as the CycleGAN trainer. objective: what the losses
        read (trainer.engine.objective; default: config_class's), with `terms` changed."""
        super().compile(optimizer=optimizer, jit_compile=jit_compile)
        optimizer.build(self.trainable_variables)  # so a checkpoint can restore its state
        self.objective = (objective or Objective.of(self.config_class())).replace(**terms)

    def prepare_batch(self, batch):
        real_a, real_b = batch
        return self.jittered_pair(real_a, real_b)

    def jittered_pair(self, x, y):
        """Two aligned batches, cropped and mirrored alike."""
        if self.jitter is None:
            return x, y
        both = self.jitter(keras.ops.concatenate([x, y], axis=-1))  # (B, S, S, 6)
        return both[..., :3], both[..., 3:]

    def compute_losses(self, real_a, real_b, training=True):
        """The four losses of pix2pix trained both ways on aligned pairs (real_a[i] shows what
        real_b[i] shows) -> {name_loss: scalar}."""
        return self.paired_losses(real_a, real_b, real_b, real_a, training)

    def reconstruction_loss(self, target, fake):
        """The L1 term (trainer.objectives.distill's weights lines in it)."""
        return losses.l1(target, fake)

    def paired_losses(self, source_a, target_b, source_b, target_a, training=True):
        """gen_G learns source_a -> target_b and gen_F source_b -> target_a. Each generator
        minimises L_cGAN(G, D) + lambda * ||y - G(x)||_1 (Isola et al. 2017, Eq. 4); each
        discriminator the conditional GAN loss (Eq. 1), halved as the paper does."""
        fake_b, fake_a = self.gen_G(source_a, training=training), self.gen_F(source_b, training=training)

        def judged(disc, condition, real, fake):
            """D sees (condition, image) pairs stacked along the channels: real and fake in one call."""
            pairs = ops.concatenate([ops.concatenate([condition, real], axis=-1),
                                     ops.concatenate([condition, fake], axis=-1)], axis=0)
            return ops.split(disc(pairs, training=training), 2, axis=0)

        real_y, fake_y = judged(self.disc_Y, source_a, target_b, fake_b)  # D_Y: is B the translation of A?
        real_x, fake_x = judged(self.disc_X, source_b, target_a, fake_a)
        o = self.objective
        gan_G, gan_F = (losses.generator_adversarial_loss(logits, o.adversarial_loss) for logits in (fake_y, fake_x))
        return {
            "gen_G_loss": (gan_G + o.lambda_l1 * self.reconstruction_loss(target_b, fake_b)
                           + losses.flat_fill_loss(fake_b, o.tv_weight)),
            "gen_F_loss": gan_F + o.lambda_l1 * self.reconstruction_loss(target_a, fake_a),
            "disc_X_loss": losses.discriminator_loss(real_x, fake_x, o.adversarial_loss),
            "disc_Y_loss": losses.discriminator_loss(real_y, fake_y, o.adversarial_loss),
        }


def build_trainer(config, trainer_class=Pix2PixTrainer):
    """The networks and optimizer, compiled: a Pix2PixTrainer or a subclass (trainer.objectives.distill's)."""
    builders.seed_and_precision(config)
    with distribute.trainer_scope(config):
        gen_G, gen_F = (builders.generator(config, name) for name in ("gen_G", "gen_F"))
        disc_X, disc_Y = (builders.discriminator(config, name, channels=6) for name in ("disc_X", "disc_Y"))
        trainer = trainer_class(gen_G, gen_F, disc_X, disc_Y, seed=config.seed, jitter=builders.jitter_options(config))
        trainer.compile(builders.optimizer(config), Objective.of(config), jit_compile=builders.jit_compile(config))
    return trainer


def paired_grid(gen_G, gen_F, source_a, target_b, source_b, target_a):
    """Each row: A, G(A), what G should give | B, F(B), what F should give."""
    def run_net(net, images):
        return keras.ops.convert_to_numpy(net(images, training=False))

    columns = [source_a, run_net(gen_G, source_a), target_b, source_b, run_net(gen_F, source_b), target_a]
    return grid([[to_uint8(c[i]) for c in columns] for i in range(len(source_a))])


class Paired(run.Recipe):
    """A pix2pix run: the images of two domains, in pairs."""

    def prepare(self, config):
        rows_a, rows_b = paired_rows(config.data, config.domain_a, config.domain_b, split="train")
        check_batch(rows_a, config.batch_size, f"the pairs of {config.domain_a} and {config.domain_b}")
        log.info("%d training pairs of %s and %s", len(rows_a), config.domain_a, config.domain_b)
        images = arrays.decode_pairs([r["path"] for r in rows_a], [r["path"] for r in rows_b], config.image_size)
        # The grids' pairs: the first test pairs, else the first training pairs (none for --samples 0).
        samples = [from_uint8(pictures[:config.samples]) for pictures in images]
        if config.samples:
            try:
                test_a, test_b = paired_rows(config.data, config.domain_a, config.domain_b, split="test")
                samples = [from_uint8(pictures) for pictures in arrays.decode_pairs(
                    [r["path"] for r in test_a[:config.samples]], [r["path"] for r in test_b[:config.samples]],
                    config.image_size)]
            except ValueError:  # no test pairs
                pass
        return config, {"rows": (rows_a, rows_b), "images": images, "samples": samples}, len(rows_a)  # the pairs once

    def build(self, config, data):
        return build_trainer(config)

    def sample_grid(self, config, data):
        a, b = data["samples"]
        return lambda model: paired_grid(model.gen_G, model.gen_F, a, b, b, a)

    def batches(self, config, data):
        return builders.array_batches(config, [tuple(data["images"])])  # a pair keeps its place in the order

    def export(self, trainer, config, run_dir, data, seconds):
        rows_a, rows_b = data["rows"]
        a, b = data["samples"]
        return builders.export_cyclegan(
            trainer, config, run_dir, {config.domain_a: summarize(rows_a), config.domain_b: summarize(rows_b)},
            lambda gen_a2b, gen_b2a: paired_grid(gen_a2b, gen_b2a, a, b, b, a) if len(a) else None,
            seconds, {**Objective.of(config).record(), "pairs": len(data["images"][0])})


def train(config, run_dir, resume=False, verbose="auto", from_epoch=None):
    """Train (or continue) the run in `run_dir`; returns the exported model folder."""
    return run.train(Paired(), config, run_dir, resume, verbose, from_epoch)


def main(argv=None):
    run.main(argv, "trainer.pix2pix", __doc__, Pix2PixConfig, train)


if __name__ == "__main__":
    main()
