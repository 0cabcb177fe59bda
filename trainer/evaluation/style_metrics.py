"""FID and KID between two image sets, on InceptionV3 pool features.

FID (Heusel et al. 2017): ||mu_x - mu_y||^2 + Tr(S_x + S_y - 2 (S_x S_y)^(1/2)) of the
two feature sets' Gaussians. KID (Binkowski et al. 2018): the unbiased MMD^2 estimate
with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3, averaged over random
subsets, with its standard deviation over them.

The features are Keras' InceptionV3 (ImageNet weights, 2048-wide average pool, images
scaled to 299 px bilinear). Those weights differ from the TF-slim graph that pytorch-fid
and clean-fid use, so these values rank models against each other but are not
comparable with FIDs published elsewhere.
"""

import keras
import numpy as np
from keras import ops
from scipy import linalg

# Keras' own file and checksum (keras.applications.inception_v3), fetched once into the
# Keras cache (~/.keras/models, or $KERAS_HOME/models).
INCEPTION_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
INCEPTION_ORIGIN = ("https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
                    + INCEPTION_FILE)
INCEPTION_MD5 = "bcbd6486424b2319ff4ef7d526e38f63"
INCEPTION_SIZE = 299


class FeaturesUnavailable(RuntimeError):
    """The InceptionV3 weights are not in the cache and cannot be fetched."""


def frechet_distance(mu_x, sigma_x, mu_y, sigma_y):
    """FID between the Gaussians N(mu_x, sigma_x) and N(mu_y, sigma_y)."""
    mu_x, mu_y = np.asarray(mu_x, np.float64), np.asarray(mu_y, np.float64)
    sigma_x, sigma_y = np.atleast_2d(sigma_x).astype(np.float64), np.atleast_2d(sigma_y).astype(np.float64)
    covmean = linalg.sqrtm(sigma_x @ sigma_y)
    if not np.isfinite(covmean).all():  # near-singular product: nudge it, as pytorch-fid does
        offset = np.eye(len(sigma_x)) * 1e-6
        covmean = linalg.sqrtm((sigma_x + offset) @ (sigma_y + offset))
    # Rounding leaves tiny imaginary parts; large ones mean the input was not a covariance.
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3 * max(1.0, np.abs(covmean).max())):
            raise ValueError("the covariance product has a large imaginary square root: not covariances?")
        covmean = covmean.real
    diff = mu_x - mu_y
    return float(diff @ diff + np.trace(sigma_x) + np.trace(sigma_y) - 2 * np.trace(covmean))


def fid(features_x, features_y):
    """FID between two (N, D) feature sets (N >= 2 each)."""
    stats = []
    for features in (features_x, features_y):
        features = np.asarray(features, np.float64)
        if features.ndim != 2 or len(features) < 2:
            raise ValueError(f"FID needs two or more feature vectors a set, got shape {features.shape}")
        stats += [features.mean(axis=0), np.cov(features, rowvar=False)]
    return frechet_distance(*stats)


def polynomial_mmd2(x, y):
    """Unbiased MMD^2 of two (m, D) sets with k(a, b) = (a.b / D + 1)^3."""
    m, n, d = len(x), len(y), x.shape[1]
    k_xx = (x @ x.T / d + 1) ** 3
    k_yy = (y @ y.T / d + 1) ** 3
    k_xy = (x @ y.T / d + 1) ** 3
    return float((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
                 + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
                 - 2 * k_xy.mean())


def kid(features_x, features_y, subsets=100, subset_size=1000, seed=0):
    """(mean, std) of the polynomial MMD^2 over `subsets` random subsets of
    min(subset_size, len(x), len(y)) vectors drawn without replacement from each set."""
    x, y = np.asarray(features_x, np.float64), np.asarray(features_y, np.float64)
    size = min(subset_size, len(x), len(y))
    if size < 2:
        raise ValueError("KID needs two or more feature vectors a set")
    rng = np.random.default_rng(seed)
    values = [polynomial_mmd2(x[rng.choice(len(x), size, replace=False)],
                              y[rng.choice(len(y), size, replace=False)]) for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values))


def inception_weights(cache_dir=None):
    """The local path of InceptionV3's ImageNet weights, fetched into the Keras cache the
    first time (checked against Keras' MD5, so a download cut short is fetched again)."""
    try:
        return keras.utils.get_file(INCEPTION_FILE, INCEPTION_ORIGIN, cache_subdir="models",
                                    file_hash=INCEPTION_MD5, cache_dir=cache_dir)
    except Exception as e:  # noqa: BLE001 - keras wraps every network failure in a bare Exception
        where = f"{cache_dir}/models" if cache_dir else "~/.keras/models (or $KERAS_HOME/models)"
        raise FeaturesUnavailable(
            f"FID and KID need InceptionV3's ImageNet weights ({INCEPTION_FILE}, 84 MB), fetched once "
            f"into {where}, and they could not be fetched ({e}). Run once with network access, or "
            "copy the file there.") from None


class InceptionFeatures:
    """uint8 images (N, H, W, 3) -> (N, 2048) float64 InceptionV3 pool features."""

    def __init__(self, cache_dir=None, batch_size=32):
        self.network = keras.applications.InceptionV3(
            include_top=False, weights=inception_weights(cache_dir), pooling="avg",
            input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3))
        self.batch_size = batch_size

    def __call__(self, images):
        images = np.asarray(images)
        batches = []
        for start in range(0, len(images), self.batch_size):
            batch = ops.image.resize(ops.cast(images[start:start + self.batch_size], "float32"),
                                     (INCEPTION_SIZE, INCEPTION_SIZE), interpolation="bilinear")
            batches.append(ops.convert_to_numpy(self.network(batch / 127.5 - 1.0, training=False)))
        return np.concatenate(batches).astype(np.float64)
