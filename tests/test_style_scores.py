"""The style classifier, the style scores of trainer.evaluate (classifier, FID/KID, the
CAAE per label and per slider) and the video flicker command, on toyworld."""

import json

import numpy as np
import pytest

from hub.caae import CAAE
from hub.cyclegan import CycleGAN
from tests.helpers.tiny_models import identity_model, toyworld_caae, without_onnx
from trainer import evaluate
from trainer.data.arrays import decode_all
from trainer.data.manifest import read_manifest
from trainer.data.pairs import paired_rows
from trainer.evaluation import paired, style_classifier, style_scores
from trainer.evaluation.test_images import TestImages


@pytest.mark.slow
def test_classifier_learns_the_medium_and_is_cached(toyworld_32_clip, monkeypatch):
    classifier = style_classifier.StyleClassifier.for_dataset(toyworld_32_clip, "medium", size=32)
    assert classifier.classes == ["2d", "3d"] and classifier.accuracy >= 0.85
    rows = [r for r in read_manifest(toyworld_32_clip) if r["split"] == "test" and "clip" not in r]
    images = {m: decode_all([f"{toyworld_32_clip}/{r['path']}" for r in rows if r["medium"] == m], 32)
              for m in ("2d", "3d")}
    assert classifier.share(images["2d"], "2d") >= 0.8 and classifier.share(images["3d"], "2d") <= 0.2
    # larger pictures are scaled to the classifier's size
    big = np.repeat(np.repeat(images["2d"], 2, axis=1), 2, axis=2)
    assert classifier.share(big, "2d") >= 0.8
    with pytest.raises(ValueError, match="knows 2d, 3d, not '4d'"):
        classifier.share(images["2d"], "4d")
    # the second time it is loaded, not trained; the same judge gives the same verdicts
    monkeypatch.setattr(style_classifier.StyleClassifier, "train", lambda *a, **k: pytest.fail("retrained"))
    cached = style_classifier.StyleClassifier.for_dataset(toyworld_32_clip, "medium", size=32)
    assert cached.accuracy == classifier.accuracy
    np.testing.assert_allclose(cached.probabilities(images["3d"]), classifier.probabilities(images["3d"]),
                               atol=1e-6)


def mean_colour(images):
    """A stand-in for InceptionV3 in the FID/KID plumbing: mean colour and its spread."""
    images = np.asarray(images, np.float64) / 255
    return np.concatenate([images.mean(axis=(1, 2)), images.std(axis=(1, 2))], axis=1)


@pytest.mark.slow
def test_identity_translator_scores_the_identity_baseline(toyworld_32_clip):
    model = identity_model(32)
    scores = style_scores.style_scores(model, toyworld_32_clip, "medium=3d", "medium=2d", features=mean_colour)
    assert scores["tag"] == "medium" and scores["images"] == {"3d": 20, "2d": 20}
    for direction in ("3d -> 2d", "2d -> 3d"):
        d = scores["directions"][direction]
        assert d["classifier"]["model"] == d["classifier"]["identity"] <= 0.2
        assert d["classifier"]["real target"] >= 0.8
        assert d["model"] == d["identity"] and d["model"]["fid"] > 0.01
    # a "translator" that returns the real targets scores FID 0
    rows_b, images_b = style_scores.test_images(toyworld_32_clip, "medium=2d", TestImages(32))
    oracle = CycleGAN(model.generators["a2b"], model.generators["b2a"], model.config)
    oracle.translate_array = lambda images, direction: images_b if direction == "a2b" else images
    perfect = style_scores.style_scores(oracle, toyworld_32_clip, "medium=3d", "medium=2d", features=mean_colour)
    d = perfect["directions"]["3d -> 2d"]
    assert abs(d["model"]["fid"]) < 1e-6 < d["identity"]["fid"]
    assert d["classifier"]["model"] == d["classifier"]["real target"]


@pytest.mark.slow
def test_paired_judged_counts_the_translated_pairs(toyworld_32_clip):
    judge = style_scores.judge(toyworld_32_clip, "medium=3d", "medium=2d")
    assert judge[0].tag == "medium" and judge[1:] == ("3d", "2d")
    results = paired.evaluate(identity_model(32), toyworld_32_clip, "medium=3d", "medium=2d", judge=judge)
    judged = results["judged"]["directions"]["3d -> 2d"]
    assert judged["target value"] == "2d" and judged["model"] == judged["identity"] <= 0.2 <= 0.8 <= judged["target"]
    # a translator that returns each input's own pair is judged as the pairs' targets are
    rows_a, rows_b = paired_rows(toyworld_32_clip, "medium=3d", "medium=2d", "test")
    _, sources = TestImages(32).decode([r["path"] for r in rows_a])
    _, targets = TestImages(32).decode([r["path"] for r in rows_b])
    pair_of = {source.tobytes(): target for source, target in zip(sources, targets)}
    oracle = identity_model(32)
    oracle.translate_array = lambda images, direction: np.stack([pair_of.get(i.tobytes(), i) for i in images])
    perfect = paired.evaluate(oracle, toyworld_32_clip, "medium=3d", "medium=2d", judge=judge)
    assert perfect["judged"]["directions"]["3d -> 2d"]["model"] == perfect["judged"]["directions"]["3d -> 2d"]["target"]
    assert "judged: the style classifier's share of the pairs" in paired.format_table(perfect)
    assert "judged" not in paired.evaluate(oracle, toyworld_32_clip, "medium=3d", "medium=2d")


