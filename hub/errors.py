"""The exceptions `hub` raises for bad input, so callers catch one of ours instead of
whatever Pillow, Keras or huggingface_hub raised deep inside."""


class HubError(Exception):
    """Base class of every error `hub` raises on purpose."""


class ImageError(HubError, ValueError):
    """An input image that cannot be used: missing, not an image, truncated, too big,
    or an array of the wrong shape or type."""


class ModelFolderError(HubError):
    """A model folder or Hub repo that cannot be loaded: files missing, a config this
    version cannot read, corrupted weights."""


class LabelError(HubError, ValueError):
    """A CAAE label that names a tag, value or label entry the model does not know, or
    gives weights outside [0, 1]."""


class VideoError(HubError, ValueError):
    """An input video that cannot be used: missing, not a video, no video stream,
    damaged, or longer than the limit."""


class PushError(HubError):
    """Uploading a model folder to the Hub failed; the local folder is untouched."""
