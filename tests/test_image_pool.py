import numpy as np

from trainer.engine.image_pool import ImagePool


def _images(values):
    return np.stack([np.full((2, 2, 3), v, np.float32) for v in values])


def test_pool_fills_then_mixes_old_and_new():
    pool = ImagePool(3, (2, 2, 3), seed=0)
    first = np.asarray(pool(_images([1, 2, 3])))
    np.testing.assert_array_equal(first, _images([1, 2, 3]))  # filling: returned as given
    assert int(np.asarray(pool.count)) == 3
    seen_old = seen_new = False
    for step in range(20):
        new = 10 + step
        out = float(np.asarray(pool(_images([new])))[0, 0, 0, 0])
        stored = set(np.asarray(pool.images)[:, 0, 0, 0].tolist())
        assert len(stored) == 3 and int(np.asarray(pool.count)) == 3
        if out == new:
            seen_new = True
        else:
            seen_old = True
            assert new in stored and out not in stored  # swapped: the new one took its slot
    assert seen_old and seen_new


def test_pool_is_deterministic_per_seed():
    outs = []
    for _ in range(2):
        pool = ImagePool(2, (2, 2, 3), seed=5)
        outs.append([float(np.asarray(pool(_images([v])))[0, 0, 0, 0]) for v in range(12)])
    assert outs[0] == outs[1]


def test_pool_config_round_trip():
    pool = ImagePool(4, (8, 8, 3), seed=1, name="p")
    clone = ImagePool.from_config(pool.get_config())
    assert clone.pool_size == 4 and clone.image_shape == (8, 8, 3)
