"""`--distribute`: data-parallel training on the engines made for it, not a home-made one.

TensorFlow backend: `tf.distribute.MirroredStrategy` over the local GPUs (or, without
GPUs, every logical CPU device), or `MultiWorkerMirroredStrategy` when TF_CONFIG names a
cluster of several machines. JAX backend: `keras.distribution.DataParallel` over every
device, local or, when Keras' KERAS_DISTRIBUTION_JOB_ADDRESSES / _NUM_PROCESSES /
_PROCESS_ID name several processes, on all of them (`jax.distributed`). Either way
--batch-size is the global batch, split evenly over the devices, and a step follows that
batch's mean loss, as on one device.
"""

import contextlib
import json
import logging
import os

import keras

log = logging.getLogger(__name__)


def _tf_strategy():
    import tensorflow as tf

    if _tf_config().get("cluster"):
        return tf.distribute.MultiWorkerMirroredStrategy()
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([d.name for d in devices])


def replicas_scope(batch_size):
    """(context to build the trainer in, number of replicas)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        strategy = _tf_strategy()
        context, replicas = strategy.scope(), strategy.num_replicas_in_sync
    elif backend == "jax":
        if jax_processes() > 1:
            start_jax_cluster()
        # Without auto-sharding, each process's batch is its share of the global one
        # (trainer.data.arrays.Batches gives it); Keras cannot shard a PyDataset itself.
        distribution = keras.distribution.DataParallel(auto_shard_dataset=False)
        keras.distribution.set_distribution(distribution)
        context, replicas = contextlib.nullcontext(), len(distribution.device_mesh.devices.flatten())
    else:
        raise ValueError(f"--distribute needs the tensorflow or jax backend, not {backend}")
    if batch_size % replicas:
        raise ValueError(f"--batch-size {batch_size} must be a multiple of the {replicas} devices --distribute "
                         "trains on, so each gets an equal share")
    log.info("--distribute: %d replicas, %d images (or pairs) each per step", replicas, batch_size // replicas)
    return context, replicas


def trainer_scope(config):
    """Where to build the trainer for `config`: the strategy's scope under --distribute."""
    return replicas_scope(config.batch_size)[0] if config.distribute else contextlib.nullcontext()


def replica_uniform(shape, seed_generator):
    """keras.random.uniform in [0, 1) of `shape` (batch first), different on every replica.
    Under tf.distribute every replica holds the same random state, so each takes its own
    slice of one draw for the global batch, not the same numbers as the others."""
    replicas, replica = 1, 0
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            replicas, replica = context.num_replicas_in_sync, context.replica_id_in_sync_group
    batch = shape[0]
    everyone = keras.random.uniform((replicas * batch, *shape[1:]), seed=seed_generator)
    return everyone[replica * batch:(replica + 1) * batch] if replicas > 1 else everyone


def jax_processes():
    """How many JAX processes Keras' KERAS_DISTRIBUTION_NUM_PROCESSES names (1: none)."""
    return int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES") or 1)


def start_jax_cluster():
    """Join the JAX processes KERAS_DISTRIBUTION_* names (once; before any JAX computation)."""
    import jax

    if not jax.distributed.is_initialized():
        # Gloo carries the collectives between CPU processes; GPUs use NCCL whatever this says.
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        keras.distribution.initialize()  # reads the KERAS_DISTRIBUTION_* variables
    log.info("--distribute: JAX process %d of %d", jax.process_index(), jax.process_count())


def process_share():
    """(this process's index, processes): each feeds its slice of every global batch."""
    if keras.backend.backend() == "jax" and keras.distribution.distribution() is not None:
        import jax

        return jax.process_index(), jax.process_count()
    return 0, 1


def _tf_config():
    return json.loads(os.environ.get("TF_CONFIG") or "{}")


def is_chief():
    """Whether this process writes the run's files: true unless TF_CONFIG makes it a
    worker other than the chief, or KERAS_DISTRIBUTION_PROCESS_ID a JAX process other than
    0 (the others write to a scratch folder, as TF advises)."""
    if int(os.environ.get("KERAS_DISTRIBUTION_PROCESS_ID") or 0) != 0:
        return False
    config = _tf_config()
    task = config.get("task")
    if not task:
        return True
    if "chief" in config.get("cluster", {}):
        return task.get("type") == "chief"
    return task.get("type") == "worker" and task.get("index", 0) == 0
