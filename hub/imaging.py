"""Pictures in and out: reading any image people pass (a path, a PIL image, an array)
as RGB uint8, fitting it to a network's size and back, conversions to and from network
tensors ([-1, 1] floats), and image grids."""

import contextlib
import math
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from hub.atomic import atomic_path
from hub.errors import ImageError

# Larger inputs are refused before decoding (a 12,000 x 12,000 photo would need ~430 MB
# as float32, and a "decompression bomb" file claims far more than it holds).
MAX_PIXELS = 50_000_000
BACKGROUND = (255, 255, 255)  # what transparent pixels become
# Bounds on what a network sees, whatever the picture's shape: a 1 x 12,000 strip scaled
# to a 64 px short side would be 64 x 768,000 and cost gigabytes. A thinner picture than
# MAX_ASPECT is letterboxed (its long side is capped, its short side padded), and no
# input has more than MAX_NETWORK_PIXELS (2 megapixels: 1920 x 1080 fits).
MAX_ASPECT = 8
ORIENTATION_TAG = 0x0112  # EXIF
MAX_NETWORK_PIXELS = 2 ** 21
# The short side a picture is translated at by default, in the library, `hub translate`
# and the app alike: a photo translated at a 64 px training size comes back as a thumbnail.
DETAIL_PX = 256


def read_image(source, max_pixels=MAX_PIXELS):
    """A path, PIL image or numpy array -> RGB uint8 array (H, W, 3).

    Accepted: any format Pillow opens, in any mode (16-bit, CMYK, palette, grayscale,
    with or without alpha; transparent pixels become white), phone photos turned
    upright by their EXIF orientation, the first frame of animations; arrays of uint8
    or uint16 shaped (H, W), (H, W, 1), (H, W, 3) or (H, W, 4). Anything else raises
    ImageError.
    """
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source, max_pixels)
    if isinstance(source, Image.Image):
        return _pil_to_rgb(source, "the image", max_pixels)
    if isinstance(source, (str, Path)):
        with _opened(source, max_pixels) as image:
            return _pil_to_rgb(image, str(source), max_pixels)
    raise ImageError(f"expected a path, a PIL image or a numpy array, got {type(source).__name__}")


def image_size(path, max_pixels=MAX_PIXELS):
    """An image file's upright (width, height), from its header (no pixels are decoded),
    with read_image's checks and errors."""
    with _opened(path, max_pixels) as image:
        width, height = image.size
        if _header_exif(image).get(ORIENTATION_TAG, 1) in (5, 6, 7, 8):  # turned a quarter
            width, height = height, width
    _check_pixels(width, height, str(path), max_pixels)
    return width, height


