"""Helper run in a subprocess with KERAS_BACKEND=jax by tests/test_train_step.py: replays
each tiny trainer saved in FOLDER (tests/helpers/tiny_trainers.py) on the JAX step, and prints
what it recorded as one JSON line.

python -m tests.helpers.jax_step_losses FOLDER
"""

import json
import os
import sys
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"

from tests.helpers import tiny_trainers  # noqa: E402

folder = Path(sys.argv[1])
print(json.dumps({model: tiny_trainers.replay(folder, model) for model in tiny_trainers.BUILD}))
