"""Uploading a model folder to the Hugging Face Hub as one commit. A failed push leaves
the local folder as it was (apart from its card naming the repo) and says how to retry."""

import logging
from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.utils import validate_repo_id

from hub import model_folder, onnx_runtime
from hub.errors import ModelFolderError, PushError

log = logging.getLogger(__name__)


def push_folder(folder, repo_id, private=None, token=None, commit_message=None, branch=None, create_pr=None,
                allow_patterns=None, ignore_patterns=None, delete_patterns=None, render_card=True, ensure_repo=True):
    """Create `repo_id` if needed and upload `folder` (a model folder) in one commit, to
    `branch` or as a pull request (create_pr). Files of the repo that the folder lacks are
    deleted in the same commit (files dropped since the last push), unless allow_patterns or
    ignore_patterns (a partial upload) or delete_patterns are given. Networks without a
    current ONNX export (a folder trained on JAX) get one first where TensorFlow and tf2onnx
    are installed: the core install runs ONNX only. The token defaults to HF_TOKEN or the
    one `hf auth login` saved. render_card: re-render the card so that its code snippets
    name the repo. A repo id without a namespace goes to the token's user, as the Hub's
    create_repo resolves it; an invalid one is refused before any work. ensure_repo=False:
    the caller has created `repo_id` and resolved it already. -> huggingface_hub's
    CommitInfo (a str of the commit URL, with .oid and .pr_url), as the mixin's push returns."""
    folder = Path(folder)
    validate_repo_id(repo_id)
    api = HfApi(token=token)
    try:
        if ensure_repo:
            repo_id = api.create_repo(repo_id, private=private, exist_ok=True).repo_id
    except Exception as e:  # noqa: BLE001 - network, auth and server errors all end the same way
        raise _failed(folder, repo_id, e) from e
    missing = model_folder.missing_onnx(folder)
    try:
        if missing and onnx_runtime.can_export():
            log.info("exporting %s to ONNX before the push", ", ".join(missing))
            model_folder.add_onnx(folder)
            missing = []
    except ModelFolderError as e:
        log.warning("%s", e)
    if missing:
        log.warning("%s: %s have no ONNX export, so the core install (no Keras) cannot run them; "
                    "`python -m hub onnx %s` where TensorFlow is installed adds it", folder, ", ".join(missing), folder)
    config = model_folder.read_config(folder, str(folder))
    if render_card:
        model_folder.write_card(folder, config, repo_id)
    if delete_patterns is None and allow_patterns is None and ignore_patterns is None:
        delete_patterns = "*"  # .gitattributes is never deleted
    try:
        return api.upload_folder(
            repo_id=repo_id, folder_path=folder, revision=branch, create_pr=create_pr,
            allow_patterns=allow_patterns, ignore_patterns=[".*", *_as_list(ignore_patterns)],  # ".*": temporaries
            delete_patterns=delete_patterns,
            commit_message=commit_message or f"Upload {config['architecture']} model ({config['image_size']} px)")
    except Exception as e:  # noqa: BLE001
        raise _failed(folder, repo_id, e) from e


def commit_url(commit):
    """A CommitInfo's page: the pull request's, or the commit's."""
    return commit.pr_url or commit.commit_url


def _failed(folder, repo_id, error):
    return PushError(f"pushing {folder} to {repo_id} failed: {type(error).__name__}: {error}\n"
                     f"The model folder is kept. Retry with: python -m hub push {folder} {repo_id}")


def _as_list(patterns):
    return [patterns] if isinstance(patterns, str) else list(patterns or [])
