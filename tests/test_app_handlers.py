"""The app's handlers called directly (space.handlers), model loading with its fallback to
the demo weights (space.models), and the About text."""

import dataclasses

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from hub import video
from space import handlers, models, ui
from tests.helpers import tiny_models
from tests.helpers.media import (note_every_video, probe, write_audio_only, write_bad_pictures, write_clip,
                                 write_odd_pictures)


@pytest.fixture(scope="module")
def app_models():
    return models.AppModels(cyclegans=[models.LoadedModel("tiny", tiny_models.cyclegan(), "tests")],
                            caae=models.LoadedModel("tiny caae", tiny_models.caae(), "tests"))


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    return {**write_bad_pictures(folder / "bad"), **write_odd_pictures(folder / "odd")}


def test_translate_returns_the_input_size_for_every_picture_mode(app_models, pictures):
    for name in ["16-bit grayscale", "CMYK", "RGBA", "grayscale", "animated GIF"]:
        out = handlers.translate_image(app_models, str(pictures[name]), "3d -> 2d")
        assert isinstance(out, Image.Image) and out.size == (50, 30), name


def test_both_directions_by_name_and_a_wrong_one_is_a_message(app_models, pictures):
    path = str(pictures["RGBA"])
    a2b = np.asarray(handlers.translate_image(app_models, path, "3d -> 2d"))
    b2a = np.asarray(handlers.translate_image(app_models, path, "2d -> 3d"))
    assert not np.array_equal(a2b, b2a)  # two different generators ran
    with pytest.raises(gr.Error, match="direction must be one of"):
        handlers.translate_image(app_models, path, "3d -> pixar")


def test_a_larger_network_size_gives_more_detail_at_the_same_output_size(app_models, pictures):
    path = str(pictures["RGBA"])
    small = handlers.translate_image(app_models, path, "3d -> 2d", size=32)
    large = handlers.translate_image(app_models, path, "3d -> 2d", size=64)
    assert small.size == large.size == (50, 30)
    assert not np.array_equal(np.asarray(small), np.asarray(large))
    # the tiny model trains at 32 px: the Detail slider's top is 8 x 32
    for size in [257, 8, "abc", float("nan")]:
        with pytest.raises(gr.Error, match="size must be a number of pixels from 16 to 256"):
            handlers.translate_image(app_models, path, "3d -> 2d", size=size)


def test_thin_pictures_keep_their_size(app_models, tmp_path):
    caae = app_models.caae.model
    weights = dict(zip(caae.label_names, handlers.style_weights(caae, "2d / cel")))
    for shape in [(1, 1000), (12000, 1)]:
        path = tmp_path / f"{shape[0]}x{shape[1]}.png"
        Image.fromarray(np.full((*shape, 3), 90, np.uint8)).save(path)
        assert handlers.translate_image(app_models, str(path), "3d -> 2d", size=256).size == shape[::-1]
        assert [out.size for out in handlers.restyle(app_models, str(path), weights, "2d / cel")] == [shape[::-1]] * 2


def test_messages_name_an_upload_by_its_file_name_only(app_models, pictures):
    with pytest.raises(gr.Error) as error:
        handlers.translate_image(app_models, str(pictures["not an image"]), "3d -> 2d")
    assert str(pictures["not an image"].parent) not in str(error.value)
    assert pictures["not an image"].name in str(error.value)


@pytest.mark.parametrize("name, message", [
    ("not an image", "is not an image Pillow can read"),
    ("zero-byte", "is not an image Pillow can read"),
    ("truncated JPEG", "truncated"),
    ("over the pixel limit", "over the limit"),
])
def test_bad_pictures_are_messages(app_models, pictures, name, message):
    with pytest.raises(gr.Error, match=message):
        handlers.translate_image(app_models, str(pictures[name]), "3d -> 2d")
    with pytest.raises(gr.Error, match=message):
        handlers.restyle(app_models, str(pictures[name]), {"medium=2d": 1, "studio=cel": 1}, None)


