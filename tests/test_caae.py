"""CAAE networks and real tiny trainings: 32 px, base filters 4, a few steps on toyworld."""

import json

import keras
import numpy as np
import pytest

from hub import caae_nets, nets
from hub.auto import from_pretrained
from hub.caae import CAAE, decoder_inputs
from hub.errors import ImageError
from hub.imaging import to_uint8
from tests.helpers import tiny_trainers, training_cli
from trainer.config import CAAEConfig
from trainer.data import pairs
from trainer.data.manifest import read_manifest
from trainer.evaluation import paired
from trainer.objectives import caae

TINY = ["--image-size", "32", "--base-filters", "4", "--latent-dim", "16", "--stages", "3",
        "--batch-size", "4", "--samples", "2", "--no-onnx"]


@pytest.mark.parametrize("build, expected", [
    (lambda: caae_nets.encoder(256, 64, 256, 5), 27_923_648),
    (lambda: caae_nets.decoder(256, 6, 64, 256, 5), 60_893_699),
    (lambda: caae_nets.image_discriminator(256, 6, 64, 5), 13_204_065),
    (lambda: caae_nets.latent_discriminator((256,)), 19_073),
])
def test_full_size_parameter_counts_match_the_seed(build, expected):
    assert build().count_params() == expected


def test_stages_must_divide_the_image_size():
    with pytest.raises(ValueError, match="multiple of 2\\*\\*stages = 16"):
        caae_nets.encoder(40, 4, 8, stages=4)


def test_spatial_latent_keeps_the_bottleneck_grid():
    enc = caae_nets.encoder(64, 4, 1024, 3, latent="spatial")
    dec = caae_nets.decoder(64, 6, 4, 1024, 3, latent="spatial")
    assert enc.output.shape == (None, 8, 8, 16)
    assert dec([enc.output, keras.Input((6,))]).shape == (None, 64, 64, 3)
    with pytest.raises(ValueError, match="multiple of the 8x8 bottleneck \\(64\\)"):
        caae_nets.encoder(64, 4, 1000, 3, latent="spatial")
    with pytest.raises(ValueError, match="--latent-dim a multiple of the 8x8 bottleneck cells"):
        CAAEConfig(data="d", image_size=64, stages=3, latent="spatial", latent_dim=1000).validate()


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
@pytest.mark.parametrize("rgb_conv_dtype, compute", [("float32", "float32"), (None, "bfloat16")])
def test_mixed_precision_decoder_gives_float32_from_the_rgb_conv_chosen(monkeypatch, mixed_bfloat16, upsample,
                                                                       rgb_conv_dtype, compute):
    monkeypatch.setattr(nets, "RGB_CONV_DTYPE", rgb_conv_dtype)
    dec = caae_nets.decoder(32, 6, 4, 16, 3, upsample=upsample)
    assert dec.get_layer("to_rgb").compute_dtype == compute
    image = dec([np.zeros((1, 16), np.float32), np.zeros((1, 6), np.float32)])
    assert keras.backend.standardize_dtype(image.dtype) == "float32"


def test_film_is_its_closed_form_and_round_trips():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    c = rng.normal(size=(2, 6)).astype(np.float32)
    film = caae_nets.FiLM()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(film([x, c])), x)  # starts as the identity
    w_g, b_g, w_b, b_b = (rng.normal(size=shape).astype(np.float32) for shape in [(6, 5), (5,), (6, 5), (5,)])
    film.set_weights([w_g, b_g, w_b, b_b])
    gamma, beta = c @ w_g + b_g, c @ w_b + b_b  # (2, 5): one scale and shift per picture and channel
    expected = x * (1 + gamma[:, None, None, :]) + beta[:, None, None, :]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(film([x, c])), expected, rtol=1e-5, atol=1e-5)
    again = caae_nets.FiLM.from_config(film.get_config())
    again([x, c])
    again.set_weights(film.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again([x, c])), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_a_film_decoder_modulates_every_stage_and_starts_as_the_plain_one(upsample, tmp_path):
    plain = caae_nets.decoder(32, 6, 4, 16, 3, upsample=upsample)
    film = caae_nets.decoder(32, 6, 4, 16, 3, upsample=upsample, film=True)
    films = [layer.name for layer in film.layers if isinstance(layer, caae_nets.FiLM)]
    assert len(films) == (3 if upsample == "resize" else 2)  # each upsampling stage before the RGB conv
    film.set_weights(_film_weights_after(plain, film))
    z, label = np.random.default_rng(1).uniform(-1, 1, (2, 16)).astype(np.float32), np.eye(6, dtype=np.float32)[:2]
    np.testing.assert_allclose(film.predict_on_batch([z, label]), plain.predict_on_batch([z, label]), atol=1e-6)
    film.save(tmp_path / "decoder.keras")
    loaded = keras.saving.load_model(tmp_path / "decoder.keras", safe_mode=True)
    np.testing.assert_array_equal(loaded.predict_on_batch([z, label]), film.predict_on_batch([z, label]))


