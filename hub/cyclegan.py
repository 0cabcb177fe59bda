"""`hub.CycleGAN`: a trained pair of generators that other projects load and run.

Its model folder (what `save_pretrained` writes and `from_pretrained` reads, locally or
from a Hub repo; see hub.model_folder) holds generator_a2b and generator_b2a as .keras
and .onnx files, config.json (image size, the domains' names and tag filters, training
summary, and which directions' outputs get flat fills), samples.png and the README.md model card.
"""

import numpy as np
from PIL import Image

from hub import directions as directions_lib
from hub import flat_fills as flat_fills_lib
from hub.hub_model import HubModel, predict_in_batches
from hub.errors import ImageError
from hub.imaging import detail_size, fit_to_network, from_uint8, read_image, to_uint8, unfit


class CycleGAN(HubModel, tags=["cyclegan"]):
    """Two generators: a2b translates domain A to B, b2a the reverse."""

    network_files = {"generator_a2b": "generator_a2b.keras", "generator_b2a": "generator_b2a.keras"}
    architecture = "cyclegan"

    def __init__(self, generator_a2b, generator_b2a, config, samples=None):
        """Generators: Keras models (or hub.onnx_runtime.OnnxNetwork); samples: an
        optional uint8 image grid saved as samples.png."""
        self.generators = {"a2b": generator_a2b, "b2a": generator_b2a}
        self.config = {"architecture": self.architecture, **config}
        self.samples = samples

    @property
    def directions(self):
        """{'a2b': Direction 3d -> 2d, 'b2a': Direction 2d -> 3d} (hub.directions), named
        after the domains."""
        return directions_lib.of_config(self.config)

    def direction(self, value):
        """A Direction, its key ('a2b', 'b2a') or its name ('3d -> 2d') -> the Direction."""
        return directions_lib.find(self.directions, value)

    @property
    def flat_fills(self):
        """The direction keys whose outputs get flat fills (hub.flat_fills) unless a call
        says otherwise: the folder's config.json "flat_fills", e.g. ['a2b'] for a model
        whose B is a cel style (`python -m hub flat-fills FOLDER a2b`)."""
        return tuple(self.config.get("flat_fills", ()))

    def translate(self, image, direction="a2b", size=None, batch_size=4, flat_fills=None):
        """Translate a picture (a path, PIL image or numpy array, see `hub.imaging.read_image`)
        or a list of them, in `direction` (a Direction, its key or its name, as
        `direction()` takes); returns PIL images of each input's own size.

        The short side is scaled to `size`, the picture is padded by reflection to the
        generator's size multiple, translated, and the padding cropped and the size scaled
        back: nothing is cut from the edges. size None: each picture's short side, from the
        training size up to hub.imaging.DETAIL_PX (256), as the app and `hub translate` do.
        flat_fills: True or False to smooth the output inside its regions or not
        (hub.flat_fills); None: as the folder says for this direction.
        """
        key = self.direction(direction).key
        images = image if isinstance(image, (list, tuple)) else [image]
        arrays = [read_image(item) for item in images]
        sizes = [int(size or detail_size(min(array.shape[:2]), self.config["image_size"])) for array in arrays]
        fitted = [fit_to_network(array, s, self.config["size_multiple"]) for array, s in zip(arrays, sizes)]
        outputs = [None] * len(arrays)
        by_shape = {}  # inputs of one padded shape run as one batch
        for i, (padded, _) in enumerate(fitted):
            by_shape.setdefault(padded.shape, []).append(i)
        for indices in by_shape.values():
            batch = np.stack([fitted[i][0] for i in indices])
            for i, out in zip(indices, self._run(key, batch, batch_size, flat_fills, sizes[indices[0]])):
                outputs[i] = Image.fromarray(unfit(out, fitted[i][1], arrays[i].shape))
        return outputs if isinstance(image, (list, tuple)) else outputs[0]

    def translate_array(self, images, direction="a2b", batch_size=8, flat_fills=None):
        """uint8 (N, H, W, 3) -> uint8 (N, H, W, 3), no resizing; H and W must be
        multiples of config['size_multiple']. flat_fills: as in `translate`."""
        images = np.asarray(images)
        multiple = self.config["size_multiple"]
        if images.ndim != 4 or images.shape[-1] != 3 or images.shape[1] % multiple or images.shape[2] % multiple:
            raise ImageError(f"expected uint8 images (N, H, W, 3) with H and W multiples of {multiple}, "
                             f"got shape {images.shape}")
        return self._run(self.direction(direction).key, images, batch_size, flat_fills, min(images.shape[1:3]))

    def _run(self, key, images, batch_size, flat_fills, network_size):
        outputs = to_uint8(predict_in_batches(self.generators[key], from_uint8(images), batch_size))
        if key in self.flat_fills if flat_fills is None else flat_fills:
            outputs = flat_fills_lib.flatten(outputs, network_size)
        return outputs

    def networks(self):
        return {"generator_a2b": self.generators["a2b"], "generator_b2a": self.generators["b2a"]}