@contextlib.contextmanager
def _opened(path, max_pixels):
    """A picture file opened with Pillow (its header read, not its pixels); what Pillow
    raises, here or in the block, becomes an ImageError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"no image file at {path}")
    try:
        with Image.open(path) as image:
            yield image
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{path} is not an image Pillow can read") from None
    except Image.DecompressionBombError as e:  # its header claims more than Pillow will open
        claimed = re.search(r"\((\d+) pixels\)", str(e))
        raise ImageError(f"{path} claims {int(claimed.group(1)):,} pixels, over the limit of {max_pixels:,}"
                         if claimed else f"{path} is over the limit of {max_pixels:,} pixels") from None
    except (OSError, SyntaxError, ValueError) as e:  # a header cut short or damaged
        raise ImageError(f"{path} could not be decoded, it is truncated or damaged: {e}") from None


def _header_exif(image):
    """The EXIF an image's header holds (a PNG's getexif decodes every pixel to look for
    a late eXIf chunk)."""
    if image.format != "PNG":
        return image.getexif()
    exif = Image.Exif()
    if image.info.get("exif"):
        exif.load(image.info["exif"])
    return exif


def _check_pixels(width, height, name, max_pixels):
    if width * height > max_pixels:
        raise ImageError(f"{name} is {width} x {height} = {width * height:,} pixels, over the limit of "
                         f"{max_pixels:,} (hub.imaging.MAX_PIXELS)")
    if width < 1 or height < 1:
        raise ImageError(f"{name} is empty ({width} x {height})")


def _pil_to_rgb(image, name, max_pixels):
    _check_pixels(image.width, image.height, name, max_pixels)
    try:
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        image = ImageOps.exif_transpose(image)
        image.load()
    except (OSError, SyntaxError, ValueError) as e:  # truncated or corrupt data
        raise ImageError(f"{name} could not be decoded, it is truncated or damaged: {e}") from None
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):  # 16-bit (or 32-bit int) grayscale
        return _array_to_rgb(np.asarray(image).astype(np.uint16), max_pixels)
    if image.mode == "F":
        raise ImageError(f"{name} holds floating-point pixels (mode F): save it as an 8- or 16-bit image")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    return _array_to_rgb(np.asarray(image.convert("RGBA" if has_alpha else "RGB")), max_pixels)


def _array_to_rgb(array, max_pixels):
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ImageError(f"an image array must be (H, W), (H, W, 3) or (H, W, 4), got shape {array.shape}")
    _check_pixels(array.shape[1], array.shape[0], "the image array", max_pixels)
    if array.dtype == np.uint16:
        array = (array.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise ImageError(f"an image array must be uint8 or uint16, got {array.dtype}")
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=-1)
    if array.shape[-1] == 4:  # composite over the background
        alpha = array[..., 3:].astype(np.float32) / 255.0
        blended = array[..., :3] * alpha + np.asarray(BACKGROUND, np.float32) * (1.0 - alpha)
        return (blended + 0.5).astype(np.uint8)
    return np.ascontiguousarray(array)


def resize(array, width, height):
    """RGB uint8 array -> (height, width, 3), high-quality resampling."""
    if array.shape[:2] == (height, width):
        return array
    return np.asarray(Image.fromarray(array).resize((width, height), Image.Resampling.LANCZOS))


def detail_size(short_side, training_size):
    """The network size a picture of `short_side` px is translated at by default: its short
    side, from the training size up to DETAIL_PX, on steps of half the training size (the
    app's size slider's)."""
    step = max(training_size // 2, 1)
    return max(training_size, min(max(DETAIL_PX, training_size), short_side) // step * step)


def fit_to_network(array, size, multiple, max_aspect=MAX_ASPECT, max_pixels=MAX_NETWORK_PIXELS):
    """Scale the short side to `size`, then pad by reflection to multiples of `multiple`
    (nothing is cropped away). The scale is lowered where the long side would pass
    max_aspect x size or the padded input max_pixels. -> (network input, (scaled height,
    scaled width))."""
    h, w = array.shape[:2]
    scale = min(size / min(h, w), max_aspect * size / max(h, w), math.sqrt(max_pixels / (h * w)))
    while True:
        sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
        if (sh + -sh % multiple) * (sw + -sw % multiple) <= max(max_pixels, multiple * multiple):
            break
        scale *= 0.98  # the padding took it over
    return _pad(resize(array, sw, sh), sh + -sh % multiple, sw + -sw % multiple), (sh, sw)


def fit_to_square(array, size):
    """Scale the long side to `size`, then pad by reflection to a size x size square (the
    CAAE's input): memory is that of the square, whatever the picture's shape.
    -> (square, (scaled height, scaled width))."""
    h, w = array.shape[:2]
    sh, sw = max(1, round(h * size / max(h, w))), max(1, round(w * size / max(h, w)))
    return _pad(resize(array, sw, sh), size, size), (sh, sw)


def _pad(array, height, width):
    """Reflect `array` at its bottom and right edges out to (height, width)."""
    return np.pad(array, ((0, height - array.shape[0]), (0, width - array.shape[1]), (0, 0)), mode="symmetric")


def unfit(array, scaled_shape, original_shape):
    """Undo `fit_to_network` on a network output: crop the padding, scale back."""
    sh, sw = scaled_shape
    return resize(np.ascontiguousarray(array[:sh, :sw]), original_shape[1], original_shape[0])


def to_uint8(images):
    """[-1, 1] floats -> uint8, any leading shape."""
    return np.clip((np.asarray(images, np.float32) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def from_uint8(images):
    """uint8 -> [-1, 1] float32, any leading shape."""
    return np.asarray(images, np.float32) / 127.5 - 1.0


def grid(rows, gap=2):
    """rows: list of lists of equal-size HxWx3 uint8 images -> one uint8 image, white gaps."""
    h, w = rows[0][0].shape[:2]
    cols = max(len(r) for r in rows)
    out = np.full((len(rows) * (h + gap) - gap, cols * (w + gap) - gap, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        for j, image in enumerate(row):
            out[i * (h + gap):i * (h + gap) + h, j * (w + gap):j * (w + gap) + w] = image
    return out


def save_png(array, path):
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")
