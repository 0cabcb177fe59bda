import math

import keras
import numpy as np
import pytest
from keras import ops

from tests.helpers import tiny_trainers
from trainer.evaluation import outlines
from trainer.objectives import losses


def f(x):
    return float(x)


def test_bce_from_logits_matches_the_formula():
    logits = np.array([[-2.0, 0.0, 3.0]], np.float32)
    sigmoid = 1 / (1 + np.exp(-logits))
    expected_real = -np.log(sigmoid).mean()
    expected_fake = -np.log(1 - sigmoid).mean()
    assert f(losses.generator_adversarial_loss(logits)) == pytest.approx(expected_real, rel=1e-5)
    assert f(losses.discriminator_loss(logits, logits)) == pytest.approx(0.5 * (expected_real + expected_fake), rel=1e-5)


def test_bce_is_stable_for_large_logits():
    value = f(losses.generator_adversarial_loss(np.array([-500.0], np.float32)))
    assert value == pytest.approx(500.0)


def test_lsgan_losses():
    real = np.array([1.0, 0.5], np.float32)
    fake = np.array([0.0, 0.5], np.float32)
    assert f(losses.generator_adversarial_loss(fake, "lsgan")) == pytest.approx((1 + 0.25) / 2)
    assert f(losses.discriminator_loss(real, fake, "lsgan")) == pytest.approx(0.5 * (0.125 + 0.125))


def test_perfect_discriminator_has_near_zero_loss():
    assert f(losses.discriminator_loss(np.array([30.0]), np.array([-30.0]))) < 1e-10


def test_cycle_and_identity_are_weighted_l1():
    a = np.zeros((1, 2, 2, 3), np.float32)
    b = np.full((1, 2, 2, 3), 0.5, np.float32)
    assert f(losses.cycle_loss(a, b)) == pytest.approx(10 * 0.5)
    assert f(losses.cycle_loss(a, b, lambda_cycle=2.0)) == pytest.approx(1.0)
    assert f(losses.identity_loss(a, b)) == pytest.approx(0.5 * 10 * 0.5)
    assert f(losses.cycle_loss(a, a)) == 0.0


def test_unknown_adversarial_loss_is_an_error():
    with pytest.raises(ValueError, match="lsgan"):
        losses.generator_adversarial_loss(np.zeros(1, np.float32), "wgan")


def test_bce_at_zero_logit_is_log_two():
    assert f(losses.generator_adversarial_loss(np.zeros(4, np.float32))) == pytest.approx(math.log(2))


def test_label_classification_loss_is_cross_entropy_per_group():
    labels = np.array([[1, 0, 0, 0, 1]], np.float32)  # groups of 2 and 3: the first value, then the last
    confident = np.array([[9, -9, -9, -9, 9]], np.float32)
    assert float(losses.label_classification_loss(confident, labels, (2, 3))) < 1e-3
    uniform = np.zeros((1, 5), np.float32)
    np.testing.assert_allclose(float(losses.label_classification_loss(uniform, labels, (2, 3))),
                               np.log(2) + np.log(3), rtol=1e-5)


def test_label_confusion_is_zero_only_when_the_classifier_cannot_tell():
    assert abs(float(losses.label_confusion_loss(np.zeros((4, 5), np.float32), (2, 3)))) < 1e-6
    confident = np.array([[9, -9, 9, -9, -9]], np.float32)
    assert float(losses.label_confusion_loss(confident, (2, 3))) > 5


def test_ssim_equals_tensorflows():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (2, 24, 20, 3)).astype(np.float32)
    b = np.clip(a + rng.normal(0, 0.3, a.shape), -1, 1).astype(np.float32)
    expected = float(tf.reduce_mean(tf.image.ssim(a, b, max_val=2.0)))
    assert float(losses.ssim(a, b)) == pytest.approx(expected, abs=1e-5)
    assert float(losses.ssim(a, a)) == pytest.approx(1.0, abs=1e-5)
    assert abs(float(losses.ssim(a, rng.permutation(a, axis=1)))) < 0.1  # unrelated images


def _separate_calls_losses(nets, real_a, real_b, pooled_a, pooled_b):
    """The tutorial's ten network calls, one image batch each, written out independently."""
    gen_G, gen_F, disc_X, disc_Y = nets
    fake_b, fake_a = gen_G(real_a), gen_F(real_b)
    cycle = (losses.cycle_loss(real_a, gen_F(fake_b)) + losses.cycle_loss(real_b, gen_G(fake_a)))
    gen_G_loss = losses.generator_adversarial_loss(disc_Y(fake_b)) + losses.identity_loss(real_b, gen_G(real_b))
    gen_F_loss = losses.generator_adversarial_loss(disc_X(fake_a)) + losses.identity_loss(real_a, gen_F(real_a))
    return {"gen_G_loss": gen_G_loss + cycle, "gen_F_loss": gen_F_loss + cycle,
            "disc_X_loss": losses.discriminator_loss(disc_X(real_a), disc_X(pooled_a(fake_a))),
            "disc_Y_loss": losses.discriminator_loss(disc_Y(real_b), disc_Y(pooled_b(fake_b)))}


