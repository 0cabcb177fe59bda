"""trainer.figure: the side-by-side of models on held-out scenes and photos."""

import numpy as np
import pytest
from PIL import Image

from tests.helpers import tiny_models
from trainer import figure
from trainer.data.arrays import decode_square
from trainer.data.pairs import paired_rows


@pytest.mark.slow
def test_a_row_per_scene_and_photo_a_column_per_model(toyworld_64, tmp_path):
    tiny_models.without_onnx(tiny_models.cyclegan()).save_pretrained(tmp_path / "a")
    tiny_models.without_onnx(tiny_models.cyclegan(seed=1)).save_pretrained(tmp_path / "b")
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((40, 60, 3), 90, np.uint8)).save(photo)
    out = tmp_path / "look.png"
    figure.main(["--model", f"one={tmp_path / 'a'}", "--model", f"two={tmp_path / 'b'}", "--data", str(toyworld_64),
                 "--scenes", "2", "--photos", str(photo), "--size", "32", "--out", str(out)])
    image = np.asarray(Image.open(out))
    assert image.shape == (figure.TITLE_HEIGHT + 3 * 34 - 2, 4 * 34 - 2, 3)  # 3 rows; input, one, two, target
    body = image[figure.TITLE_HEIGHT:]
    assert (body[2 * 34:, 3 * 34:] == 255).all()  # a photo has no target render
    assert not np.array_equal(body[:32, 34:66], body[:32, 68:100])  # two different models
    assert (image[:figure.TITLE_HEIGHT, :30] < 128).any()  # a title was drawn


@pytest.mark.slow
def test_domain_flags_choose_the_scenes(toyworld_64, tmp_path):
    tiny_models.without_onnx(tiny_models.cyclegan()).save_pretrained(tmp_path / "a")
    out = tmp_path / "cel.png"
    figure.main(["--model", f"one={tmp_path / 'a'}", "--data", str(toyworld_64), "--scenes", "2",
                 "--domain-b", "medium=2d,studio=cel", "--size", "32", "--out", str(out)])
    _, cel = paired_rows(toyworld_64, "medium=3d", "medium=2d,studio=cel")
    body = np.asarray(Image.open(out))[figure.TITLE_HEIGHT:]
    for row, target in enumerate(cel[:2]):
        assert target["studio"] == "cel"
        np.testing.assert_array_equal(body[row * 34:row * 34 + 32, 2 * 34:], decode_square(target["path"], 32))