def _film_weights_after(plain, film):
    """`film`'s weights with every non-FiLM layer's taken from `plain` (same names), FiLM's kept at zero."""
    return [w for layer in film.layers for w in (layer.get_weights() if isinstance(layer, caae_nets.FiLM)
                                                 else plain.get_layer(layer.name).get_weights())]


def test_the_projection_discriminators_label_term_is_its_closed_form():
    disc = caae_nets.image_discriminator(32, 6, 4, 3, projection=True)
    features = keras.Model(disc.inputs[0], disc.get_layer("dense_act").output)
    psi = disc.get_layer("logit_unconditional")
    embedding = disc.get_layer("label_embedding").get_weights()[0]  # (6, features)
    images = np.random.default_rng(3).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    labels = np.array([[1, 0, 0, 1, 0.5, 0.5], [0, 1, 1, 0, 0, 1]], np.float32)
    phi = features.predict_on_batch(images)
    w, b = psi.get_weights()
    expected = phi @ w + b + np.sum((labels @ embedding) * phi, axis=1, keepdims=True)
    np.testing.assert_allclose(disc.predict_on_batch([images, labels]), expected, rtol=1e-4, atol=1e-5)
    # linear in the label: the blend of two labels is judged as the blend of their logits
    a, b_ = np.eye(6, dtype=np.float32)[[0]], np.eye(6, dtype=np.float32)[[1]]
    one = images[:1]
    blended = disc.predict_on_batch([one, 0.5 * a + 0.5 * b_])
    np.testing.assert_allclose(blended, 0.5 * disc.predict_on_batch([one, a]) + 0.5 * disc.predict_on_batch([one, b_]),
                               rtol=1e-4, atol=1e-5)
    assert "label_dense" not in [layer.name for layer in disc.layers]  # the label no longer joins the pixels


def test_the_label_adversary_must_name_label_tags():
    with pytest.raises(ValueError, match="--label-adversary names style, which --labels \\(medium,movie\\)"):
        CAAEConfig(data="d", labels="medium,movie", label_adversary="medium, style").validate()


def tiny_config(data, **overrides):
    fields = dict(data=str(data), image_size=32, base_filters=4, latent_dim=16, stages=3, batch_size=4,
                  samples=2, onnx=False)
    return CAAEConfig(**{**fields, **overrides})


@pytest.mark.slow
def test_tiny_training_writes_run_folder_and_loadable_model(toyworld_64, tmp_path):
    out = tmp_path / "run"
    config = tiny_config(toyworld_64, epochs=1, pretrain_epochs=1, steps_per_epoch=3, checkpoint_every=2, onnx=True)
    model_dir = caae.train(config, out, verbose=0)
    assert (out / "checkpoints" / "latest.npz").is_file()
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]
    assert json.loads((out / "config.json").read_text())["pretrain_epochs"] == 1

    model = from_pretrained(model_dir)
    assert isinstance(model, CAAE)
    assert model.config["training"] == {**model.config["training"], "steps": 6, "pretrain_steps": 3}
    assert model.label_space.tags == ["medium", "studio", "movie"]
    train_rows = [r for r in read_manifest(toyworld_64) if r["split"] == "train"]
    assert [(s["medium"], s["studio"], s["movie"]) for s in model.styles] == sorted({(r["medium"], r["studio"], r["movie"])
                                                               for r in train_rows})
    assert "# CAAE" in (model_dir / "README.md").read_text()
    # toyworld's dataset.json: synthetic scenes, so the weights take the project's licence
    assert model.config["training"]["weights_license"] == "mit"
    assert "license: mit" in (model_dir / "README.md").read_text()
    images = np.zeros((3, 32, 32, 3), np.uint8)
    out_images = model.decode(model.encode(images), model.styles[0])
    assert out_images.shape == (3, 32, 32, 3) and out_images.dtype == np.uint8
    with pytest.raises(ImageError, match="expected uint8 images \\(N, 32, 32, 3\\)"):
        model.encode(np.zeros((1, 64, 64, 3), np.uint8))


