import argparse
import json

import pytest

from trainer import config as config_lib
from trainer.config import CycleGANConfig


def parse(argv):
    parser = argparse.ArgumentParser()
    config_lib.add_flags(parser, CycleGANConfig)
    return parser.parse_args(argv)


def test_flags_map_to_fields_and_only_given_ones_are_reported():
    args = parse(["--data", "d", "--image-size", "64", "--generator", "resnet", "--lr-decay"])
    given = config_lib.given_flags(args, CycleGANConfig)
    assert given == {"data": "d", "image_size": 64, "generator": "resnet", "lr_decay": True}
    config = CycleGANConfig(**given)
    assert config.batch_size == 1 and config.lambda_cycle == 10.0 and config.learning_rate == 2e-4


def test_bad_choices_and_values_are_rejected():
    with pytest.raises(SystemExit):
        parse(["--generator", "vit"])
    with pytest.raises(ValueError, match="--data is required"):
        CycleGANConfig().validate()
    with pytest.raises(ValueError, match="--batch-size must be >= 1"):
        CycleGANConfig(data="d", batch_size=0).validate()
    cut_recipe = CycleGANConfig(**config_lib.given_flags(parse(["--data", "d", "--preset", "cartoon", "--objective",
                                                                 "cut"]), CycleGANConfig))
    with pytest.raises(ValueError, match="add --pool-size 0"):
        cut_recipe.validate()
    with pytest.raises(ValueError, match="--full-size-head is a stage of the U-Net and the light generator"):
        CycleGANConfig(data="d", generator="resnet", full_size_head=True).validate()
    with pytest.raises(ValueError, match="--generator light upsamples by resizing only: add --upsample resize"):
        CycleGANConfig(data="d", generator="light").validate()
    light_recipe = CycleGANConfig(**config_lib.given_flags(parse(["--data", "d", "--preset", "cartoon", "--generator",
                                                                   "light"]), CycleGANConfig))
    light_recipe.validate()
    assert (light_recipe.generator, light_recipe.full_size_head, light_recipe.upsample) == ("light", True, "resize")


def test_save_load_and_resume_rules(tmp_path):
    path = tmp_path / "config.json"
    config_lib.save(CycleGANConfig(data="d", epochs=3), path)
    assert config_lib.load(CycleGANConfig, path) == CycleGANConfig(data="d", epochs=3)
    longer = config_lib.resumed(CycleGANConfig, path, {"epochs": 9, "data": "d"})
    assert longer.epochs == 9
    with pytest.raises(ValueError, match="--batch-size was 1, now 4"):
        config_lib.resumed(CycleGANConfig, path, {"batch_size": 4})


def test_a_preset_sets_its_flags_and_flags_beside_it_win(tmp_path):
    given = config_lib.given_flags(parse(["--data", "d", "--recipe", "cartoon", "--pool-size", "10"]), CycleGANConfig)
    config = CycleGANConfig(**given)  # --recipe: the name it had before presets
    config.validate()
    assert config.preset == "cartoon" and config.full_size_head and config.adversarial_loss == "lsgan"
    assert config.edge_promoting_weight == config_lib.PRESETS["cartoon"]["edge_promoting_weight"] > 0
    assert config.pool_size == 10  # given beside the preset
    assert CycleGANConfig(**config_lib.given_flags(parse(["--data", "d"]), CycleGANConfig)).full_size_head is False
    path = tmp_path / "config.json"
    config_lib.save(config, path)
    # naming the preset again on --resume changes nothing
    assert config_lib.resumed(CycleGANConfig, path, given) == config


