"""The inference API other projects call: `CycleGAN.translate` and `CAAE.restyle` take
any picture and give back a PIL image of the input's own size."""

import numpy as np
import pytest
from PIL import Image

from hub.directions import Direction
from hub.errors import ImageError, LabelError
from tests.helpers import tiny_models


@pytest.fixture(scope="module")
def cyclegan():
    return tiny_models.cyclegan()


@pytest.fixture(scope="module")
def caae():
    return tiny_models.caae()


def photo(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3), np.uint8)


def test_translate_keeps_the_input_size_and_aspect(cyclegan, tmp_path):
    Image.fromarray(photo(45, 80)).save(tmp_path / "wide.png")
    for source in (tmp_path / "wide.png", str(tmp_path / "wide.png"), photo(45, 80), Image.fromarray(photo(45, 80))):
        out = cyclegan.translate(source, "a2b")
        assert isinstance(out, Image.Image) and out.size == (80, 45) and out.mode == "RGB"


def test_translate_equals_the_network_on_an_input_of_its_own_size(cyclegan):
    image = photo(32, 64)
    direct = cyclegan.translate_array(image[None], "b2a")[0]
    np.testing.assert_array_equal(np.asarray(cyclegan.translate(image, "b2a")), direct)


def test_translate_pads_instead_of_cropping(cyclegan):
    # 40 px high -> scaled to 32 (the short side) x 48, padded to 64 wide: the right
    # edge of the output still depends on the right edge of the input.
    image = photo(40, 60)
    edited = image.copy()
    edited[:, -6:] = 255
    before, after = (np.asarray(cyclegan.translate(x, "a2b"), np.int32) for x in (image, edited))
    assert np.abs(before[:, -6:] - after[:, -6:]).mean() > 1


def test_a_list_is_batched_and_each_keeps_its_size(cyclegan):
    outs = cyclegan.translate([photo(32, 32), photo(64, 32), photo(32, 32, seed=1)], "a2b")
    assert [o.size for o in outs] == [(32, 32), (32, 64), (32, 32)]
    alone = cyclegan.translate(photo(32, 32, seed=1), "a2b")
    np.testing.assert_array_equal(np.asarray(outs[2]), np.asarray(alone))


def test_directions_are_named_after_the_domains(cyclegan):
    assert {k: d.name for k, d in cyclegan.directions.items()} == {"a2b": "3d -> 2d", "b2a": "2d -> 3d"}
    by_name = cyclegan.translate(photo(32, 32), "2d -> 3d")
    np.testing.assert_array_equal(np.asarray(by_name), np.asarray(cyclegan.translate(photo(32, 32), "b2a")))
    with pytest.raises(ValueError, match="direction must be one of"):
        cyclegan.translate(photo(32, 32), "3d -> pixar")
    # A Direction is a value: what the library returns it also takes, and it knows its parts.
    back = cyclegan.direction("2d->3d")
    assert back == cyclegan.directions["b2a"] == Direction("b2a", "2d", "3d") and str(back) == "2d -> 3d"
    assert (back.key, back.source, back.target) == ("b2a", "2d", "3d")
    np.testing.assert_array_equal(np.asarray(cyclegan.translate(photo(32, 32), back)), np.asarray(by_name))


def test_bad_pictures_raise_our_error(cyclegan, caae, tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(ImageError):
        cyclegan.translate(tmp_path / "bad.jpg")
    with pytest.raises(ImageError):
        caae.restyle(np.zeros((5, 5, 7), np.uint8), {"medium": "2d", "studio": "cel"})


def test_restyle_takes_label_weights_and_keeps_the_size(caae):
    assert caae.label_names == ["medium=2d", "medium=3d", "studio=cel", "studio=clay", "studio=pixel"]
    out = caae.restyle(photo(20, 50), {"medium=2d": 1.0, "studio=cel": 1.0})
    assert isinstance(out, Image.Image) and out.size == (50, 20)
    # One-hot weights are the same label as the {tag: value} form.
    np.testing.assert_array_equal(np.asarray(out), np.asarray(caae.restyle(photo(20, 50), caae.styles[0])))


def test_mixed_weights_blend_between_the_pure_labels(caae):
    image = photo(32, 32)
    z = caae.encode(image[None])

    def decoded(weights):
        return caae.decoder([z, caae.label_vector(weights)[None]], training=False).numpy()[0]

    pure_2d = decoded({"medium=2d": 1, "studio=clay": 1})
    pure_3d = decoded({"medium=3d": 1, "studio=clay": 1})
    mixed = decoded({"medium=2d": 0.5, "medium=3d": 0.5, "studio=clay": 1})
    assert np.abs(pure_2d - pure_3d).mean() > 1e-4
    assert np.abs(mixed - pure_2d).mean() < np.abs(pure_3d - pure_2d).mean()
    assert np.abs(mixed - pure_3d).mean() < np.abs(pure_3d - pure_2d).mean()


def test_a_group_left_out_takes_the_uniform_blend_of_its_values(caae):
    uniform_studio = [1, 0, 1 / 3, 1 / 3, 1 / 3]
    np.testing.assert_allclose(caae.label_vector({"medium=2d": 1.0}), uniform_studio)
    np.testing.assert_allclose(caae.label_vector({"medium": "2d"}), uniform_studio)
    np.testing.assert_allclose(caae.label_vector({"studio": "clay"}), [0.5, 0.5, 0, 1, 0])
    np.testing.assert_array_equal(np.asarray(caae.restyle(photo(32, 32), {"medium": "2d"})),
                                  np.asarray(caae.restyle(photo(32, 32), {"medium=2d": 1.0})))


@pytest.mark.parametrize("label, message", [
    ({"medium=2d": 1.0, "studio=cel": 0.0}, "give a weight to one of studio=cel, studio=clay, studio=pixel"),
    ({"medium=4d": 1.0, "studio=cel": 1.0}, "unknown label 'medium=4d': this model knows medium=2d, medium=3d, "
                                            "studio=cel"),
    ({"medium=2d": 1.5, "studio=cel": 1.0}, "must be in \\[0, 1\\]"),
    ({"medium": "4d"}, "unknown medium '4d': this model knows 2d, 3d"),
    ({"decade": "1990s"}, "a label names one or more of the tags medium, studio"),
    ([1.0, 0.0], "a label vector needs 5 entries \\(medium=2d, medium=3d"),
])
def test_bad_labels_are_hub_errors_naming_what_is_valid(caae, label, message):
    with pytest.raises(LabelError, match=message):
        caae.restyle(photo(32, 32), label)

