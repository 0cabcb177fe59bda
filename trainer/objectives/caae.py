"""CAAE training (Zhang et al., CVPR 2017), as the seed report ran it.

`python -m trainer.caae --data DIR --labels medium,studio,movie --out RUN_DIR`

The encoder E maps an image to z; the decoder G renders (z, label) back to an image.
Phase 1 (--pretrain-epochs) trains E and G as a plain autoencoder: 100 x L1 + 10 x total
variation. Phase 2 (--epochs) adds the two discriminators: D_z pushes the encoded z
towards the uniform prior on [-1, 1], D_img judges (image, label) pairs, and E and G
are trained to fool them.

Beyond the seed, for sharper output and a label that really sets the style:
--latent spatial keeps z as a grid of cells, --upsample resize swaps the decoder's
transposed convs for resize + conv, and --label-adversary TAGS adds a classifier that
reads those labels from z, which E learns to leave guessing in both phases (Fader networks);
--edge-promoting-weight shows D_img each image with its edges blurred, under its own label,
as a fake (CartoonGAN's loss, trainer.objectives.edge_smoothing), so a soft reconstruction loses to D;
--restyled-adversarial-weight has D_img also judge each image re-rendered under another
label (StarGAN's D judges its translations), the output a user sees, which otherwise only
the style classifier does.

For the 2D look at 128 px (docs/results.md, "The CAAE's look at 128 px"): --film and --skips let the label
reach every scale and the encoder's detail reach the decoder (a U-Net whose skips the
label modulates); --paired-targets TAG renders each image under its pair's labels against
the pair (trainer.objectives.caae_targets), --line-weight counts the pair's lines more there, and
--paired-adversarial-weight adds pix2pix's conditional PatchGAN on those renders.

RUN_DIR holds config.json, checkpoints/latest.npz, samples/epoch_NNN.png (each row: the
original, its reconstruction, then the image re-rendered under every label combination
seen in training), logs/ (TensorBoard) and, at the end, model/ (a `hub.CAAE` folder).
It runs on TensorFlow or JAX (KERAS_BACKEND=jax), on one device or, with --distribute, on all.
"""

import dataclasses
import logging

import keras
import numpy as np

from hub import caae_nets
from hub.caae import CAAE, decoder_inputs
from hub.imaging import from_uint8, grid, to_uint8
from hub.labels import LabelSpace
from trainer.config import CAAEConfig
from trainer.data import arrays
from trainer.data.domains import check_batch, domain_rows, usable_images
from trainer.data.manifest import summarize
from trainer.engine import builders, distribute, run
from trainer.engine.augment import device_jitter
from trainer.engine.multi_loss import MultiLossTrainer
from trainer.engine.objective import Objective
from trainer.engine.optimizer_groups import OptimizerGroups
from trainer.evaluation import outlines
from trainer.objectives import caae_targets, edge_smoothing, losses

log = logging.getLogger("trainer.caae")
MAX_GRID_STYLES = 16  # columns of restyled images in the sample grids


