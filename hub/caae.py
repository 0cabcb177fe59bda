"""`hub.CAAE`: a trained conditional adversarial autoencoder that re-renders an image
under another label (medium, studio, movie).

Its model folder (see hub.model_folder) holds the encoder and decoder as .keras and
.onnx files, config.json (image size, latent size, the label groups in vector order, the
label combinations seen in training), samples.png and the README.md model card.
"""

import numpy as np
from PIL import Image

from hub import flat_fills as flat_fills_lib
from hub.hub_model import HubModel, predict_in_batches
from hub.errors import ImageError, LabelError
from hub.imaging import fit_to_square, from_uint8, read_image, to_uint8, unfit
from hub.labels import LabelSpace


def decoder_inputs(latents, labels):
    """The decoder's inputs for an encoder's outputs (z, or [z, *skips]) and label vectors."""
    if isinstance(latents, (list, tuple)):
        return [latents[0], labels, *latents[1:]]
    return [latents, labels]


class CAAE(HubModel, tags=["caae"]):
    """encode: image -> z; decode: (z, label) -> image; restyle = decode(encode(image), label)."""

    network_files = {"encoder": "encoder.keras", "decoder": "decoder.keras"}
    architecture = "caae"

    def __init__(self, encoder, decoder, config, samples=None):
        """encoder, decoder: Keras models (or hub.onnx_runtime.OnnxNetwork); samples: an
        optional uint8 image grid saved as samples.png."""
        self.encoder, self.decoder = encoder, decoder
        self.config = {"architecture": self.architecture, **config}
        self.samples = samples
        self.label_space = LabelSpace.from_config(config["label_groups"])

    @property
    def styles(self):
        """The label combinations seen in training, e.g. {'medium': '2d', 'studio': 'cel', ...}."""
        return [dict(style) for style in self.config.get("styles", [])]

    @property
    def flat_fills(self):
        """The label names whose outputs get flat fills (hub.flat_fills) unless a call says
        otherwise: the folder's config.json "flat_fills", e.g. ['studio=cel']
        (`python -m hub flat-fills FOLDER studio=cel`)."""
        return tuple(self.config.get("flat_fills", ()))

    @property
    def label_names(self):
        """The label vector's entries, e.g. ['medium=2d', 'medium=3d', 'studio=cel', ...]."""
        return self.label_space.names

    def label_vector(self, label):
        """A label in any of its forms -> float32 vector:
        - {'medium=2d': 1.0, ...}: weights in [0, 1] by label name (mixes blend styles);
        - {'medium': '2d', 'studio': 'cel', ...}: one value per tag (a `styles` entry, or
          a manifest row, whose other keys are ignored);
        - a vector of `label_space.size` numbers, which passes through.
        In both dict forms a group left out takes the uniform blend of its values, so
        {'medium': '2d'} is "2d, in no studio in particular". Raises hub.errors.LabelError
        naming the valid tags, values or label names."""
        if isinstance(label, dict):
            if label and all("=" in str(key) for key in label):
                return self.label_space.weighted(label)
            return self.label_space.encode(label, partial=True)
        vector = np.asarray(label, np.float32)
        if vector.shape != (self.label_space.size,):
            raise LabelError(f"a label vector needs {self.label_space.size} entries "
                             f"({', '.join(self.label_space.names)}), got shape {vector.shape}")
        return vector

    def _check_images(self, images):
        images = np.asarray(images)
        size = self.config["image_size"]
        if images.ndim != 4 or images.shape[1:] != (size, size, 3):
            raise ImageError(f"expected uint8 images (N, {size}, {size}, 3), got shape {images.shape}")
        return images

    def encode(self, images, batch_size=16):
        """uint8 (N, S, S, 3) at the training size S -> float32 latents: z of (N, latent_dim),
        or (N, side, side, channels) for a spatial latent; for a model with skips, the list
        [z, *skips] (the encoder's features of each size, finest first)."""
        return predict_in_batches(self.encoder, from_uint8(self._check_images(images)), batch_size)

    def decode(self, latents, labels, batch_size=16, flat_fills=None):
        """Latents (as `encode` gives them) and one label, or one per image -> uint8
        (N, S, S, 3). A label is anything `label_vector` takes. flat_fills: False for the
        network's raw outputs; None: as the folder says, each output blended with its flat
        fills by its label's weight on the flat-filled label names, so that a slider
        towards a cel studio moves smoothly into them."""
        parts = [np.asarray(part, np.float32) for part in (latents if isinstance(latents, list) else [latents])]
        count = len(parts[0])
        single = isinstance(labels, dict) or (not isinstance(labels[0], dict) and np.ndim(labels) == 1)
        if single:
            labels = [labels] * count
        elif len(labels) != count:
            raise ValueError(f"{len(labels)} labels for {count} images: give one, or one per image")
        vectors = np.stack([self.label_vector(label) for label in labels])
        inputs = decoder_inputs(parts if len(parts) > 1 else parts[0], vectors)
        outputs = to_uint8(predict_in_batches(self.decoder, inputs, batch_size))
        return outputs if flat_fills is False else self._with_flat_fills(outputs, vectors)

    def _with_flat_fills(self, outputs, vectors):
        names = [self.label_names.index(name) for name in self.flat_fills if name in self.label_names]
        weights = np.clip(vectors[:, names].max(axis=1), 0, 1) if names else np.zeros(len(outputs))
        chosen = np.flatnonzero(weights > 0)
        if not len(chosen):
            return outputs
        flat = flat_fills_lib.flatten(outputs[chosen], self.config["image_size"]).astype(np.float32)
        w = weights[chosen, None, None, None]
        outputs = outputs.copy()
        outputs[chosen] = np.round((1 - w) * outputs[chosen] + w * flat).astype(np.uint8)
        return outputs

    def restyle(self, image, labels, batch_size=16):
        """Re-render a picture (a path, PIL image or numpy array, see
        `hub.imaging.read_image`), or a list of them, under `labels` (one for all, or one
        per picture); returns PIL images of each input's own size.

        The network sees a square at its training size: the picture is scaled to fit it and
        padded by reflection, and the result cropped and scaled back, so nothing is cut
        away but the detail is that of the training size.
        """
        pictures = image if isinstance(image, (list, tuple)) else [image]
        arrays = [read_image(item) for item in pictures]
        squares = [fit_to_square(array, self.config["image_size"]) for array in arrays]
        restyled = self.decode(self.encode(np.stack([square for square, _ in squares]), batch_size), labels, batch_size)
        outputs = [Image.fromarray(unfit(out, scaled_shape, array.shape))
                   for out, array, (_, scaled_shape) in zip(restyled, arrays, squares)]
        return outputs if isinstance(image, (list, tuple)) else outputs[0]

    def networks(self):
        return {"encoder": self.encoder, "decoder": self.decoder}
