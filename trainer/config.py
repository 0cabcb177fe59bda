"""Run configuration: frozen dataclasses, one helper mapping their fields to --flags.

The config is saved as RUN_DIR/config.json, so a run can be resumed and a model
rebuilt from its folder alone.
"""

import argparse
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from hub import generators
from hub.atomic import write_json
from hub.generators import GENERATORS
from trainer.engine.objective import Objective, loss_term


def _flag(help_text, aliases=(), **argparse_kwargs):
    """A field's --flag: its help, other names for it, and argparse's options."""
    return {"help": help_text, "aliases": tuple(aliases), **argparse_kwargs}


def _term(help_text, *objectives, **argparse_kwargs):
    """A --flag that is a term of the objective (trainer.engine.objective): the loss code reads it
    from the run's Objective, and the model card records it."""
    return {**_flag(help_text, **argparse_kwargs), **loss_term(*objectives)}


def _epochs_decay():
    """The --epochs-decay field of the trainers with a learning-rate decay."""
    return field(default=0, metadata=_flag(
        "epochs after --epochs over which the learning rate falls linearly to 0 (junyanz's n_epochs_decay: "
        "--epochs 100 --epochs-decay 100 is the paper's schedule); it replaces --lr-decay's; 0 = none"))


@dataclass(frozen=True)
class RunConfig:
    """What every trainer's run has; subclasses add their model's fields and may
    re-declare one of these to give it their own default."""
    OBJECTIVE: ClassVar[str] = ""  # the objective's name, where a config trains one only
    data: str = field(default="", metadata=_flag("dataset folder with manifest.jsonl"))
    epochs: int = field(default=10, metadata=_flag("epochs to train"))
    steps_per_epoch: int = field(default=0, metadata=_flag(
        "training steps per epoch; 0 = one pass over the training images"))
    batch_size: int = field(default=1, metadata=_flag("images per step"))
    image_size: int = field(default=256, metadata=_flag(
        "training image side in pixels: the random crop's", aliases=("--crop-size",)))
    load_size: int = field(default=0, metadata=_flag(
        "side the training images are scaled to before the random --image-size crop (the paper: 286 for "
        "256); --image-size itself: no crop; 0 = 286/256 of --image-size"))
    flip: bool = field(default=True, metadata=_flag("mirror training images at random"))
    base_filters: int = field(default=64, metadata=_flag("network width; 64 is the paper's"))
    learning_rate: float = field(default=2e-4, metadata=_flag("Adam learning rate, all networks"))
    beta_1: float = field(default=0.5, metadata=_flag("Adam beta_1"))
    checkpoint_every: int = field(default=500, metadata=_flag(
        "steps between checkpoints (one is also written at every epoch end)"))
    save_every_epochs: int = field(default=0, metadata=_flag(
        "also keep the checkpoint of every N-th epoch's end as checkpoints/epoch_NNN.npz, to go back to "
        "with --resume --from-epoch; 0 = only the last one"))
    log_every: int = field(default=25, metadata=_flag("steps between the losses written for TensorBoard"))
    samples: int = field(default=3, metadata=_flag("fixed test images in the epoch grids"))
    seed: int = field(default=0, metadata=_flag("seeds weights, data order and augmentation"))
    weights_license: str = field(default="", metadata=_flag(
        "the trained weights' licence, as the Hub names it (mit, cc-by-nc-4.0, ...); default: what the "
        "dataset's dataset.json says (toyworld: mit, the project's), else cc-by-nc-4.0, as film frames need"))
    upsample: str = field(default="transpose", metadata=_flag(
        "transpose (the original networks' stride-2 transposed convs) or resize (bilinear x2 + "
        "3x3 conv: no checkerboard artifacts)", choices=("transpose", "resize")))
    mixed_precision: bool = field(default=False, metadata=_flag(
        "compute in bfloat16, keep weights in float32"))
    jit_compile: bool = field(default=False, metadata=_flag(
        "compile the TensorFlow train step with XLA (the JAX backend always compiles)"))
    input_pipeline: str = field(default="auto", metadata=_flag(
        "tfdata (decode and resize while training, any dataset size) or arrays (decode every "
        "image once into memory with Pillow: no TensorFlow needed, nothing for a GPU to wait "
        "on); auto = tfdata on the TensorFlow backend, arrays on JAX",
        choices=("auto", "tfdata", "arrays")))
    distribute: bool = field(default=False, metadata=_flag(
        "data-parallel over all local devices (TF MirroredStrategy, or MultiWorkerMirroredStrategy "
        "when TF_CONFIG names a cluster; Keras DataParallel on JAX); --batch-size is the global batch"))
    onnx: bool = field(default=True, metadata=_flag(
        "export the model folder's networks to ONNX as well, for ONNX Runtime (a minute or more on a "
        "CPU for large networks); --no-onnx leaves it to `python -m hub onnx RUN_DIR/model`, "
        "or to --push-to-hub, which adds it before the upload"))

    def validate(self):
        if not self.data:
            raise ValueError("--data is required: a dataset folder with manifest.jsonl")
        for name in ("epochs", "batch_size", "image_size", "base_filters", "checkpoint_every", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1")
        if self.steps_per_epoch < 0 or self.samples < 0 or self.save_every_epochs < 0:
            raise ValueError("--steps-per-epoch, --samples and --save-every-epochs must be >= 0")
        if self.load_size and self.load_size < self.image_size:
            raise ValueError(f"--load-size {self.load_size} is smaller than the --image-size {self.image_size} crop")
        if getattr(self, "epochs_decay", 0) < 0:
            raise ValueError("--epochs-decay must be >= 0")
        if self.input_pipeline == "tfdata" and self.arrays_only():
            raise ValueError(f"{self.arrays_only()[0]} needs --input-pipeline arrays (or auto)")
        Objective.of(self)  # its terms are checked as it is built

    def arrays_only(self):
        """The flags given whose images live in memory, so that they need --input-pipeline
        arrays (which auto then picks)."""
        return []

    @property
    def objective_name(self):
        return getattr(self, "objective", self.OBJECTIVE)

    @property
    def total_epochs(self):
        """--epochs, plus --epochs-decay where the trainer has it."""
        return self.epochs + getattr(self, "epochs_decay", 0)


# Named sets of flags (docs/training.md, "Presets"): --preset NAME sets them, and flags given beside it
# win. A run's config.json holds the flags it resolved to.
PRESETS = {
    "seed": {},  # the defaults: the seed project's U-Net, BCE, batch 1, no pool
    "paper": {"generator": "resnet", "adversarial_loss": "lsgan", "pool_size": 50, "batch_size": 1,
              "learning_rate": 2e-4, "epochs": 200, "lr_decay": True, "image_size": 256, "load_size": 286,
              "flip": True},  # Zhu et al. 2017: 100 epochs, then 100 of linear decay
    "cartoon": {"generator": "unet", "upsample": "resize", "full_size_head": True, "adversarial_loss": "lsgan",
                "pool_size": 50, "lr_decay": True, "edge_promoting_weight": 1.0,
                "flat_fills": True},  # docs/results.md, "The 2D look at 128 px"
}


def describe_preset(name):
    """'--generator resnet --adversarial-loss lsgan ...': the flags a preset sets."""
    def flag(key, value):
        option = key.replace("_", "-")
        return f"--{option}" if value is True else f"--no-{option}" if value is False else f"--{option} {value}"
    return " ".join(flag(k, v) for k, v in PRESETS[name].items()) or "(the defaults)"


@dataclass(frozen=True)
class PatchGANRunConfig(RunConfig):
    """What the trainers of hub.CycleGAN folders (CycleGAN, CUT, pix2pix) add: the shape of
    their PatchGAN discriminators, and how the folder serves."""
    disc_filters: int = field(default=0, metadata=_flag(
        "the discriminators' width (64 is the paper's); 0 = --base-filters"))
    disc_layers: int = field(default=3, metadata=_flag(
        "the PatchGAN's stride-2 layers: 3 sees 70x70 px patches (the paper's), each more doubles that"))
    flat_fills: bool = field(default=False, metadata=_flag(
        "the exported folder serves its a2b translations (into --domain-b) with flat fills: a mean-shift "
        "filter that averages grain away and keeps outlines (hub.flat_fills; for a cel-style B)"))

    def validate(self):
        super().validate()
        if self.disc_filters < 0 or not 1 <= self.disc_layers <= 6:
            raise ValueError("--disc-filters must be >= 0 and --disc-layers from 1 to 6")


@dataclass(frozen=True)
class CycleGANConfig(PatchGANRunConfig):
    preset: str = field(default="seed", metadata=_flag(
        "a named set of flags (docs/training.md, \"Presets\"); flags given beside it win: " + "; ".join(
            f"{name} = {describe_preset(name)}" for name in PRESETS), aliases=("--recipe",), choices=tuple(PRESETS)))
    objective: str = field(default="cyclegan", metadata=_flag(
        "cyclegan (two generators and the cycle), or cut / fastcut (Park et al. 2020: PatchNCE "
        "between input and output patches instead of the cycle; trainer.objectives.cut)",
        choices=("cyclegan", "cut", "fastcut")))
    epochs: int = field(default=10, metadata=_flag("epochs to train (the seed trained 10)"))
    steps_per_epoch: int = field(default=0, metadata=_flag(
        "training steps per epoch; 0 = one pass over the larger domain"))
    batch_size: int = field(default=1, metadata=_flag("image pairs per step (the seed used 1)"))
    domain_a: str = field(default="medium=3d", metadata=_flag(
        "tag filter selecting domain A, e.g. studio=pixar or movie=luca"))
    domain_b: str = field(default="medium=2d", metadata=_flag("tag filter selecting domain B"))
    generator: str = field(default="unet", metadata=_flag(
        "unet (the seed's), resnet (the CycleGAN paper's 9 residual blocks) or light (0.5 M params "
        "for CPUs and Spaces, AnimeGAN-style; needs --upsample resize)", choices=tuple(GENERATORS)))
    full_size_head: bool = field(default=False, metadata=_flag(
        "give the U-Net (or the light generator) a full-size stage at both ends (their first and last "
        "layers otherwise work at half size, too coarse for a 1 px outline)"))
    adversarial_loss: str = field(default="bce", metadata=_term(
        "bce (the seed's) or lsgan (the CycleGAN paper's least squares)", choices=("bce", "lsgan")))
    lambda_cycle: float = field(default=10.0, metadata=_term("cycle-consistency weight (cyclegan)", "cyclegan"))
    identity_weight: float = field(default=0.5, metadata=_term(
        "identity loss weight, as a fraction of lambda_cycle (cyclegan)", "cyclegan"))
    pool_size: int = field(default=0, metadata=_flag(
        "history of translated images shown to the discriminators (the paper: 50; 0 = off, as the seed; "
        "cyclegan only)"))
    lr_decay: bool = field(default=False, metadata=_flag(
        "decay the learning rate linearly to 0 over the second half of training"))
    epochs_decay: int = _epochs_decay()
    nce_weight: float = field(default=0.0, metadata=_term(
        "PatchNCE's weight (cut, fastcut; CUT's lambda_NCE); 0 = the objective's: cut 1, fastcut 10", "cut", "fastcut"))
    nce_layers: str = field(default="", metadata=_term(
        "the generator's layers PatchNCE reads, by name, comma-separated; empty = five from the pixels "
        "down (hub.generators)", "cut", "fastcut"))
    nce_patches: int = field(default=256, metadata=_term(
        "patches sampled per layer for PatchNCE (CUT's num_patches)", "cut", "fastcut"))
    nce_temperature: float = field(default=0.07, metadata=_term(
        "PatchNCE's softmax temperature (CUT's nce_T)", "cut", "fastcut"))
    nce_idt: str = field(default="auto", metadata=_term(
        "PatchNCE on the target domain's own images too (CUT's identity term): auto = on for cut, off for "
        "fastcut", "cut", "fastcut", choices=("auto", "on", "off")))
    flip_equivariance: str = field(default="auto", metadata=_term(
        "mirror the whole batch at random (FastCUT's flip equivariance): auto = on for fastcut, off for cut",
        "cut", "fastcut", choices=("auto", "on", "off")))
    edge_promoting_weight: float = field(default=0.0, metadata=_term(
        "CartoonGAN's edge-promoting loss: domain B's own images with their edges blurred are shown "
        "to disc_Y as fakes, with this weight (B should be the side with crisp edges, e.g. 2d); "
        "needs --input-pipeline arrays (auto picks it); 0 = off"))
    tv_weight: float = field(default=0.0, metadata=_term(
        "total variation of gen_G's translations into B in its loss, with this weight (AnimeGANv2's): "
        "flat fills with crisp borders instead of grain; 0 = off"))
    cycle_blur: float = field(default=0.0, metadata=_term(
        "compare the cycle's images low-passed by a Gaussian of this sigma in px, so G need not hide "
        "the source's fine texture in its output for F to rebuild (cyclegan only); 0 = off", "cyclegan"))

    def arrays_only(self):
        return ["--edge-promoting-weight"] if self.edge_promoting_weight else []

    def validate(self):
        super().validate()
        _check_generator(self)
        if self.pool_size < 0:
            raise ValueError("--pool-size must be >= 0")
        if self.objective != "cyclegan" and self.pool_size:
            raise ValueError(f"--pool-size is for --objective cyclegan; {self.objective} shows D the current "
                             "translations, as its paper does" + (
                                 f" (--preset {self.preset} sets a pool: add --pool-size 0)" if self.preset != "seed"
                                 else ""))
        if self.objective != "cyclegan" and self.cycle_blur:
            raise ValueError(f"--cycle-blur is for --objective cyclegan; {self.objective} has no cycle")
        if self.nce_patches < 1 or self.nce_temperature <= 0:
            raise ValueError("--nce-patches must be >= 1 and --nce-temperature > 0")
        nce_flags = {"--nce-weight": self.nce_weight != 0, "--nce-layers": bool(self.nce_layers),
                     "--nce-patches": self.nce_patches != 256, "--nce-temperature": self.nce_temperature != 0.07,
                     "--nce-idt": self.nce_idt != "auto", "--flip-equivariance": self.flip_equivariance != "auto"}
        if self.objective == "cyclegan" and any(nce_flags.values()):
            raise ValueError(f"{', '.join(k for k, v in nce_flags.items() if v)}: for --objective cut or fastcut "
                             "(PatchNCE); the cyclegan objective has none")


@dataclass(frozen=True)
class Pix2PixConfig(PatchGANRunConfig):
    """pix2pix (Isola et al., CVPR 2017) both ways: the same U-Net, a conditional PatchGAN,
    L1 x 100 to the paired image. Needs data whose two domains come in pairs."""
    OBJECTIVE: ClassVar[str] = "pix2pix"
    epochs: int = field(default=10, metadata=_flag("epochs to train"))
    steps_per_epoch: int = field(default=0, metadata=_flag(
        "training steps per epoch; 0 = one pass over the training pairs"))
    batch_size: int = field(default=1, metadata=_flag("image pairs per step (the paper used 1)"))
    domain_a: str = field(default="medium=3d", metadata=_flag("tag filter selecting domain A"))
    domain_b: str = field(default="medium=2d", metadata=_flag(
        "tag filter selecting domain B; its images pair with A's by the 'scene' tag"))
    generator: str = field(default="unet", metadata=_flag(
        "unet (the paper's), resnet or light (needs --upsample resize)", choices=tuple(GENERATORS)))
    full_size_head: bool = field(default=False, metadata=_flag(
        "give the U-Net (or the light generator) a full-size stage at both ends (their first and last "
        "layers otherwise work at half size, too coarse for a 1 px outline)"))
    adversarial_loss: str = field(default="bce", metadata=_term(
        "bce (the paper's) or lsgan", choices=("bce", "lsgan")))
    lambda_l1: float = field(default=100.0, metadata=_term("weight of the L1 loss to the paired image"))
    tv_weight: float = field(default=0.0, metadata=_term(
        "total variation of gen_G's translations into B in its loss, with this weight (AnimeGANv2's): "
        "flat fills instead of grain; 0 = off"))
    lr_decay: bool = field(default=False, metadata=_flag(
        "decay the learning rate linearly to 0 over the second half of training"))
    epochs_decay: int = _epochs_decay()
    input_pipeline: str = field(default="arrays", metadata=_flag(
        "arrays: the pairs are decoded once into memory (the only pipeline pix2pix has)", choices=("arrays",)))

    def validate(self):
        super().validate()
        _check_generator(self)


@dataclass(frozen=True)
class DistillConfig(PatchGANRunConfig):
    """A small student generator trained on a teacher's outputs (trainer.objectives.distill): each
    student learns its teacher direction's translations of the teacher's training images
    by pix2pix's objective, L1 to the teacher's output and a conditional PatchGAN."""
    OBJECTIVE: ClassVar[str] = "distill"
    teacher: str = field(default="", metadata=_flag(
        "the trained hub.CycleGAN model folder (or Hub repo id) whose translations the student learns",
        positional=True))
    domain_a: str = field(default="", metadata=_flag(
        "tag filter of the images the student a2b learns on; empty = the teacher's domain A"))
    domain_b: str = field(default="", metadata=_flag(
        "tag filter of the images the student b2a learns on; empty = the teacher's domain B"))
    image_size: int = field(default=0, metadata=_flag(
        "training image side in pixels; 0 = the teacher's training size", aliases=("--crop-size",)))
    batch_size: int = field(default=4, metadata=_flag("images per step, per direction"))
    # A student fits a fixed target, as a regression does: at pix2pix's 2e-4 it was still blurred long after
    # 1e-3 had drawn the lines (docs/training.md, on trainer.objectives.distill).
    learning_rate: float = field(default=1e-3, metadata=_flag("Adam learning rate, all four networks"))
    generator: str = field(default="light", metadata=_flag(
        "the student: light (0.5 M params at --base-filters 64), unet or resnet",
        choices=tuple(GENERATORS)))
    upsample: str = field(default="resize", metadata=_flag(
        "resize (bilinear x2 + 3x3 conv; the light generator's only way) or transpose",
        choices=("transpose", "resize")))
    full_size_head: bool = field(default=True, metadata=_flag(
        "give the student a full-size stage at both ends, for 1 px outlines (unet and light)"))
    adversarial_loss: str = field(default="lsgan", metadata=_term(
        "the conditional discriminator's loss: lsgan or bce", choices=("bce", "lsgan")))
    lambda_l1: float = field(default=100.0, metadata=_term("weight of the L1 loss to the teacher's output"))
    tv_weight: float = field(default=0.0, metadata=_term(
        "total variation of the a2b student's translations in its loss, with this weight (AnimeGANv2's): "
        "flat fills instead of grain; 0 = off"))
    # Lines are a few percent of a frame: with plain L1 the light student drew the demo's outlines well below
    # its teacher; with lines counted 11 times, close to it (two seeds; docs/results.md).
    line_weight: float = field(default=10.0, metadata=_term(
        "count the pixels where the teacher's output or the student's draws a thin dark line (the "
        "outline metric's detector) 1 + this many times in the L1; 0 = plain L1"))
    lr_decay: bool = field(default=True, metadata=_flag(
        "decay the learning rate linearly to 0 over the second half of training"))
    epochs_decay: int = _epochs_decay()
    input_pipeline: str = field(default="arrays", metadata=_flag(
        "arrays: the images and the teacher's outputs are held in memory (the only pipeline distill has)",
        choices=("arrays",)))

    def validate(self):
        if not self.teacher:
            raise ValueError("TEACHER is required: a trained hub.CycleGAN model folder or Hub repo id")
        if self.image_size < 0:
            raise ValueError("--image-size must be >= 0 (0 = the teacher's)")
        # --image-size 0 becomes the teacher's when trainer.objectives.distill loads it
        PatchGANRunConfig.validate(dataclasses.replace(self, image_size=self.image_size or 1))
        _check_generator(self)


def _check_generator(config):
    generators.check(config.generator, config.upsample, config.full_size_head)


def _tag_list(text):
    return [t.strip() for t in text.split(",") if t.strip()]


@dataclass(frozen=True)
class CAAEConfig(RunConfig):
    OBJECTIVE: ClassVar[str] = "caae"
    epochs: int = field(default=60, metadata=_flag(
        "adversarial epochs, after the pretraining ones (the seed trained 60)"))
    batch_size: int = field(default=16, metadata=_flag("images per step"))
    # The seed's 2e-3 left the autoencoder's L1 oscillating on toyworld 64 px; Zhang et al.'s
    # 2e-4 went well below it (docs/results.md, "CAAE on toyworld").
    learning_rate: float = field(default=2e-4, metadata=_flag(
        "Adam learning rate, all networks (Zhang et al.'s; the seed's 2e-3 trains worse)"))
    labels: str = field(default="medium,studio,movie", metadata=_flag(
        "manifest tags whose values form the label vector, one one-hot group each"))
    pretrain_epochs: int = field(default=10, metadata=_flag(
        "autoencoder-only epochs before the adversarial ones (the seed's stabiliser)"))
    latent_dim: int = field(default=256, metadata=_flag("size of the latent z (the seed's 256)"))
    latent: str = field(default="dense", metadata=_flag(
        "dense (the seed's: a vector) or spatial (a grid of cells at the bottleneck that keeps "
        "where things are: sharper; --latent-dim must be a multiple of the cells)",
        choices=("dense", "spatial")))
    stages: int = field(default=5, metadata=_flag(
        "stride-2 convs in the encoder, decoder and image discriminator (5 at 256 px: an 8x8 bottleneck)"))
    film: bool = field(default=False, metadata=_flag(
        "the label also modulates every decoder stage's features (FiLM), not only the bottleneck's"))
    skips: bool = field(default=False, metadata=_flag(
        "U-Net skips: the encoder also hands the decoder its features of every size (a full-size "
        "stem's too), each modulated by the label before the decoder joins it, so fine lines are "
        "in reach; needs --latent spatial"))
    paired_targets: str = field(default="", metadata=_flag(
        "a tag that pairs images of the same content under other labels (toyworld's scene): "
        "each training image is also rendered under its pair's labels and compared with the "
        "pair (L1 x --target-weight, SSIM x --ssim-weight); empty = off, as the seed"))
    target_weight: float = field(default=100.0, metadata=_term(
        "weight of the L1 to the paired targets (as the reconstruction's)"))
    line_weight: float = field(default=0.0, metadata=_term(
        "count the pixels where the target or the output draws a line this many times more in "
        "the target L1 (trainer.objectives.distill's term): lines are a few percent of a frame"))
    paired_adversarial_weight: float = field(default=0.0, metadata=_term(
        "weight of the decoder's loss against a PatchGAN that judges (image, its restyling to its "
        "pair's labels) against (image, the pair), the label given as planes: pix2pix's "
        "conditional discriminator, which keeps the lines an L1 averages away; needs "
        "--paired-targets; 0 = off"))
    projection_discriminator: bool = field(default=False, metadata=_flag(
        "the image discriminator takes the label as a projection on its features (Miyato and Koyama "
        "2018), not as a 4th image channel"))
    reconstruction_weight: float = field(default=100.0, metadata=_term("weight of the L1 reconstruction loss"))
    tv_weight: float = field(default=10.0, metadata=_term("weight of the total-variation loss"))
    ssim_weight: float = field(default=0.0, metadata=_term(
        "weight of 1 - SSIM between image and reconstruction (and restyling and paired target), "
        "beside L1 (Zhao et al. 2017): L1 alone averages edges away; 0 = off, as the seed"))
    adversarial_weight: float = field(default=1.0, metadata=_term(
        "weight of the encoder's and decoder's adversarial losses"))
    label_adversary: str = field(default="", metadata=_flag(
        "label tags (some of --labels) to keep out of z, against a classifier that reads them "
        "from it (Fader networks), so that the label alone sets them, e.g. medium,studio; leave "
        "out tags that also name content (toyworld's movie names the place); empty = off, as the seed"))
    label_adversary_weight: float = field(default=1.0, metadata=_term(
        "weight of the encoder's loss against that classifier"))
    style_classifier_weight: float = field(default=0.0, metadata=_term(
        "weight of the decoder's loss for images re-rendered under another image's label, as "
        "judged by a classifier of the labels trained on real images (StarGAN's domain "
        "classification): > 0 makes each label visibly change the image; 0 = off, as the seed"))
    edge_promoting_weight: float = field(default=0.0, metadata=_term(
        "CartoonGAN's edge-promoting loss made label-aware: each training image with its edges "
        "blurred is shown to the image discriminator, under its own label, as a fake, with this "
        "weight, so a soft reconstruction is not an image of its style; needs --input-pipeline "
        "arrays (auto picks it); 0 = off, as the seed"))
    restyled_adversarial_weight: float = field(default=0.0, metadata=_term(
        "weight of the decoder's adversarial loss on images re-rendered under another image's "
        "label, which the image discriminator then also judges under that label (StarGAN's D "
        "judges its translations): the restyled output must look like a real image of its "
        "style, not only be classified as it; 0 = off, as the seed (D judges reconstructions only)"))

    def arrays_only(self):
        return [flag for flag, given in (("--edge-promoting-weight", self.edge_promoting_weight),
                                         ("--paired-targets", self.paired_targets)) if given]

    def validate(self):
        super().validate()
        if self.pretrain_epochs < 0 or self.latent_dim < 1 or self.stages < 1:
            raise ValueError("--pretrain-epochs must be >= 0, --latent-dim and --stages >= 1")
        if self.skips and self.latent != "spatial":
            raise ValueError("--skips needs --latent spatial")
        if self.paired_adversarial_weight and not self.paired_targets:
            raise ValueError("--paired-adversarial-weight needs --paired-targets")
        unknown = set(self.adversary_tags) - set(self.label_tags)
        if unknown:
            raise ValueError(f"--label-adversary names {', '.join(sorted(unknown))}, which --labels "
                             f"({self.labels}) does not")
        if self.image_size % 2**self.stages:
            raise ValueError(f"--image-size {self.image_size} must be a multiple of 2**stages = {2**self.stages}")
        side = self.image_size // 2**self.stages
        if self.latent == "spatial" and self.latent_dim % (side * side):
            raise ValueError(f"--latent spatial needs --latent-dim a multiple of the {side}x{side} "
                             f"bottleneck cells ({side * side}), e.g. {side * side * 16}")

    @property
    def label_tags(self):
        return _tag_list(self.labels)

    @property
    def adversary_tags(self):
        return _tag_list(self.label_adversary)


# Fields a resumed run may change; the rest must match the run it continues.
RESUMABLE_OVERRIDES = ("epochs", "checkpoint_every", "save_every_epochs", "log_every", "input_pipeline", "distribute",
                       "jit_compile", "flat_fills", "onnx")


def add_flags(parser, config_cls):
    """One --flag per dataclass field, named after it, typed by its default (or an
    argument without a flag, where its metadata says positional).

    Defaults are suppressed so `from_args` can tell which flags were given.
    """
    for f in dataclasses.fields(config_cls):
        kwargs = dict(f.metadata)
        kwargs.pop("loss_term", None)
        flags = ["--" + f.name.replace("_", "-"), *kwargs.pop("aliases", ())]
        kwargs["help"] += f" (default: {f.default})" if f.default != "" else " (required)"
        if kwargs.pop("positional", False):  # optional on the command line: --resume reads it from config.json
            parser.add_argument(f.name, metavar=f.name.upper(), nargs="?", default=argparse.SUPPRESS, **kwargs)
        elif isinstance(f.default, bool):
            parser.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction,
                                default=argparse.SUPPRESS, **kwargs)
        else:
            parser.add_argument(*flags, dest=f.name, type=type(f.default), default=argparse.SUPPRESS, **kwargs)


