"""What `CycleGAN` and `CAAE` share: huggingface_hub's `ModelHubMixin` over a model folder
(hub.model_folder) of named Keras networks. The mixin's public methods keep their own
signatures; this class fills in its extension points (`_save_pretrained`,
`_from_pretrained`, `generate_model_card`)."""

import shutil
import tempfile
from pathlib import Path

import numpy as np
from huggingface_hub import ModelHubMixin

from hub import model_card, model_folder, onnx_runtime, push
from hub.errors import PushError


def predict_in_batches(net, inputs, batch_size):
    """A network's outputs for float32 `inputs` (one array, or a list of aligned arrays),
    `batch_size` rows at a time: an array, or a list of arrays for a network with several
    outputs. predict_on_batch is Keras' compiled inference step (~1.3x faster than a plain
    call on CPU); hub.onnx_runtime.OnnxNetwork has it too."""
    arrays = inputs if isinstance(inputs, list) else [inputs]
    batches = [net.predict_on_batch([a[i:i + batch_size] for a in arrays] if len(arrays) > 1 else arrays[0][i:i + batch_size])
               for i in range(0, len(arrays[0]), batch_size)]
    if isinstance(batches[0], (list, tuple)):
        return [np.concatenate([np.asarray(b[k]) for b in batches]) for k in range(len(batches[0]))]
    return np.concatenate(batches)


class HubModel(ModelHubMixin, library_name=model_card.LIBRARY_NAME, tags=model_card.TAGS):
    """config.json is always the model's own `config` (architecture, sizes, training,
    evaluation); the mixin's `config` argument, meant for models whose constructor takes
    plain values, is not used."""

    # {constructor argument: file name}, in the constructor's order; set by each subclass.
    network_files = {}
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
        folder = Path(save_directory)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.saving-", dir=folder.parent))
        try:
            super().save_pretrained(staging, config=config, model_card_kwargs=model_card_kwargs)
            model_folder.swap_in(staging, folder, self.network_files.values())
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if push_to_hub:
            return self.push_to_hub(repo_id or folder.name, config=config, model_card_kwargs=model_card_kwargs,
                                    **push_to_hub_kwargs)
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
        self._hub_mixin_config = model_folder.save(save_directory, files, self.config, self.samples,
                                                   onnx=self.export_onnx)

    def generate_model_card(self, *args, repo_id=model_card.REPO_PLACEHOLDER, **template_kwargs):
        """The README.md model card, from config.json; `save_pretrained`'s
        model_card_kwargs arrive here as extra variables for hub/templates/model_card.md."""
        config = self._hub_mixin_config or self.config
        return model_card.render(config, repo_id, has_samples=self.samples is not None,
                                 onnx_files=sorted(config.get("onnx", {})), **template_kwargs)

    def push_to_hub(self, repo_id, *, config=None, commit_message=None, private=None, token=None,
                    branch=None, create_pr=None, allow_patterns=None, ignore_patterns=None,
                    delete_patterns=None, model_card_kwargs=None):
        """`ModelHubMixin.push_to_hub`: save into a temporary folder and upload it as one
        commit (to `branch`, or as a pull request with create_pr=True); returns the commit
        URL. Files the repo has and the folder no longer does are deleted in that commit,
        unless allow_patterns, ignore_patterns or delete_patterns are given. Raises
        hub.errors.PushError if the upload fails."""
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
                                        render_card=False)
            except PushError as e:  # its retry command names this temporary folder, about to go
                raise PushError(f"pushing to {repo_id} failed: {e.__cause__!r}. Nothing was uploaded: "
                                "call push_to_hub again, or save_pretrained and `python -m hub push` the "
                                "folder.") from e.__cause__

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *, force_download=False, token=None, cache_dir=None,
                        local_files_only=False, revision=None, runtime="auto", providers=None, device=None):
        """`ModelHubMixin.from_pretrained`: a local model folder or a Hub repo id, whose
        files are downloaded into the Hub cache (which also serves HF_HUB_OFFLINE=1); only
        those the runtime needs are fetched. runtime: 'auto' (ONNX Runtime when installed
        and the export matches the weights), 'keras' or 'onnx'. providers: ONNX Runtime's
        execution providers, e.g. ["CUDAExecutionProvider"] (default the CPU); device:
        "cpu" or "cuda", a shortcut for them. A provider this onnxruntime lacks falls back
        to the CPU with a warning. Raises hub.errors.ModelFolderError for anything that
        cannot be loaded."""
        if device is not None:
            if providers is not None:
                raise ValueError("give providers or device, not both")
            providers = onnx_runtime.device_providers(device)
        # Not the mixin's own: it reads config.json before any check of ours, so a broken
        # folder would raise the JSON parser's or the Hub client's errors instead of ours.
        return cls._from_pretrained(model_id=str(pretrained_model_name_or_path), revision=revision,
                                    cache_dir=cache_dir, force_download=force_download,
                                    local_files_only=local_files_only, token=token, runtime=runtime,
                                    providers=providers)

    @classmethod
    def _from_pretrained(cls, *, model_id, revision, cache_dir, force_download, local_files_only, token,
                         runtime="auto", providers=None, **unused):
        source = model_folder.Source(model_id, revision, cache_dir, force_download, local_files_only, token)
        config, networks, samples = model_folder.load(source, list(cls.network_files.values()), cls.__name__,
                                                      runtime, providers)
        instance = cls(*(networks[f] for f in cls.network_files.values()), config, samples)
        instance._hub_mixin_config = config
        return instance
