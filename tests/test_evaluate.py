import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hub.cyclegan import CycleGAN
from hub.errors import ModelFolderError
from tests.helpers.tiny_models import identity_model
from trainer import evaluate
from trainer.data import pairs, toyworld_dataset
from trainer.data.manifest import write_manifest
from trainer.evaluation import paired
from trainer.evaluation.image_metrics import image_metrics


def test_image_metrics_on_known_arrays():
    black = np.zeros((2, 16, 16, 3), np.uint8)
    white = np.full((2, 16, 16, 3), 255, np.uint8)
    grey = np.full((2, 16, 16, 3), 25, np.uint8)  # 25/255 ~ 0.098 away from black
    assert image_metrics(black, white)["l1"] == pytest.approx(1.0)
    assert image_metrics(black, grey)["psnr"] == pytest.approx(20 * np.log10(255 / 25), rel=1e-4)
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
    same = image_metrics(noise, noise)
    assert same["ssim"] == pytest.approx(1.0) and same["l1"] == 0.0
    assert same["psnr"] == 100.0  # identical: a finite ceiling, so the JSON holds a number
    assert image_metrics(noise, rng.permutation(noise, axis=1))["ssim"] < 0.2


def test_identity_translator_scores_exactly_the_baseline(toyworld_64):
    results = paired.evaluate(identity_model(64), toyworld_64, "medium=3d", "medium=2d")
    assert results["pairs"] == 3
    for direction in ("3d -> 2d", "2d -> 3d"):
        row = results["directions"][direction]
        assert row["model"] == pytest.approx(row["identity"])
        assert 0 < row["identity"]["ssim"] < 0.95  # the two renders really differ


def test_pairs_match_by_scene_and_skip_clips(tmp_path):
    rows = []
    for scene, split in (("s1", "test"), ("s2", "test"), ("s3", "train")):
        for medium in ("3d", "2d"):
            rows.append({"path": f"{medium}/{scene}.jpg", "movie": "m", "studio": "s", "medium": medium,
                         "frame": 0, "split": split, "scene": scene})
    rows.append({"path": "3d/only.jpg", "movie": "m", "studio": "s", "medium": "3d", "frame": 0,
                 "split": "test", "scene": "lonely"})
    rows.append({"path": "clip/3d.jpg", "movie": "m", "studio": "s", "medium": "3d", "frame": 0,
                 "split": "test", "scene": "s2", "clip": "orbit-000"})
    write_manifest(tmp_path, rows)
    a, b = pairs.paired_rows(tmp_path, "medium=3d", "medium=2d")
    assert [r["path"].split("/")[-1] for r in a] == ["s1.jpg", "s2.jpg"]
    assert [r["path"].split("/")[-2:] for r in b] == [["2d", "s1.jpg"], ["2d", "s2.jpg"]]
    assert [r["scene"] for r in b] == ["s1", "s2"]
    with pytest.raises(ValueError, match="no scene of split 'test'"):
        pairs.paired_rows(tmp_path, "medium=3d", "medium=4d")