def test_no_picture_is_a_message(app_models):
    with pytest.raises(gr.Error, match="Upload, paste or take a picture first"):
        handlers.translate_image(app_models, None, "3d -> 2d")


def test_sliders_set_the_style_and_the_reconstruction_uses_the_own_style(app_models, pictures):
    caae = app_models.caae.model
    names = handlers.style_names(caae)
    assert names == ["2d / cel", "3d / clay"]
    weights = dict(zip(caae.label_names, handlers.style_weights(caae, "2d / cel")))
    assert weights == {"medium=2d": 1, "medium=3d": 0, "studio=cel": 1, "studio=clay": 0, "studio=pixel": 0}
    path = str(pictures["RGBA"])
    restyled, reconstruction = handlers.restyle(app_models, path, weights, "3d / clay")
    assert restyled.size == reconstruction.size == (50, 30)
    other = handlers.restyle(app_models, path, {**weights, "studio=cel": 0, "studio=pixel": 1}, "3d / clay")[0]
    assert not np.array_equal(np.asarray(restyled), np.asarray(other))  # the slider changed the picture
    # A group at all-zero takes the even blend of its values, as the library does for a group left out.
    no_studio = handlers.restyle(app_models, path, {**weights, "studio=cel": 0}, "3d / clay")[0]
    even = caae.restyle(path, {"medium=2d": 1, "medium=3d": 0})
    assert np.array_equal(np.asarray(no_studio), np.asarray(even))
    everything_zero = handlers.restyle(app_models, path, dict.fromkeys(weights, 0), "3d / clay")[0]
    assert np.array_equal(np.asarray(everything_zero), np.asarray(caae.restyle(path, caae.label_space.weighted({}))))
    with pytest.raises(gr.Error, match="unknown style '3d / pixel'; this model knows: 2d / cel, 3d / clay"):
        handlers.restyle(app_models, path, weights, "3d / pixel")
    for bad in ["abc", None, 2]:
        with pytest.raises(gr.Error, match=f"the weight of studio=cel must be a number from 0 to 1, got {bad!r}"):
            handlers.restyle(app_models, path, {**weights, "studio=cel": bad}, "3d / clay")


def test_strength_runs_from_the_picture_to_the_full_style(app_models, pictures):
    path = str(pictures["RGBA"])
    picture = handlers.read_picture(path).astype(float)
    full = np.asarray(handlers.translate_image(app_models, path, "3d -> 2d"), float)
    assert np.array_equal(np.asarray(handlers.translate_image(app_models, path, "3d -> 2d", strength=1)), full)
    assert np.array_equal(np.asarray(handlers.translate_image(app_models, path, "3d -> 2d", strength=0)), picture)
    half = np.asarray(handlers.translate_image(app_models, path, "3d -> 2d", strength=0.5), float)
    assert np.abs(half - (picture + full) / 2).max() <= 1  # a blend, rounded
    caae = app_models.caae.model
    target = dict(zip(caae.label_names, handlers.style_weights(caae, "2d / cel")))
    own_style = handlers.restyle(app_models, path, target, "3d / clay", strength=0)
    assert np.array_equal(np.asarray(own_style[0]), np.asarray(own_style[1]))  # strength 0: its own style
    mixed = handlers.restyle(app_models, path, target, "3d / clay", strength=0.25)[0]
    expected = caae.restyle(path, 0.75 * caae.label_vector({"medium": "3d", "studio": "clay"})
                            + 0.25 * caae.label_vector(target))
    assert np.array_equal(np.asarray(mixed), np.asarray(expected))
    for bad in [-0.1, 1.5, "abc"]:
        with pytest.raises(gr.Error, match=f"strength must be a number from 0 to 1, got {bad!r}"):
            handlers.translate_image(app_models, path, "3d -> 2d", strength=bad)


