"""Pushing to and loading from the Hub through huggingface_hub's real client code, against
the fake Hub in tests/helpers/fake_hub.py on 127.0.0.1, and from the Hub cache offline."""

import hashlib
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from huggingface_hub import HfApi, constants
from PIL import Image
from huggingface_hub.utils import _http

from hub import CAAE, CycleGAN, auto, onnx_runtime
from hub.errors import ModelFolderError, PushError
from hub.model_folder import store_float16
from hub.push import push_folder
from tests.helpers import tiny_models
from tests.helpers import training_cli

pytestmark = pytest.mark.usefixtures("reused_onnx_exports")  # the same tiny networks are pushed again and again


def image():
    return np.random.default_rng(0).integers(0, 255, (32, 48, 3), np.uint8)


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_failed_push_keeps_the_folder_and_says_how_to_retry(fake_hub, tmp_path, monkeypatch):
    folder = tmp_path / "model"
    tiny_models.caae().save_pretrained(folder)
    before = sorted(p.name for p in folder.iterdir())
    fake_hub.fail_commits = True
    # hf_xet's upload pipeline retries an outage's commit with backoff: noted, not waited (23 s)
    clock = {name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
    monkeypatch.setattr(_http, "time", SimpleNamespace(**{**clock, "sleep": lambda seconds: None}))
    with pytest.raises(PushError, match=f"Retry with: python -m hub push {folder} ana/flaky"):
        push_folder(folder, "ana/flaky")
    assert sorted(p.name for p in folder.iterdir()) == before and fake_hub.commit_count("ana/flaky") == 0

    fake_hub.fail_commits = False  # the retry the message suggests, as a user would type it
    retry = subprocess.run([sys.executable, "-m", "hub", "push", str(folder), "ana/flaky"],
                           capture_output=True, text=True, env=fake_hub.env, timeout=120)
    assert retry.returncode == 0, retry.stderr[-2000:]
    assert sorted(fake_hub.files("ana/flaky")) == before


@pytest.mark.slow
def test_train_with_push_to_hub_then_load_it_elsewhere(fake_hub, toyworld_64, tmp_path):
    result = training_cli.run_cli("trainer.cyclegan", [
        "--data", str(toyworld_64), "--image-size", "32", "--base-filters", "4", "--epochs", "1",
        "--steps-per-epoch", "2", "--samples", "2", "--out", str(tmp_path / "run"),
        "--push-to-hub", "ana/trained", "--no-onnx"], env=fake_hub.env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "pushed to ana/trained" in result.stdout
    assert "tf2onnx" not in result.stderr and "FutureWarning" not in result.stderr  # the export's noise
    files = fake_hub.files("ana/trained")
    assert {"generator_a2b.onnx", "generator_b2a.onnx"} <= set(files)  # --no-onnx: the push exports first
    assert sorted(files) == sorted(p.name for p in (tmp_path / "run" / "model").iterdir())
    assert "samples.png" in files and "| domain_a" not in files["README.md"].decode()
    downloaded = CycleGAN.from_pretrained("ana/trained", cache_dir=tmp_path / "elsewhere", runtime="keras")
    local = CycleGAN.from_pretrained(tmp_path / "run" / "model", runtime="keras")
    out = downloaded.translate(image(), "3d -> 2d")
    assert out.size == (48, 32)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(local.translate(image(), "3d -> 2d")))


@pytest.mark.slow
def test_the_mixins_own_calls_work_with_its_arguments(fake_hub, tmp_path):
    model = tiny_models.cyclegan()
    url = model.save_pretrained(tmp_path / "model", push_to_hub=True, repo_id="ana/mixin",
                                commit_message="first weights")
    assert url.startswith(f"{fake_hub.endpoint}/ana/mixin/commit/")
    card = fake_hub.files("ana/mixin")["README.md"].decode()
    assert 'CycleGAN.from_pretrained("ana/mixin")' in card  # the pushed card names its repo
    assert re.search(r"tags:\n(- .*\n)*- model_hub_mixin\n", card) and "- cyclegan\n" in card
    assert "REPO_ID" in (tmp_path / "model" / "README.md").read_text()  # the local card, before a repo

    HfApi().create_branch("ana/mixin", branch="small")
    model.push_to_hub("ana/mixin", branch="small", allow_patterns=["*.json", "*.md"])
    assert sorted(fake_hub.files("ana/mixin", "small")) == sorted(fake_hub.files("ana/mixin"))  # nothing deleted
    pr = model.push_to_hub("ana/mixin", create_pr=True, model_card_kwargs={"title": "not the card's"},
                           ignore_patterns=["*.onnx"])
    assert pr.pr_url == f"{fake_hub.endpoint}/ana/mixin/discussions/1" and pr.pr_num == 1  # a CommitInfo
    assert fake_hub.commit_count("ana/mixin") == 1  # a pull request leaves main as it was
    proposed = fake_hub.files("ana/mixin", "refs/pr/1")
    assert "# CycleGAN: 3d <-> 2d" in proposed["README.md"].decode()
    assert "generator_a2b.onnx" in proposed  # ignored, so neither uploaded nor deleted


@pytest.mark.slow
def test_a_model_saved_without_onnx_is_pushed_with_it_under_a_card_naming_the_repo(fake_hub, tmp_path):
    model = tiny_models.without_onnx(tiny_models.cyclegan())  # as a trainer's --no-onnx leaves it
    model.save_pretrained(tmp_path / "model")
    assert not list((tmp_path / "model").glob("*.onnx"))
    model.push_to_hub("ana/late-onnx")
    files = fake_hub.files("ana/late-onnx")
    assert {"generator_a2b.onnx", "generator_b2a.onnx"} <= set(files)
    card = files["README.md"].decode()
    assert 'hf_hub_download("ana/late-onnx"' in card and "REPO_ID" not in card
    assert "ONNX exports of the same weights (generator_a2b.onnx, generator_b2a.onnx)" in card
    assert model.export_onnx is False  # the next save_pretrained still skips the export


@pytest.mark.slow
def test_a_re_push_after_hub_float16_leaves_no_stale_file(fake_hub, tmp_path):
    folder = tmp_path / "model"
    tiny_models.cyclegan().save_pretrained(folder)
    push_folder(folder, "ana/halved")
    assert {"generator_a2b.keras", "generator_a2b.onnx"} <= set(fake_hub.files("ana/halved"))
    store_float16(folder, onnx_only=True)  # the .keras files go
    push_folder(folder, "ana/halved")
    assert sorted(fake_hub.files("ana/halved")) == sorted(p.name for p in folder.iterdir())
    assert not [name for name in fake_hub.files("ana/halved") if name.endswith(".keras")]
    loaded = CycleGAN.from_pretrained("ana/halved", cache_dir=tmp_path / "cache")
    assert loaded.config["weights_dtype"] == "float16"


@pytest.mark.slow
def test_onnx_runtime_downloads_no_keras_file(fake_hub, tmp_path):
    model = tiny_models.cyclegan()
    model.push_to_hub("ana/onnx-only")
    fake_hub.requests.clear()
    loaded = CycleGAN.from_pretrained("ana/onnx-only", cache_dir=tmp_path / "cache", runtime="onnx")
    fetched = {path.rsplit("/", 1)[-1] for method, path in fake_hub.requests if method == "GET" and "/resolve/" in path}
    assert fetched == {"config.json", "generator_a2b.onnx", "generator_b2a.onnx"}
    np.testing.assert_allclose(np.asarray(loaded.translate(image()), np.float32),
                               np.asarray(model.translate(image()), np.float32), atol=2)
    keras_loaded = CycleGAN.from_pretrained("ana/onnx-only", cache_dir=tmp_path / "cache", runtime="keras")
    assert {p.name for p in next((tmp_path / "cache").glob("models--*/snapshots/*")).iterdir()} >= {
        "generator_a2b.keras", "generator_b2a.keras"}  # fetched when that runtime asks
    assert keras_loaded.config == loaded.config


@pytest.mark.parametrize("kind", ["unet-transpose", "unet-resize", "resnet-transpose", "caae"])
@pytest.mark.slow
def test_the_cards_keras_snippet_runs_in_a_fresh_process(fake_hub, tmp_path, monkeypatch, kind):
    generator, _, upsample = kind.partition("-")
    model = tiny_models.caae() if kind == "caae" else tiny_models.cyclegan(generator=generator, upsample=upsample)
    with monkeypatch.context() as m:  # the snippet loads the .keras files: pushed without ONNX, as from JAX
        m.setattr(onnx_runtime, "can_export", lambda: False)
        model.push_to_hub(f"ana/snippet-{kind}")
    card = fake_hub.files(f"ana/snippet-{kind}")["README.md"].decode()
    snippet = re.findall(r"```python\n(.*?)```", card, re.S)[1]  # the card's Keras 3 snippet, as written
    run_it = ("import numpy as np\n"
              "x = [np.zeros([1, *(32 if d is None else d for d in t.shape[1:])], np.float32) for t in net.inputs]\n"
              "print(net.predict_on_batch(x[0] if len(x) == 1 else x).shape)\n")
    result = subprocess.run([sys.executable, "-c", snippet + run_it], capture_output=True, text=True, timeout=300,
                            cwd=Path(__file__).parents[1], env={**fake_hub.env, "HF_HUB_CACHE": str(tmp_path / "c")})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split("\n")[-2].startswith("(1, ")


@pytest.mark.slow
def test_a_folder_without_onnx_gets_it_before_the_push(fake_hub, tmp_path, monkeypatch):
    folder = tmp_path / "model"
    with monkeypatch.context() as m:  # saved where no export was possible, as on JAX
        m.setattr(onnx_runtime, "can_export", lambda: False)
        tiny_models.cyclegan().save_pretrained(folder)
    assert not list(folder.glob("*.onnx"))
    push_folder(folder, "ana/exported")
    assert {"generator_a2b.onnx", "generator_b2a.onnx"} <= set(fake_hub.files("ana/exported"))
    assert CycleGAN.from_pretrained("ana/exported", cache_dir=tmp_path / "cache", runtime="onnx").translate(
        image()).size == (48, 32)


@pytest.mark.slow
def test_weights_travel_by_lfs_once_and_come_back_whole(fake_hub, tmp_path):
    folder = tmp_path / "model"
    tiny_models.cyclegan().save_pretrained(folder)
    Image.fromarray(image()).save(folder / "samples.png")  # a trainer's sample grid: binary, so LFS too
    push_folder(folder, "ana/by-lfs")
    weights = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()
               if p.suffix in (".keras", ".onnx", ".png")}
    assert {"generator_a2b.keras", "generator_a2b.onnx", "samples.png"} <= set(weights)
    assert sorted(oid for oid, _ in fake_hub.lfs_uploads) == sorted(weights.values())  # config and card go inline
    tree = {entry.path: entry for entry in HfApi().list_repo_tree("ana/by-lfs")}
    assert {path for path, entry in tree.items() if entry.lfs} == set(weights)
    assert all(tree[name].lfs.sha256 == oid for name, oid in weights.items())

    (folder / "README.md").write_text((folder / "README.md").read_text() + "\nA note.\n")
    push_folder(folder, "ana/by-lfs", render_card=False)
    assert len(fake_hub.lfs_uploads) == len(weights)  # the store has them: a card change uploads no weights
    loaded = CycleGAN.from_pretrained("ana/by-lfs", cache_dir=tmp_path / "cache", runtime="keras")
    snapshot = next((tmp_path / "cache").glob("models--ana--by-lfs/snapshots/*"))
    for name in ("generator_a2b.keras", "generator_b2a.keras"):
        assert hashlib.sha256((snapshot / name).read_bytes()).hexdigest() == weights[name]
    assert loaded.translate(image()).size == (48, 32)


@pytest.mark.slow
def test_a_refused_lfs_upload_commits_nothing_and_says_how_to_retry(fake_hub, tmp_path):
    folder = tmp_path / "model"
    tiny_models.caae().save_pretrained(folder)
    fake_hub.fail_lfs_uploads = True
    with pytest.raises(PushError, match=f"Retry with: python -m hub push {folder} ana/refused"):
        push_folder(folder, "ana/refused")
    assert fake_hub.commit_count("ana/refused") == 0 and fake_hub.lfs_objects == {}
    fake_hub.fail_lfs_uploads = False
    push_folder(folder, "ana/refused")
    assert sorted(fake_hub.files("ana/refused")) == sorted(p.name for p in folder.iterdir())