@pytest.mark.slow
def test_caae_scores_per_label_and_slider(toyworld_32_clip, tmp_path, capsys):
    folder = tmp_path / "caae"
    without_onnx(toyworld_caae()).save_pretrained(folder)
    results = evaluate.main(["--model", str(folder), "--data", str(toyworld_32_clip), "--no-fid",
                             "--out", str(tmp_path / "m.json"), "--record"])
    scores = results["style"]
    assert set(scores["per_label"]) == {"2d / cel", "2d / watercolor", "3d / clay", "3d / glossy", "mean"}
    assert set(scores["label_classifier_accuracy"]) == {"medium", "studio"}
    # the paired restyles are judged too, each label value on its own
    for direction, value in (("3d -> 2d", "medium=2d"), ("2d -> 3d", "medium=3d")):
        assert results["per_label"][value]["judged"] == results["judged"]["directions"][direction]["model"]
    for row in scores["per_label"].values():
        assert set(row) == {"medium", "studio"} and all(0 <= v <= 1 for v in row.values())
    assert scores["slider"]["target"] == {"tag": "medium", "value": "2d"}
    for mode in ("tag only", "whole style"):
        curve = scores["slider"][mode]["probabilities"]
        assert len(curve) == 5 and scores["slider"][mode]["move"] == pytest.approx(curve[-1] - curve[0])
        assert scores["slider"][mode]["monotonic"] == all(b >= a for a, b in zip(curve, curve[1:]))
        changes = scores["slider"][mode]["pixel_change_per_step"]
        assert len(changes) == 4 and all(0 <= c <= 255 for c in changes) and max(changes) > 0
    printed = capsys.readouterr().out
    assert "slider, whole style: p(medium=2d) at weights 0.0, 0.25" in printed and "2d / watercolor" in printed
    assert "monotonic; mean pixel change per step" in printed
    assert "fid" not in json.dumps(scores["directions"])  # --no-fid
    card = (folder / "README.md").read_text()
    assert "Style classifier" in card and "Restyled under each training style" in card
    assert "| 2d / watercolor |" in card and "whole style: p(medium=2d)" in card
    judged = f"| 3d -> 2d | model | {results['directions']['3d -> 2d']['model']['l1']:.4f} |"
    assert judged in card and f"| {results['judged']['directions']['3d -> 2d']['model']:.3f} |" in card.split(judged)[1].split("\n")[0]
    assert "name: judged medium of the target, 3d -> 2d, the pairs" in card
    assert CAAE.from_pretrained(folder).config["evaluation"]["style"]["per_label"] == scores["per_label"]


@pytest.mark.slow
def test_unpaired_data_gets_style_scores_only(toyworld_32_clip, tmp_path):
    # real data has no scene tags: no paired metrics, a note, and the style scores
    data = tmp_path / "unpaired"
    data.mkdir()
    rows = [{k: v for k, v in r.items() if k != "scene"} for r in read_manifest(toyworld_32_clip) if "clip" not in r]
    (data / "images").symlink_to(toyworld_32_clip / "images")
    (data / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    results = paired.evaluate_all(identity_model(32), data, "medium=3d", "medium=2d", features=False)
    assert "scene" in results["paired_unavailable"] and "directions" not in results
    assert results["style"]["directions"]["3d -> 2d"]["classifier"]["real target"] >= 0.8
    assert "no paired metrics" in paired.format_table(results)


def test_offline_fid_is_a_note_and_the_rest_runs(toyworld_32_clip, monkeypatch, tmp_path):
    from trainer.evaluation import style_metrics

    monkeypatch.setattr(style_metrics, "INCEPTION_ORIGIN", "http://127.0.0.1:9/nothing.h5")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(style_scores, "InceptionFeatures",
                        lambda: style_metrics.InceptionFeatures(cache_dir=tmp_path))
    scores = style_scores.style_scores(identity_model(32), toyworld_32_clip, "medium=3d", "medium=2d")
    assert "Run once with network access" in scores["fid_kid_unavailable"]
    assert scores["directions"]["3d -> 2d"]["classifier"]["real target"] >= 0.8
    assert "FID/KID not computed" in style_scores.format_table(scores)


def test_fid_and_kid_reach_the_card_and_its_model_index(toyworld_32_clip, tmp_path):
    from hub import model_folder

    folder = tmp_path / "identity"
    identity_model(32).save_pretrained(folder)
    results = paired.evaluate_all(identity_model(32), toyworld_32_clip, "medium=3d", "medium=2d",
                                    features=mean_colour)
    model_folder.update_config(folder, evaluation={**results, "dataset": "toyworld32"})
    card = (folder / "README.md").read_text()
    fid = results["style"]["directions"]["3d -> 2d"]["model"]["fid"]
    assert "### Style classifier, FID and KID" in card and f"| {fid:.2f} |" in card
    assert "type: fid" in card and "type: kid" in card and "name: judged medium of the target, 3d -> 2d" in card
