"""People's own folders as datasets: junyanz's trainA/trainB/testA/testB and one folder per
domain, without a manifest and without tags."""

import json

import numpy as np
import pytest
from PIL import Image

from hub.cyclegan import CycleGAN
from tests.helpers import training_cli
from trainer.data import manifest
from trainer.data.domains import domain_rows


def write_pictures(folder, count, colour, size=40):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(sum(colour))
    for i in range(count):
        picture = np.clip(np.array(colour) + rng.integers(-30, 30, (size, size, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(picture).save(folder / f"{i:04d}.jpg")


@pytest.fixture
def junyanz(tmp_path):
    root = tmp_path / "horse2zebra"
    write_pictures(root / "trainA", 6, (200, 120, 60))
    write_pictures(root / "trainB", 5, (60, 60, 60))
    write_pictures(root / "testA", 2, (200, 120, 60))
    write_pictures(root / "testB", 2, (60, 60, 60))
    (root / "trainA" / ".DS_Store").write_bytes(b"junk")  # hidden: left alone
    return root


def test_junyanz_layout_reads_as_rows_with_domains_and_splits(junyanz):
    rows = manifest.read_manifest(junyanz)
    assert len(rows) == 15
    assert {(r["split"], r["domain"]) for r in rows} == {("train", "A"), ("train", "B"), ("test", "A"), ("test", "B")}
    assert manifest.resolve_domains(junyanz, "medium=3d", "medium=2d") == ("domain=A", "domain=B")
    assert manifest.parse_filter("B") == (("domain", "B"),)
    assert len(domain_rows(junyanz, manifest.parse_filter("A"))) == 6


def test_one_folder_per_domain_gets_a_block_split_and_must_be_named(tmp_path):
    write_pictures(tmp_path / "frames" / "pixar", 60, (200, 120, 60), size=8)
    write_pictures(tmp_path / "frames" / "ghibli", 30, (60, 60, 60), size=8)
    rows = manifest.read_manifest(tmp_path / "frames")
    pixar = [r for r in rows if r["domain"] == "pixar"]
    tests = [int(r["path"][-8:-4]) for r in pixar if r["split"] == "test"]
    assert tests and len([r for r in pixar if r["split"] == "train"]) > 40  # a short folder keeps its train frames
    with pytest.raises(ValueError, match="--domain-a ghibli --domain-b pixar"):
        manifest.resolve_domains(tmp_path / "frames", "medium=3d", "medium=2d")
    assert manifest.resolve_domains(tmp_path / "frames", "pixar", "ghibli") == ("pixar", "ghibli")


def test_a_folder_in_no_layout_says_which_layouts_work(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="trainA, trainB, testA, testB"):
        manifest.read_manifest(tmp_path / "empty")


def test_a_manifest_row_needs_only_a_path_and_a_split(tmp_path):
    write_pictures(tmp_path / "d" / "x", 2, (10, 10, 10))
    rows = [{"path": "x/0000.jpg", "split": "train"}, {"path": "x/0001.jpg"}]
    (tmp_path / "d" / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ValueError, match=r"row 2: missing keys \['split'\]"):
        manifest.read_manifest(tmp_path / "d")


@pytest.mark.slow
def test_a_cyclegan_trains_from_a_junyanz_folder_without_a_manifest(junyanz, tmp_path):
    out = tmp_path / "run"
    training_cli.run_in_process("trainer.cyclegan", [
        "--data", str(junyanz), "--image-size", "32", "--base-filters", "4", "--batch-size", "2", "--epochs", "1",
        "--steps-per-epoch", "2", "--samples", "2", "--no-onnx", "--out", str(out)])
    model = CycleGAN.from_pretrained(out / "model", runtime="keras")
    assert (model.config["domain_a"], model.config["domain_b"]) == ("domain=A", "domain=B")
    assert str(model.direction("a2b")) == "A -> B"
    assert model.config["training"]["data"]["domain=A"]["images"] == 6
    assert model.translate(junyanz / "testA" / "0000.jpg").size == (40, 40)
    # evaluated on the same folder: no pairs there, so the style classifier of its domains judges
    training_cli.run_in_process("trainer.evaluate", ["--model", str(out / "model"), "--data", str(junyanz),
                                                     "--no-fid", "--out", str(tmp_path / "scores.json")])
    style = json.loads((tmp_path / "scores.json").read_text())["style"]
    assert style["tag"] == "domain" and set(style["classifier_classes"]) == {"A", "B"}, style


@pytest.mark.slow
def test_a_caae_labels_a_folder_without_tags_by_its_domains(junyanz, tmp_path):
    from hub.caae import CAAE

    out = tmp_path / "run"
    training_cli.run_in_process("trainer.caae", [
        "--data", str(junyanz), "--image-size", "32", "--base-filters", "4", "--latent-dim", "16", "--stages", "3",
        "--batch-size", "2", "--pretrain-epochs", "1", "--epochs", "1", "--steps-per-epoch", "2", "--samples", "2",
        "--no-onnx", "--out", str(out)])
    model = CAAE.from_pretrained(out / "model", runtime="keras")
    assert model.label_names == ["domain=A", "domain=B"]
    assert model.restyle(junyanz / "testA" / "0000.jpg", {"domain": "B"}).size == (40, 40)
