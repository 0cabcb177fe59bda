"""`python -m hub translate`: pictures, folders and videos from the command line, with a
bad file reported while the rest go on; ONNX Runtime providers that fall back to the CPU."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hub import CycleGAN
from hub.__main__ import main
from tests.helpers import media, tiny_models

DEMO = Path(__file__).resolve().parents[1] / "space" / "demo_models" / "cyclegan-toyworld"


@pytest.fixture(scope="module")
def cyclegan_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model") / "cyclegan"
    tiny_models.without_onnx(tiny_models.cyclegan()).save_pretrained(folder)
    return folder


@pytest.fixture
def inputs(tmp_path):
    """A folder of two pictures (one in a sub-folder), a broken one and a clip with sound."""
    folder = tmp_path / "frames"
    (folder / "shot2").mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 70, 3), np.uint8)).save(folder / "a.jpg")
    Image.fromarray(rng.integers(0, 255, (300, 300, 3), np.uint8)).save(folder / "shot2" / "b.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (folder / "notes.txt").write_text("not a picture: left alone")
    media.write_clip(folder / "clip.mp4", seconds=2.0, fps=10, width=96, height=64)
    return folder


def test_a_folder_with_a_bad_file_and_a_video(cyclegan_folder, inputs, tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["translate", str(inputs), "--model", str(cyclegan_folder), "--out", str(out), "--quiet"])
    assert exit_.value.code == 1  # one file failed
    printed = capsys.readouterr().out
    assert "3 written, 1 failed" in printed and "broken.jpg" in printed
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["frames/a.png", "frames/clip.mp4", "frames/shot2/b.png"]
    assert Image.open(out / "frames/a.png").size == (70, 40)
    assert Image.open(out / "frames/shot2/b.png").size == (300, 300)
    clip = media.probe(out / "frames/clip.mp4")
    assert ("audio", "aac") in clip.streams and clip.frames == 4 and clip.duration == pytest.approx(2.0, abs=0.1)
    assert (clip.width, clip.height) == (96, 64)


def test_what_a_video_lost_on_the_way_is_a_note_in_the_summary(cyclegan_folder, inputs, tmp_path, capsys,
                                                                monkeypatch):
    media.note_every_video(monkeypatch, "its sound track is damaged after 0.4 s, so the sound stops there")
    main(["translate", str(inputs / "clip.mp4"), "--model", str(cyclegan_folder), "--out", str(tmp_path), "--quiet"])
    printed = capsys.readouterr().out
    assert "1 written, 0 failed" in printed
    assert "note: " + str(inputs / "clip.mp4") + ": its sound track is damaged after 0.4 s" in printed


def test_pictures_are_translated_at_the_apps_detail_size(cyclegan_folder, inputs, tmp_path):
    out = tmp_path / "out"
    main(["translate", str(inputs / "shot2" / "b.png"), "--model", str(cyclegan_folder), "--out", str(out),
          "--quiet"])
    model = CycleGAN.from_pretrained(cyclegan_folder)
    # 300 px short side, 32 px training size: the app's detail size, 256
    expected = model.translate(inputs / "shot2" / "b.png", "a2b", size=256)
    np.testing.assert_array_equal(np.asarray(Image.open(out / "b.png")), np.asarray(expected))
    assert not np.array_equal(np.asarray(expected), np.asarray(model.translate(inputs / "shot2" / "b.png", size=32)))


def test_a_caae_needs_labels_and_restyles_under_them(inputs, tmp_path, capsys):
    folder = tmp_path / "caae"
    tiny_models.without_onnx(tiny_models.caae()).save_pretrained(folder)
    picture = str(inputs / "a.jpg")
    with pytest.raises(SystemExit, match="give --restyle, e.g. --restyle medium=2d,studio=cel"):
        main(["translate", picture, "--model", str(folder), "--out", str(tmp_path / "o")])
    with pytest.raises(SystemExit, match="studio"):
        main(["translate", picture, "--model", str(folder), "--restyle", "studio=anime", "--out", str(tmp_path / "o")])
    main(["translate", picture, "--model", str(folder), "--restyle", "medium=2d,studio=cel", "--out",
          str(tmp_path / "o"), "--quiet"])
    assert Image.open(tmp_path / "o" / "a.png").size == (70, 40)


def test_missing_inputs_and_unknown_directions_are_errors_before_any_work(cyclegan_folder, inputs, tmp_path):
    with pytest.raises(SystemExit, match="no such file or folder"):
        main(["translate", str(tmp_path / "nope.jpg"), "--model", str(cyclegan_folder)])
    with pytest.raises(SystemExit, match="direction"):
        main(["translate", str(inputs / "a.jpg"), "--model", str(cyclegan_folder), "--direction", "sideways",
              "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()


def test_an_unknown_provider_falls_back_to_the_cpu_with_a_warning():
    with pytest.warns(UserWarning, match="no NopeExecutionProvider here.*running on the CPU"):
        model = CycleGAN.from_pretrained(DEMO, runtime="onnx", providers=["NopeExecutionProvider"])
    assert model.generators["a2b"].session.get_providers() == ["CPUExecutionProvider"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert CycleGAN.from_pretrained(DEMO, runtime="onnx", device="cpu").translate(np.zeros((64, 48, 3), np.uint8)).size == (48, 64)
    with pytest.raises(ValueError, match="device must be one of"):
        CycleGAN.from_pretrained(DEMO, device="tpu")


def test_the_console_script_is_the_hub_command():
    from importlib.metadata import entry_points

    scripts = {e.name: e.value for e in entry_points(group="console_scripts") if e.name.startswith("animstyle")}
    assert scripts["animstyle"] == "hub.__main__:main"
    assert scripts["animstyle-cyclegan"] == "trainer.cyclegan:main"
    for script in ("animstyle-cyclegan", "animstyle-caae"):  # the commands users type, which load their objective
        command = next(e for e in entry_points(group="console_scripts") if e.name == script).load()
        with pytest.raises(SystemExit) as shown:
            command(["--help"])
        assert shown.value.code == 0