class CAAETrainer(MultiLossTrainer):
    """Encoder, decoder, the two discriminators and, optionally, the label adversary on z
    and the style classifier on images, trained together by `fit` on either backend
    (trainer.engine.multi_loss), each group by its own loss and its own Adam."""

    def __init__(self, encoder, decoder, disc_z, disc_img, label_classifier=None, style_classifier=None,
                 disc_pair=None, label_widths=(), hidden_groups=(), seed=None, jitter=True, targeted=False, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.disc_z, self.disc_img = disc_z, disc_img
        self.label_classifier = label_classifier
        self.style_classifier = style_classifier
        self.disc_pair = disc_pair  # judges (image, its restyling to its target's labels) pairs
        self.label_widths = tuple(label_widths)  # one-hot group widths of the label vector
        self.hidden_groups = tuple(hidden_groups)  # (offset, width) in the label vector of the groups kept out of z
        self.prior_seed = keras.random.SeedGenerator(seed)  # tracked, so checkpoints hold its state
        # Images arrive as uint8 and are jittered here, on the device; jitter=False takes
        # float images in [-1, 1] as they are (tests comparing backends).
        self.jitter = device_jitter(jitter, None if seed is None else seed + 1)
        self.targeted = targeted  # batches carry (targets, their labels) after (images, labels)
        self.pretraining = True
        names = ["ae_loss", "l1", "tv", "ssim", "disc_z_loss", "disc_img_loss"]
        if label_classifier is not None:
            names += ["label_loss", "confusion"]
        if style_classifier is not None:
            names += ["style_loss", "restyle_loss"]
        if targeted:
            names += ["target_l1"]
        if disc_pair is not None:
            names += ["disc_pair_loss"]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True  # every part exists now; fit need not trace a call() to build it

    def compile(self, optimizers, objective=None, line_radius=2, jit_compile=False, **terms):
        """optimizers: one per entry of `updates`, in that order; each group keeps its own
        (trainer.engine.optimizer_groups: the discriminators start after pretraining). objective: what
        the losses read (trainer.engine.objective; default: CAAEConfig's), with `terms` changed;
        line_radius: the line detector's, for the training size."""
        if len(optimizers) != len(self.updates):
            raise ValueError(f"{len(self.updates)} optimizers needed, got {len(optimizers)}")
        groups = OptimizerGroups(optimizers, [variables for _, variables in self.updates])
        super().compile(optimizer=groups, jit_compile=jit_compile)
        self.objective = (objective or Objective.of(CAAEConfig())).replace(**terms)
        self.line_radius = line_radius

    @property
    def updates(self):
        """(loss, the variables it trains), one per optimizer, in the optimizers' order."""
        groups = [("ae_loss", self.encoder.trainable_variables + self.decoder.trainable_variables),
                  ("disc_z_loss", self.disc_z.trainable_variables),
                  ("disc_img_loss", self.disc_img.trainable_variables)]
        if self.label_classifier is not None:
            groups.append(("label_loss", self.label_classifier.trainable_variables))
        if self.style_classifier is not None:
            groups.append(("style_loss", self.style_classifier.trainable_variables))
        if self.disc_pair is not None:
            groups.append(("disc_pair_loss", self.disc_pair.trainable_variables))
        return groups

    def trained_losses(self):
        """Every group's loss, less the discriminators' while pretraining (they rest then)."""
        resting = ("disc_z_loss", "disc_img_loss", "disc_pair_loss") if self.pretraining else ()
        return [(name, variables) for name, variables in self.updates if name not in resting]

    def set_pretraining(self, pretraining):
        if pretraining != self.pretraining:
            self.pretraining = pretraining
            self.train_function = None  # the train step is traced again for the new phase

    def sample_prior(self, z):
        """Draws from the uniform prior on [-1, 1] that D_z tells z from, shaped like z."""
        return 2.0 * distribute.replica_uniform(keras.ops.shape(z), self.prior_seed) - 1.0

    def prepare_batch(self, batch):
        """(images, labels, targets, target labels, smoothed images): targets, with
        --paired-targets, cropped and mirrored as their images; smoothed, with the
        edge-promoting loss, the images with their edges blurred, jittered on their own;
        None where a run has neither."""
        images, labels, *rest = batch
        targets = target_labels = None
        if self.targeted:
            targets, target_labels, *rest = rest
        smoothed = rest[0] if rest else None
        if self.jitter is not None:
            if targets is None:
                images = self.jitter(images)
            else:  # an image and its target, cropped and mirrored alike
                both = self.jitter(keras.ops.concatenate([images, targets], axis=-1))
                images, targets = both[..., :3], both[..., 3:]
            smoothed = None if smoothed is None else self.jitter(smoothed)
        cast = (lambda x: None if x is None else keras.ops.cast(x, "float32"))
        return images, cast(labels), targets, cast(target_labels), smoothed

    def decode(self, latents, labels, training):
        return self.decoder(decoder_inputs(latents, labels), training=training)

    def compute_losses(self, images, labels, targets=None, target_labels=None, smoothed=None, training=True):
        """Forward pass -> {loss name: scalar} (backend-neutral); the discriminator
        losses only outside pretraining. targets: each image's restyle target, rendered
        under target_labels from the image's own latents (trainer.objectives.caae_targets);
        smoothed: `images` with their edges blurred (trainer.objectives.edge_smoothing), for the
        edge-promoting term."""
        o = self.objective
        latents = self.encoder(images, training=training)
        z = latents[0] if isinstance(latents, (list, tuple)) else latents  # the rest: a U-Net's skips
        reconstructed = self.decode(latents, labels, training)
        l1 = losses.l1(images, reconstructed)
        tv = losses.total_variation(reconstructed)
        ae_loss = o.reconstruction_weight * l1 + o.tv_weight * tv
        out = {"l1": l1, "tv": tv}
        if targets is not None:
            retargeted = self.decode(latents, target_labels, training)
            out["target_l1"] = losses.l1(targets, retargeted)
            target_loss = (losses.line_weighted_l1(targets, retargeted, o.line_weight, self.line_radius,
                                                   outlines.LINE_CONTRAST) if o.line_weight else out["target_l1"])
            ae_loss += o.target_weight * target_loss
            if o.ssim_weight:
                ae_loss += o.ssim_weight * (1.0 - losses.ssim(targets, retargeted))
        if o.ssim_weight:
            out["ssim"] = losses.ssim(images, reconstructed)
            ae_loss += o.ssim_weight * (1.0 - out["ssim"])
        if self.label_classifier is not None:  # in both phases: z is kept label-free from the start
            logits = self.label_classifier(z, training=training)
            hidden = keras.ops.concatenate([labels[:, o:o + n] for o, n in self.hidden_groups], axis=-1)
            widths = [n for _, n in self.hidden_groups]
            out["label_loss"] = losses.label_classification_loss(logits, hidden, widths)
            out["confusion"] = losses.label_confusion_loss(logits, widths)
            ae_loss += o.label_adversary_weight * out["confusion"]
        judge_restyled = o.restyled_adversarial_weight and not self.pretraining
        if self.style_classifier is not None or judge_restyled:  # each image under its batch neighbour's label
            other_labels = keras.ops.roll(labels, 1, axis=0)
            restyled = self.decode(latents, other_labels, training)
        if self.style_classifier is not None:
            out["style_loss"] = losses.label_classification_loss(
                self.style_classifier(images, training=training), labels, self.label_widths)
            out["restyle_loss"] = losses.label_classification_loss(
                self.style_classifier(restyled, training=training), other_labels, self.label_widths)
            ae_loss += o.style_classifier_weight * out["restyle_loss"]
        if not self.pretraining:
            # One discriminator pass on the fakes serves both sides: each loss is only
            # differentiated w.r.t. its own networks (train_step), so no stop_gradient is needed.
            prior = self.sample_prior(z)
            fake_z_logits = self.disc_z(z, training=training)
            fake_image_logits = self.disc_img([reconstructed, labels], training=training)
            out["disc_z_loss"] = losses.discriminator_loss(self.disc_z(prior, training=training), fake_z_logits)
            fakes = fake_image_logits
            if judge_restyled:  # D's fakes: the reconstructions and the restyled images, half each
                restyled_logits = self.disc_img([restyled, other_labels], training=training)
                fakes = keras.ops.concatenate([fake_image_logits, restyled_logits], axis=0)
                ae_loss += o.restyled_adversarial_weight * losses.generator_adversarial_loss(restyled_logits)
            out["disc_img_loss"] = losses.discriminator_loss(self.disc_img([images, labels], training=training), fakes)
            if self.disc_pair is not None:  # pix2pix's term: is this the image's pair under that label?
                fake_pairs = self.disc_pair([images, retargeted, target_labels], training=training)
                out["disc_pair_loss"] = losses.discriminator_loss(
                    self.disc_pair([images, targets, target_labels], training=training), fake_pairs)
                ae_loss += o.paired_adversarial_weight * losses.generator_adversarial_loss(fake_pairs)
            if smoothed is not None:  # CartoonGAN's term, each image under its own label
                out["disc_img_loss"] += losses.edge_promoting_loss(
                    self.disc_img([smoothed, labels], training=training), o.edge_promoting_weight)
            ae_loss += o.adversarial_weight * (losses.generator_adversarial_loss(fake_z_logits)
                                                  + losses.generator_adversarial_loss(fake_image_logits))
        out["ae_loss"] = ae_loss
        return out


def build_autoencoder(config, label_dim):
    """The encoder and decoder: what a trained model keeps."""
    c = config
    return {
        "encoder": caae_nets.encoder(c.image_size, c.base_filters, c.latent_dim, c.stages, c.latent, c.skips),
        "decoder": caae_nets.decoder(c.image_size, label_dim, c.base_filters, c.latent_dim, c.stages,
                                     c.latent, c.upsample, c.film, c.skips),
    }


def build_networks(config, label_space):
    """The autoencoder plus every network that only training needs."""
    c = config
    label_dim = label_space.size
    shape = caae_nets.latent_shape(c.image_size, c.latent_dim, c.stages, c.latent)
    nets = {
        **build_autoencoder(config, label_dim),
        "disc_z": caae_nets.latent_discriminator(shape),
        "disc_img": caae_nets.image_discriminator(c.image_size, label_dim, c.base_filters, c.stages,
                                                  c.projection_discriminator),
    }
    if c.adversary_tags:
        hidden_dim = sum(n for _, n in label_space.slices(c.adversary_tags))
        nets["label_classifier"] = caae_nets.label_classifier(shape, hidden_dim)
    if c.style_classifier_weight > 0:
        nets["style_classifier"] = caae_nets.style_classifier(c.image_size, label_dim, c.base_filters, c.stages)
    if c.paired_adversarial_weight > 0:
        nets["disc_pair"] = caae_nets.pair_discriminator(c.image_size, label_dim, c.base_filters)
    return nets


def build_trainer(config, label_space):
    """Networks, jitter and optimizers for `config`, compiled and ready for `fit` (under
    --distribute, inside the strategy's scope)."""
    builders.seed_and_precision(config)
    with distribute.trainer_scope(config):
        nets = build_networks(config, label_space)
        trainer = CAAETrainer(**nets, label_widths=[len(values) for _, values in label_space.groups],
                              hidden_groups=label_space.slices(config.adversary_tags), seed=config.seed,
                              jitter=builders.jitter_options(config), targeted=bool(config.paired_targets))
        optimizers = [keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1) for _ in trainer.updates]
        trainer.compile(optimizers, Objective.of(config), line_radius=outlines.line_radius(config.image_size),
                        jit_compile=builders.jit_compile(config))
    return trainer


