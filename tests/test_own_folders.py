"""People's own folders as datasets: junyanz's trainA/trainB/testA/testB and one folder per
domain, without a manifest and without tags."""

import json

import numpy as np
import pytest
from PIL import Image

from hub.cyclegan import CycleGAN
from hub.errors import HubError
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
    write_pictures(tmp_path / "frames" / "stats", 2, (0, 0, 0), size=8)  # contact sheets: not a domain
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
    # a folder that says nothing of its licence: weights as non-commercial as film frames need
    assert model.config["training"]["weights_license"] == "cc-by-nc-4.0" and "data_source" not in model.config["training"]
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
        "--no-onnx", "--weights-license", "cc-by-4.0", "--out", str(out)])
    model = CAAE.from_pretrained(out / "model", runtime="keras")
    assert model.config["training"]["weights_license"] == "cc-by-4.0"  # the flag's
    assert model.label_names == ["domain=A", "domain=B"]
    assert model.restyle(junyanz / "testA" / "0000.jpg", {"domain": "B"}).size == (40, 40)


def test_frames_from_ones_own_videos_with_tags_resuming(tmp_path):
    from tests.helpers.media import write_clip
    from trainer.data import frames

    pixar = write_clip(tmp_path / "Toy Film.mp4", seconds=6.0, fps=10, width=160, height=90)
    ghibli = write_clip(tmp_path / "hand drawn.mov", seconds=4.0, fps=10, width=90, height=160, audio=False)
    out = tmp_path / "data"
    options = dict(size=32, block=4, gap=1, progress=False)
    frames.frames([pixar], out, tags=[("medium", "3d")], **options)
    summary = frames.frames([ghibli], out, tags=[("medium", "2d")], **options)  # the same folder, another tag
    rows = manifest.read_manifest(out)
    by_movie = {m: [r for r in rows if r["movie"] == m] for m in ("toy-film", "hand-drawn")}
    assert {r["medium"] for r in by_movie["toy-film"]} == {"3d"} and {r["medium"] for r in by_movie["hand-drawn"]} == {"2d"}
    assert len(rows) + summary.gap == 12 + 8  # 2 FPS, every frame kept or counted
    assert {r["split"] for r in rows} == {"train", "test"}
    assert Image.open(out / rows[0]["path"]).size == (32, 32)
    # a rerun decodes nothing; a run cut short resumes with the frames it wrote; another rate starts again
    again = frames.frames([pixar], out, tags=[("medium", "3d")], **options)
    assert "0 frames sampled at 2 FPS, 12 kept" in " ".join(again.notes)
    raw = out / "raw" / "toy-film"
    facts = json.loads((raw / frames.DONE).read_text())
    (raw / frames.DONE).write_text(json.dumps({**facts, "complete": False}))
    (raw / "000005.jpg").unlink()
    assert "1 frames sampled at 2 FPS, 11 kept" in " ".join(frames.frames([pixar], out, tags=[("medium", "3d")],
                                                                          **options).notes)
    frames.frames([pixar], out, fps=1.0, tags=[("medium", "3d")], **options)
    assert len(list(raw.glob("*.jpg"))) == 6
    with pytest.raises(FileNotFoundError, match="no such video file"):
        frames.frames([tmp_path / "nope.mp4"], out)
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    with pytest.raises(HubError):
        frames.frames([tmp_path / "broken.mp4"], out, **options)


def test_any_dataset_folder_goes_out_in_junyanz_layout(junyanz, tmp_path):
    from trainer.data.__main__ import main as data_main

    data_main(["junyanz", str(junyanz), "--out", str(tmp_path / "copy"), "--domain-a", "A", "--domain-b", "B"])
    counts = {name: len(list((tmp_path / "copy" / name).iterdir())) for name in ("trainA", "trainB", "testA", "testB")}
    assert counts == {"trainA": 6, "trainB": 5, "testA": 2, "testB": 2}
    assert len(manifest.read_manifest(tmp_path / "copy")) == 15  # and it reads back as a dataset
    with pytest.raises(SystemExit, match="already has trainA"):
        data_main(["junyanz", str(junyanz), "--out", str(tmp_path / "copy"), "--domain-a", "A", "--domain-b", "B"])
