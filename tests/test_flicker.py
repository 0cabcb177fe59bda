"""`python -m trainer.evaluate video`: warping errors of toyworld orbit clips and of video
files, per frame and in the temporal mode, recorded into a model folder's card."""

import json

import numpy as np
import pytest

from hub.cyclegan import CycleGAN
from tests.helpers import tiny_models
from tests.helpers.media import write_clip
from tests.helpers.tiny_models import identity_model
from trainer import evaluate
from trainer.data.clips import make_clips
from trainer.data.manifest import read_manifest, write_manifest
from trainer.evaluation import flicker


@pytest.mark.slow
def test_identity_on_a_toyworld_orbit(toyworld_32_clip, tmp_path, capsys):
    folder = tmp_path / "identity"
    identity_model(32).save_pretrained(folder)
    out = tmp_path / "flicker.json"
    results = evaluate.main(["video", "--model", str(folder), "--data", str(toyworld_32_clip), "--out", str(out),
                             "--record"])
    clip = results["clips"]["orbit-000"]
    assert clip["frames"] == 61
    errors = clip["warping_error"]
    assert errors["per-frame"] == errors["input"] > 0  # the identity's output is its input
    assert errors["temporal"] < errors["per-frame"]
    assert errors["ground truth"] > 0 and 0 < clip["ssim"]["per-frame"] < 0.95
    s = results["summary"]
    assert s["temporal_reduction"] == pytest.approx(1 - errors["temporal"] / errors["per-frame"])
    assert s["temporal_time_ratio"] > 1
    printed = capsys.readouterr().out
    assert "orbit-000" in printed and "less warping error" in printed
    assert json.loads(out.read_text())["summary"]["warping_error"] == pytest.approx(s["warping_error"])
    recorded = CycleGAN.from_pretrained(folder).config["flicker"]
    assert recorded["clips"] == ["orbit-000"] and recorded["direction"] == "3d -> 2d"
    card = (folder / "README.md").read_text()
    assert "### Video flicker" in card and "warping error 3d -> 2d, temporal" in card


def test_a_flickering_translator_scores_worse_and_the_temporal_mode_helps(toyworld_32_clip):
    model = tiny_models.cyclegan()
    clips = flicker.dataset_clips(toyworld_32_clip, "medium=3d", "medium=2d")
    steady = flicker.evaluate_flicker(model, clips, stride=3)
    rng = np.random.default_rng(0)
    translate = model.translate
    model.translate = lambda images, direction, size=None: [  # a brightness flicker, as per-frame translation gives
        np.clip(np.asarray(out).astype(int) + rng.integers(-20, 21, size=3), 0, 255).astype(np.uint8)
        for out in translate(images, direction, size=size)]
    shaky = flicker.evaluate_flicker(model, clips, stride=3)
    assert shaky["summary"]["warping_error"]["per-frame"] > 2 * steady["summary"]["warping_error"]["per-frame"]
    assert shaky["summary"]["temporal_reduction"] >= 0.3
    assert shaky["clips"]["orbit-000"]["frames"] == 21  # every third frame of 61


def test_video_files_and_bad_input(tmp_path, capsys):
    folder = tmp_path / "identity"
    identity_model(32).save_pretrained(folder)
    clip = write_clip(tmp_path / "clip.mp4", seconds=3.0, fps=10, audio=False)
    results = evaluate.main(["video", "--model", str(folder), "--video", str(clip), "--fps", "4"])
    assert results["clips"]["clip.mp4"]["frames"] == 12 and "ssim" not in results["summary"]
    for argv, message in ((["--video", str(tmp_path / "missing.mp4")], "no video file"),
                          ([], "give --data"),
                          (["--video", str(clip), "--stride", "0"], "--stride must be 1 or more"),
                          (["--data", str(tmp_path)], "is not a dataset folder")):
        with pytest.raises(SystemExit, match=message):
            evaluate.main(["video", "--model", str(folder), *argv])


def test_clips_of_any_size_and_clips_without_a_paired_render_are_scored_by_their_flicker(tmp_path):
    folder = tmp_path / "tiny"
    tiny_models.without_onnx(tiny_models.cyclegan()).save_pretrained(folder)  # a U-Net: sizes in steps of 32
    clip = write_clip(tmp_path / "odd.mp4", seconds=1.0, fps=10, width=70, height=50, audio=False)
    results = evaluate.main(["video", "--model", str(folder), "--video", str(clip), "--fps", "10"])
    assert results["clips"]["odd.mp4"]["frames"] == 10
    # one clip with a paired render, one without (a watercolor clip for a model aimed at cel)
    paired = {"warping_error": {"input": 1.0, "per-frame": 2.0, "temporal": 1.0, "ground truth": 0.5},
              "seconds": {"per-frame": 1.0, "temporal": 2.0}, "ssim": {"per-frame": 0.6, "temporal": 0.7}}
    alone = {"warping_error": {"input": 3.0, "per-frame": 4.0, "temporal": 3.0},
             "seconds": {"per-frame": 1.0, "temporal": 1.5}}
    summary = flicker.summarize({"cel": paired, "watercolor": alone})
    assert summary["warping_error"] == {"input": 2.0, "per-frame": 3.0, "temporal": 2.0, "ground truth": 0.5}
    assert summary["ssim"] == {"per-frame": 0.6, "temporal": 0.7} and summary["ssim_clips"] == 1
    assert "ground truth" in flicker.format_table({"direction": "3d -> 2d", "stride": 1, "summary": summary,
                                                   "clips": {"cel": paired, "watercolor": alone}})


def test_a_clips_folder_of_real_frames(toyworld_32_clip, tmp_path):
    # `python -m trainer.data clips` output: real frames have no ground truth
    rows = [{**r, "movie": "orbit", "studio": "toy"} for r in read_manifest(toyworld_32_clip)
            if r.get("clip") == "orbit-000" and r["medium"] == "3d"]
    for r in rows:
        r.pop("clip")
    prepared = tmp_path / "prepared"
    prepared.mkdir()
    (prepared / "images").symlink_to(toyworld_32_clip / "images")
    write_manifest(prepared, rows)
    make_clips(prepared, tmp_path / "clips", length=20, count=2)
    clips = flicker.dataset_clips(tmp_path / "clips", "medium=3d", "medium=2d")
    assert [(name, len(frames), truth) for name, frames, truth in clips] == [
        ("orbit-000000", 20, None), ("orbit-000040", 20, None)]
    results = flicker.evaluate_flicker(identity_model(32), clips)
    assert "ssim" not in results["summary"] and results["summary"]["temporal_reduction"] > 0
