"""Load any model folder this project writes, picking the class from its config.json."""

import json
from pathlib import Path

from huggingface_hub import hf_hub_download

from hub.caae import CAAE
from hub.cyclegan import CycleGAN
from hub.model_folder import CONFIG_NAME

MODEL_CLASSES = {"cyclegan": CycleGAN, "caae": CAAE}


def from_pretrained(model_id, **kwargs):
    """A `CycleGAN` or `CAAE`, from a local folder or a Hub repo id."""
    folder = Path(model_id)
    if folder.is_dir():
        config_path = folder / CONFIG_NAME
        if not config_path.is_file():
            raise FileNotFoundError(f"{model_id} is not a model folder: no {CONFIG_NAME}")
    else:
        config_path = hf_hub_download(model_id, CONFIG_NAME, **{k: v for k, v in kwargs.items()
                                                                if k in ("revision", "cache_dir", "token",
                                                                         "local_files_only")})
    architecture = json.loads(Path(config_path).read_text(encoding="utf-8")).get("architecture", "cyclegan")
    if architecture not in MODEL_CLASSES:
        raise ValueError(f"{model_id}: unknown architecture {architecture!r} "
                         f"(this version knows {', '.join(MODEL_CLASSES)})")
    return MODEL_CLASSES[architecture].from_pretrained(model_id, **kwargs)
