"""`hub.CycleGAN`: a trained pair of generators that other projects load and run.

A model folder (what `save_pretrained` writes and `from_pretrained` reads, locally or
from a Hub repo) holds:
- generator_a2b.keras, generator_b2a.keras - Keras 3 files, loaded in safe mode;
- config.json - architecture, image size, the domains' names and tag filters, and the
  training summary.
"""

import json
from pathlib import Path

import keras
import numpy as np
from huggingface_hub import ModelCard, ModelCardData, ModelHubMixin, snapshot_download

from hub import nets  # noqa: F401 - registers the custom layers for loading
from hub.atomic import atomic_path, write_json
from hub.imaging import from_uint8, to_uint8

CONFIG_NAME = "config.json"
GENERATOR_FILES = {"a2b": "generator_a2b.keras", "b2a": "generator_b2a.keras"}


def domain_name(tag_filter):
    """'medium=3d' -> '3d'; 'studio=pixar,split=train' -> 'pixar'."""
    return tag_filter.split(",")[0].partition("=")[2] or tag_filter


class CycleGAN(ModelHubMixin, library_name="keras", tags=["cyclegan", "image-to-image", "style-transfer"]):
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
        save_directory = Path(save_directory)
        for direction, filename in GENERATOR_FILES.items():
            with atomic_path(save_directory / filename) as tmp:
                self.generators[direction].save(tmp)
        write_json(save_directory / CONFIG_NAME, self.config)
        with atomic_path(save_directory / "README.md") as tmp:
            self.model_card().save(tmp)

    def model_card(self):
        """A short, true model card; the hub issue grows it (metrics, samples, ONNX)."""
        c = self.config
        training = c.get("training", {})
        data = ModelCardData(library_name="keras", pipeline_tag="image-to-image",
                             tags=["cyclegan", "style-transfer", "keras"])
        lines = [
            "---", data.to_yaml(), "---", "",
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
        return ModelCard("\n".join(lines) + "\n")

    @classmethod
    def _from_pretrained(cls, *, model_id, revision=None, cache_dir=None, force_download=False,
                         local_files_only=False, token=None, **kwargs):
        folder = Path(model_id)
        if not folder.is_dir():
            folder = Path(snapshot_download(repo_id=model_id, revision=revision, cache_dir=cache_dir,
                                            force_download=force_download, token=token,
                                            local_files_only=local_files_only))
        missing = [f for f in (CONFIG_NAME, *GENERATOR_FILES.values()) if not (folder / f).is_file()]
        if missing:
            raise FileNotFoundError(f"{model_id} is not a CycleGAN model folder: missing {missing}")
        config = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
        generators = {d: keras.saving.load_model(folder / f, compile=False, safe_mode=True)
                      for d, f in GENERATOR_FILES.items()}
        return cls(generators["a2b"], generators["b2a"], config)
