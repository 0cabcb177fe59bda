"""`hub.CycleGAN`: a trained pair of generators that other projects load and run.

A model folder (what `save_pretrained` writes and `from_pretrained` reads, locally or
from a Hub repo) holds:
- generator_a2b.keras, generator_b2a.keras - Keras 3 files, loaded in safe mode;
- config.json - architecture, image size, the domains' names and tag filters, and the
  training summary.
"""

import numpy as np
from huggingface_hub import ModelHubMixin

from hub import model_folder, nets  # noqa: F401 - nets registers the custom layers for loading
from hub.imaging import from_uint8, to_uint8

GENERATOR_FILES = {"a2b": "generator_a2b.keras", "b2a": "generator_b2a.keras"}

HUB_TAGS = ["cyclegan", "style-transfer"]


def domain_name(tag_filter):
    """'medium=3d' -> '3d'; 'studio=pixar,split=train' -> 'pixar'."""
    return tag_filter.split(",")[0].partition("=")[2] or tag_filter


class CycleGAN(ModelHubMixin, library_name="keras", tags=HUB_TAGS):
    """Two generators: a2b translates domain A to B, b2a the reverse."""

    def __init__(self, generator_a2b, generator_b2a, config):
        self.generators = {"a2b": generator_a2b, "b2a": generator_b2a}
        self.config = dict(config)

    @property
    def directions(self):
        """{'a2b': '3d -> 2d', 'b2a': '2d -> 3d'}, named after the domains."""
        a, b = self.config["domain_a_name"], self.config["domain_b_name"]
        return {"a2b": f"{a} -> {b}", "b2a": f"{b} -> {a}"}

    def translate_array(self, images, direction="a2b", batch_size=8):
        """uint8 (N, H, W, 3) -> uint8 (N, H, W, 3); H and W must suit the generator
        (multiples of config['size_multiple'])."""
        if direction not in self.generators:
            raise ValueError(f"direction must be one of {sorted(self.generators)}, got {direction!r}")
        images = np.asarray(images)
        multiple = self.config["size_multiple"]
        if images.ndim != 4 or images.shape[-1] != 3 or images.shape[1] % multiple or images.shape[2] % multiple:
            raise ValueError(f"expected uint8 images (N, H, W, 3) with H and W multiples of {multiple}, "
                             f"got shape {images.shape}")
        out = self.generators[direction].predict(from_uint8(images), batch_size=batch_size, verbose=0)
        return to_uint8(out)

    def _save_pretrained(self, save_directory):
        networks = {filename: self.generators[d] for d, filename in GENERATOR_FILES.items()}
        model_folder.save(save_directory, networks, self.config, self.model_card())

    def model_card(self):
        """A short, true model card; the hub issue grows it (metrics, samples, ONNX)."""
        c = self.config
        training = c.get("training", {})
        lines = [
            f"# CycleGAN: {c['domain_a_name']} <-> {c['domain_b_name']}", "",
            f"Two {c.get('generator', 'unet')} generators (base width {c.get('base_filters')}), trained at "
            f"{c.get('image_size')} px: `a2b` translates {c['domain_a']} images to {c['domain_b']}, "
            f"`b2a` the reverse.", "",
            f"Training: dataset `{training.get('dataset', '?')}`, {training.get('steps', '?')} steps of batch "
            f"{training.get('batch_size', '?')}, {training.get('adversarial_loss', 'bce')} adversarial loss.", "",
            "```python", "from hub.cyclegan import CycleGAN",
            "model = CycleGAN.from_pretrained(\"PATH_OR_REPO\")",
            "out = model.translate_array(images_uint8, \"a2b\")", "```",
        ]
        return model_folder.model_card(HUB_TAGS, lines)

    @classmethod
    def _from_pretrained(cls, *, model_id, revision=None, cache_dir=None, force_download=False,
                         local_files_only=False, token=None, **kwargs):
        config, networks = model_folder.load(model_id, list(GENERATOR_FILES.values()), "CycleGAN",
                                             revision, cache_dir, force_download, local_files_only, token)
        return cls(networks[GENERATOR_FILES["a2b"]], networks[GENERATOR_FILES["b2a"]], config)