@pytest.mark.parametrize("pooled", [False, True])
def test_stacked_network_calls_give_the_tutorials_losses(pooled):
    from hub import nets as hub_nets

    keras.utils.set_random_seed(0)
    networks = [hub_nets.build_generator("resnet", 32, 4, name=n) for n in ("gen_G", "gen_F")]
    networks += [hub_nets.patchgan_discriminator(4, name=n) for n in ("disc_X", "disc_Y")]
    rng = np.random.default_rng(0)
    real_a, real_b = (rng.uniform(-1, 1, (3, 32, 32, 3)).astype(np.float32) for _ in range(2))
    # A stand-in for the history pool: anything D should see instead of the current fakes.
    pool = (lambda fakes: ops.flip(fakes, axis=2) * 0.5) if pooled else None
    got = tiny_trainers.cyclegan_of(*networks, pool=pool).compute_losses(real_a, real_b)
    expected = _separate_calls_losses(networks, real_a, real_b, pool or (lambda x: x), pool or (lambda x: x))
    for name, value in expected.items():
        np.testing.assert_allclose(float(got[name]), float(value), rtol=1e-5)


def test_the_flat_fill_term_adds_the_translations_total_variation_to_g_only():
    rng = np.random.default_rng(0)
    real_a, real_b = (rng.uniform(-1, 1, (2, 8, 8, 3)).astype("float32") for _ in range(2))

    plain = tiny_trainers.copying_cyclegan().compute_losses(real_a, real_b)
    flat = tiny_trainers.copying_cyclegan(tv_weight=2.0).compute_losses(real_a, real_b)
    # G's translation of real_a is real_a itself here: its mean absolute neighbour differences
    tv = np.abs(np.diff(real_a, axis=1)).mean() + np.abs(np.diff(real_a, axis=2)).mean()
    assert float(flat["gen_G_loss"]) == pytest.approx(float(plain["gen_G_loss"]) + 2.0 * tv, rel=1e-5)
    for name in ("gen_F_loss", "disc_X_loss", "disc_Y_loss"):
        assert float(flat[name]) == pytest.approx(float(plain[name]))
    assert float(losses.flat_fill_loss(np.full((1, 4, 4, 3), 0.3, np.float32), 5.0)) == 0.0  # a flat fill is free


def test_the_blurred_cycle_ignores_fine_texture_and_sees_what_is_coarse():
    rng = np.random.default_rng(0)
    flat = np.zeros((1, 32, 32, 3), np.float32)
    checker = ((np.indices((32, 32)).sum(0) % 2 - 0.5)[None, :, :, None] * np.ones(3)).astype(np.float32)
    assert float(losses.cycle_loss(flat, checker)) == pytest.approx(10 * 0.5)  # the plain cycle: every pixel
    # A 1 px checker is texture: blurred it is almost flat, so the cycle barely asks for it back.
    assert float(losses.cycle_loss(flat, checker, blur=1.5)) < 0.02 * float(losses.cycle_loss(flat, checker))
    coarse = np.zeros((1, 32, 32, 3), np.float32)
    coarse[:, :, 16:] = 0.5  # a half-image step survives the blur
    assert float(losses.cycle_loss(flat, coarse, blur=1.5)) > 0.8 * float(losses.cycle_loss(flat, coarse))
    blurred = np.asarray(losses.gaussian_blur(rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32), 1.0))
    assert blurred.shape == (2, 16, 16, 3)
    np.testing.assert_allclose(np.asarray(losses.gaussian_blur(np.full((1, 16, 16, 3), 0.4, np.float32), 2.0))[
        0, 6:10, 6:10], 0.4, rtol=1e-5)  # sums to one: a flat interior stays as it was


def _line_images():
    """uint8 (2, 32, 32, 3) on light grey: a dark horizontal line; a dark vertical line and a
    dark filled square (a region, not a line)."""
    images = np.full((2, 32, 32, 3), 200, np.uint8)
    images[0, 10, 4:28] = 20
    images[1, 4:28, 16] = 30
    images[1, 20:30, 2:12] = 10
    return images


def test_the_line_mask_is_the_outline_metrics_detector_in_keras_ops():
    images = _line_images()
    mask = ops.convert_to_numpy(losses.line_mask((images / 127.5 - 1).astype("float32"), 2, outlines.LINE_CONTRAST))
    found = outlines.detect_lines(images, 2)
    np.testing.assert_array_equal(mask[..., 0] > 0.5, found)
    assert found[0, 10, 4:28].all() and found[1, 4:28, 16].all() and not found[1, 22:28, 4:10].any()


def test_the_line_weighted_l1_counts_a_missed_or_a_spurious_line_more():
    lines = (_line_images()[:1] / 127.5 - 1).astype("float32")
    blank = np.full_like(lines, 200 / 127.5 - 1)
    args = (2, 16)
    assert f(losses.line_weighted_l1(lines, blank, 0.0, *args)) == pytest.approx(f(losses.l1(lines, blank)))
    missed, spurious = (f(losses.line_weighted_l1(real, fake, 10.0, *args)) for real, fake in ((lines, blank),
                                                                                                (blank, lines)))
    assert missed == pytest.approx(11 * f(losses.l1(lines, blank)), rel=1e-5)
    assert spurious == pytest.approx(missed, rel=1e-5)
    # a fill off by the same total amount is not a line: plain L1
    off = blank + np.float32(f(losses.l1(lines, blank)))
    assert f(losses.line_weighted_l1(blank, off, 10.0, *args)) == pytest.approx(f(losses.l1(blank, off)), rel=1e-5)