@pytest.mark.slow
def test_both_phases_give_finite_losses_and_train_their_networks(toyworld_64):
    from trainer.data.domains import domain_rows
    from trainer.data.loading import labelled_dataset
    from hub.labels import LabelSpace

    config = tiny_config(toyworld_64)
    rows = domain_rows(toyworld_64, ())
    space = LabelSpace.from_rows(rows, config.label_tags)
    data = labelled_dataset([r["path"] for r in rows], [space.encode(r) for r in rows], 32, 4, 0, 0, 8)
    trainer = caae.build_trainer(config, space)
    snapshot = lambda: {n: [w.copy() for w in getattr(trainer, n).get_weights()]  # noqa: E731
                        for n in ("encoder", "decoder", "disc_z", "disc_img")}
    changed = lambda a, b: any(not np.allclose(x, y) for x, y in zip(a, b))  # noqa: E731

    before = snapshot()
    history = trainer.fit(data, epochs=1, steps_per_epoch=4, verbose=0, shuffle=False)
    after_pretraining = snapshot()
    assert set(history.history) == {"ae_loss", "l1", "tv"}
    assert changed(before["encoder"], after_pretraining["encoder"])
    assert not changed(before["disc_img"], after_pretraining["disc_img"])  # pretraining leaves D alone

    trainer.set_pretraining(False)
    history = trainer.fit(data, epochs=1, steps_per_epoch=4, verbose=0, shuffle=False)
    assert set(history.history) == {"ae_loss", "l1", "tv", "disc_z_loss", "disc_img_loss"}
    for values in history.history.values():
        assert np.isfinite(values).all()
    after = snapshot()
    assert changed(after_pretraining["disc_img"], after["disc_img"])
    assert changed(after_pretraining["disc_z"], after["disc_z"])
    assert trainer.step == 8


@pytest.mark.slow
def test_spatial_latent_with_label_adversary_trains_and_exports(toyworld_64, tmp_path):
    config = tiny_config(toyworld_64, latent="spatial", latent_dim=64, label_adversary="medium,studio",
                         epochs=1, pretrain_epochs=1, steps_per_epoch=3)
    model_dir = caae.train(config, tmp_path / "run", verbose=0)
    model = CAAE.from_pretrained(model_dir)
    assert model.config["latent"] == "spatial"
    images = np.full((2, 32, 32, 3), 128, np.uint8)
    assert model.encode(images).shape == (2, 4, 4, 4)  # 32 px / 2**3 = 4x4 cells, 64 / 16 channels
    assert model.decode(model.encode(images), model.styles[-1]).shape == (2, 32, 32, 3)


@pytest.mark.slow
def test_a_film_caae_with_a_projection_discriminator_trains_and_exports_a_folder_that_loads(toyworld_64, tmp_path):
    config = tiny_config(toyworld_64, film=True, upsample="resize", projection_discriminator=True, epochs=1,
                         pretrain_epochs=1, steps_per_epoch=3, onnx=True, restyled_adversarial_weight=1.0)
    model_dir = caae.train(config, tmp_path / "run", verbose=0)
    keras_model, onnx_model = CAAE.from_pretrained(model_dir, runtime="keras"), CAAE.from_pretrained(model_dir)
    assert keras_model.config["film"] is True
    film = keras_model.decoder.get_layer("film0").get_weights()
    assert any(np.abs(w).max() > 0 for w in film)  # trained away from the identity
    images = np.random.default_rng(2).integers(0, 255, (2, 32, 32, 3), np.uint8)
    z = keras_model.encode(images)
    labels = np.stack([keras_model.label_vector(style) for style in keras_model.styles[:2]])
    np.testing.assert_allclose(onnx_model.decoder([z, labels]), keras_model.decoder.predict_on_batch([z, labels]),
                               atol=1e-4)


