"""Training checkpoints: every variable a run needs to continue exactly.

That is the networks, the optimizers (their step counter is the global step), the
history pools and every random-seed state (dropout, pools, jitter), which Keras'
save_weights leaves out. One .npz file, written atomically, so a kill at any moment
leaves the previous checkpoint intact.
"""

import numpy as np
from keras import ops

from hub.atomic import atomic_path


def training_variables(model):
    """All state of a compiled trainer model, in a fixed order."""
    variables = list(model.variables)
    for optimizer in getattr(model, "optimizers", None) or [model.optimizer]:  # the CAAE has several
        variables += list(optimizer.variables)
    return variables


def save(model, path):
    arrays = {f"v{i:05d}": ops.convert_to_numpy(v) for i, v in enumerate(training_variables(model))}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def restore(model, path):
    variables = training_variables(model)
    with np.load(path) as saved:
        if len(saved.files) != len(variables):
            raise ValueError(f"checkpoint {path} holds {len(saved.files)} variables but this model has "
                             f"{len(variables)}: it was written by a different configuration, or by an "
                             "earlier version of the trainer (resume it with that version)")
        for i, variable in enumerate(variables):
            value = saved[f"v{i:05d}"]
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(f"checkpoint {path}: variable {variable.path} has shape {value.shape}, "
                                 f"expected {tuple(variable.shape)}")
            variable.assign(value)