def given_flags(args, config_cls):
    """{field: value} for the config flags present on the command line, a --preset's
    flags included (those given beside it win)."""
    names = {f.name for f in dataclasses.fields(config_cls)}
    given = {k: v for k, v in vars(args).items() if k in names}
    return {**PRESETS.get(given.get("preset"), {}), **given}


def save(config, path):
    write_json(path, dataclasses.asdict(config))


def load(config_cls, path):
    saved = json.loads(Path(path).read_text(encoding="utf-8"))
    if saved.get("recipe") not in (None, "none"):  # runs from before --recipe became --preset
        saved.setdefault("preset", saved["recipe"])
    known = {f.name for f in dataclasses.fields(config_cls)}
    return config_cls(**{k: v for k, v in saved.items() if k in known})


def resumed(config_cls, path, overrides):
    """The saved config of a run, with the few fields a resume may change."""
    config = load(config_cls, path)
    conflicts = {k: (getattr(config, k), v) for k, v in overrides.items()
                 if k not in RESUMABLE_OVERRIDES and getattr(config, k) != v}
    if conflicts:
        detail = ", ".join(f"--{k.replace('_', '-')} was {old!r}, now {new!r}"
                           for k, (old, new) in conflicts.items())
        raise ValueError(f"--resume continues the run saved in {path} and cannot change: {detail}. "
                         f"Only {', '.join('--' + k.replace('_', '-') for k in RESUMABLE_OVERRIDES)} "
                         "may differ; start a new --out folder for a different run.")
    return dataclasses.replace(config, **{k: v for k, v in overrides.items() if k in RESUMABLE_OVERRIDES})
