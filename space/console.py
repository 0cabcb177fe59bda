"""What the app prints on its console: one line per model served and per refused input,
and nothing from libraries that does not concern the person running it.

A user's bad input (a file that is not a picture, a weight out of range) is not a server
fault: `user_error` logs one line for it instead of Gradio's traceback.
"""

import logging
import os
import warnings
from pathlib import Path

import gradio as gr

log = logging.getLogger("space")


def quiet():
    """Set up logging for `python app.py`; call before anything imports TensorFlow (a
    folder without ONNX exports runs on Keras). TensorFlow 2.21 still prints the lines it
    writes before its logging starts (oneDNN, CUDA drivers); the demo weights need no TensorFlow."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the rest of its C++ log, cuInit's error included
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    # per HTTP request (huggingface_hub's httpx2 too); about the export; MCP sessions
    for name in ("httpx", "httpx2", "tf2onnx", "absl", "mcp"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # Gradio's models on the pydantic that gradio[mcp] pins: a warning about their code, not ours.
    warnings.filterwarnings("ignore", message="The 'alias' attribute with value", module="pydantic")


def user_error(message):
    """A gr.Error showing `message` to the user, logged as one line without a traceback."""
    log.info("refused: %s", message)
    return gr.Error(message, print_exception=False)


def user_warning(message):
    """Show `message` on the page as a warning (the job goes on), and log it as one line."""
    log.info("note: %s", message)
    gr.Warning(message)


def without_path(message, path, name):
    """`message` with the server path `path` (as given, normalised or resolved) replaced
    by `name`; the longest form first, so that a resolved path is not left half-replaced."""
    try:
        forms = {str(path), str(Path(path)), str(Path(path).resolve())}
    except (OSError, ValueError):  # not a path at all (a NUL, a name too long)
        forms = {str(path)}
    for form in sorted(forms, key=len, reverse=True):
        if form and form != name:
            message = message.replace(form, name)
    return message