@pytest.mark.slow
def test_the_optional_losses_train_in_both_phases(toyworld_64):
    from trainer.data.domains import domain_rows
    from trainer.data.loading import labelled_dataset
    from hub.labels import LabelSpace

    config = tiny_config(toyworld_64, latent="spatial", latent_dim=64, label_adversary="medium,studio",
                         style_classifier_weight=1.0, ssim_weight=10.0)
    rows = domain_rows(toyworld_64, ())
    space = LabelSpace.from_rows(rows, config.label_tags)
    data = labelled_dataset([r["path"] for r in rows], [space.encode(r) for r in rows], 32, 4, 0, 0, 8)
    trainer = caae.build_trainer(config, space)
    values = dict(space.groups)
    assert trainer.label_classifier.output.shape == (None, len(values["medium"]) + len(values["studio"]))
    assert trainer.style_classifier.output.shape == (None, space.size)
    for pretraining in (True, False):
        trainer.set_pretraining(pretraining)
        before = [[w.copy() for w in net.get_weights()] for net in (trainer.label_classifier, trainer.style_classifier)]
        history = trainer.fit(data, epochs=1, steps_per_epoch=4, verbose=0, shuffle=False)
        assert {"label_loss", "confusion", "style_loss", "restyle_loss", "ssim"} <= set(history.history)
        assert all(np.isfinite(v).all() for v in history.history.values())
        for net, old in zip((trainer.label_classifier, trainer.style_classifier), before):
            assert any(not np.allclose(a, b) for a, b in zip(old, net.get_weights()))


def test_disc_img_calls_each_smoothed_image_fake_under_its_own_label():
    trainer = tiny_trainers.build("caae", jit_compile=False)
    trainer.compile([keras.optimizers.Adam() for _ in trainer.updates], edge_promoting_weight=2.0)
    images, labels = map(keras.ops.convert_to_tensor, tiny_trainers.batch("caae", 2))
    smoothed = keras.ops.convert_to_tensor(np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32))
    assert "disc_img_loss" not in trainer.compute_losses(images, labels, smoothed=smoothed)  # pretraining: D rests
    trainer.set_pretraining(False)
    plain, edged = trainer.compute_losses(images, labels), trainer.compute_losses(images, labels, smoothed=smoothed)
    logits = keras.ops.convert_to_numpy(trainer.disc_img([smoothed, labels]))
    fake_term = np.mean(np.logaddexp(0, logits))  # binary cross-entropy towards "fake"
    assert float(edged["disc_img_loss"]) == pytest.approx(float(plain["disc_img_loss"]) + 0.5 * 2.0 * fake_term,
                                                         rel=1e-5)
    assert float(edged["ae_loss"]) == pytest.approx(float(plain["ae_loss"]))


def test_disc_img_judges_each_restyled_image_under_its_new_label():
    trainer = tiny_trainers.build("caae", jit_compile=False)
    images, labels = map(keras.ops.convert_to_tensor, tiny_trainers.batch("caae", 4))

    def losses_with(weight, pretraining):
        trainer.compile([keras.optimizers.Adam() for _ in trainer.updates], restyled_adversarial_weight=weight)
        trainer.set_pretraining(pretraining)
        return {k: float(v) for k, v in trainer.compute_losses(images, labels).items()}

    assert losses_with(3.0, True)["ae_loss"] == pytest.approx(losses_with(0.0, True)["ae_loss"])  # D rests
    plain, judged = losses_with(0.0, False), losses_with(3.0, False)
    z = trainer.encoder(images, training=True)
    other = keras.ops.roll(labels, 1, axis=0)
    logits = [keras.ops.convert_to_numpy(trainer.disc_img([x, y], training=True)) for x, y in [
        (images, labels), (trainer.decoder([z, labels], training=True), labels),
        (trainer.decoder([z, other], training=True), other)]]
    as_real, as_fake = (lambda x: np.mean(np.logaddexp(0, -x))), (lambda x: np.mean(np.logaddexp(0, x)))
    real, reconstructed, restyled = logits
    assert judged["disc_img_loss"] == pytest.approx(
        0.5 * (as_real(real) + 0.5 * (as_fake(reconstructed) + as_fake(restyled))), rel=1e-5)
    assert plain["disc_img_loss"] == pytest.approx(0.5 * (as_real(real) + as_fake(reconstructed)), rel=1e-5)
    assert judged["ae_loss"] == pytest.approx(plain["ae_loss"] + 3.0 * as_real(restyled), rel=1e-5)