def training_styles(rows, label_space):
    """The label combinations present in `rows`, sorted: the styles a user can pick."""
    combos = {tuple(str(r[tag]) for tag in label_space.tags) for r in rows}
    return [dict(zip(label_space.tags, combo)) for combo in sorted(combos)]


def sample_grid(encoder, decoder, samples, styles, label_space):
    """Each row: original, reconstruction under its own label, then one column per style."""
    images, own_labels = samples
    latents = encoder.predict(images, verbose=0)
    columns = [images, decoder.predict(decoder_inputs(latents, own_labels), verbose=0)]
    for style in styles[:MAX_GRID_STYLES]:
        vectors = np.repeat(label_space.encode(style)[None], len(images), axis=0)
        columns.append(decoder.predict(decoder_inputs(latents, vectors), verbose=0))
    return grid([[to_uint8(c[i]) for c in columns] for i in range(len(images))])


def export_model(trainer, config, run_dir, label_space, styles, samples, pretrain_steps, seconds, data):
    """RUN_DIR/model: encoder and decoder as a `hub.CAAE` folder, plus a sample grid."""
    model_config = {
        "architecture": "caae",
        "image_size": config.image_size,
        "base_filters": config.base_filters,
        "latent_dim": config.latent_dim,
        "latent": config.latent,
        "upsample": config.upsample,
        "film": config.film,
        "skips": config.skips,
        "stages": config.stages,
        "label_groups": label_space.to_config(),
        "styles": styles,
        "training": {
            **builders.data_facts(config),
            "steps": trainer.step, "pretrain_steps": pretrain_steps, "batch_size": config.batch_size,
            "learning_rate": config.learning_rate, "seed": config.seed,
            "label_adversary": config.adversary_tags, "paired_targets": config.paired_targets or None,
            **Objective.of(config).record(),
            "seconds_this_session": round(seconds, 1), "data": {"all labels": data},
        },
    }
    fresh = builders.float32_copies(lambda: build_autoencoder(config, label_space.size),
                                    {"encoder": trainer.encoder, "decoder": trainer.decoder})
    sample_image = (sample_grid(fresh["encoder"], fresh["decoder"], samples, styles, label_space)
                    if len(samples[0]) else None)
    return builders.save_model(CAAE(fresh["encoder"], fresh["decoder"], model_config, sample_image), config, run_dir)


