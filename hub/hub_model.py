"""What `CycleGAN` and `CAAE` share: huggingface_hub's `ModelHubMixin` over a model folder
(hub.model_folder) of named Keras networks. The mixin's public methods keep their own
signatures, defaults and return values; this class fills in its extension points
(`_save_pretrained`, `_from_pretrained`, `generate_model_card`). Subclasses load the
folders of their parent's architecture, and their class options (license, tags,
repo_url, model_card_template ...) reach the card."""

import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
from huggingface_hub import HfApi, ModelHubMixin
from huggingface_hub.utils import validate_repo_id

from hub import model_card, model_folder, onnx_runtime, push
from hub.errors import PushError


def predict_in_batches(net, inputs, batch_size):
    """A network's outputs for float32 `inputs` (one array, or a list of aligned arrays),
    `batch_size` rows at a time: an array, or a list of arrays for a network with several
    outputs. predict_on_batch is Keras' compiled inference step (faster than a plain
    call on CPU); hub.onnx_runtime.OnnxNetwork has it too."""
    arrays = inputs if isinstance(inputs, list) else [inputs]
    batches = [net.predict_on_batch([a[i:i + batch_size] for a in arrays] if len(arrays) > 1 else arrays[0][i:i + batch_size])
               for i in range(0, len(arrays[0]), batch_size)]
    if isinstance(batches[0], (list, tuple)):
        return [np.concatenate([np.asarray(b[k]) for b in batches]) for k in range(len(batches[0]))]
    return np.concatenate(batches)


def _config_not_used(config):
    if config is not None:
        warnings.warn("config= is not used: config.json is the model's own `config` (architecture, sizes, "
                      "training, evaluation); set entries on model.config instead", UserWarning, stacklevel=3)