@pytest.mark.slow
def test_a_tiny_caae_trains_with_the_edge_promoting_loss_and_the_restyled_adversary(toyworld_64, tmp_path):
    config = tiny_config(toyworld_64, epochs=1, pretrain_epochs=1, steps_per_epoch=2, edge_promoting_weight=1.0,
                         restyled_adversarial_weight=0.5)
    model = CAAE.from_pretrained(caae.train(config, tmp_path / "run", verbose=0))
    assert model.config["training"]["edge_promoting_weight"] == 1.0
    assert model.config["training"]["restyled_adversarial_weight"] == 0.5
    assert list((toyworld_64 / "edge_smoothed").glob("32px-*.npz"))
    history = [json.loads(line) for line in (tmp_path / "run" / "logs" / "history.jsonl").read_text().splitlines()]
    assert np.isfinite(history[-1]["disc_img_loss"])
    with pytest.raises(ValueError, match="needs --input-pipeline arrays"):
        CAAEConfig(data="x", edge_promoting_weight=1.0, input_pipeline="tfdata").validate()
    with pytest.raises(ValueError, match="--restyled-adversarial-weight must be >= 0"):
        CAAEConfig(data="x", restyled_adversarial_weight=-1.0).validate()


@pytest.mark.slow
def test_the_label_steers_the_decoder(toyworld_64, tmp_path):
    config = tiny_config(toyworld_64, epochs=1, pretrain_epochs=1, steps_per_epoch=2)
    model = CAAE.from_pretrained(caae.train(config, tmp_path / "run", verbose=0))
    z = np.random.default_rng(0).uniform(-1, 1, size=(2, 16)).astype(np.float32)
    first, last = model.styles[0], model.styles[-1]
    assert first != last

    def decoded(style):  # floats: a barely trained decoder's outputs differ by less than a grey level
        labels = np.repeat(model.label_vector(style)[None], len(z), axis=0)
        return np.asarray(model.decoder([z, labels]))

    # decode(z, style) is the decoder under that style's label vector, in pixels
    np.testing.assert_array_equal(model.decode(z, first), to_uint8(decoded(first)))

    assert np.abs(decoded(first) - decoded(last)).mean() > 1e-4  # a label the decoder ignored gives 0


@pytest.mark.slow
def test_kill_and_resume_matches_an_uninterrupted_run(toyworld_64, tmp_path):
    # Killed at step 8: past the pretraining phase (5 steps), mid second epoch.
    training_cli.assert_kill_and_resume_match("trainer.caae", [
        "--data", str(toyworld_64), *TINY, "--pretrain-epochs", "1", "--epochs", "2", "--steps-per-epoch", "5",
        "--checkpoint-every", "4", "--seed", "5"], 8, tmp_path, model_class=CAAE)


def test_a_checkpoint_from_before_the_device_jitter_is_refused_naming_the_version(toyworld_64, tmp_path):
    """Before the jitter moved onto the device, checkpoints had no jitter layer's state;
    that layout is no longer converted."""
    from hub.labels import LabelSpace
    from trainer.engine import checkpoint
    from trainer.data.domains import domain_rows

    config = tiny_config(toyworld_64)
    space = LabelSpace.from_rows(domain_rows(toyworld_64, ()), config.label_tags)
    written = caae.build_trainer(config, space)
    jitter = {id(v) for v in written.jitter.variables}
    old = [keras.ops.convert_to_numpy(v) for v in checkpoint.training_variables(written) if id(v) not in jitter]
    path = tmp_path / "latest.npz"
    np.savez(path, **{f"v{i:05d}": value for i, value in enumerate(old)})
    with pytest.raises(ValueError, match=r"older than version 0\.2\.0"):
        checkpoint.restore(caae.build_trainer(config, space), path)


