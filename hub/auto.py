"""Load any model folder this project writes, picking the class from its config.json."""

from hub import model_folder
from hub.caae import CAAE
from hub.cyclegan import CycleGAN
from hub.errors import ModelFolderError

MODEL_CLASSES = {"cyclegan": CycleGAN, "caae": CAAE}
DOWNLOAD_OPTIONS = ("revision", "cache_dir", "force_download", "local_files_only", "token")


def from_pretrained(model_id, **kwargs):
    """A `CycleGAN` or `CAAE`, from a local folder or a Hub repo id. Keyword arguments
    are `from_pretrained`'s (revision, cache_dir, token, local_files_only, runtime, ...)."""
    folder = model_folder.locate(model_id, **{k: v for k, v in kwargs.items() if k in DOWNLOAD_OPTIONS})
    architecture = model_folder.read_config(folder, model_id).get("architecture", "cyclegan")
    if architecture not in MODEL_CLASSES:
        raise ModelFolderError(f"{model_id}: unknown architecture {architecture!r} "
                               f"(this version knows {', '.join(MODEL_CLASSES)})")
    return MODEL_CLASSES[architecture].from_pretrained(folder, **{k: v for k, v in kwargs.items()
                                                                 if k not in DOWNLOAD_OPTIONS})
