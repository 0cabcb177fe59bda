"""Real tiny trainings: 32 px, base filters 4-8, a few steps on toyworld."""

import json
import shutil

import keras
import numpy as np
import pytest
from PIL import Image

from hub.cyclegan import CycleGAN
from tests.helpers import training_cli
from trainer.config import CycleGANConfig
from trainer.engine.callbacks import LossHistory
from trainer.engine.multi_loss import LOSS_NAMES
from trainer.objectives import cyclegan

# --no-onnx: tiny runs skip the ONNX export (about 20 s each) unless a test checks it.
TINY = ["--image-size", "32", "--base-filters", "4", "--samples", "2", "--no-onnx"]


def weights_of(model_dir):
    model = CycleGAN.from_pretrained(model_dir, runtime="keras")
    return [w for d in ("a2b", "b2a") for w in model.generators[d].get_weights()]


@pytest.mark.slow
def test_tiny_training_writes_run_folder_and_loadable_model(toyworld_64, tmp_path):
    out = tmp_path / "run"
    config = CycleGANConfig(data=str(toyworld_64), image_size=32, base_filters=4, epochs=2,
                            steps_per_epoch=3, checkpoint_every=2, samples=2, pool_size=3, save_every_epochs=1,
                            log_every=1)
    model_dir = cyclegan.train(config, out, verbose=0)
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["epoch_001.npz", "epoch_002.npz", "latest.npz"]
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]
    # TensorBoard: the losses at every --log-every step, not only per epoch, and the grids
    scalars, images = tensorboard_events(out / "logs")
    assert len(scalars.get("batch_gen_G_loss", [])) >= 5, scalars.keys()
    assert sorted(step for step, _ in images["samples"]) == [3, 6]
    with Image.open(out / "logs" / "losses.png") as plot:  # the curves, for people without TensorBoard
        assert plot.format == "PNG" and plot.size[1] > 300
    history = LossHistory.read(out / "logs" / "history.jsonl")
    assert [(row["epoch"], row["step"]) for row in history] == [(1, 3), (2, 6)]
    assert all(np.isfinite(row[name]) for row in history for name in LOSS_NAMES)
    saved = json.loads((out / "config.json").read_text())
    assert saved["steps_per_epoch"] == 3 and saved["pool_size"] == 3

    assert "# CycleGAN: 3d <-> 2d" in (model_dir / "README.md").read_text()
    assert (model_dir / "samples.png").is_file()
    model = CycleGAN.from_pretrained(model_dir)
    assert {k: d.name for k, d in model.directions.items()} == {"a2b": "3d -> 2d", "b2a": "2d -> 3d"}
    assert model.config["training"]["steps"] == 6
    out_images = model.translate_array(np.zeros((2, 64, 96, 3), np.uint8), "b2a")
    assert out_images.shape == (2, 64, 96, 3) and out_images.dtype == np.uint8


