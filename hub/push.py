"""Uploading a model folder to the Hugging Face Hub as one commit. A failed push leaves
the local folder as it was (apart from its card naming the repo) and says how to retry."""

import tempfile
from pathlib import Path

from huggingface_hub import HfApi

from hub import model_folder
from hub.errors import PushError


def push_folder(folder, repo_id, private=None, token=None, commit_message=None):
    """Create `repo_id` if needed and upload `folder` (a model folder) in one commit.
    The token defaults to HF_TOKEN or the one `hf auth login` saved. -> the commit URL."""
    folder = Path(folder)
    config = model_folder.read_config(folder, str(folder))
    model_folder.write_card(folder, config, repo_id)  # the card's code snippets name the repo
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id, folder_path=folder, ignore_patterns=[".*"],  # half-written temporaries
            commit_message=commit_message or f"Upload {config['architecture']} model ({config['image_size']} px)")
    except Exception as e:  # noqa: BLE001 - network, auth and server errors all end the same way
        raise PushError(f"pushing {folder} to {repo_id} failed: {type(e).__name__}: {e}\n"
                        f"The model folder is kept. Retry with: python -m hub push {folder} {repo_id}") from e
    return commit.commit_url


def push_model(model, repo_id, private=None, token=None, commit_message=None):
    """save_pretrained into a temporary folder, then `push_folder` it."""
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        return push_folder(tmp, repo_id, private, token, commit_message)
