"""Running a trainer's CLI from tests: plainly, or killed with SIGKILL mid-run."""

import os
import signal
import subprocess
import sys


def run_cli(module, args, **kwargs):
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                          text=True, timeout=300, **kwargs)


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
