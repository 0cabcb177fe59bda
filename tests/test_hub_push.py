"""Pushing to and loading from the Hub through huggingface_hub's real client code, against
the fake Hub in tests/fake_hub.py on 127.0.0.1, and from the Hub cache offline."""

import subprocess
import sys

import numpy as np
import pytest
import tiny_models
import training_cli
from huggingface_hub import constants

from hub import CAAE, CycleGAN, auto
from hub.errors import ModelFolderError, PushError


def image():
    return np.random.default_rng(0).integers(0, 255, (32, 48, 3), np.uint8)


def test_push_then_from_pretrained_gives_the_same_translator(fake_hub, tmp_path):
    model = tiny_models.cyclegan()
    url = model.push_to_hub("ana/toy-cyclegan")
    assert url.startswith(f"{fake_hub.endpoint}/ana/toy-cyclegan/commit/")
    assert fake_hub.commit_count("ana/toy-cyclegan") == 1  # the whole folder in one commit
    files = fake_hub.files("ana/toy-cyclegan")
    assert {"config.json", "README.md", "generator_a2b.keras", "generator_b2a.keras"} <= set(files)
    assert 'CycleGAN.from_pretrained("ana/toy-cyclegan")' in files["README.md"].decode()

    loaded = CycleGAN.from_pretrained("ana/toy-cyclegan", cache_dir=tmp_path / "cache", runtime="keras")
    np.testing.assert_array_equal(np.asarray(loaded.translate(image(), "a2b")),
                                  np.asarray(model.translate(image(), "a2b")))


def test_the_hub_cache_loads_offline(fake_hub, tmp_path, monkeypatch):
    tiny_models.caae().push_to_hub("ana/toy-caae")
    online = auto.from_pretrained("ana/toy-caae", cache_dir=tmp_path / "cache", runtime="keras")
    assert (tmp_path / "cache" / "models--ana--toy-caae" / "refs" / "main").is_file()

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    fake_hub.requests.clear()
    offline = auto.from_pretrained("ana/toy-caae", cache_dir=tmp_path / "cache", runtime="keras")
    assert isinstance(offline, CAAE) and fake_hub.requests == []
    style = offline.styles[0]
    np.testing.assert_array_equal(np.asarray(offline.restyle(image(), style)),
                                  np.asarray(online.restyle(image(), style)))
    with pytest.raises(ModelFolderError, match="ana/never-pushed"):
        auto.from_pretrained("ana/never-pushed", cache_dir=tmp_path / "cache")


def test_a_failed_push_keeps_the_folder_and_says_how_to_retry(fake_hub, tmp_path):
    folder = tmp_path / "model"
    tiny_models.caae().save_pretrained(folder)
    before = sorted(p.name for p in folder.iterdir())
    fake_hub.fail_commits = True
    with pytest.raises(PushError, match=f"Retry with: python -m hub push {folder} ana/flaky"):
        from hub.push import push_folder
        push_folder(folder, "ana/flaky")
    assert sorted(p.name for p in folder.iterdir()) == before

    fake_hub.fail_commits = False  # the retry the message suggests, as a user would type it
    retry = subprocess.run([sys.executable, "-m", "hub", "push", str(folder), "ana/flaky"],
                           capture_output=True, text=True, env=fake_hub.env, timeout=120)
    assert retry.returncode == 0, retry.stderr[-2000:]
    assert sorted(fake_hub.files("ana/flaky")) == before


def test_train_with_push_to_hub_then_load_it_elsewhere(fake_hub, toyworld_64, tmp_path):
    result = training_cli.run_cli("trainer.cyclegan", [
        "--data", str(toyworld_64), "--image-size", "32", "--base-filters", "4", "--epochs", "1",
        "--steps-per-epoch", "2", "--samples", "2", "--out", str(tmp_path / "run"),
        "--push-to-hub", "ana/trained"], env=fake_hub.env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "pushed to ana/trained" in result.stdout
    files = fake_hub.files("ana/trained")
    assert sorted(files) == sorted(p.name for p in (tmp_path / "run" / "model").iterdir())
    assert "samples.png" in files and "| domain_a" not in files["README.md"].decode()
    downloaded = CycleGAN.from_pretrained("ana/trained", cache_dir=tmp_path / "elsewhere", runtime="keras")
    local = CycleGAN.from_pretrained(tmp_path / "run" / "model", runtime="keras")
    out = downloaded.translate(image(), "3d -> 2d")
    assert out.size == (48, 32)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(local.translate(image(), "3d -> 2d")))
