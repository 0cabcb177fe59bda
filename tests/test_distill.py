"""Distillation (trainer.objectives.distill): the student's losses are pix2pix's on the teacher's
translations, a tiny student learns a teacher it can imitate, a run resumes exactly after
SIGKILL, and a teacher it cannot use is refused before training."""

import math

import keras
import numpy as np
import pytest

from hub.cyclegan import CycleGAN
from hub.imaging import from_uint8
from tests.helpers import tiny_models, training_cli
from trainer import config as config_lib
from trainer.config import DistillConfig
from trainer.data import arrays
from trainer.data.domains import domain_paths
from trainer.data.manifest import parse_filter
from trainer.engine import cli, run
from trainer.objectives import distill

TINY = ["--image-size", "32", "--base-filters", "4", "--batch-size", "2", "--samples", "2", "--no-onnx"]


def colour_teacher(folder, flat_fills=("a2b",)):
    """A teacher a small student can match exactly: a2b negates the colours, b2a reverses
    the channels (1x1 convolutions), saved as a hub.CycleGAN folder of 32 px."""
    def per_pixel(name, matrix):
        x = keras.Input((None, None, 3))
        conv = keras.layers.Conv2D(3, 1, use_bias=False)
        net = keras.Model(x, conv(x), name=name)
        conv.set_weights([matrix.reshape(1, 1, 3, 3).astype("float32")])
        return net

    config = {"architecture": "cyclegan", "generator": "unet", "image_size": 32, "size_multiple": 1,
              "domain_a": "medium=3d", "domain_b": "medium=2d", "domain_a_name": "3d", "domain_b_name": "2d",
              "flat_fills": list(flat_fills)}
    model = CycleGAN(per_pixel("negate", -np.eye(3)), per_pixel("reverse", np.eye(3)[::-1]), config)
    tiny_models.without_onnx(model).save_pretrained(folder)
    return folder


def test_the_losses_are_pix2pix_on_the_teachers_translations():
    rng = np.random.default_rng(0)
    images_a, taught_b, images_b, taught_a = (rng.uniform(-1, 1, (2, 8, 8, 3)).astype("float32") for _ in range(4))
    conditions = {}

    def network(name, channels, output):
        x = keras.Input((None, None, channels))
        return keras.Model(x, keras.layers.Lambda(output)(x), name=name)

    def blind(name):
        """A discriminator that cannot tell (logit 0) and notes the condition it was shown."""
        def call(t):
            conditions[name] = t[..., :3]
            return keras.ops.zeros_like(t[:, :2, :2, :1])
        return network(name, 6, call)

    grey = lambda t: keras.ops.zeros_like(t)  # noqa: E731 - a generator that outputs grey
    trainer = distill.DistillTrainer(network("gen_G", 3, grey), network("gen_F", 3, grey), blind("disc_X"),
                                     blind("disc_Y"), jitter=False)
    trainer.compile(keras.optimizers.Adam(), adversarial_loss="bce", line_weight=0.0)
    values = {k: float(v) for k, v in trainer.compute_losses(images_a, taught_b, images_b, taught_a).items()}
    # each student: L1 x 100 to the teacher's translation of its own input, D conditioned on that input
    assert values["gen_G_loss"] == pytest.approx(math.log(2) + 100 * np.abs(taught_b).mean(), rel=1e-5)
    assert values["gen_F_loss"] == pytest.approx(math.log(2) + 100 * np.abs(taught_a).mean(), rel=1e-5)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(conditions["disc_Y"]), np.concatenate([images_a] * 2))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(conditions["disc_X"]), np.concatenate([images_b] * 2))

    # --line-weight: where the teacher draws a line, the L1 counts 1 + line_weight times
    line = np.full((2, 32, 32, 3), 0.5, np.float32)
    line[:, 10, 4:28] = -0.9
    trainer.objective, trainer.line_radius = trainer.objective.replace(line_weight=10.0), 2
    inputs = rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    weighted = float(trainer.compute_losses(inputs, line, inputs, line)["gen_G_loss"])
    on_line, off_line = 24 * 0.9, (32 * 32 - 24) * 0.5  # |teacher - grey| summed on and off the line
    assert weighted == pytest.approx(math.log(2) + 100 * (11 * on_line + off_line) / (32 * 32), rel=1e-5)


