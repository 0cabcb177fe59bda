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
    source = model_folder.Source(str(model_id), **{k: v for k, v in kwargs.items() if k in DOWNLOAD_OPTIONS})
    folder = source.fetch([model_folder.CONFIG_NAME])
    architecture = model_folder.read_config(folder, model_id).get("architecture", "cyclegan")
    if architecture not in MODEL_CLASSES:
        raise ModelFolderError(f"{model_id}: unknown architecture {architecture!r} "
                               f"(this version knows {', '.join(MODEL_CLASSES)})")
    # source.revision is now the commit that config.json came from: the weights come from it too.
    return MODEL_CLASSES[architecture].from_pretrained(model_id, **{**kwargs, "revision": source.revision})
