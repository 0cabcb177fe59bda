import argparse

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
    cut_recipe = CycleGANConfig(**config_lib.given_flags(parse(["--data", "d", "--recipe", "cartoon", "--objective",
                                                                 "cut"]), CycleGANConfig))
    with pytest.raises(ValueError, match="add --pool-size 0"):
        cut_recipe.validate()
    with pytest.raises(ValueError, match="--full-size-head .* needs --generator unet"):
        CycleGANConfig(data="d", generator="resnet", full_size_head=True).validate()


def test_save_load_and_resume_rules(tmp_path):
    path = tmp_path / "config.json"
    config_lib.save(CycleGANConfig(data="d", epochs=3), path)
    assert config_lib.load(CycleGANConfig, path) == CycleGANConfig(data="d", epochs=3)
    longer = config_lib.resumed(CycleGANConfig, path, {"epochs": 9, "data": "d"})
    assert longer.epochs == 9
    with pytest.raises(ValueError, match="--batch-size was 1, now 4"):
        config_lib.resumed(CycleGANConfig, path, {"batch_size": 4})


def test_a_recipe_sets_its_flags_and_flags_beside_it_win(tmp_path):
    given = config_lib.given_flags(parse(["--data", "d", "--recipe", "cartoon", "--pool-size", "10"]), CycleGANConfig)
    config = CycleGANConfig(**given)
    config.validate()
    assert config.recipe == "cartoon" and config.full_size_head and config.adversarial_loss == "lsgan"
    assert config.edge_promoting_weight == config_lib.RECIPES["cartoon"]["edge_promoting_weight"] > 0
    assert config.pool_size == 10  # given beside the recipe
    assert CycleGANConfig(**config_lib.given_flags(parse(["--data", "d"]), CycleGANConfig)).full_size_head is False
    path = tmp_path / "config.json"
    config_lib.save(config, path)
    # naming the recipe again on --resume changes nothing
    assert config_lib.resumed(CycleGANConfig, path, given) == config
