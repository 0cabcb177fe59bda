"""trainer.engine.augment.DeviceJitter: the tutorial's resize-crop-mirror, on uint8 batches."""

import keras
import numpy as np
import pytest
from keras import ops

from trainer.engine.augment import JITTER_SCALE, DeviceJitter


@pytest.mark.parametrize("scale, flip", [(JITTER_SCALE, True), (40 / 32, False)])
def test_each_output_is_a_crop_of_the_resized_image_maybe_mirrored(scale, flip):
    size = 32
    big = int(round(size * scale))
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, size, size, 3), np.uint8)
    out = ops.convert_to_numpy(DeviceJitter(seed=3, scale=scale, flip=flip)(images))
    assert out.shape == images.shape and out.dtype == np.float32
    resized = ops.convert_to_numpy(ops.image.resize(images.astype(np.float32) / 127.5 - 1, (big, big)))
    offsets, mirrored = set(), []
    for image, result in zip(resized, out):
        matches = [(y, x, flip) for y in range(big - size + 1) for x in range(big - size + 1) for flip in (False, True)
                   if np.allclose((image[y:y + size, x:x + size, :][:, ::-1] if flip
                                   else image[y:y + size, x:x + size, :]), result, atol=1e-5)]
        assert len(matches) == 1, "every output is exactly one crop of its resized input"
        offsets.add(matches[0][:2])
        mirrored.append(matches[0][2])
    assert len(offsets) > 1  # drawn per image
    assert 0 < sum(mirrored) < len(mirrored) if flip else not any(mirrored)  # --no-flip: none mirrored


def test_the_draws_follow_the_seed_and_change_from_call_to_call():
    images = np.random.default_rng(1).integers(0, 256, (4, 16, 16, 3), np.uint8)
    first, second = DeviceJitter(seed=7), DeviceJitter(seed=7)
    a1, a2 = ops.convert_to_numpy(first(images)), ops.convert_to_numpy(first(images))
    b1 = ops.convert_to_numpy(second(images))
    np.testing.assert_array_equal(a1, b1)
    assert not np.array_equal(a1, a2)
    assert -1.0 <= a1.min() and a1.max() <= 1.0
    assert keras.ops.convert_to_numpy(first.seed_generator.state).any()  # the state a checkpoint keeps
