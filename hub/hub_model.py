"""What `CycleGAN` and `CAAE` share: `ModelHubMixin`'s save_pretrained / from_pretrained /
push_to_hub over a model folder (hub.model_folder) of named Keras networks."""

import numpy as np
from huggingface_hub import ModelHubMixin

from hub import model_card, model_folder, push


def predict_in_batches(net, inputs, batch_size):
    """A network's outputs for float32 `inputs` (one array, or a list of aligned arrays),
    `batch_size` rows at a time. predict_on_batch is Keras' compiled inference step (~1.3x
    faster than a plain call on CPU); hub.onnx_runtime.OnnxNetwork has it too."""
    arrays = inputs if isinstance(inputs, list) else [inputs]
    return np.concatenate([
        net.predict_on_batch([a[i:i + batch_size] for a in arrays] if len(arrays) > 1 else arrays[0][i:i + batch_size])
        for i in range(0, len(arrays[0]), batch_size)])


class HubModel(ModelHubMixin, library_name=model_card.LIBRARY_NAME, tags=["style-transfer"]):
    # {constructor argument: file name}, in the constructor's order; set by each subclass.
    network_files = {}

    def networks(self):
        """{constructor argument: network}."""
        raise NotImplementedError

    def _save_pretrained(self, save_directory):
        files = {self.network_files[name]: net for name, net in self.networks().items()}
        model_folder.save(save_directory, files, self.config, self.samples)

    def push_to_hub(self, repo_id, *, private=None, token=None, commit_message=None):
        """Save to a temporary folder and upload it in one commit; returns the commit URL.
        Raises hub.errors.PushError if the upload fails."""
        return push.push_model(self, repo_id, private=private, token=token, commit_message=commit_message)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *, revision=None, cache_dir=None,
                        force_download=False, local_files_only=False, token=None, runtime="auto"):
        """A local model folder or a Hub repo id (downloaded once into the Hub cache, which
        also serves HF_HUB_OFFLINE=1). runtime: 'auto' (ONNX Runtime when installed and the
        export matches the weights), 'keras' or 'onnx'. Raises hub.errors.ModelFolderError."""
        config, networks, samples = model_folder.load(
            pretrained_model_name_or_path, list(cls.network_files.values()), cls.__name__, revision,
            cache_dir, force_download, local_files_only, token, runtime)
        return cls(*(networks[f] for f in cls.network_files.values()), config, samples)

    @classmethod
    def _from_pretrained(cls, *, model_id, **kwargs):  # ModelHubMixin's hook; from_pretrained does it all
        return cls.from_pretrained(model_id, **kwargs)