def load_samples(config, label_space, train_rows):
    """(images, label vectors) for the grids: the first test images (not clip frames, and
    with labels seen in training) if there are any, else the first training ones."""
    try:
        rows = domain_rows(config.data, (), split="test", check=False, clips=False)
    except ValueError:
        rows = []
    rows = [r for r in rows if label_space.knows(r)][:config.samples] or train_rows[:config.samples]
    usable = set(usable_images([r["path"] for r in rows]))
    rows = [r for r in rows if r["path"] in usable]
    if not rows:
        return np.zeros((0, config.image_size, config.image_size, 3), np.float32), np.zeros((0, label_space.size))
    images, labels = arrays.decode_labelled([r["path"] for r in rows], [label_space.encode(r) for r in rows],
                                            config.image_size)
    return from_uint8(images), labels


def present_labels(labels, rows):
    """--labels as the rows allow: the default (medium,studio,movie) keeps the tags that
    every row has, and in a folder of someone's frames without them (junyanz's trainA/trainB,
    a folder per domain) becomes its domain; tags named on purpose are kept, to be checked."""
    if labels != CAAEConfig.labels:
        return labels
    present = [tag for tag in labels.split(",") if all(tag in r for r in rows)]
    return ",".join(present) or "domain"


class Labelled(run.Recipe):
    """A CAAE run: every training image with its label vector (and, with --paired-targets,
    its pair under other labels); the autoencoder alone first, then with the discriminators."""

    def prepare(self, config):
        rows = domain_rows(config.data, (), split="train")
        check_batch(rows, config.batch_size, str(config.data))
        config = dataclasses.replace(config, labels=present_labels(config.labels, rows))
        label_space = LabelSpace.from_rows(rows, config.label_tags)
        log.info("%d training images, labels %s", len(rows), ", ".join(label_space.names))
        data = {"rows": rows, "label_space": label_space, "styles": training_styles(rows, label_space),
                "samples": load_samples(config, label_space, rows)}
        return config, data, len(rows)  # an epoch: the training images once

    def build(self, config, data):
        return build_trainer(config, data["label_space"])

    def sample_grid(self, config, data):
        return lambda model: sample_grid(model.encoder, model.decoder, data["samples"], data["styles"],
                                         data["label_space"])

    def batches(self, config, data):
        rows, label_space = data["rows"], data["label_space"]
        paths = [r["path"] for r in rows]
        vectors = np.stack([label_space.encode(r) for r in rows])
        if config.input_pipeline == "arrays":
            if config.paired_targets:
                targets = caae_targets.paired_targets(rows, config.paired_targets, label_space.tags)
                images, labels, *targeted = arrays.decode_targeted(paths, vectors, targets, config.image_size)
            else:
                images, labels = arrays.decode_labelled(paths, vectors, config.image_size)
                targeted = []
            smoothed = ([edge_smoothing.smoothed_images(images, paths, config.data, config.image_size)]
                        if config.edge_promoting_weight else [])
            return builders.array_batches(config, [(images, labels, *targeted, *smoothed)])
        from trainer.data.loading import labelled_dataset  # imports tensorflow

        def make_dataset(first_step, steps):
            return labelled_dataset(paths, vectors, config.image_size, config.batch_size, config.seed,
                                    first_step=first_step, steps=steps)
        return make_dataset

    def phases(self, trainer, config):
        trainer.set_pretraining(True)
        yield config.pretrain_epochs * config.steps_per_epoch
        trainer.set_pretraining(False)
        yield (config.pretrain_epochs + config.epochs) * config.steps_per_epoch

    def export(self, trainer, config, run_dir, data, seconds):
        return export_model(trainer, config, run_dir, data["label_space"], data["styles"], data["samples"],
                            config.pretrain_epochs * config.steps_per_epoch, seconds, summarize(data["rows"]))


def train(config, run_dir, resume=False, verbose="auto", from_epoch=None):
    """Train (or continue) the run in `run_dir`; returns the exported model folder."""
    return run.train(Labelled(), config, run_dir, resume, verbose, from_epoch)


def main(argv=None):
    run.main(argv, "trainer.caae", __doc__, CAAEConfig, train)


if __name__ == "__main__":
    main()
