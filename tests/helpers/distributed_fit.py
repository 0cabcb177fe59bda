"""Helper run in a subprocess by tests/test_distribute.py: build each tiny trainer
(tests/helpers/tiny_trainers.py: nothing random happens in a step) with SGD, fit it for two steps
of a global batch of 4 on fixed data - the CAAE in its adversarial phase, where all its
networks train - through the trainers' own arrays input (each process feeds its share of
a batch), and save how far its weights moved, after the first step and after both, to OUT.npz.

python -m tests.helpers.distributed_fit OUT [--devices N] [--distribute] [--reference REF]

The backend comes from KERAS_BACKEND; --devices N makes N virtual CPU devices (TF logical
devices, or XLA's host platform device count on JAX); TF_CONFIG (TensorFlow) or the
KERAS_DISTRIBUTION_* variables (JAX), when set, make this process one of several.
--reference REF first fits the same trainers on one device, undistributed, into REF.npz:
the run the distributed ones must match, without a process of its own (in a JAX cluster,
after the process has joined it).
"""

import argparse
import os
from contextlib import nullcontext

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--devices", type=int, default=1)
parser.add_argument("--distribute", action="store_true")
parser.add_argument("--reference")
args = parser.parse_args()
if os.environ.get("KERAS_BACKEND") == "jax":
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={args.devices}"

import keras  # noqa: E402
import numpy as np  # noqa: E402

if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.devices)

from tests.helpers import tiny_trainers  # noqa: E402
from trainer.engine import distribute  # noqa: E402
from trainer.data import arrays  # noqa: E402


def fit_and_save(out, scope, replicas):
    trainers = {}
    with scope:
        for model in tiny_trainers.BUILD:
            keras.utils.set_random_seed(0)
            # SGD: a step is linear in the gradients, so rounding (the order replicas sum in) stays
            # tiny, while a gradient counted twice or halved would double or halve the step.
            trainers[model] = tiny_trainers.build(model, optimizer=lambda: keras.optimizers.SGD(0.01))
    saved = {"replicas": replicas}
    for model, trainer in trainers.items():
        if model == "caae":
            trainer.set_pretraining(False)
        start = [keras.ops.convert_to_numpy(v) for v in trainer.trainable_variables]
        data = tiny_trainers.batch(model, 8)
        streams = [(data[0],), (data[1],)] if model == "cyclegan" else [data]  # the trainers' own layouts
        batches = arrays.Batches(streams, 4, seed=0, first_step=0, steps=2, share=distribute.process_share())
        first = {}

        def after_the_first_step(batch, logs, trainer=trainer, first=first):
            if batch == 0:
                if hasattr(trainer, "jax_state_sync"):  # JAX's fit keeps the weights in its own state until then
                    trainer.jax_state_sync()
                first.update(enumerate(keras.ops.convert_to_numpy(v) for v in trainer.trainable_variables))

        history = trainer.fit(arrays.for_fit(batches), epochs=1, shuffle=False, verbose=0,
                              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=after_the_first_step)])
        saved[f"{model}_step"] = trainer.step
        for i, (v, w) in enumerate(zip(trainer.trainable_variables, start)):
            saved[f"{model}_u{i:03d}"] = keras.ops.convert_to_numpy(v) - w
            saved[f"{model}_first{i:03d}"] = first[i] - w
        print(model, "losses", {k: float(v[-1]) for k, v in history.history.items()})
    np.savez(out, **saved)


if args.reference:  # before --distribute sets a distribution for the whole process
    if distribute.jax_processes() > 1:
        distribute.start_jax_cluster()  # JAX joins its processes before it computes anything
    fit_and_save(args.reference, nullcontext(), 1)
fit_and_save(args.out, *(distribute.replicas_scope(4) if args.distribute else (nullcontext(), 1)))