def test_labels_with_one_value_fail_before_training(toyworld_64, tmp_path):
    error = training_cli.error_of("trainer.caae", ["--data", str(toyworld_64), *TINY, "--labels", "medium,split",
                                                   "--out", str(tmp_path / "r")])
    assert "error: label tag 'split' has only one value ('train')" in error
    assert not (tmp_path / "r" / "checkpoints").exists()


@pytest.mark.slow
def test_evaluate_scores_restyling_against_the_paired_render(toyworld_64, tmp_path):
    config = tiny_config(toyworld_64, epochs=1, pretrain_epochs=1, steps_per_epoch=2)
    model = CAAE.from_pretrained(caae.train(config, tmp_path / "run", verbose=0))
    results = paired.evaluate(model, toyworld_64, "medium=3d", "medium=2d")
    # The 3 test scenes; one whose movie never occurs in training cannot be rendered.
    rows_a, rows_b = pairs.paired_rows(toyworld_64, "medium=3d", "medium=2d")
    known = sum(model.label_space.knows(a) and model.label_space.knows(b) for a, b in zip(rows_a, rows_b))
    assert len(rows_a) == 3 and known >= 1
    assert results["pairs"] == known and results.get("pairs_with_unknown_labels_skipped", 0) == 3 - known
    assert results["image_size"] == 32
    assert set(results["directions"]) == {"3d -> 2d", "2d -> 3d"}
    assert set(results["reconstruction"]) == {"3d", "2d"}
    row = results["directions"]["3d -> 2d"]
    assert row["model"] != row["identity"]  # a barely trained CAAE is not the identity
    assert set(row) == {"model", "own label", "identity"} and row["own label"] != row["model"]
    per_label = results["per_label"]
    assert {"medium=2d", "medium=3d"} <= set(per_label)
    for name, entry in per_label.items():
        if "restyled_ssim" in entry:
            assert entry["restyled_pairs"] >= 1 and -1 <= entry["restyled_ssim"] <= 1
    assert set(per_label["medium=2d"]["look"]) >= {"outline_f1", "edge_sharpness", "flat_texture"}
    assert "look" not in per_label["medium=3d"]  # 3d renders have no outline masks
    assert 0 < per_label["medium=3d"]["reconstruction_ssim"] <= 1
    assert "per label value" in paired.format_table(results)
    with pytest.raises(ValueError, match="training size only"):
        paired.evaluate(model, toyworld_64, "medium=3d", "medium=2d", size=64)


def _skip_nets(film=True):
    encoder = caae_nets.encoder(32, 8, 64, 3, "spatial", skips=True)
    decoder = caae_nets.decoder(32, 3, 8, 64, 3, "spatial", "resize", film=film, skips=True)
    return encoder, decoder


def test_skips_hand_the_decoder_every_size_and_a_local_full_size_path():
    encoder, decoder = _skip_nets()
    assert [tuple(o.shape[1:]) for o in encoder.outputs] == [(4, 4, 4), (32, 32, 8), (16, 16, 8), (8, 8, 16)]
    assert [tuple(i.shape[1:]) for i in decoder.inputs] == [(4, 4, 4), (3,), (32, 32, 8), (16, 16, 8), (8, 8, 16)]
    rng = np.random.default_rng(0)
    latents = encoder.predict_on_batch(rng.uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32))
    label = np.array([[1, 0, 0]], np.float32)
    before = np.asarray(decoder.predict_on_batch(decoder_inputs(list(latents), label)))
    latents[1][0, 10, 20] += 5.0  # one pixel of the full-size skip
    after = np.asarray(decoder.predict_on_batch(decoder_inputs(list(latents), label)))
    changed = np.argwhere(np.abs(after - before).max(axis=-1)[0] > 0)
    # the join feeds one 3x3 conv to RGB: that pixel and its 8 neighbours change, nothing else
    assert {tuple(p) for p in changed} == {(10 + dy, 20 + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}


def test_the_label_modulates_each_skip_by_its_closed_form():
    encoder, decoder = _skip_nets()
    film = decoder.get_layer("skip_film_full_size")
    gamma_kernel, gamma_bias, beta_kernel, beta_bias = film.get_weights()
    gamma_kernel[0] = -1.0  # label 0: x (1 + gamma) = 0, the full-size skip is switched off
    film.set_weights([gamma_kernel, gamma_bias, beta_kernel, beta_bias])
    latents = encoder.predict_on_batch(np.random.default_rng(1).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32))
    for label, ignored in (([1, 0, 0], True), ([0, 1, 0], False)):
        vector = np.array([label], np.float32)
        moved = [part.copy() for part in latents]
        moved[1] += 3.0
        a = np.asarray(decoder.predict_on_batch(decoder_inputs(list(latents), vector)))
        b = np.asarray(decoder.predict_on_batch(decoder_inputs(list(moved), vector)))
        assert np.array_equal(a, b) == ignored