class HubModel(ModelHubMixin, library_name=model_card.LIBRARY_NAME, tags=model_card.TAGS):
    """config.json is always the model's own `config` (architecture, sizes, training,
    evaluation); the mixin's `config` argument, meant for models whose constructor takes
    plain values, is not used (a warning says so)."""

    # {constructor argument: file name}, in the constructor's order; set by each subclass.
    network_files = {}
    architecture = None  # config.json's "architecture" of the folders this class loads; set by each subclass
    # False: save_pretrained writes the Keras files without their ONNX exports (a trainer's
    # --no-onnx); `python -m hub onnx FOLDER` or a push adds them later.
    export_onnx = True

    def networks(self):
        """{constructor argument: network}."""
        raise NotImplementedError

    def save_pretrained(self, save_directory, *, config=None, repo_id=None, push_to_hub=False,
                        model_card_kwargs=None, **push_to_hub_kwargs):
        """`ModelHubMixin.save_pretrained`, but the folder is written beside `save_directory`
        first and swapped in only when complete: a save that fails (an export, a full disk)
        leaves the folder exactly as it was. A model loaded from its ONNX exports saves them
        (with their .keras files where those are beside them)."""
        _config_not_used(config)
        folder = Path(save_directory)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.saving-", dir=folder.parent))
        try:
            super().save_pretrained(staging, model_card_kwargs=model_card_kwargs)
            model_folder.swap_in(staging, folder, self.network_files.values())
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if push_to_hub:
            return self.push_to_hub(repo_id or folder.name, model_card_kwargs=model_card_kwargs, **push_to_hub_kwargs)
        return None

    def release_memory(self):
        """Give back what large inputs left in ONNX Runtime's memory arenas (for a server,
        when idle); networks running on Keras have nothing to give back here."""
        for net in self.networks().values():
            if hasattr(net, "release_memory"):
                net.release_memory()

    def _save_pretrained(self, save_directory):
        files = {self.network_files[name]: net for name, net in self.networks().items()}
        # What was written (with the ONNX records) is what the card, rendered next, describes.
        self._saved_config = model_folder.save(save_directory, files, self.config, self.samples,
                                               onnx=self.export_onnx)

    def generate_model_card(self, *args, repo_id=model_card.REPO_PLACEHOLDER, **template_kwargs):
        """The README.md model card, from config.json as saved (or as a save would write it,
        ONNX exports included, for a model not saved yet); `save_pretrained`'s
        model_card_kwargs arrive here as extra variables for the template, and the class's
        mixin options (license, tags, repo_url, model_card_template ...) are applied."""
        config = getattr(self, "_saved_config", None) or self.config
        onnx_files = sorted(config.get("onnx", {}))
        if not onnx_files and self.export_onnx and onnx_runtime.can_export():  # what a save would export
            onnx_files = sorted(Path(f).with_suffix(".onnx").name for f in self.network_files.values())
        return model_card.render(config, repo_id, has_samples=self.samples is not None, onnx_files=onnx_files,
                                 mixin_info=self._hub_mixin_info, **template_kwargs)

    def push_to_hub(self, repo_id, *, config=None, commit_message="Push model using huggingface_hub.", private=None,
                    token=None, branch=None, create_pr=None, allow_patterns=None, ignore_patterns=None,
                    delete_patterns=None, model_card_kwargs=None):
        """`ModelHubMixin.push_to_hub`: create the repo (an id without a namespace goes to the
        token's user; an invalid one is refused before any work), save into a temporary
        folder and upload it as one commit (to `branch`, or as a pull request with
        create_pr=True). Files the repo has and the folder no longer does are deleted in that
        commit, unless allow_patterns, ignore_patterns or delete_patterns are given. Returns
        huggingface_hub's CommitInfo (a str of the commit URL; .oid, .pr_url). Raises
        hub.errors.PushError if the upload fails."""
        _config_not_used(config)
        validate_repo_id(repo_id)
        try:
            repo_id = HfApi(token=token).create_repo(repo_id, private=private, exist_ok=True).repo_id
        except Exception as e:  # noqa: BLE001 - network, auth and server errors all end the same way
            raise PushError(f"creating {repo_id} on the Hub failed: {type(e).__name__}: {e}. Nothing was saved "
                            "or uploaded: call push_to_hub again.") from e
        with tempfile.TemporaryDirectory() as tmp:
            # A push exports ONNX where it can, whatever export_onnx says (as push_folder does for a
            # folder), and does it here, before the card is rendered with the repo id: push_folder's
            # export would re-render it with a placeholder and without the caller's model_card_kwargs.
            export_onnx, self.export_onnx = self.export_onnx, True
            try:
                self.save_pretrained(tmp, model_card_kwargs={**(model_card_kwargs or {}), "repo_id": repo_id})
            finally:
                self.export_onnx = export_onnx
            try:
                return push.push_folder(tmp, repo_id, private=private, token=token, commit_message=commit_message,
                                        branch=branch, create_pr=create_pr, allow_patterns=allow_patterns,
                                        ignore_patterns=ignore_patterns, delete_patterns=delete_patterns,
                                        render_card=False, ensure_repo=False)
            except PushError as e:  # its retry command names this temporary folder, about to go
                raise PushError(f"pushing to {repo_id} failed: {e.__cause__!r}. Nothing was uploaded: "
                                "call push_to_hub again, or save_pretrained and `python -m hub push` the "
                                "folder.") from e.__cause__

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *, force_download=False, token=None, cache_dir=None,
                        local_files_only=False, revision=None, runtime="auto", providers=None, device=None,
                        **model_kwargs):
        """`ModelHubMixin.from_pretrained`: a local model folder or a Hub repo id, whose
        files are downloaded into the Hub cache (which also serves HF_HUB_OFFLINE=1); only
        those the runtime needs are fetched. runtime: 'auto' (ONNX Runtime when installed
        and the export matches the weights), 'keras' or 'onnx'. providers: ONNX Runtime's
        execution providers, e.g. ["CUDAExecutionProvider"] (default the CPU); device:
        "cpu" or "cuda", a shortcut for them. A provider this onnxruntime lacks falls back
        to the CPU with a warning. Raises hub.errors.ModelFolderError for anything that
        cannot be loaded. Other keyword arguments go to the class's constructor, as the
        mixin's do; huggingface_hub's retired resume_download and proxies are ignored with a
        warning."""
        for legacy in ("resume_download", "proxies"):
            if legacy in model_kwargs:
                model_kwargs.pop(legacy)
                warnings.warn(f"{legacy} is no longer used by huggingface_hub and is ignored", FutureWarning,
                              stacklevel=2)
        if device is not None:
            if providers is not None:
                raise ValueError("give providers or device, not both")
            providers = onnx_runtime.device_providers(device)
        # Not the mixin's own: it reads config.json before any check of ours, so a broken
        # folder would raise the JSON parser's or the Hub client's errors instead of ours.
        return cls._from_pretrained(model_id=str(pretrained_model_name_or_path), revision=revision,
                                    cache_dir=cache_dir, force_download=force_download,
                                    local_files_only=local_files_only, token=token, runtime=runtime,
                                    providers=providers, **model_kwargs)

    @classmethod
    def _from_pretrained(cls, *, model_id, revision, cache_dir, force_download, local_files_only, token,
                         runtime="auto", providers=None, **model_kwargs):
        source = model_folder.Source(model_id, revision, cache_dir, force_download, local_files_only, token)
        config, networks, samples = model_folder.load(source, list(cls.network_files.values()), cls.architecture,
                                                      runtime, providers)
        instance = cls(*(networks[f] for f in cls.network_files.values()), config, samples, **model_kwargs)
        instance._saved_config = config
        return instance