@pytest.mark.slow
def test_cli_prints_table_and_writes_json(toyworld_64, tmp_path, capsys):
    model_dir = tmp_path / "model"
    identity_model(64).save_pretrained(model_dir)
    out = tmp_path / "metrics.json"
    evaluate.main(["--model", str(model_dir), "--data", str(toyworld_64), "--out", str(out), "--record"])
    printed = capsys.readouterr().out
    assert "3d -> 2d" in printed and "identity" in printed
    saved = json.loads(out.read_text())
    assert set(saved["directions"]) == {"3d -> 2d", "2d -> 3d"}
    # --record: the numbers go into the folder's config.json and its model card
    assert CycleGAN.from_pretrained(model_dir).config["evaluation"]["directions"] == saved["directions"]
    l1 = saved["directions"]["3d -> 2d"]["model"]["l1"]
    card = (model_dir / "README.md").read_text()
    assert f"| 3d -> 2d | model | {l1:.4f} |" in card
    # The look, where the target renders have outline masks (toyworld's 2d): an identity
    # model scores what identity scores, and the render itself is the ceiling.
    look = saved["look"]["3d -> 2d"]
    assert set(saved["look"]) == {"3d -> 2d"} and look["model"] == look["identity"]
    assert look["target"]["outline_f1"] > look["identity"]["outline_f1"] and look["target"]["edge_sharpness"] == 1
    assert look["target"]["flat_texture"] < look["identity"]["flat_texture"]  # paint is flat, a 3d render is not
    assert f"| 3d -> 2d | target | {look['target']['outline_precision']:.3f} |" in card
    assert f"| {look['target']['flat_texture']:.2f} |" in card
    assert "lines P" in printed and "flat texture" in printed


@pytest.mark.slow
def test_one_test_image_per_domain_gives_the_paired_metrics_and_says_why_not_the_rest(tmp_path, capsys):
    data = tmp_path / "data"
    toyworld_dataset.generate(data, count=10, size=32, seed=1, workers=1, progress=False)  # 1 test scene
    model_dir = tmp_path / "model"
    identity_model(32).save_pretrained(model_dir)
    results = evaluate.main(["--model", str(model_dir), "--data", str(data), "--no-fid"])  # no SystemExit
    printed = capsys.readouterr().out
    assert results["pairs"] == 1 and "3d -> 2d" in printed and "identity" in printed
    assert (f"no style scores: {data} has 1 test images of 'medium=3d'; the style scores need two or more"
            in printed)


@pytest.mark.slow
def test_the_evaluation_runs_on_jax_without_tensorflow(toyworld_64, tmp_path):
    """The GPU machines have Keras on JAX and no TensorFlow: paired metrics, the look and
    the style classifier run there, with the same numbers (SSIM to 5e-5: the backends round
    their convolutions differently)."""
    model_dir = tmp_path / "model"
    identity_model(64).save_pretrained(model_dir)
    args = ["--model", str(model_dir), "--data", str(toyworld_64), "--no-fid"]
    here = evaluate.main([*args, "--out", str(tmp_path / "tf.json")])
    no_tf = tmp_path / "no_tf" / "tensorflow"
    no_tf.mkdir(parents=True)
    (no_tf / "__init__.py").write_text("raise ImportError('no TensorFlow on this machine')\n")
    root = Path(__file__).parents[1]
    result = subprocess.run([sys.executable, "-m", "trainer.evaluate", *args, "--out", str(tmp_path / "jax.json")],
                            capture_output=True, text=True, timeout=600, cwd=root,
                            env={**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": f"{no_tf.parent}:{root}"})
    assert result.returncode == 0, result.stderr[-3000:]
    there = json.loads((tmp_path / "jax.json").read_text())
    for part in ("directions", "look"):
        for direction, rows in here[part].items():
            for name, metrics in rows.items():
                assert there[part][direction][name] == pytest.approx(metrics, abs=5e-5), (part, direction, name)
    assert there["style"]["directions"]["3d -> 2d"]["classifier"]["real target"] > 0.5


def test_a_pair_with_a_broken_image_is_left_out_with_a_warning(toyworld_64, tmp_path, caplog):
    data = tmp_path / "data"
    shutil.copytree(toyworld_64, data)
    rows_a, _ = pairs.paired_rows(data, "medium=3d", "medium=2d")
    Path(rows_a[0]["path"]).write_bytes(b"not a jpeg")
    results = paired.evaluate(identity_model(64), data, "medium=3d", "medium=2d")
    assert results["pairs"] == len(rows_a) - 1
    assert "skipping unreadable image" in caplog.text


def test_not_a_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelFolderError, match="not a model folder: no config.json"):
        CycleGAN.from_pretrained(tmp_path)
