"""hub.transposed_conv: on the JAX backend, the same outputs and gradients as Keras'
Conv2DTranspose, with a kernel gradient made of plain strided-convolution gradients (the
form that XLA gives cuDNN's fast backward-filter kernels on a GPU). JAX runs in a
subprocess (one Keras backend per process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def records():
    pytest.importorskip("jax")
    out = subprocess.run([sys.executable, "-m", "tests.helpers.transposed_conv_grads"], capture_output=True, text=True,
                         timeout=300, cwd=ROOT, env={**os.environ, "KERAS_BACKEND": "jax"})
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_same_outputs_and_gradients_as_keras(records):
    assert len(records) == 4
    for r in records:
        keras_loss, hub_loss = r["losses"]
        bf16 = r["case"][3] == "mixed_bfloat16"
        assert hub_loss == pytest.approx(keras_loss, rel=1e-6), r["case"]
        # input, kernel (and bias): the same sums in another order
        assert len(r["grad_gaps"]) == (3 if r["case"][1] else 2)
        assert max(r["grad_gaps"]) < (1e-3 if bf16 else 1e-5), r


def test_kernel_gradient_has_no_dilated_input_convolution(records):
    for r in records:
        keras_convs, hub_convs = r["lhs_dilations"]["keras"], r["lhs_dilations"]["hub"]
        assert [2, 2] in keras_convs  # the slow form this layer replaces
        assert hub_convs and all(d == [1, 1] for d in hub_convs), r
