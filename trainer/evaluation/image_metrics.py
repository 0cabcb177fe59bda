"""L1, PSNR and SSIM of images against their ground truth: the paired metrics, and the
flicker's SSIM against toyworld's renders. numpy and keras.ops only, so they run on
every Keras backend (the JAX-only GPU machines included)."""

import keras
import numpy as np


def image_metrics(predicted, target):
    """uint8 (N, H, W, 3) arrays -> {'l1', 'psnr', 'ssim'}, each the mean over the images
    (PSNR and SSIM per image, as tf.image computes them, then averaged)."""
    p = np.asarray(predicted, np.float32) / 255.0
    t = np.asarray(target, np.float32) / 255.0
    mse = np.mean((p - t) ** 2, axis=(1, 2, 3), dtype=np.float64)
    ssim = keras.ops.image.ssim(p, t, max_val=1.0)  # 11x11 Gaussian window, sigma 1.5, per image
    return {
        "l1": float(np.mean(np.abs(p - t), dtype=np.float64)),
        "psnr": float(np.mean(10.0 * np.log10(1.0 / np.maximum(mse, 1e-10)))),
        "ssim": float(np.mean(keras.ops.convert_to_numpy(ssim))),
    }
