"""--distribute: data-parallel training of both trainers on two devices, and on two worker
processes on 127.0.0.1, ends where one device ends with the same global batch. The runs are
subprocesses (devices and workers are fixed when a backend starts): tests/helpers/distributed_fit.py."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def start(out, backend, *flags, env=None):
    env = {**os.environ, "KERAS_BACKEND": backend, **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "tests.helpers.distributed_fit", str(out), *flags],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc):
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, output[-3000:]


def updates(path, model, after="u"):
    """(replicas, steps, [each variable's update]) after both steps ("u") or the first ("first")."""
    with np.load(path) as saved:
        names = sorted(n for n in saved.files if n.startswith(f"{model}_{after}"))
        return int(saved["replicas"]), int(saved[f"{model}_step"]), [saved[n] for n in names]


def assert_same_training(single_path, distributed_path, replicas):
    for model in ("cyclegan", "caae"):
        _, single_step, single = updates(single_path, model)
        got_replicas, step, distributed = updates(distributed_path, model)
        assert (got_replicas, step, single_step) == (replicas, 2, 2)
        largest = max(np.abs(u).max() for u in single)
        assert largest > 1e-4  # the steps moved the weights
        # Each variable against its own update, so that one which moves little is held as
        # tightly as one which moves much: a gradient counted twice, halved or left on one
        # replica is off by ~100% of it. The floors are rounding: the first step agrees to
        # ~1e-7 of the largest update (a bias before a norm has no gradient and moves by that
        # noise alone); the second starts from weights that differ by it, which these tiny
        # random nets amplify to ~1e-3 of the largest update.
        first_single, first_distributed = (updates(path, model, "first")[2] for path in (single_path, distributed_path))
        for i, (expected, got) in enumerate(zip(first_single, first_distributed)):
            np.testing.assert_allclose(got, expected, rtol=0, atol=max(1e-4 * np.abs(expected).max(), 1e-6 * largest),
                                       err_msg=f"{model} variable {i}, first step")
        for i, (expected, got) in enumerate(zip(single, distributed)):
            np.testing.assert_allclose(got, expected, rtol=0, atol=max(3e-2 * np.abs(expected).max(), 2e-3 * largest),
                                       err_msg=f"{model} variable {i}, both steps")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_env(backend, addresses, process):
    """The environment making this one of two processes: TF_CONFIG for TensorFlow's
    MultiWorkerMirroredStrategy, Keras' KERAS_DISTRIBUTION_* variables for jax.distributed."""
    if backend == "tensorflow":
        return {"TF_CONFIG": json.dumps({"cluster": {"worker": addresses},
                                         "task": {"type": "worker", "index": process}})}
    return {"KERAS_DISTRIBUTION_JOB_ADDRESSES": addresses[0], "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
            "KERAS_DISTRIBUTION_PROCESS_ID": str(process)}


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
@pytest.mark.slow
def test_two_devices_and_two_processes_train_as_one_device(tmp_path, backend):
    """TensorFlow: one reference run on one device, then two devices, in one process; two
    processes on 127.0.0.1 (MultiWorkerMirroredStrategy, one CPU device each) at the same
    time. JAX: two processes of two devices each (jax.distributed, four replicas), the first
    also making the reference run: one process fewer, as JAX's processes can hold several devices."""
    if backend == "jax":
        pytest.importorskip("jax")
    addresses = [f"127.0.0.1:{free_port()}" for _ in range(2)]
    reference = ["--reference", str(tmp_path / "single.npz")]
    runs = {}
    if backend == "tensorflow":
        runs["two devices"] = start(tmp_path / "two devices.npz", backend, "--devices", "2", "--distribute", *reference)
    devices = ["--devices", "2"] if backend == "jax" else []
    for i in range(2):
        runs[f"process {i}"] = start(tmp_path / f"process {i}.npz", backend, "--distribute", *devices,
                                     *(reference if backend == "jax" and i == 0 else []),
                                     env=cluster_env(backend, addresses, i))
    for proc in runs.values():
        finish(proc)
    for name in runs:
        assert_same_training(tmp_path / "single.npz", tmp_path / f"{name}.npz",
                             replicas=4 if backend == "jax" else 2)


@pytest.mark.parametrize("tf_config, chief", [
    (None, True),
    ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}, True),
    ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}, False),
    ({"cluster": {"chief": ["a:1"], "worker": ["b:2"]}, "task": {"type": "worker", "index": 0}}, False),
    ({"cluster": {"chief": ["a:1"], "worker": ["b:2"]}, "task": {"type": "chief", "index": 0}}, True),
])
def test_only_the_chief_writes_the_run_folder(monkeypatch, tf_config, chief):
    from trainer.engine import distribute

    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
    assert distribute.is_chief() is chief


def test_only_jax_process_0_writes_the_run_folder(monkeypatch):
    from trainer.engine import distribute

    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    assert not distribute.is_chief()
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "0")
    assert distribute.is_chief()


def test_several_jax_processes_need_the_arrays_pipeline(monkeypatch):
    import keras

    from trainer.engine import run
    from trainer.config import CycleGANConfig

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    config = CycleGANConfig(data="-", distribute=True, input_pipeline="tfdata")
    with pytest.raises(ValueError, match="several JAX processes needs --input-pipeline arrays"):
        run.resolve_input_pipeline(config)
    assert run.resolve_input_pipeline(CycleGANConfig(data="-", distribute=True)).input_pipeline == "arrays"


def test_a_batch_that_does_not_split_evenly_is_refused(monkeypatch):
    from trainer.engine import distribute

    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setattr(distribute, "_tf_strategy", lambda: type("Two", (), {"num_replicas_in_sync": 2,
                                                                            "scope": lambda self: None})())
    with pytest.raises(ValueError, match="multiple of the 2 devices"):
        distribute.replicas_scope(3)


def test_replicas_take_their_own_slice_of_one_draw(monkeypatch):
    import keras
    import tensorflow as tf
    from keras import ops

    from trainer.engine import distribute

    class Replica:
        num_replicas_in_sync, replica_id_in_sync_group = 2, 1

    def draw(batch):
        return ops.convert_to_numpy(distribute.replica_uniform((batch, 2, 3), keras.random.SeedGenerator(5)))

    whole = draw(3)  # one replica, batch 3
    everyone = draw(6)  # what two replicas of 3 share
    monkeypatch.setattr(tf.distribute, "get_replica_context", lambda: Replica())
    second = draw(3)
    np.testing.assert_array_equal(second, everyone[3:])
    assert not np.array_equal(second, whole)
