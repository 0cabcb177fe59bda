"""bench.precision's yardstick: each run's gap to the float32 curve, relative to its size."""

import pytest

from bench.precision import RUNS, curve_gaps
from trainer.cyclegan import LOSS_NAMES


def test_curve_gaps_are_mean_absolute_gaps_relative_to_the_reference():
    def rows(values):
        return [{"epoch": i + 1, **{name: v for name in LOSS_NAMES}} for i, v in enumerate(values)]

    reference, bf16, other_seed = RUNS
    results = {reference: (rows([2.0, 1.0, -1.0]), None, 0), bf16: (rows([2.2, 1.0, -1.0]), None, 0),
               other_seed: (rows([1.0, 2.0, 0.0]), None, 0)}
    gaps = curve_gaps(results)
    assert set(gaps) == set(LOSS_NAMES)
    # mean |reference| = 4/3; bf16: mean gap 0.2/3 -> 0.05; the other seed: 3/3 -> 0.75.
    assert gaps["gen_G_loss"][bf16] == pytest.approx(0.05)
    assert gaps["gen_G_loss"][other_seed] == pytest.approx(0.75)
