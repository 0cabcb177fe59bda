"""Running a trainer's CLI from tests: in the test's own process (the backend is started
already, so a run costs its training only), in a process of its own, or killed with SIGKILL
mid-run."""

import importlib
import logging
import os
import signal
import subprocess
import sys


def run_cli(module, args, **kwargs):
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                          text=True, timeout=600, **kwargs)


def error_of(module, args):
    """The message `python -m module args` exits with, run in this process: a refusal comes
    before any network is built, so it needs no process (and backend start) of its own."""
    import pytest

    with pytest.raises(SystemExit) as exited:
        importlib.import_module(module).main(args)
    # sys.exit(message), which a process ends with status 1; not argparse's usage exit (2)
    assert isinstance(exited.value.code, str), exited.value.code
    return exited.value.code


def run_in_process(module, args):
    """`python -m module args` in this process -> what its log says (the INFO lines the process
    would print to stderr). A run that exits with an error fails the test with its message."""
    import keras

    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    root, handler = logging.getLogger(), Collect(logging.INFO)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        importlib.import_module(module).main(args)
    except SystemExit as exited:
        raise AssertionError(f"python -m {module} exited: {exited.code}\n" + "\n".join(lines[-20:])) from None
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        keras.mixed_precision.set_global_policy("float32")  # as the export leaves it, had the run got there
    return "\n".join(lines)


def run_and_kill_after_checkpoint(module, args, step):
    """Start the trainer and SIGKILL it right after it reports the checkpoint of `step`."""
    proc = subprocess.Popen([sys.executable, "-m", module, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if f"checkpoint: step {step} " in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    return proc.returncode


def assert_kill_and_resume_match(module, args, step, tmp_path, model_class=None):
    """Run `module` with `args` straight through, and again SIGKILLed after the checkpoint
    of `step` and resumed: both must end with the same weights in RUN_DIR/model (a folder of
    `model_class`, default hub.CycleGAN). Only the killed run needs a process of its own.
    Returns (the straight run's folder, the resumed one's)."""
    import numpy as np

    from hub.cyclegan import CycleGAN

    straight, killed = tmp_path / "straight", tmp_path / "killed"
    run_in_process(module, [*args, "--out", str(straight)])
    assert run_and_kill_after_checkpoint(module, [*args, "--out", str(killed)], step) == -signal.SIGKILL
    assert not (killed / "model").exists()  # it really died before the end
    resumed_log = run_in_process(module, [*args, "--out", str(killed), "--resume"])
    assert f"resumed from {killed / 'checkpoints' / 'latest.npz'} at step {step}" in resumed_log, resumed_log
    model_class = model_class or CycleGAN
    weights = [[w for net in model_class.from_pretrained(folder / "model", runtime="keras").networks().values()
                for w in net.get_weights()] for folder in (straight, killed)]
    assert len(weights[0]) == len(weights[1]) > 0
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, atol=1e-5)
    return straight, killed