def test_skips_need_a_spatial_latent():
    with pytest.raises(ValueError, match="spatial latent"):
        caae_nets.encoder(32, 8, 64, 3, "dense", skips=True)
    with pytest.raises(ValueError, match="--skips needs --latent spatial"):
        CAAEConfig(data="d", skips=True).validate()


def test_paired_targets_are_the_same_scene_under_other_labels():
    from trainer.objectives import caae_targets

    rows = [{"scene": "a", "medium": "3d"}, {"scene": "a", "medium": "2d"}, {"scene": "b", "medium": "3d"},
            {"scene": "c", "medium": "2d"}, {"scene": "c", "medium": "2d"}]
    assert caae_targets.paired_targets(rows, "scene", ["medium"]) == [1, 0, None, None, None]
    with pytest.raises(ValueError, match="no 'shot' tag"):
        caae_targets.paired_targets(rows, "shot", ["medium"])
    with pytest.raises(ValueError, match="no two training images share a scene"):
        caae_targets.paired_targets(rows[2:], "scene", ["medium"])


def test_an_image_whose_target_does_not_decode_is_its_own_target(tmp_path):
    from PIL import Image

    from trainer.data import arrays

    paths = []
    for i, value in enumerate((10, 200, 90)):
        paths.append(tmp_path / f"{i}.png")
        Image.new("RGB", (8, 8), (value,) * 3).save(paths[-1])
    paths.append(tmp_path / "broken.png")
    paths[-1].write_bytes(b"not a picture")
    labels = np.eye(4, dtype=np.float32)
    images, kept_labels, targets, target_labels = arrays.decode_targeted(paths, labels, [1, 0, 3, 0], 8)
    assert [int(im[0, 0, 0]) for im in images] == [10, 200, 90]
    assert [int(im[0, 0, 0]) for im in targets] == [200, 10, 90]  # the third's target is broken: itself
    np.testing.assert_array_equal(target_labels, labels[[1, 0, 2]])
    np.testing.assert_array_equal(kept_labels, labels[:3])


SKIPS = ["--latent", "spatial", "--latent-dim", "64", "--upsample", "resize", "--film", "--skips",
         "--paired-targets", "scene", "--line-weight", "5", "--ssim-weight", "10"]


