"""Distillation: a small student (the light generator by default) trained to give a trained
CycleGAN's translations, at a fraction of its cost, for CPUs and Spaces.

`python -m trainer.distill TEACHER --data DIR --out RUN_DIR`

TEACHER is a hub.CycleGAN folder or Hub repo id (run through ONNX Runtime where it has ONNX
files). Before training it translates every training image of its two domains once: its raw
network output, without flat fills. Each student then learns its direction by pix2pix's
objective on (image, the teacher's translation) pairs: L1 x --lambda-l1 to the teacher's
output, and a conditional PatchGAN that judges (image, translation) pairs, which keeps the
outlines that L1 alone averages away. --line-weight counts the pixels of lines (the
teacher's or the student's) more in the L1: they are a few percent of a frame. The
teacher's own discriminators are not in its model folder, and judge a domain rather than a
translation, so the student's are trained afresh.

RUN_DIR is laid out as a CycleGAN run's; RUN_DIR/model is a `hub.CycleGAN` folder, which
serves flat fills where the teacher does.
"""

import dataclasses
import logging
import time
from pathlib import Path

from hub import auto
from hub.cyclegan import CycleGAN
from hub.imaging import from_uint8
from trainer.config import DistillConfig
from trainer.data import arrays
from trainer.data.domains import sample_paths, two_domains
from trainer.data.manifest import summarize
from trainer.engine import builders, run
from trainer.engine.objective import Objective
from trainer.evaluation import outlines
from trainer.objectives import losses
from trainer.objectives.pix2pix import Pix2PixTrainer, build_trainer, paired_grid

log = logging.getLogger("trainer.distill")


class DistillTrainer(Pix2PixTrainer):
    """pix2pix's networks and losses, on batches of (A images, the teacher's a2b of them,
    B images, the teacher's b2a of them): each pair cropped and mirrored alike."""

    config_class = DistillConfig
    line_radius = 2  # for the training size: the Distilled recipe sets it

    def prepare_batch(self, batch):
        images_a, taught_b, images_b, taught_a = batch
        return (*self.jittered_pair(images_a, taught_b), *self.jittered_pair(images_b, taught_a))

    def compute_losses(self, images_a, taught_b, images_b, taught_a, training=True):
        return self.paired_losses(images_a, taught_b, images_b, taught_a, training)

    def reconstruction_loss(self, target, fake):
        if not self.objective.line_weight:
            return super().reconstruction_loss(target, fake)
        return losses.line_weighted_l1(target, fake, self.objective.line_weight, self.line_radius,
                                       outlines.LINE_CONTRAST)


def load_teacher(source):
    teacher = auto.from_pretrained(source)
    if not isinstance(teacher, CycleGAN):
        raise ValueError(f"{source} is a {teacher.config.get('architecture')} model: distill learns a "
                         "hub.CycleGAN's translations")
    return teacher


def with_teacher_defaults(config, teacher):
    """The config with what it leaves to the teacher filled in: its domains, its training size,
    and flat fills on a2b where the teacher serves them."""
    config = dataclasses.replace(
        config, domain_a=config.domain_a or teacher.config["domain_a"],
        domain_b=config.domain_b or teacher.config["domain_b"],
        image_size=config.image_size or int(teacher.config["image_size"]),
        flat_fills=config.flat_fills or "a2b" in teacher.flat_fills)
    multiple = int(teacher.config["size_multiple"])
    if config.image_size % multiple:
        raise ValueError(f"--image-size {config.image_size} must be a multiple of the teacher's size multiple "
                         f"({multiple}), so that it translates the training images as they are")
    return config


def teacher_translations(teacher, images, direction):
    """uint8 images -> the teacher's uint8 translations of them, without flat fills."""
    start = time.perf_counter()
    taught = teacher.translate_array(images, direction, flat_fills=False)
    log.info("the teacher translated %d images %s in %.0f s", len(images), teacher.direction(direction).name,
             time.perf_counter() - start)
    return taught


class Distilled(run.Recipe):
    """A distill run: each domain's images with the teacher's translations of them."""

    def prepare(self, config):
        teacher = load_teacher(config.teacher)
        config = with_teacher_defaults(config, teacher)
        domain_a, domain_b, rows_a, rows_b = two_domains(config.data, config.domain_a, config.domain_b,
                                                         config.batch_size)
        config = dataclasses.replace(config, domain_a=domain_a, domain_b=domain_b)
        paths_a, paths_b = [r["path"] for r in rows_a], [r["path"] for r in rows_b]
        log.info("domain A (%s): %d images, domain B (%s): %d images", domain_a, len(paths_a), domain_b, len(paths_b))
        arrays.require_memory(2 * (len(paths_a) + len(paths_b)), config.image_size)  # images and translations
        images_a, images_b = (arrays.decode_all(paths, config.image_size) for paths in (paths_a, paths_b))
        taught_b = teacher_translations(teacher, images_a, "a2b")
        taught_a = teacher_translations(teacher, images_b, "b2a")
        samples = None  # the grids' images of each domain and the teacher's translations of them, in [-1, 1]
        if config.samples:
            samples_a, samples_b = (arrays.decode_all(sample_paths(config.data, tags, config.samples, paths), config.image_size)
                                    for tags, paths in ((config.domain_a, paths_a), (config.domain_b, paths_b)))
            samples = [from_uint8(images) for images in (
                samples_a, teacher.translate_array(samples_a, "a2b", flat_fills=False),
                samples_b, teacher.translate_array(samples_b, "b2a", flat_fills=False))]
        data = {"teacher": teacher, "rows": (rows_a, rows_b), "samples": samples,
                "streams": [(images_a, taught_b), (images_b, taught_a)]}
        return config, data, max(len(paths_a), len(paths_b))  # an epoch: the larger domain once

    def build(self, config, data):
        trainer = build_trainer(config, DistillTrainer)
        trainer.line_radius = outlines.line_radius(config.image_size)
        return trainer

    def sample_grid(self, config, data):
        grid = self.grid(data)
        return lambda model: grid(model.gen_G, model.gen_F)

    @staticmethod
    def grid(data):
        """Each row: A, the student's translation, the teacher's | B, the student's, the teacher's."""
        return lambda gen_a2b, gen_b2a: paired_grid(gen_a2b, gen_b2a, *data["samples"]) if data["samples"] else None

    def batches(self, config, data):
        return builders.array_batches(config, data["streams"])

    def export(self, trainer, config, run_dir, data, seconds):
        rows_a, rows_b = data["rows"]
        objective = {**Objective.of(config).record(), "teacher": config.teacher,
                     "teacher_generator": data["teacher"].config["generator"]}
        if not Path(config.teacher).exists():  # a Hub repo, REPO or REPO@REVISION: the card's base_model
            objective["teacher_repo"] = config.teacher.split("@")[0]
        return builders.export_cyclegan(trainer, config, run_dir,
                                        {config.domain_a: summarize(rows_a), config.domain_b: summarize(rows_b)},
                                        self.grid(data), seconds, objective)


def train(config, run_dir, resume=False, verbose="auto", from_epoch=None):
    """Train (or continue) the run in `run_dir`; returns the exported model folder."""
    return run.train(Distilled(), config, run_dir, resume, verbose, from_epoch)


def main(argv=None):
    run.main(argv, "trainer.distill", __doc__, DistillConfig, train)


if __name__ == "__main__":
    main()
