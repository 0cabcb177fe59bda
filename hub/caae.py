"""`hub.CAAE`: a trained conditional adversarial autoencoder that re-renders an image
under another label (medium, studio, movie).

A model folder holds encoder.keras, decoder.keras, config.json (image size, latent
size, the label groups in vector order, the label combinations seen in training) and a
README.md model card.
"""

import numpy as np
from huggingface_hub import ModelHubMixin

from hub import model_folder
from hub.imaging import from_uint8, to_uint8
from hub.labels import LabelSpace

NETWORK_FILES = {"encoder": "encoder.keras", "decoder": "decoder.keras"}

HUB_TAGS = ["caae", "style-transfer"]


class CAAE(ModelHubMixin, library_name="keras", tags=HUB_TAGS):
    """encode: image -> z; decode: (z, label) -> image; restyle = decode(encode(image), label)."""

    def __init__(self, encoder, decoder, config):
        self.encoder, self.decoder = encoder, decoder
        self.config = dict(config)
        self.label_space = LabelSpace.from_config(config["label_groups"])

    @property
    def styles(self):
        """The label combinations seen in training, e.g. {'medium': '2d', 'studio': 'cel', ...}."""
        return [dict(style) for style in self.config.get("styles", [])]

    def label_vector(self, label):
        """{tag: value} -> one-hot vector; a vector (e.g. mixed by sliders) passes through."""
        if isinstance(label, dict):
            return self.label_space.encode(label)
        vector = np.asarray(label, np.float32)
        if vector.shape != (self.label_space.size,):
            raise ValueError(f"a label vector needs {self.label_space.size} entries "
                             f"({', '.join(self.label_space.names)}), got shape {vector.shape}")
        return vector

    def _check_images(self, images):
        images = np.asarray(images)
        size = self.config["image_size"]
        if images.ndim != 4 or images.shape[1:] != (size, size, 3):
            raise ValueError(f"expected uint8 images (N, {size}, {size}, 3), got shape {images.shape}")
        return images

    def encode(self, images, batch_size=16):
        """uint8 (N, S, S, 3) -> float32 latents: (N, latent_dim), or (N, side, side,
        channels) for a spatial latent."""
        return self.encoder.predict(from_uint8(self._check_images(images)), batch_size=batch_size, verbose=0)

    def decode(self, latents, labels, batch_size=16):
        """Latents (as `encode` gives them) and one label, or one per latent -> uint8 images."""
        latents = np.asarray(latents, np.float32)
        single = isinstance(labels, dict) or (not isinstance(labels[0], dict) and np.ndim(labels) == 1)
        if single:
            labels = [labels] * len(latents)
        elif len(labels) != len(latents):
            raise ValueError(f"{len(labels)} labels for {len(latents)} images: give one, or one per image")
        vectors = np.stack([self.label_vector(label) for label in labels])
        return to_uint8(self.decoder.predict([latents, vectors], batch_size=batch_size, verbose=0))

    def restyle(self, images, labels, batch_size=16):
        """uint8 images re-rendered under `labels` (one for all, or one per image)."""
        return self.decode(self.encode(images, batch_size), labels, batch_size)

    def _save_pretrained(self, save_directory):
        networks = {NETWORK_FILES["encoder"]: self.encoder, NETWORK_FILES["decoder"]: self.decoder}
        model_folder.save(save_directory, networks, self.config, self.model_card())

    def model_card(self):
        c = self.config
        training = c.get("training", {})
        lines = [
            "# CAAE: one image, re-rendered under another style label", "",
            f"Conditional adversarial autoencoder (Zhang et al., CVPR 2017) at {c['image_size']} px, "
            f"{c.get('latent', 'dense')} latent of size {c['latent_dim']}. Label groups: "
            + "; ".join(f"{tag} ({', '.join(values)})" for tag, values in c["label_groups"]) + ".", "",
            f"Training: dataset `{training.get('dataset', '?')}`, {training.get('steps', '?')} steps of batch "
            f"{training.get('batch_size', '?')} ({training.get('pretrain_steps', '?')} of them autoencoder-only "
            "pretraining).", "",
            "```python", "from hub.caae import CAAE",
            "model = CAAE.from_pretrained(\"PATH_OR_REPO\")",
            "out = model.restyle(images_uint8, model.styles[0])", "```",
        ]
        return model_folder.model_card(HUB_TAGS, lines)

    @classmethod
    def _from_pretrained(cls, *, model_id, revision=None, cache_dir=None, force_download=False,
                         local_files_only=False, token=None, **kwargs):
        config, networks = model_folder.load(model_id, list(NETWORK_FILES.values()), "CAAE",
                                             revision, cache_dir, force_download, local_files_only, token)
        return cls(networks[NETWORK_FILES["encoder"]], networks[NETWORK_FILES["decoder"]], config)