@pytest.mark.slow
def test_a_caae_with_skips_learns_paired_targets_and_exports_a_folder_that_loads(toyworld_64, tmp_path):
    config = tiny_config(toyworld_64, latent="spatial", latent_dim=64, upsample="resize", film=True, skips=True,
                         paired_targets="scene", line_weight=5.0, ssim_weight=10.0, paired_adversarial_weight=1.0,
                         epochs=1, pretrain_epochs=1, steps_per_epoch=3, onnx=True)
    folder = caae.train(config, tmp_path / "run", verbose=0)
    history = [json.loads(line) for line in (tmp_path / "run" / "logs" / "history.jsonl").read_text().splitlines()]
    assert all(np.isfinite(entry["target_l1"]) for entry in history)
    assert np.isfinite(history[-1]["disc_pair_loss"])  # the adversarial phase trained the pair discriminator
    keras_model, onnx_model = CAAE.from_pretrained(folder, runtime="keras"), CAAE.from_pretrained(folder)
    assert keras_model.config["skips"] is True and keras_model.config["training"]["paired_targets"] == "scene"
    images = np.random.default_rng(3).integers(0, 255, (3, 32, 32, 3), np.uint8)
    latents = onnx_model.encode(images)
    assert [part.shape for part in latents] == [(3, 4, 4, 4), (3, 32, 32, 4), (3, 16, 16, 4), (3, 8, 8, 8)]
    for ours, keras_part in zip(latents, keras_model.encode(images)):
        np.testing.assert_allclose(ours, keras_part, atol=1e-4)
    restyled = onnx_model.decode(latents, onnx_model.styles[0])
    assert np.abs(restyled.astype(int) - keras_model.decode(latents, keras_model.styles[0])).max() <= 1
    assert onnx_model.restyle(images[0], onnx_model.styles[-1]).size == (32, 32)


@pytest.mark.slow
def test_kill_and_resume_with_skips_and_paired_targets_matches_an_uninterrupted_run(toyworld_64, tmp_path):
    training_cli.assert_kill_and_resume_match("trainer.caae", [
        "--data", str(toyworld_64), *TINY, *SKIPS, "--pretrain-epochs", "1", "--epochs", "2",
        "--steps-per-epoch", "5", "--checkpoint-every", "4", "--seed", "5"], 8, tmp_path, model_class=CAAE)


def test_the_target_l1_and_the_pair_discriminator_judge_each_image_against_its_pair():
    from hub.labels import LabelSpace

    space = LabelSpace((("medium", ("2d", "3d")),))
    config = CAAEConfig(data="d", image_size=32, base_filters=4, latent_dim=64, stages=3, latent="spatial",
                        upsample="resize", film=True, skips=True, paired_targets="scene", paired_adversarial_weight=2.0,
                        tv_weight=0.0, adversarial_weight=0.0)
    trainer = caae.build_trainer(config, space)
    rng = np.random.default_rng(0)
    images, targets = (keras.ops.convert_to_tensor(rng.uniform(-1, 1, (4, 32, 32, 3)).astype(np.float32))
                       for _ in range(2))
    labels = keras.ops.convert_to_tensor(np.eye(2, dtype=np.float32)[[0, 1, 0, 1]])
    target_labels = keras.ops.convert_to_tensor(np.eye(2, dtype=np.float32)[[1, 0, 1, 0]])
    trainer.set_pretraining(False)
    out = {k: float(v) for k, v in trainer.compute_losses(images, labels, targets, target_labels).items()}

    latents = trainer.encoder(images, training=True)
    retargeted = trainer.decoder(decoder_inputs(latents, target_labels), training=True)
    reconstructed = trainer.decoder(decoder_inputs(latents, labels), training=True)
    assert out["target_l1"] == pytest.approx(float(np.mean(np.abs(targets - retargeted))), rel=1e-5)
    real, fake = (keras.ops.convert_to_numpy(trainer.disc_pair([images, x, target_labels], training=True))
                  for x in (targets, retargeted))
    as_real, as_fake = (lambda x: np.mean(np.logaddexp(0, -x))), (lambda x: np.mean(np.logaddexp(0, x)))
    assert out["disc_pair_loss"] == pytest.approx(0.5 * (as_real(real) + as_fake(fake)), rel=1e-5)
    l1 = float(np.mean(np.abs(images - reconstructed)))
    # adversarial weight 0 and no TV: the AE loss is the two L1s, the label adversary (off) and the pair term
    assert out["ae_loss"] == pytest.approx(100 * l1 + 100 * out["target_l1"] + 2.0 * as_real(fake), rel=1e-4)
    assert "disc_pair_loss" in dict(trainer.trained_losses())
    trainer.set_pretraining(True)
    assert "disc_pair_loss" not in dict(trainer.trained_losses())  # D rests with the others
    with pytest.raises(ValueError, match="--paired-adversarial-weight needs --paired-targets"):
        CAAEConfig(data="d", paired_adversarial_weight=1.0).validate()