def tensorboard_events(folder):
    """({tag: [(step, value)]}, {tag: [(step, image bytes)]}) of every event file under folder."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars, images = {}, {}
    for events in folder.rglob("events.out.tfevents*"):
        accumulator = EventAccumulator(str(events), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
        accumulator.Reload()
        for tag in accumulator.Tags()["scalars"]:
            scalars.setdefault(tag, []).extend((e.step, e.value) for e in accumulator.Scalars(tag))
        for tag in accumulator.Tags()["tensors"]:  # TF2 summaries are tensors
            for event in accumulator.Tensors(tag):
                values = event.tensor_proto.string_val
                (images if values else scalars).setdefault(tag, []).append(
                    (event.step, values[-1] if values else float(np.asarray(event.tensor_proto.float_val or [0])[0])))
    return scalars, images


@pytest.mark.slow
def test_losses_are_finite_and_training_changes_the_generators(toyworld_64):
    config = CycleGANConfig(data=str(toyworld_64), image_size=32, base_filters=4, epochs=1,
                            steps_per_epoch=4, adversarial_loss="lsgan", generator="resnet")
    trainer = cyclegan.build_trainer(config)
    before = [w.copy() for w in trainer.gen_G.get_weights()]
    from trainer.data.domains import domain_paths
    from trainer.data.loading import unpaired_dataset
    from trainer.data.manifest import parse_filter

    data = unpaired_dataset(domain_paths(toyworld_64, parse_filter("medium=3d")),
                            domain_paths(toyworld_64, parse_filter("medium=2d")), 32, 1, 0, 0, 4)
    history = trainer.fit(data, epochs=1, steps_per_epoch=4, verbose=0, shuffle=False)
    for name in ("gen_G_loss", "gen_F_loss", "disc_X_loss", "disc_Y_loss"):
        assert np.isfinite(history.history[name]).all()
    assert trainer.step == 4
    assert any(not np.allclose(a, b) for a, b in zip(before, trainer.gen_G.get_weights()))


@pytest.mark.parametrize("flags", [["--mixed-precision"], ["--jit-compile"], ["--input-pipeline", "arrays"]])
@pytest.mark.slow
def test_precision_xla_and_input_flags_train(toyworld_64, tmp_path, flags, monkeypatch):
    compiled = []  # (the trainer, its generator's compute dtype, whether its step is XLA-compiled)
    compile_ = keras.Model.compile

    def spy(self, *args, **kwargs):
        compile_(self, *args, **kwargs)
        if hasattr(self, "gen_G"):  # the CycleGAN trainer, not a network inside it
            compiled.append((self, self.gen_G.compute_dtype, self.jit_compile))

    monkeypatch.setattr(keras.Model, "compile", spy)
    training_cli.run_in_process("trainer.cyclegan", ["--data", str(toyworld_64), *TINY, "--epochs", "1",
                                                     "--steps-per-epoch", "2", "--out", str(tmp_path / "run"), *flags])
    (trainer, compute_dtype, jit), = compiled
    # the flags took effect: bfloat16 compute, an XLA step (always on JAX)
    assert compute_dtype == ("bfloat16" if "--mixed-precision" in flags else "float32")
    assert jit == ("--jit-compile" in flags or keras.backend.backend() == "jax")
    model = CycleGAN.from_pretrained(tmp_path / "run" / "model", runtime="keras")
    for generator in model.generators.values():
        assert all(np.isfinite(w).all() for w in generator.get_weights())
        # Exported in float32 whatever the run trained in (bf16 under --mixed-precision).
        assert {layer.dtype_policy.name for layer in generator.layers} == {"float32"}


@pytest.mark.slow
def test_kill_and_resume_matches_an_uninterrupted_run(toyworld_64, tmp_path):
    # Killed with SIGKILL right after the step-12 checkpoint (mid second epoch), then resumed.
    straight, killed = training_cli.assert_kill_and_resume_match("trainer.cyclegan", [
        "--data", str(toyworld_64), *TINY, "--epochs", "3", "--steps-per-epoch", "8", "--checkpoint-every", "3",
        "--pool-size", "2", "--seed", "11"], 12, tmp_path)
    # The loss history goes on where it stopped: the resumed second epoch's means cover its
    # last steps only, the third epoch's are the uninterrupted run's.
    straight_history, resumed_history = (LossHistory.read(run / "logs" / "history.jsonl") for run in (straight, killed))
    assert [(r["epoch"], r["step"]) for r in resumed_history] == [(1, 8), (2, 16), (3, 24)]
    for name in LOSS_NAMES:
        assert resumed_history[2][name] == pytest.approx(straight_history[2][name], rel=1e-3)


def test_a_torn_checkpoint_write_leaves_the_last_good_one(toyworld_64, tmp_path, monkeypatch):
    from trainer.engine import checkpoint

    config = CycleGANConfig(data=str(toyworld_64), image_size=32, base_filters=4, epochs=1, steps_per_epoch=2)
    trainer = cyclegan.build_trainer(config)
    path = tmp_path / "latest.npz"
    checkpoint.save(trainer, path)
    good = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(trainer, path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["latest.npz"]  # no temporary left behind
    checkpoint.restore(trainer, path)


def test_a_checkpoint_in_the_layout_before_0_2_is_refused_naming_the_version(tmp_path):
    """Before one Adam served all four nets, checkpoints held no jitter layer and four
    Adams; that layout is no longer converted, and the message says which versions wrote it."""
    from trainer.engine import checkpoint

    config = CycleGANConfig(data="-", image_size=32, base_filters=4, epochs=1, steps_per_epoch=2, pool_size=2)
    written = cyclegan.build_trainer(config)
    jitter = {id(v) for v in written.jitter.variables}
    old = [keras.ops.convert_to_numpy(v) for v in written.variables if id(v) not in jitter]
    old += 4 * [keras.ops.convert_to_numpy(v) for v in written.optimizer.variables]
    path = tmp_path / "latest.npz"
    np.savez(path, **{f"v{i:05d}": value for i, value in enumerate(old)})
    with pytest.raises(ValueError, match=r"older than version 0\.2\.0"):
        checkpoint.restore(cyclegan.build_trainer(config), path)


@pytest.fixture(scope="module")
def finished_run(toyworld_64, tmp_path_factory):
    """A finished CLI run (3 epochs of 2 steps, epoch 2's checkpoint kept) and its flags; the
    tests that resume it work on a copy."""
    out = tmp_path_factory.mktemp("finished") / "run"
    args = ["--data", str(toyworld_64), *TINY, "--epochs", "3", "--steps-per-epoch", "2"]
    training_cli.run_in_process("trainer.cyclegan", [*args, "--save-every-epochs", "2", "--out", str(out)])
    return out, args


@pytest.mark.slow
def test_resume_from_a_kept_epoch_reaches_the_same_weights(finished_run, tmp_path):
    finished, args = finished_run
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    args = [*args, "--out", str(out)]
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["epoch_002.npz", "latest.npz"]
    uninterrupted = weights_of(out / "model")
    missing = training_cli.error_of("trainer.cyclegan", [*args, "--resume", "--from-epoch", "1"])
    assert "--from-epoch 1: no " in missing and "kept: epoch_002.npz" in missing
    again = training_cli.run_in_process("trainer.cyclegan", [*args, "--resume", "--from-epoch", "2"])  # epoch 3 again
    assert "resumed from" in again and "epoch_002.npz at step 4" in again
    for a, b in zip(uninterrupted, weights_of(out / "model")):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_resume_refuses_to_change_the_run(finished_run, toyworld_64):
    finished, args = finished_run
    again = training_cli.error_of("trainer.cyclegan", [*args, "--out", str(finished)])
    assert "already holds a run" in again
    changed = training_cli.error_of("trainer.cyclegan", ["--data", str(toyworld_64), "--image-size", "64",
                                                         "--out", str(finished), "--resume"])
    assert "--image-size was 32, now 64" in changed


@pytest.mark.slow
def test_the_paper_preset_is_printed_at_the_start_and_trains_without_grids(toyworld_64, tmp_path):
    out = tmp_path / "run"
    # A process of its own: what a user's terminal shows is checked here.
    result = training_cli.run_cli("trainer.cyclegan", [
        "--data", str(toyworld_64), "--preset", "paper", "--image-size", "32", "--load-size", "36", "--base-filters",
        "4", "--epochs", "1", "--steps-per-epoch", "2", "--samples", "0", "--no-onnx", "--out", str(out)])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "preset paper: --generator resnet --adversarial-loss lsgan --pool-size 50" in result.stderr
    saved = json.loads((out / "config.json").read_text())
    assert (saved["preset"], saved["generator"], saved["pool_size"], saved["load_size"], saved["image_size"]) == (
        "paper", "resnet", 50, 36, 32)
    # --samples 0: no grids, in the run or the model folder
    assert not (out / "samples").exists() and not (out / "model" / "samples.png").exists()
    assert CycleGAN.from_pretrained(out / "model").config["training"]["steps"] == 2


@pytest.mark.slow
def test_the_cartoon_preset_serves_its_translations_with_flat_fills(toyworld_64, tmp_path):
    out = tmp_path / "run"
    training_cli.run_in_process("trainer.cyclegan", [
        "--data", str(toyworld_64), "--preset", "cartoon", "--image-size", "32", "--base-filters", "4", "--epochs", "1",
        "--steps-per-epoch", "1", "--samples", "0", "--no-onnx", "--out", str(out)])
    model = CycleGAN.from_pretrained(out / "model")
    assert not list((out / "model").glob("*.onnx")) and model.config["onnx"] == {}  # --no-onnx
    assert model.flat_fills == ("a2b",) and "smooths the 3d -> 2d outputs" in (out / "model" / "README.md").read_text()
    images = np.random.default_rng(0).integers(0, 255, (1, 32, 32, 3), np.uint8)
    assert not np.array_equal(model.translate_array(images), model.translate_array(images, flat_fills=False))


@pytest.mark.slow
def test_the_light_generator_trains_with_the_cartoon_preset(toyworld_64, tmp_path):
    out = tmp_path / "run"
    training_cli.run_in_process("trainer.cyclegan", [
        "--data", str(toyworld_64), "--preset", "cartoon", "--generator", "light", "--image-size", "32",
        "--base-filters", "4", "--epochs", "1", "--steps-per-epoch", "1", "--samples", "0", "--no-onnx",
        "--out", str(out)])  # its ONNX export: tests/test_nets.py
    model = CycleGAN.from_pretrained(out / "model")
    assert model.config["generator"] == "light" and model.config["size_multiple"] == 8
    assert model.generators["a2b"].get_layer("block0_depthwise")  # the light network, not a U-Net
    assert model.translate(np.zeros((30, 50, 3), np.uint8)).size == (50, 30)  # padded to 8s and back


def test_empty_domain_fails_before_training(toyworld_64, tmp_path):
    error = training_cli.error_of("trainer.cyclegan", ["--data", str(toyworld_64), "--domain-a", "studio=pixar",
                                                       *TINY, "--out", str(tmp_path / "r")])
    assert "error: domain 'studio=pixar' has no train images" in error
    assert not (tmp_path / "r" / "checkpoints").exists()


@pytest.mark.parametrize("module, expected", [
    ("trainer.objectives.cyclegan", "error: domain A (medium=3d) has 27 training images, fewer than one batch (--batch-size 64)"),
    ("trainer.objectives.pix2pix", "error: the pairs of medium=3d and medium=2d has 27 training images, fewer than one batch"),
    ("trainer.objectives.caae", "has 54 training images, fewer than one batch (--batch-size 64): give --batch-size 54 or less"),
])
def test_a_domain_smaller_than_one_batch_fails_before_anything_is_built(toyworld_64, tmp_path, module, expected):
    out = tmp_path / "r"
    error = training_cli.error_of(module, ["--data", str(toyworld_64), "--image-size", "32", "--base-filters", "4",
                                           "--batch-size", "64", "--out", str(out)])
    assert expected in error
    assert not (out / "checkpoints").exists()


def test_the_arrays_pipeline_counts_both_domains_against_memory(toyworld_64, tmp_path, monkeypatch):
    from trainer.data import arrays, domains
    from trainer.data.manifest import parse_filter

    per_domain = [len(domains.domain_paths(toyworld_64, parse_filter(f))) * 32 * 32 * 3
                  for f in ("medium=3d", "medium=2d")]
    # Half the "memory" holds either domain alone, not both.
    monkeypatch.setattr(arrays, "_memory_bytes", lambda: 2 * max(per_domain) + 2)
    config = CycleGANConfig(data=str(toyworld_64), image_size=32, base_filters=4, epochs=1, steps_per_epoch=1,
                            input_pipeline="arrays")
    with pytest.raises(ValueError, match="--input-pipeline tfdata"):
        cyclegan.train(config, tmp_path / "run")
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_the_loss_history_keeps_the_last_row_of_a_repeated_epoch(tmp_path):
    # A kill after an epoch's row but before its checkpoint: --resume redoes the epoch.
    path = tmp_path / "history.jsonl"
    path.write_text('{"epoch": 1, "step": 4, "l1": 0.5}\n{"epoch": 2, "step": 8, "l1": 0.4}\n'
                    '{"epoch": 2, "step": 8, "l1": 0.3}\n{"epoch": 3, "step": 12, "l1": 0.2}\n')
    assert [row["l1"] for row in LossHistory.read(path)] == [0.5, 0.3, 0.2]
