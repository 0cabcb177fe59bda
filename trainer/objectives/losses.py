"""The primitives of the trainers' losses, as pure functions: tensors in, scalar out (each
trainer's compute_losses puts one step's losses together from them). CycleGAN's follow
Zhu et al. (ICCV 2017), pix2pix's Isola et al. (CVPR 2017), PatchNCE Park et al.'s CUT
(ECCV 2020); the CAAE's (reconstruction L1 + total variation) the seed report,
its optional label adversary Lample et al.'s Fader networks (NeurIPS 2017), its optional
SSIM term Zhao et al.'s mixed L1 + SSIM loss (IEEE TCI 2017).

Discriminator outputs are logits. `adversarial` picks the GAN objective:
"bce" is binary cross-entropy from logits, as the seed and the TF tutorial;
"lsgan" is the least-squares objective of the paper's experiments (Eq. 2 replaced by
(D(x) - 1)^2 and D(G(x))^2, Mao et al. 2017).
"""

import numpy as np
from keras import ops

ADVERSARIAL_LOSSES = ("bce", "lsgan")


def _bce_with_logits(logits, target):
    # max(x, 0) - x * z + log(1 + exp(-|x|)): the stable form of BCE from logits.
    return ops.mean(ops.relu(logits) - logits * target + ops.log1p(ops.exp(-ops.abs(logits))))


def _adversarial_term(logits, target, adversarial):
    if adversarial == "bce":
        return _bce_with_logits(logits, target)
    if adversarial == "lsgan":
        return ops.mean(ops.square(logits - target))
    raise ValueError(f"unknown adversarial loss {adversarial!r}: choose one of {ADVERSARIAL_LOSSES}")


def generator_adversarial_loss(fake_logits, adversarial="bce"):
    """The generator wants D to call its output real (Eq. 1, non-saturating form)."""
    return _adversarial_term(fake_logits, 1.0, adversarial)


def discriminator_loss(real_logits, fake_logits, adversarial="bce"):
    """Real -> 1, fake -> 0; halved so D learns slower than G (paper, Sec. 4)."""
    real = _adversarial_term(real_logits, 1.0, adversarial)
    fake = _adversarial_term(fake_logits, 0.0, adversarial)
    return 0.5 * (real + fake)


def edge_promoting_loss(smoothed_logits, weight, adversarial="bce"):
    """CartoonGAN's term of D (Chen et al. 2018, Eq. 2): the target domain's own images
    with their edges smoothed are fakes too; halved, as discriminator_loss's terms."""
    return 0.5 * weight * _adversarial_term(smoothed_logits, 0.0, adversarial)


def flat_fill_loss(translated, weight):
    """AnimeGANv2's total-variation term on the generator's output: grain and dither inside a
    region cost it, while a sharp edge costs its contrast once, as a blur would, so it asks
    for flat fills with crisp borders. 0 when the weight is."""
    return weight * total_variation(translated) if weight else 0.0


def cycle_loss(real, cycled, lambda_cycle=10.0, blur=0.0):
    """lambda * ||F(G(x)) - x||_1 (Eq. 2), for one direction. blur: compare the two
    low-passed by a Gaussian of this sigma (px) instead. The plain cycle asks G to hide
    every detail of x in its output for F to rebuild - a 3d render's ground texture
    survives into a flat 2d fill as grain (Chu et al. 2017, "CycleGAN, a master of
    steganography"); compared blurred, that detail is F's to invent."""
    if blur:
        real, cycled = gaussian_blur(real, blur), gaussian_blur(cycled, blur)
    return lambda_cycle * ops.mean(ops.abs(real - cycled))


def gaussian_blur(images, sigma):
    """NHWC images, each channel blurred by a normalised Gaussian of `sigma` px (radius
    2 sigma), zero-padded: a loss that compares two blurred images sees the same borders."""
    radius = max(1, int(np.ceil(2 * sigma)))
    taps = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2 * sigma**2))
    taps = (taps / taps.sum()).astype(np.float32)
    channels = images.shape[-1]
    rows = np.tile(taps[:, None, None, None], (1, 1, channels, 1))  # (k, 1, C, 1) depthwise kernels
    images = ops.depthwise_conv(images, ops.cast(rows, images.dtype), padding="same")
    return ops.depthwise_conv(images, ops.cast(np.transpose(rows, (1, 0, 2, 3)), images.dtype), padding="same")


def identity_loss(real, same, lambda_cycle=10.0, identity_weight=0.5):
    """0.5 * lambda * ||G(y) - y||_1: keeps colours when the input is already in style."""
    return identity_weight * lambda_cycle * ops.mean(ops.abs(real - same))