def test_the_paper_preset_writes_the_papers_settings(tmp_path):
    config = CycleGANConfig(**config_lib.given_flags(parse(["--data", "d", "--preset", "paper"]), CycleGANConfig))
    config.validate()
    # Zhu et al. 2017, section 4 and appendix 7.1: ResNet-9, LSGAN, a pool of 50, batch 1, Adam 2e-4
    # (beta_1 0.5), 100 epochs then 100 of linear decay to 0, images loaded at 286 and cropped to 256, flips
    expected = {"generator": "resnet", "adversarial_loss": "lsgan", "pool_size": 50, "batch_size": 1,
                "learning_rate": 2e-4, "beta_1": 0.5, "epochs": 200, "lr_decay": True, "image_size": 256,
                "load_size": 286, "flip": True, "lambda_cycle": 10.0, "identity_weight": 0.5, "disc_layers": 3}
    assert {key: getattr(config, key) for key in expected} == expected
    assert config_lib.describe_preset("paper").startswith("--generator resnet --adversarial-loss lsgan --pool-size 50")
    seed = CycleGANConfig(**config_lib.given_flags(parse(["--data", "d"]), CycleGANConfig))
    assert seed.preset == "seed" and seed.generator == "unet" and seed.adversarial_loss == "bce"  # the default
    flags = config_lib.given_flags(parse(["--data", "d", "--preset", "paper", "--crop-size", "128", "--no-flip"]),
                                   CycleGANConfig)
    assert flags["image_size"] == 128 and flags["flip"] is False  # given beside it: they win
    with pytest.raises(ValueError, match="--load-size 286 is smaller than the --image-size 512 crop"):
        CycleGANConfig(**{**flags, "image_size": 512}).validate()


def test_a_run_saved_with_a_recipe_loads_with_it_as_its_preset(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"data": "d", "recipe": "cartoon", "full_size_head": true}')
    assert config_lib.load(CycleGANConfig, path).preset == "cartoon"


def test_steps_per_epoch_0_settles_to_one_pass_and_is_written(tmp_path):
    from trainer.engine import run

    settled = run.settle(CycleGANConfig(data="-", batch_size=4), tmp_path, examples=10)
    assert settled.steps_per_epoch == 2  # 10 images, 4 a batch: two full batches an epoch
    assert json.loads((tmp_path / "config.json").read_text())["steps_per_epoch"] == 2
    assert run.settle(CycleGANConfig(data="-", batch_size=4, steps_per_epoch=7), tmp_path, 10).steps_per_epoch == 7
    assert run.settle(CycleGANConfig(data="-", batch_size=4), tmp_path, examples=3).steps_per_epoch == 1


def test_epochs_decay_holds_the_rate_then_falls_linearly_to_zero():
    import keras  # noqa: F401 - the schedule is a Keras one

    from trainer.engine.schedules import learning_rate

    config = CycleGANConfig(data="d", epochs=4, epochs_decay=2, steps_per_epoch=10, learning_rate=2e-4)
    assert config.total_epochs == 6
    rate = learning_rate(config)
    for step, expected in ((0, 2e-4), (40, 2e-4), (50, 1e-4), (60, 0.0), (70, 0.0)):
        assert float(rate(step)) == pytest.approx(expected, abs=1e-9), step
    halves = learning_rate(CycleGANConfig(data="d", epochs=4, lr_decay=True, steps_per_epoch=10))
    assert [float(halves(s)) for s in (20, 30, 40)] == pytest.approx([2e-4, 1e-4, 0.0])
    # --epochs-decay, when given, replaces --lr-decay's second half
    both = learning_rate(CycleGANConfig(data="d", epochs=4, epochs_decay=2, lr_decay=True, steps_per_epoch=10))
    assert float(both(40)) == pytest.approx(2e-4)
    assert learning_rate(CycleGANConfig(data="d", steps_per_epoch=10)) == 2e-4
    with pytest.raises(ValueError, match="--epochs-decay must be >= 0"):
        CycleGANConfig(data="d", epochs_decay=-1).validate()


@pytest.mark.parametrize("module", ["trainer.cyclegan", "trainer.caae", "trainer.pix2pix", "trainer.distill"])
def test_help_answers_without_importing_tensorflow(module):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-X", "importtime", "-m", module, "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "--epochs" in result.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert not imported & {"tensorflow", "keras", "jax"}, sorted(imported & {"tensorflow", "keras", "jax"})


def test_auto_input_pipeline_keeps_images_in_memory_where_an_option_needs_them():
    import keras

    from trainer.config import CAAEConfig
    from trainer.engine import run

    assert keras.backend.backend() == "tensorflow"  # where auto otherwise picks tf.data
    assert run.resolve_input_pipeline(CycleGANConfig(data="-")).input_pipeline == "tfdata"
    assert run.resolve_input_pipeline(CycleGANConfig(data="-", edge_promoting_weight=1.0)).input_pipeline == "arrays"
    assert run.resolve_input_pipeline(CAAEConfig(data="-", paired_targets="scene")).input_pipeline == "arrays"
    with pytest.raises(ValueError, match="--paired-targets needs --input-pipeline arrays"):
        CAAEConfig(data="-", paired_targets="scene", input_pipeline="tfdata").validate()
