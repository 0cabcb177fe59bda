"""Running a trainer's CLI from tests: plainly, killed with SIGKILL mid-run, or, for a
refusal, in the test's own process."""

import importlib
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


def assert_kill_and_resume_match(module, args, step, tmp_path):
    """Run `module` with `args` straight through, and again SIGKILLed after the checkpoint
    of `step` and resumed: both must end with the same generator weights (a hub.CycleGAN
    folder in RUN_DIR/model). Returns the straight run's folder."""
    import numpy as np

    from hub.cyclegan import CycleGAN

    straight = run_cli(module, [*args, "--out", str(tmp_path / "straight")])
    assert straight.returncode == 0, straight.stderr[-3000:]
    killed = tmp_path / "killed"
    assert run_and_kill_after_checkpoint(module, [*args, "--out", str(killed)], step) == -signal.SIGKILL
    assert not (killed / "model").exists()  # it really died before the end
    resumed = run_cli(module, [*args, "--out", str(killed), "--resume"])
    assert resumed.returncode == 0 and f"at step {step}" in resumed.stderr, resumed.stderr[-3000:]
    weights = [[w for net in CycleGAN.from_pretrained(folder / "model", runtime="keras").generators.values()
                for w in net.get_weights()] for folder in (tmp_path / "straight", killed)]
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, atol=1e-5)
    return tmp_path / "straight"
