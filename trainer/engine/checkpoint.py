"""Training checkpoints: every variable a run needs to continue exactly.

That is the networks, the optimizer (its step counter is the global step), the
history pools and every random-seed state (dropout, pools, jitter), which Keras'
save_weights leaves out. One .npz file, written atomically, so a kill at any moment
leaves the previous checkpoint intact.
"""

import numpy as np
from keras import ops

from hub.atomic import atomic_path

# Checkpoints from before this version may hold an older layout (four Adams, no jitter layer),
# which is no longer converted.
LAYOUT_VERSION = "0.2.0"


def training_variables(model):
    """All state of a compiled trainer model, in a fixed order."""
    return list(model.variables) + list(model.optimizer.variables)


def save(model, path):
    arrays = {f"v{i:05d}": ops.convert_to_numpy(v) for i, v in enumerate(training_variables(model))}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def restore(model, path):
    """Load a checkpoint into `model`."""
    variables = training_variables(model)
    with np.load(path) as saved:
        values = [saved[f"v{i:05d}"] for i in range(len(saved.files))]
    if len(values) != len(variables):
        raise ValueError(f"checkpoint {path} holds {len(values)} variables but this model has "
                         f"{len(variables)}: it was written by a different configuration, or by a trainer "
                         f"older than version {LAYOUT_VERSION}, whose layout is no longer read")
    for variable, value in zip(variables, values):
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(f"checkpoint {path}: variable {variable.path} has shape {value.shape}, "
                             f"expected {tuple(variable.shape)}")
        variable.assign(value)
