"""The ONNX export of a saved Keras network, in a process of its own:
`python -m hub.onnx_export KERAS_FILE ONNX_FILE IMAGE_SIZE` (hub.onnx_runtime.export runs it).

Why a process of its own, with the pure-Python protobuf: tf2onnx's optimiser rewrites
every constant's protobuf on each of its passes, and protobuf's C implementation (upb)
keeps each old copy in the model's arena until the model is freed, so the export of a
large network held one copy of its weights per pass. The implementation is chosen when
protobuf is first imported, which TensorFlow has done long before an export in the
trainer's process. tf2onnx's large-model path also leaves out TensorFlow's grappler pass
(a few more copies) and gives the same graph; and a child gives all of its memory back
when it ends. bench.onnx_export_memory measures it (docs/results.md, "Speed on 2 CPU cores").
"""

import sys
import tempfile
import zipfile
from pathlib import Path


def export_saved(keras_file, onnx_file, image_size):
    """Load `keras_file` (safe mode), export its export twin (hub.export_twin) as one
    .onnx file; unknown image sides stay dynamic."""
    import keras
    import numpy as np
    import onnx
    import tf2onnx
    from keras.src import tree
    from keras.src.export.export_utils import get_input_signature, make_tf_tensor_spec
    from keras.src.export.onnx import get_concrete_fn
    from keras.src.export.tf2onnx_lib import patch_tf2onnx

    from hub import caae_nets, nets  # noqa: F401 - registers the custom layers the networks use
    from hub.export_twin import export_twin

    net = export_twin(keras.saving.load_model(keras_file, compile=False, safe_mode=True))
    # Keras exports only models it has seen called: one call on zeros of the training size.
    examples = [np.zeros([1, *(image_size if d is None else d for d in t.shape[1:])], np.float32) for t in net.inputs]
    net(examples if len(examples) > 1 else examples[0])
    signature = tree.map_structure(make_tf_tensor_spec, get_input_signature(net))  # as keras' own export
    patch_tf2onnx()  # keras' fix of tf2onnx for numpy 2
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "model.zip"  # the large-model path writes the graph and its weights apart
        tf2onnx.convert.from_function(get_concrete_fn(net, signature), signature, large_model=True,
                                      output_path=str(archive))
        with zipfile.ZipFile(archive) as members:
            members.extractall(Path(tmp) / "model")
        model = onnx.load(str(Path(tmp) / "model" / "__MODEL_PROTO.onnx"))  # with the weights beside it
        onnx.save(model, str(onnx_file))


if __name__ == "__main__":
    export_saved(sys.argv[1], sys.argv[2], int(sys.argv[3]))
