"""The live webcam tab (space.webcam): its handler called directly, and a stream over HTTP
as the page sends it (JPEG data: URLs, one frame per answer) to `python app.py`."""

import base64
import io
import re

import gradio as gr
import httpx
import numpy as np
import pytest
from PIL import Image

from hub.temporal import warping_error
from space import models, ui, webcam
from tests.helpers import tiny_models
from tests.helpers.app_events import event_of, stream
from tests.helpers.media import camera_frames, jpeg_url


@pytest.fixture(scope="module")
def app_models():
    return models.AppModels(cyclegans=[models.LoadedModel("tiny", tiny_models.cyclegan(), "tests")],
                            caae=models.LoadedModel("tiny caae", tiny_models.caae(), "tests"))


def test_a_frame_comes_back_at_256_px_on_its_short_side_with_the_rate_after_two(app_models):
    first, second = camera_frames(2)
    out, state, rate = webcam.translate_stream_frame(app_models, first, "3d -> 2d", less_flicker=False)
    assert out.shape == (256, 341, 3) and out.dtype == np.uint8 and rate == "starting…"
    expected = np.asarray(app_models.cyclegans[0].model.translate(webcam.stream_frame(first), "3d -> 2d"))
    assert np.array_equal(out, expected)  # without the blend: the model's translation of the scaled frame
    _, same_state, rate = webcam.translate_stream_frame(app_models, second, "3d -> 2d", False, state)
    assert same_state is state and re.fullmatch(r"\d+\.\d frames per second", rate)
    small = np.zeros((120, 160, 3), np.uint8)  # a small camera's frame is not blown up
    assert webcam.translate_stream_frame(app_models, small, "3d -> 2d", False)[0].shape == (120, 160, 3)


def test_after_a_pause_the_stream_starts_afresh(app_models):
    first, second = camera_frames(2)
    _, state, _ = webcam.translate_stream_frame(app_models, first, "3d -> 2d", True)
    _, same, _ = webcam.translate_stream_frame(app_models, second, "3d -> 2d", True, state)
    assert same is state
    state.done[-1] -= webcam.NEW_STREAM_AFTER_S + 1  # the viewer stopped, then started again
    out, fresh, rate = webcam.translate_stream_frame(app_models, second, "3d -> 2d", True, state)
    assert fresh is not state and rate == "starting…"
    expected = np.asarray(app_models.cyclegans[0].model.translate(webcam.stream_frame(second), "3d -> 2d"))
    assert np.array_equal(out, expected)  # nothing blended across the pause


def test_less_flicker_blends_each_frame_with_the_last_along_the_motion(app_models):
    frames = camera_frames(3)
    cyclegan, blend, state = app_models.cyclegans[0].model, webcam.live_blend(), None
    for frame in frames:
        out, state, _ = webcam.translate_stream_frame(app_models, frame, "3d -> 2d", True, state)
        small = webcam.stream_frame(frame)
        expected = blend(small, np.asarray(cyclegan.translate(small, "3d -> 2d")))
        assert np.array_equal(out, expected)
    raw = np.asarray(cyclegan.translate(webcam.stream_frame(frames[-1]), "3d -> 2d"))
    assert not np.array_equal(out, raw)  # the blend did change the frame
    # Turned off mid-stream: the next frame is the bare translation, and on again starts afresh.
    off, state, _ = webcam.translate_stream_frame(app_models, frames[-1], "3d -> 2d", False, state)
    assert np.array_equal(off, raw) and state.blend is None


def test_the_live_blend_halves_the_flicker_of_a_flickering_pan():
    frames = [webcam.stream_frame(f) for f in camera_frames(12, step=4)]
    flicker = np.random.default_rng(3).normal(0, 8, size=(len(frames), 1, 1, 3))
    translated = [np.clip(255 - f.astype(float) + n, 0, 255).astype(np.uint8) for f, n in zip(frames, flicker)]
    blend = webcam.live_blend()
    steadied = [blend(f, t) for f, t in zip(frames, translated)]
    assert warping_error(frames, steadied) < 0.5 * warping_error(frames, translated)


def test_a_frame_that_is_not_a_picture_or_a_wrong_direction_is_a_message(app_models, tmp_path):
    broken = tmp_path / "frame.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    with pytest.raises(gr.Error, match="Cannot use this picture"):
        webcam.translate_stream_frame(app_models, str(broken), "3d -> 2d")
    with pytest.raises(gr.Error, match="direction must be one of"):
        webcam.translate_stream_frame(app_models, camera_frames(1)[0], "3d -> pixar")
    assert webcam.translate_stream_frame(app_models, None, "3d -> 2d") == (None, None, "")  # camera not on yet


def test_one_stream_runs_at_a_time_in_a_slot_of_its_own(app_models):
    demo = ui.build_demo(app_models)
    streams = [fn for fn in demo.fns.values() if fn.connection == "stream"]
    assert len(streams) == 1
    assert (streams[0].concurrency_id, streams[0].concurrency_limit, streams[0].time_limit) == (
        "webcam", 1, webcam.STREAM_SECONDS)  # the picture and video slots stay free, and a stream ends


def test_a_stream_over_http_answers_every_frame_and_a_bad_frame_ends_it_with_a_message(app_server):
    index, event = event_of(app_server, "webcam")
    assert (event["connection"], event["time_limit"]) == ("stream", webcam.STREAM_SECONDS)
    answers, _ = stream(app_server, index, [jpeg_url(f) for f in camera_frames(5)], ["3d -> 2d", True, None])
    assert [kind for kind, _ in answers] == ["data"] * 5
    for outputs in (answers[0][1], answers[-1][1]):
        picture = Image.open(io.BytesIO(httpx.get(outputs[0]["url"], timeout=30).content))
        assert picture.format == "JPEG" and picture.size == (341, 256)
    assert re.fullmatch(r"\d+\.\d frames per second", answers[-1][1][-1])

    broken = {"path": None, "url": "data:image/jpeg;base64," + base64.b64encode(b"not a jpeg").decode(),
              "meta": {"_type": "gradio.FileData"}}
    frames = [jpeg_url(f) for f in camera_frames(2)]
    answers, _ = stream(app_server, index, [frames[0], broken, frames[1]], ["3d -> 2d", True, None])
    assert answers[0][0] == "data" and answers[1][0] == "error" and "Cannot use this picture" in answers[1][1]
    assert len(answers) == 2  # the stream ended there
    assert [kind for kind, _ in stream(app_server, index, frames, ["3d -> 2d", False, None])[0]] == ["data"] * 2