def test_the_detail_size_starts_where_a_picture_looks_right(tmp_path):
    for shape, training_size, expected in [((427, 640), 64, 256), ((100, 50), 64, 64), ((200, 300), 64, 192),
                                           ((427, 640), 128, 256), ((90, 90), 128, 128), ((900, 900), 512, 512)]:
        path = tmp_path / f"{shape}.png"
        Image.new("RGB", shape[::-1]).save(path)
        assert handlers.detail_size(str(path), training_size) == expected, (shape, training_size)
    assert handlers.detail_size(None, 64) == 256


def test_the_detail_size_reads_the_header_not_the_pixels(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (3000, 2000), (200, 10, 10)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])  # the pixels are cut off; the header says 3000 x 2000
    with pytest.raises(gr.Error, match="truncated or damaged"):
        handlers.read_picture(str(path))
    assert handlers.detail_size(str(path), 64) == 256
    turned = tmp_path / "turned.jpg"  # stored 400 x 200, shown 200 x 400 (EXIF orientation 6)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (400, 200)).save(turned, exif=exif)
    assert handlers.picture_size(str(turned)) == (200, 400)
    assert handlers.detail_size(str(turned), 64) == 192


def test_every_event_that_decodes_a_picture_shares_the_image_limit(app_models):
    # Each event with a picture, a clip or an example to decode runs in the "images" slots
    # (IMAGE_JOBS at once), a video translation in the one "video" slot, and the live
    # webcam in the one "webcam" slot (a stream holds it while it runs, so it must not take
    # a picture slot): none has a queue of its own where a mix of events would decode more
    # pictures at once.
    demo = ui.build_demo(app_models)
    media = (gr.Image, gr.File, gr.ImageSlider, gr.Video, gr.Dataset)
    decoding = [fn for fn in demo.fns.values()
                if fn.fn is not None and fn.queue and any(isinstance(block, media) for block in fn.inputs)]
    assert len(decoding) >= 12
    shares = {(fn.concurrency_id, fn.concurrency_limit) for fn in decoding}
    assert shares == {("images", ui.IMAGE_JOBS), ("video", 1), ("webcam", 1)}, [
        (fn.name, fn.concurrency_id) for fn in decoding]
    videos = sorted(fn.name for fn in decoding if fn.concurrency_id == "video")
    assert videos == ["load_example_output", "translate_video"], videos
    assert [fn.name for fn in decoding if fn.concurrency_id == "webcam"] == ["translate_frame"]


