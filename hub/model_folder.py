"""Reading and writing a model folder, locally or from the Hub, shared by the model
classes: a few .keras networks, config.json and a README.md model card, each written
atomically."""

import json
from pathlib import Path

import keras
from huggingface_hub import ModelCard, ModelCardData, snapshot_download

from hub.atomic import atomic_path, write_json

CONFIG_NAME = "config.json"


def save(save_directory, networks, config, card):
    """networks: {filename: keras.Model}; card: a huggingface_hub.ModelCard."""
    save_directory = Path(save_directory)
    for filename, net in networks.items():
        with atomic_path(save_directory / filename) as tmp:
            net.save(tmp)
    write_json(save_directory / CONFIG_NAME, config)
    with atomic_path(save_directory / "README.md") as tmp:
        card.save(tmp)


def load(model_id, filenames, kind, revision=None, cache_dir=None, force_download=False,
         local_files_only=False, token=None):
    """-> (config dict, {filename: keras.Model}) from a local folder or a Hub repo id."""
    folder = Path(model_id)
    if not folder.is_dir():
        folder = Path(snapshot_download(repo_id=model_id, revision=revision, cache_dir=cache_dir,
                                        force_download=force_download, token=token,
                                        local_files_only=local_files_only))
    missing = [f for f in (CONFIG_NAME, *filenames) if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{model_id} is not a {kind} model folder: missing {missing}")
    config = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
    networks = {f: keras.saving.load_model(folder / f, compile=False, safe_mode=True) for f in filenames}
    return config, networks


def model_card(tags, body_lines):
    """A README.md model card: Hub metadata (Keras, image-to-image, `tags`), then the body."""
    data = ModelCardData(library_name="keras", pipeline_tag="image-to-image", tags=[*tags, "keras"])
    return ModelCard("\n".join(["---", data.to_yaml(), "---", "", *body_lines]) + "\n")
