"""Reading what people pass as an image: odd but valid files become RGB uint8, bad ones
raise hub.errors.ImageError with a message that says what is wrong."""

import io

import numpy as np
import pytest
from PIL import Image

from hub.errors import ImageError
from hub.imaging import MAX_NETWORK_PIXELS, fit_to_network, fit_to_square, read_image, unfit
from tests.helpers.media import png_claiming

RED = (200, 30, 40)


def red_rgb(w=12, h=8):
    return Image.new("RGB", (w, h), RED)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "CMYK", "1", "I;16", "YCbCr"])
def test_every_common_mode_becomes_rgb_uint8(tmp_path, mode):
    # YCbCr as JPEG, the format that stores it (Pillow 12 cannot read back its own YCbCr TIFFs)
    path = tmp_path / f"image.{'jpg' if mode == 'YCbCr' else 'tiff' if mode in ('CMYK', 'I;16') else 'png'}"
    image = red_rgb()
    (image.quantize() if mode == "P" else image.convert(mode)).save(path)
    array = read_image(path)
    assert array.shape == (8, 12, 3) and array.dtype == np.uint8
    if mode in ("RGB", "RGBA", "P", "CMYK", "YCbCr"):  # colour survives (CMYK/YCbCr round trips are lossy)
        assert np.abs(array[0, 0].astype(int) - RED).max() <= 12, array[0, 0]


def test_16_bit_grayscale_keeps_its_levels(tmp_path):
    levels = np.array([[0, 32768, 65535]], np.uint16)
    Image.fromarray(levels).save(tmp_path / "deep.png")
    assert read_image(tmp_path / "deep.png")[0, :, 0].tolist() == [0, 128, 255]
    assert read_image(levels)[0, :, 0].tolist() == [0, 128, 255]


def test_transparent_pixels_become_white():
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (10, 20, 30, 255)
    out = read_image(rgba)
    assert out[0, 0].tolist() == [10, 20, 30] and out[1, 1].tolist() == [255, 255, 255]


def test_animated_images_give_their_first_frame(tmp_path):
    frames = [Image.new("RGB", (6, 6), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with Image.open(tmp_path / "anim.gif") as opened:
        opened.seek(1)  # a caller may pass an animation left at another frame
        assert read_image(opened)[0, 0, 0] > 200
    assert read_image(tmp_path / "anim.gif")[0, 0, 0] > 200


def test_exif_rotated_phone_photos_are_turned_upright(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    red_rgb(12, 8).save(tmp_path / "phone.jpg", exif=exif)
    assert read_image(tmp_path / "phone.jpg").shape == (12, 8, 3)


def test_arrays_of_every_documented_shape():
    grey = np.full((4, 5), 7, np.uint8)
    assert read_image(grey).shape == (4, 5, 3)
    assert read_image(grey[..., None]).shape == (4, 5, 3)
    assert read_image(np.zeros((4, 5, 3), np.uint8)).shape == (4, 5, 3)


@pytest.mark.parametrize("source, message", [
    (np.zeros((4, 5, 2), np.uint8), "must be \\(H, W\\)"),
    (np.zeros((4, 5, 3), np.float32), "uint8 or uint16, got float32"),
    (np.zeros((0, 5, 3), np.uint8), "empty"),
    (12, "expected a path, a PIL image or a numpy array, got int"),
])
def test_bad_arrays_and_types_are_clear_errors(source, message):
    with pytest.raises(ImageError, match=message):
        read_image(source)


def test_missing_not_an_image_and_truncated_files_are_clear_errors(tmp_path):
    with pytest.raises(ImageError, match="no image file at"):
        read_image(tmp_path / "nothing.png")
    (tmp_path / "notes.png").write_text("these are not pixels")
    with pytest.raises(ImageError, match="is not an image"):
        read_image(tmp_path / "notes.png")
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(buffer, "PNG")
    (tmp_path / "cut.png").write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    with pytest.raises(ImageError, match="could not be decoded"):
        read_image(tmp_path / "cut.png")


def test_images_over_the_pixel_limit_are_refused_before_decoding(tmp_path):
    with pytest.raises(ImageError, match="over the limit"):
        read_image(np.zeros((100, 100, 3), np.uint8), max_pixels=9_999)
    with pytest.raises(ImageError, match="10000 x 6000 = 60,000,000 pixels, over the limit"):
        read_image(png_claiming(tmp_path / "big.png", 10_000, 6_000))
    # Pillow's own guard (a header that claims more than it opens), ours to raise, naming one limit
    with pytest.raises(ImageError, match=r"bomb.png claims 3,600,000,000 pixels, over the limit of 50,000,000$"):
        read_image(png_claiming(tmp_path / "bomb.png", 60_000, 60_000))


def test_fit_pads_by_reflection_and_unfit_restores_the_shape():
    image = np.random.default_rng(0).integers(0, 255, (30, 50, 3), np.uint8)
    padded, scaled_shape = fit_to_network(image, 20, 16)
    assert scaled_shape == (20, 33) and padded.shape == (32, 48, 3)
    np.testing.assert_array_equal(padded[20:24], padded[16:20][::-1])  # mirrored, not zeros
    assert unfit(padded, scaled_shape, image.shape).shape == image.shape


@pytest.mark.parametrize("shape", [(1, 1000), (1, 12000), (12000, 1), (3, 5000), (4000, 6000), (1, 1)])
@pytest.mark.parametrize("size", [64, 512, 2048])
def test_what_a_network_sees_is_bounded_whatever_the_shape(shape, size):
    image = np.zeros((*shape, 3), np.uint8)
    padded, scaled_shape = fit_to_network(image, size, 16)
    assert padded.shape[0] % 16 == padded.shape[1] % 16 == 0
    assert max(padded.shape[:2]) <= 8 * size and padded.shape[0] * padded.shape[1] <= MAX_NETWORK_PIXELS
    assert unfit(padded, scaled_shape, image.shape).shape == image.shape
    square, scaled_shape = fit_to_square(image, 64)
    assert square.shape == (64, 64, 3) and unfit(square, scaled_shape, image.shape).shape == image.shape


def test_a_picture_within_the_bounds_keeps_its_short_side_at_the_network_size():
    assert fit_to_network(np.zeros((1080, 1920, 3), np.uint8), 512, 16)[1] == (512, 910)
    assert fit_to_network(np.zeros((100, 800, 3), np.uint8), 64, 16)[1] == (64, 512)  # 8:1 still fits
    assert fit_to_network(np.zeros((100, 1600, 3), np.uint8), 64, 16)[1] == (32, 512)  # 16:1 is letterboxed
    assert fit_to_network(np.zeros((1080, 1920, 3), np.uint8), 1080, 16)[1] == (1080, 1920)  # 2 megapixels fit