def test_a_clip_is_previewed_before_it_is_translated(tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", seconds=2.0, fps=10, width=48, height=32)
    first, facts = handlers.video_preview(str(clip), fps=2)
    assert first.size == (48, 32)
    assert facts == "2.0 s, 10 fps, 48x32, with sound: 4 frames to translate at the chosen rate"
    assert handlers.video_preview(str(clip), fps=handlers.ALL_FRAMES)[1].endswith(": 20 frames to translate at the "
                                                                                    "chosen rate")
    with pytest.raises(gr.Error, match="Cannot translate this video: notes.txt"):
        (tmp_path / "notes.txt").write_text("not a video")
        handlers.video_preview(str(tmp_path / "notes.txt"))


def test_restyle_parameters_are_named_after_the_labels(app_models):
    assert ui.api_label_names(app_models.caae.model) == ["medium_2d", "medium_3d", "studio_cel", "studio_clay",
                                                         "studio_pixel"]


def test_video_handler_writes_a_playable_mp4_and_reports_progress(app_models, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", seconds=2.0, fps=10)
    calls = []

    def progress(value, desc=None, unit=None):
        calls.append((value, desc, unit))

    out = handlers.translate_video(app_models, str(clip), "3d -> 2d", 2, tmp_path / "out", progress=progress)
    result = probe(out)
    assert result.streams == [("video", "h264"), ("audio", "aac")] and result.frames == 4
    assert calls[-1][0] == (4, 4) and calls[-1][2] == "frames" and "s left" in calls[-1][1]


def test_what_a_video_lost_on_the_way_is_shown_as_a_warning(app_models, tmp_path, monkeypatch):
    clip = write_clip(tmp_path / "clip.mp4", seconds=1.0, fps=10, audio=False)
    note_every_video(monkeypatch, "its sound track is damaged after 0.4 s, so the sound stops there")
    with pytest.warns(UserWarning, match=r"^Note: its sound track is damaged after 0.4 s, so the sound stops there.$"):
        out = handlers.translate_video(app_models, str(clip), "3d -> 2d", 2, tmp_path / "out")
    assert probe(out).frames == 2  # and the video is there


def test_the_less_flicker_checkbox_reaches_the_video_pipeline(app_models, tmp_path, monkeypatch):
    # what the temporal mode does to the frames is tested in test_video.py and test_temporal.py
    clip = write_clip(tmp_path / "clip.mp4", seconds=1.0, fps=10, audio=False)
    seen, real = [], video.translate_video
    monkeypatch.setattr(video, "translate_video", lambda *a, **k: seen.append(k["temporal"]) or real(*a, **k))
    for temporal in (False, True):
        out = handlers.translate_video(app_models, str(clip), "3d -> 2d", 0, tmp_path / f"out-{temporal}",
                                       temporal=temporal)
        assert probe(out).frames == 10
    handlers.translate_video(app_models, str(clip), "3d -> 2d", 0, tmp_path / "default")
    assert seen == [False, True, True]  # on unless turned off


@pytest.mark.parametrize("fps", [0, 1, 30])
def test_video_rates_from_the_dropdown(app_models, tmp_path, fps):
    clip = write_clip(tmp_path / "clip.mp4", seconds=1.0, fps=10, audio=False)
    out = handlers.translate_video(app_models, str(clip), "2d -> 3d", fps, tmp_path / "out")
    assert probe(out).frames == {0: 10, 1: 1, 30: 30}[fps]


@pytest.mark.parametrize("case, message", [
    ("audio only", "has no video stream"),
    ("corrupt", "is not a video that can be read"),
    ("too long", "over the 1.5 s limit"),
    ("none", "Upload a video or a GIF first"),
    ("fps 31", "fps must be from 1 to 30"),
    ("fps text", "fps must be a whole number"),
    ("all frames of 200 fps", "at 200 frames per second this 1.0 s video makes 200 frames, over the limit of 45"),
])
def test_bad_videos_are_messages(app_models, tmp_path, case, message):
    clip = write_clip(tmp_path / "clip.mp4", seconds=2.0, fps=5, audio=False)
    (tmp_path / "corrupt.mp4").write_bytes(clip.read_bytes()[:300])
    fast = write_clip(tmp_path / "fast.mp4", seconds=1.0, fps=200, width=32, height=32, audio=False) \
        if case == "all frames of 200 fps" else None
    path, fps = {"audio only": (write_audio_only(tmp_path / "a.m4a"), 2), "corrupt": (tmp_path / "corrupt.mp4", 2),
                 "too long": (clip, 2), "none": (None, 2), "fps 31": (clip, 31), "fps text": (clip, "two"),
                 "all frames of 200 fps": (fast, handlers.ALL_FRAMES)}[case]
    with pytest.raises(gr.Error, match=message):
        handlers.translate_video(app_models, path and str(path), "3d -> 2d", fps, tmp_path / "out",
                                 limits=handlers.VideoLimits(seconds=1.5))
    assert not list((tmp_path / "out").glob("*.mp4")) if (tmp_path / "out").exists() else True


def test_a_video_job_over_its_time_budget_stops_with_a_message_and_no_output(app_models, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", seconds=2.0, fps=10, audio=False)
    with pytest.raises(gr.Error, match="took longer than the 0.01 s limit of one job"):
        handlers.translate_video(app_models, str(clip), "3d -> 2d", 10, tmp_path / "out",
                                 limits=handlers.VideoLimits(job_seconds=0.01))
    assert not list((tmp_path / "out").glob("*.mp4"))


def test_no_configuration_serves_the_demo_weights():
    loaded = models.load_models()
    assert [m.demo for m in loaded.all] == [True, True, True] and loaded.notices == []
    # the light student first (the default choice), then the U-Net it learned from
    assert [m.name for m in loaded.cyclegans] == ["demo: cyclegan-toyworld-light", "demo: cyclegan-toyworld"]
    assert [m.model.config["generator"] for m in loaded.cyclegans] == ["light", "unet"]
    assert [d.name for d in loaded.cyclegans[0].model.directions.values()] == ["3d -> 2d", "2d -> 3d"]
    assert {"medium", "studio"} <= set(loaded.caae.model.label_space.tags)
    # an example shipped with the app goes through the demo CycleGAN at its own size
    example = ui.EXAMPLES[0]
    out = handlers.translate_image(loaded, str(example), "3d -> 2d")
    assert out.size == Image.open(example).size
    with pytest.raises(gr.Error, match="No model named 'demo: x'; loaded: demo: cyclegan-toyworld-light, demo: "):
        handlers.translate_image(loaded, str(example), "3d -> 2d", "demo: x")
    # the About tab gives the demo cards' style and flicker numbers
    facts = loaded.cyclegans[0].facts
    assert facts["3d -> 2d, judged 2d by a style classifier"].startswith("98% (identity 2%")
    assert facts["3d -> 2d, outlines where the targets draw them (F1)"] == (
        "0.44 (identity 0.26, the targets themselves 0.94)")
    assert facts["flat fills (grain smoothed away)"] == "3d -> 2d"
    assert facts["video flicker, 3d -> 2d"] == 'warping error 54% lower with "Less flicker"'
    assert loaded.cyclegans[1].facts["3d -> 2d, outlines where the targets draw them (F1)"] == (
        "0.48 (identity 0.26, the targets themselves 0.94)")


def test_the_demo_notice_gives_the_demo_weights_own_sizes(app_models):
    assert "Demo weights" not in ui._notice(app_models)
    cyclegan, caae = app_models.cyclegans[0], app_models.caae
    as_demo = models.AppModels([dataclasses.replace(cyclegan, demo=True)], dataclasses.replace(caae, demo=True))
    sizes = sorted({cyclegan.model.config["image_size"], caae.model.config["image_size"]})
    assert f"synthetic toyworld scenes ({' and '.join(map(str, sizes))} px" in ui._notice(as_demo)


def test_an_unreachable_repo_falls_back_to_the_demo_weights_and_says_so(fake_hub):
    loaded = models.load_models(["nobody/not-there"], "nobody/no-caae")
    assert [m.demo for m in loaded.all] == [True, True, True]
    assert len(loaded.notices) == 2 and "nobody/not-there" in loaded.notices[0]
    assert "serving the demo weights instead" in ui.about_markdown(loaded)


@pytest.mark.slow
def test_hub_repos_and_folders_load_with_their_revision(fake_hub, tmp_path):
    tiny_models.without_onnx(tiny_models.cyclegan()).push_to_hub("ana/toy")  # loaded with Keras below
    tiny_models.without_onnx(tiny_models.cyclegan(seed=1)).save_pretrained(tmp_path / "mine")
    loaded = models.load_models(["ana/toy", str(tmp_path / "mine"), "ana/toy"], runtime="keras")
    assert [m.name for m in loaded.cyclegans] == ["ana/toy", "mine", "ana/toy (2)"]
    sha = fake_hub.repos["ana/toy"]["commits"][-1][0]
    assert loaded.cyclegans[0].revision == sha and loaded.notices == []
    about = ui.about_markdown(loaded)
    assert f"ana/toy @ `{sha}`" in about and "demo" in about  # the CAAE is still the demo