def patch_nce_loss(query, key, temperature=0.07):
    """PatchNCE (Park et al., Eq. 2-3) of one layer: query, key (B, S, C) are the
    L2-normalised features of S patches of the output and of the input at the same S
    places. Each output patch must pick the input patch at its own place among the S
    patches of its input image: the cross-entropy of that choice, with logits
    q . k / temperature, averaged over patches and images. The key is a fixed target
    (the official code's detach)."""
    logits = ops.einsum("bsc,btc->bst", query, ops.stop_gradient(key)) / temperature  # (B, S, S)
    return -ops.mean(ops.diagonal(ops.log_softmax(logits, axis=-1), axis1=1, axis2=2))


def l1(real, reconstructed):
    """Mean absolute error: the CAAE's reconstruction loss (the seed chose L1 over L2: sharper)."""
    return ops.mean(ops.abs(real - reconstructed))


def line_mask(images, radius, contrast):
    """Images in [-1, 1] -> 1.0 where they draw a thin dark line, else 0.0, shape (N, H, W, 1):
    trainer.evaluation.outlines.detect_lines' black top-hat (the larger of a horizontal and a
    vertical grey-level closing with a 2 * radius + 1 px segment, minus the image, above
    `contrast` grey levels of 255), in Keras ops so that a train step can weight lines."""
    grey = ops.sum(images * ops.convert_to_tensor([0.299, 0.587, 0.114], images.dtype), axis=-1, keepdims=True)
    length = 2 * radius + 1

    def closing(pool):
        dilated = ops.max_pool(grey, pool, strides=1, padding="same")
        return -ops.max_pool(-dilated, pool, strides=1, padding="same")

    black_hat = ops.maximum(closing((1, length)), closing((length, 1))) - grey
    return ops.cast(black_hat > contrast / 127.5, images.dtype)


def line_weighted_l1(real, fake, line_weight, radius, contrast):
    """L1 with each pixel where either image draws a line (line_mask) counted 1 + line_weight
    times: lines cover a few percent of a frame, so plain L1 lets a student skip them, and
    counting the fake's lines too makes a line drawn where there is none cost as much."""
    lines = ops.maximum(line_mask(real, radius, contrast), line_mask(ops.stop_gradient(fake), radius, contrast))
    return ops.mean(ops.abs(real - fake) * (1.0 + line_weight * lines))


def total_variation(images):
    """Mean absolute difference of vertically and horizontally neighbouring pixels."""
    return (ops.mean(ops.abs(images[:, 1:, :, :] - images[:, :-1, :, :]))
            + ops.mean(ops.abs(images[:, :, 1:, :] - images[:, :, :-1, :])))


def ssim_map(a, b, max_val=2.0, size=11, sigma=1.5):
    """Structural similarity (Wang et al. 2004) of two NHWC image batches at each valid
    11x11 Gaussian window, per channel, as tf.image.ssim computes it before its mean: an
    (N, H - 10, W - 10, C) map whose pixel (i, j) is the window centred on (i + 5, j + 5).
    Images in [-1, 1] span max_val = 2. Written with keras.ops so every backend trains
    with it."""
    coords = np.arange(size, dtype=np.float32) - (size - 1) / 2
    g = np.exp(-coords**2 / (2 * sigma**2))
    g /= g.sum()
    channels = a.shape[-1]
    kernel = ops.convert_to_tensor(np.tile(np.outer(g, g)[:, :, None, None], (1, 1, channels, 1)), a.dtype)

    def blur(x):
        return ops.depthwise_conv(x, kernel, strides=1, padding="valid")

    c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    luminance = (2 * mu_a * mu_b + c1) / (mu_a**2 + mu_b**2 + c1)
    structure = (2 * cov + c2) / (var_a + var_b + c2)
    return luminance * structure


def ssim(a, b, max_val=2.0, size=11, sigma=1.5):
    """Mean structural similarity of two NHWC image batches (ssim_map's mean)."""
    return ops.mean(ssim_map(a, b, max_val, size, sigma))


def _group_log_probs(logits, group_sizes):
    """Log-softmax over each one-hot group of a label vector, one slice per group."""
    out, offset = [], 0
    for size in group_sizes:
        out.append((offset, size, ops.log_softmax(logits[:, offset:offset + size], axis=-1)))
        offset += size
    return out


def label_classification_loss(logits, labels, group_sizes):
    """Cross-entropy of the label classifier, summed over the label groups."""
    return sum(-ops.mean(ops.sum(labels[:, offset:offset + size] * log_probs, axis=-1))
               for offset, size, log_probs in _group_log_probs(logits, group_sizes))


def label_confusion_loss(logits, group_sizes):
    """What the encoder minimises against the label classifier: the cross-entropy of the
    classifier's guesses with a uniform guess, less its floor log(n), so 0 means the
    classifier cannot tell any label from z (Tzeng et al.'s domain confusion)."""
    return sum(-ops.mean(ops.mean(log_probs, axis=-1)) - float(np.log(size))
               for _, size, log_probs in _group_log_probs(logits, group_sizes))
