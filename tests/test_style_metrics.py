"""FID and KID against values computed independently, and InceptionV3's weights fetched
once into the Keras cache from a local server (a random-weight file of the real layout:
the ImageNet file cannot be fetched here)."""

import functools
import hashlib
import http.server
import threading

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format  # Keras' own .h5 layout, as the ImageNet file

from trainer.evaluation import style_metrics


def test_fid_closed_forms():
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2 with s the standard deviations
    assert style_metrics.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)
    # diagonal: |dmu|^2 + sum (sqrt(a) - sqrt(b))^2
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu_x, mu_y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = 1 + 4 + (1 - 3) ** 2 + (2 - 1) ** 2
    assert style_metrics.frechet_distance(mu_x, np.diag(a), mu_y, np.diag(b)) == pytest.approx(expected)
    # a rotation of both Gaussians changes nothing (exercises the non-diagonal square root)
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    rotated = style_metrics.frechet_distance(q @ mu_x, q @ np.diag(a) @ q.T, q @ mu_y, q @ np.diag(b) @ q.T)
    assert rotated == pytest.approx(expected, rel=1e-6)


def test_fid_of_samples():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20000, 4))
    shift = np.array([1.0, -2.0, 0.5, 0.0])
    assert style_metrics.fid(x, x) == pytest.approx(0, abs=1e-6)
    assert style_metrics.fid(x, rng.normal(size=(20000, 4)) + shift) == pytest.approx(shift @ shift, abs=0.15)  # sampling error ~0.05
    with pytest.raises(ValueError, match="two or more"):
        style_metrics.fid(x[:1], x)


def naive_mmd2(x, y):
    k = lambda a, b: (a @ b / len(a) + 1) ** 3  # noqa: E731
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_kid_against_independent_values():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(12, 5)), rng.normal(size=(9, 5)) + 0.7
    assert style_metrics.polynomial_mmd2(x, y) == pytest.approx(naive_mmd2(x, y), rel=1e-10)
    # constant sets: every kernel value is known, MMD^2 = k(a, a) + k(b, b) - 2 k(a, b)
    a, b = np.array([1.0, 0.0, 2.0]), np.array([0.0, 1.0, -1.0])
    k = lambda u, v: (u @ v / 3 + 1) ** 3  # noqa: E731
    mean, std = style_metrics.kid(np.tile(a, (6, 1)), np.tile(b, (8, 1)), subsets=5, subset_size=4)
    assert mean == pytest.approx(k(a, a) + k(b, b) - 2 * k(a, b)) and std == pytest.approx(0, abs=1e-9)
    # one distribution: unbiased, so near 0 either side; a shift: clearly positive
    same = style_metrics.kid(rng.normal(size=(400, 8)), rng.normal(size=(400, 8)), subsets=20, subset_size=200)
    shifted = style_metrics.kid(rng.normal(size=(400, 8)), rng.normal(size=(400, 8)) + 0.5, subsets=20,
                                subset_size=200)
    assert abs(same[0]) < 3 * same[1] + 1e-3 and shifted[0] > 10 * same[1] + 1e-3


@pytest.fixture(scope="module")
def weights_server(tmp_path_factory):
    """An HTTP server on 127.0.0.1 with a random-weight InceptionV3 (no top) in Keras'
    .h5 layout; yields (origin, md5, requests served)."""
    folder = tmp_path_factory.mktemp("weights")
    network = keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg")
    with h5py.File(folder / style_metrics.INCEPTION_FILE, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, network)
    served = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            served.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    md5 = hashlib.md5((folder / style_metrics.INCEPTION_FILE).read_bytes()).hexdigest()
    yield f"http://127.0.0.1:{server.server_port}/{style_metrics.INCEPTION_FILE}", md5, served
    server.shutdown()


@pytest.mark.slow
def test_inception_weights_are_fetched_once_into_the_cache(weights_server, monkeypatch, tmp_path):
    origin, md5, served = weights_server
    monkeypatch.setattr(style_metrics, "INCEPTION_ORIGIN", origin)
    monkeypatch.setattr(style_metrics, "INCEPTION_MD5", md5)
    features = style_metrics.InceptionFeatures(cache_dir=tmp_path)
    assert (tmp_path / "models" / style_metrics.INCEPTION_FILE).is_file() and len(served) == 1
    images = np.random.default_rng(0).integers(0, 256, size=(3, 40, 48, 3), dtype=np.uint8)
    f1 = features(images)
    assert f1.shape == (3, 2048) and np.isfinite(f1).all()
    # the second time it comes from the cache: the server is not asked again
    again = style_metrics.InceptionFeatures(cache_dir=tmp_path, batch_size=2)
    np.testing.assert_allclose(again(images), f1, rtol=1e-4, atol=1e-5)
    assert len(served) == 1
    # a download cut short (the file truncated) fails the checksum and is fetched again
    cached = tmp_path / "models" / style_metrics.INCEPTION_FILE
    cached.write_bytes(cached.read_bytes()[:1000])
    style_metrics.inception_weights(cache_dir=tmp_path)
    assert len(served) == 2 and hashlib.md5(cached.read_bytes()).hexdigest() == md5


def test_offline_without_weights_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(style_metrics, "INCEPTION_ORIGIN", "http://127.0.0.1:9/nothing-listens-here.h5")
    with pytest.raises(style_metrics.FeaturesUnavailable, match="fetched once into .*models.*Run once with network"):
        style_metrics.InceptionFeatures(cache_dir=tmp_path)