@pytest.mark.slow
def test_a_tiny_student_learns_its_teachers_translations(toyworld_64, tmp_path):
    teacher = colour_teacher(tmp_path / "teacher")
    log = training_cli.run_in_process("trainer.distill", [
        str(teacher), "--data", str(toyworld_64), *TINY, "--epochs", "2", "--steps-per-epoch", "25",
        "--learning-rate", "5e-3", "--out", str(tmp_path / "run")])
    assert "the teacher translated 27 images 3d -> 2d" in log and "the teacher translated 27 images 2d -> 3d" in log

    student = CycleGAN.from_pretrained(tmp_path / "run" / "model", runtime="keras")
    assert student.config["generator"] == "light" and student.config["full_size_head"] is True
    assert student.config["domain_b"] == "medium=2d" and student.flat_fills == ("a2b",)  # the teacher's
    assert student.config["training"]["objective"] == "distill"
    assert student.config["training"]["teacher"] == str(teacher)
    assert (tmp_path / "run" / "samples" / "epoch_002.png").is_file()
    card = (tmp_path / "run" / "model" / "README.md").read_text()
    assert f"trained at 32 px to give the translations of the unet model `{teacher}` (distilled)" in card
    assert "Each row: an image of each domain, the student's translation of it, and the teacher's." in card

    # On held-out images, the student is far nearer the teacher than the same network untrained.
    test_images = from_uint8(arrays.decode_all(domain_paths(toyworld_64, parse_filter("medium=3d"), "test"), 32))
    wanted = -test_images
    keras.utils.set_random_seed(0)
    untrained = distill.build_trainer(distill.with_teacher_defaults(DistillConfig(
        teacher=str(teacher), data=str(toyworld_64), image_size=32, base_filters=4), CycleGAN.from_pretrained(
        teacher, runtime="keras")), distill.DistillTrainer).gen_G

    def error(net):
        return float(np.abs(keras.ops.convert_to_numpy(net(test_images, training=False)) - wanted).mean())

    trained_error, untrained_error = error(student.generators["a2b"]), error(untrained)
    assert trained_error < 0.5 * untrained_error, (trained_error, untrained_error)


@pytest.mark.slow
def test_kill_and_resume_matches_an_uninterrupted_run(toyworld_64, tmp_path):
    teacher = colour_teacher(tmp_path / "teacher")
    training_cli.assert_kill_and_resume_match("trainer.distill", [
        str(teacher), "--data", str(toyworld_64), *TINY, "--epochs", "2", "--steps-per-epoch", "6",
        "--checkpoint-every", "4", "--seed", "5", "--line-weight", "4"], 8, tmp_path)


def test_a_teacher_it_cannot_use_is_refused_before_training(toyworld_64, tmp_path):
    def error(*args):
        return training_cli.error_of("trainer.distill", ["--data", str(toyworld_64), *TINY,
                                                          "--out", str(tmp_path / "run"), *args])

    assert error().startswith("error: TEACHER is required")
    caae = tmp_path / "caae"
    tiny_models.without_onnx(tiny_models.caae()).save_pretrained(caae)
    assert error(str(caae)) == f"error: {caae} is a caae model: distill learns a hub.CycleGAN's translations"
    unet = tmp_path / "unet"  # a U-Net of 32 px takes sides that are multiples of 32
    tiny_models.without_onnx(tiny_models.cyclegan()).save_pretrained(unet)
    assert "--image-size 48 must be a multiple of the teacher's size multiple (32)" in error(
        str(unet), "--image-size", "48")
    assert error(str(tmp_path / "missing")).startswith(
        f"error: {tmp_path / 'missing'} is neither a local model folder nor a Hub repo")
    assert error(str(unet), "--line-weight", "-1") == "error: --line-weight must be >= 0, not -1.0"
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_a_resume_reads_the_teacher_from_the_run_folder(tmp_path):
    config_lib.save(DistillConfig(teacher="ana/cartoon", data="data/toyworld", image_size=32), tmp_path / "config.json")
    parser = cli.build_parser("trainer.objectives.distill", "", DistillConfig)
    resumed = run.prepare_config(parser.parse_args(["--out", str(tmp_path), "--resume"]), DistillConfig)
    assert resumed.teacher == "ana/cartoon" and resumed.image_size == 32
    with pytest.raises(ValueError, match="--teacher was 'ana/cartoon', now 'ana/other'"):
        run.prepare_config(parser.parse_args(["ana/other", "--out", str(tmp_path), "--resume"]), DistillConfig)
