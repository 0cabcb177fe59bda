import json

import keras
import pytest

from hub import auto
from hub.cyclegan import CycleGAN
from hub.errors import ModelFolderError


def tiny_cyclegan():
    def identity(name):
        x = keras.Input((None, None, 3))
        return keras.Model(x, keras.layers.Identity()(x), name=name)

    config = {"architecture": "cyclegan", "domain_a": "medium=3d", "domain_b": "medium=2d",
              "domain_a_name": "3d", "domain_b_name": "2d", "image_size": 32, "size_multiple": 1}
    return CycleGAN(identity("a2b"), identity("b2a"), config)


def test_picks_the_class_from_the_folder_config(tmp_path):
    tiny_cyclegan().save_pretrained(tmp_path / "model")
    model = auto.from_pretrained(tmp_path / "model")
    assert isinstance(model, CycleGAN) and model.directions["a2b"].name == "3d -> 2d"


def test_unknown_architecture_and_missing_config_are_clear_errors(tmp_path):
    tiny_cyclegan().save_pretrained(tmp_path / "model")
    config_path = tmp_path / "model" / "config.json"
    config_path.write_text(json.dumps({**json.loads(config_path.read_text()), "architecture": "vae"}))
    with pytest.raises(ModelFolderError, match="unknown architecture 'vae'"):
        auto.from_pretrained(tmp_path / "model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFolderError, match="no config.json"):
        auto.from_pretrained(tmp_path / "empty")
