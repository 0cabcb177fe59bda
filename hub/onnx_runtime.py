"""ONNX exports of a model folder's networks, and running them with ONNX Runtime.

Each .onnx file is recorded in config.json with its own sha256 and that of the .keras
file it was exported from (or converted beside, for float16 storage); the ONNX path is only used while both still match, so
replaced weights never run with a stale export, nor a swapped .onnx file at all. Export
needs tf2onnx (TensorFlow backend); running needs onnxruntime. Both are optional: without
them the Keras path runs.
"""

import hashlib
import importlib.util
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def can_export():
    try:
        import keras
    except ImportError:
        return False
    return keras.backend.backend() == "tensorflow" and importlib.util.find_spec("tf2onnx") is not None


def can_run():
    return importlib.util.find_spec("onnxruntime") is not None


def export(net, path, image_size, keras_file=None):
    """Write `net` (a float32 Keras model) as ONNX; unknown image sides stay dynamic.
    keras_file: where `net` is saved, if it is (else it is saved to a temporary file
    first). The export runs in a child process (hub.onnx_export says why); raises
    RuntimeError with the end of its log if it fails."""
    with tempfile.TemporaryDirectory() as tmp:
        if keras_file is None:
            keras_file = Path(tmp) / "network.keras"
            net.save(keras_file)
        root = str(Path(__file__).resolve().parent.parent)  # where `hub` is, installed or not
        env = {**os.environ, "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": "python", "KERAS_BACKEND": "tensorflow",
               "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        result = subprocess.run([sys.executable, "-m", "hub.onnx_export", str(keras_file), str(path), str(image_size)],
                                env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"the ONNX export failed: {result.stderr.strip()[-1500:]}")


def float16_weights(source, destination):
    """Rewrite an ONNX file with its float32 initializers (the weights, as the float16
    .keras file rounds them, and a few constants) stored as float16, each followed by a
    Cast back to float32. ONNX Runtime folds the casts as it loads, so the network runs in float32
    with the same rounded weights as a float16 .keras file, from half the bytes."""
    import onnx  # the train extra's; running needs only onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    # A Resize's roi and scales stay float32 constants: ONNX Runtime checks them as it loads
    # (an empty `scales` behind a Cast reads as given).
    resize_constants = {name for node in graph.node if node.op_type == "Resize" for name in node.input[1:]}
    initializers, casts = [], []
    for tensor in graph.initializer:
        if tensor.data_type == TensorProto.FLOAT and tensor.name not in resize_constants:
            half = numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16), f"{tensor.name}/float16")
            initializers.append(half)
            casts.append(helper.make_node("Cast", [half.name], [tensor.name], to=TensorProto.FLOAT))
        else:
            initializers.append(tensor)
    nodes = casts + list(graph.node)
    del graph.initializer[:], graph.node[:]
    graph.initializer.extend(initializers)
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(destination))


class OnnxNetwork:
    """Runs like the Keras network it was exported from (`predict_on_batch` or a call,
    inputs in the same order) and returns a numpy array.

    `options`: an onnxruntime.SessionOptions; by default ONNX Runtime's own, which were the
    fastest of those `python -m bench.ort_settings` tries (docs/results.md).
    `providers`: ONNX Runtime's execution providers in order of preference (names, or
    (name, options) pairs), e.g. ["CUDAExecutionProvider"]; default the CPU. Those this
    onnxruntime lacks are left out with a warning, and the CPU is always the last resort."""

    def __init__(self, path, options=None, providers=None):
        # ONNX Runtime's wheels (1.29 on) send usage events to Microsoft
        # (mobile.events.data.microsoft.com, seen from the app) unless this is set before
        # it starts; loading a model should not report anyone's use of it.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime

        options = options or onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only
        self.path = str(path)  # what save_pretrained copies
        self.session = onnxruntime.InferenceSession(self.path, options, providers=available_providers(providers))
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.smallest_shapes = None  # of the inputs of the smallest run so far (release_memory runs them)
        self._shrink = onnxruntime.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def __call__(self, inputs, training=False):
        inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        feed = {name: np.asarray(x, np.float32) for name, x in zip(self.input_names, inputs)}
        outputs = self.session.run(None, feed)
        outputs = outputs[0] if len(outputs) == 1 else outputs
        shapes = [x.shape for x in feed.values()]
        if self.smallest_shapes is None or _size(shapes) < _size(self.smallest_shapes):
            self.smallest_shapes = shapes
        return outputs

    predict_on_batch = __call__

    def release_memory(self):
        """Give back the memory a large input left in ONNX Runtime's arena: one run of zeros
        of the smallest inputs run so far, with the arena shrinking after it. The arena is
        kept between runs otherwise (without it the U-Net runs slower); call this when idle."""
        if self.smallest_shapes is not None:
            feed = {name: np.zeros(shape, np.float32) for name, shape in zip(self.input_names, self.smallest_shapes)}
            self.session.run(None, feed, self._shrink)


DEVICE_PROVIDERS = {"cpu": ["CPUExecutionProvider"], "cuda": ["CUDAExecutionProvider"]}


def device_providers(device):
    """from_pretrained's device shortcut -> execution providers."""
    if device not in DEVICE_PROVIDERS:
        raise ValueError(f"device must be one of {sorted(DEVICE_PROVIDERS)}, got {device!r}")
    return DEVICE_PROVIDERS[device]


def available_providers(providers):
    """The `providers` this onnxruntime has, in the caller's order, then the CPU's; a
    missing one is a warning (a CUDA provider asked for on a machine without it)."""
    import onnxruntime

    if providers is None:
        return ["CPUExecutionProvider"]
    if isinstance(providers, str):
        providers = [providers]
    have = set(onnxruntime.get_available_providers())
    chosen = []
    for provider in providers:
        name = provider[0] if isinstance(provider, (tuple, list)) else provider
        if name in have:
            chosen.append(provider)
        else:
            warnings.warn(f"ONNX Runtime has no {name} here (it has {', '.join(sorted(have))}); "
                          "running on the CPU instead", stacklevel=4)
    if "CPUExecutionProvider" not in [p[0] if isinstance(p, (tuple, list)) else p for p in chosen]:
        chosen.append("CPUExecutionProvider")
    return chosen


def _size(shapes):
    return sum(int(np.prod(shape)) for shape in shapes)
