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


@pytest.mark.slow
def test_caae_columns_blend_towards_each_scenes_target_label(toyworld_64, tmp_path):
    tiny_models.without_onnx(tiny_models.cyclegan()).save_pretrained(tmp_path / "cyclegan")
    tiny_models.without_onnx(tiny_models.toyworld_caae(skips=True)).save_pretrained(tmp_path / "caae")
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((40, 60, 3), 90, np.uint8)).save(photo)
    out = tmp_path / "caae.png"
    caae = tmp_path / "caae"
    figure.main(["--model", f"cyclegan={tmp_path / 'cyclegan'}", "--model", f"own={caae}@0",
                 "--model", f"half={caae}@0.5", "--model", f"target={caae}@1",
                 "--model", f"watercolor={caae}@medium=2d,studio=watercolor", "--data", str(toyworld_64),
                 "--scenes", "2", "--photos", str(photo), "--size", "32", "--out", str(out)])
    body = np.asarray(Image.open(out))[figure.TITLE_HEIGHT:]
    assert body.shape == (3 * 34 - 2, 7 * 34 - 2, 3)
    column = lambda k: body[:32, k * 34:k * 34 + 32].astype(int)  # noqa: E731 - the first scene's
    assert len({column(k).tobytes() for k in (2, 3, 4)}) == 3  # each weight renders its own picture

    model = tiny_models.toyworld_caae(skips=True)
    rows_a, rows_b = paired_rows(toyworld_64, "medium=3d", "medium=2d")
    scene = decode_square(rows_a[0]["path"], 32)
    expected = model.decode(model.encode(scene[None]), rows_b[0])[0]
    assert np.abs(column(4) - expected).max() <= 1  # @1: the scene's target label
    watercolor = model.decode(model.encode(scene[None]), {"medium": "2d", "studio": "watercolor"})[0]
    assert np.abs(column(5) - watercolor).max() <= 1

    for bad in (f"x={caae}", f"x={tmp_path / 'cyclegan'}@0.5", f"x={caae}@1.5"):
        with pytest.raises(SystemExit, match="CAAE column|from 0 to 1"):
            figure.main(["--model", bad, "--photos", str(photo), "--out", str(tmp_path / "bad.png")])
