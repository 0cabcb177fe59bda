"""`python app.py` as a user starts it (no network, demo weights), driven over HTTP with
gradio_client and over MCP: the three endpoints, bad input that must not stop the server,
its console, and `gradio app.py`'s reload mode."""

import base64
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from space import payloads, ui
from tests.helpers.app_events import mcp
from tests.helpers.media import probe, write_audio_only, write_bad_pictures, write_clip

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server, verbose=False, download_files=True)


def test_the_three_endpoints_are_public(client):
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {
        "/translate", "/restyle", "/translate_video"}


@pytest.fixture(scope="module")
def served_here():
    """The models the server serves (the demo weights), loaded in this process."""
    from space.models import load_models
    return load_models()


def test_translate_an_example_both_ways(client, served_here):
    from space import handlers

    example = ui.EXAMPLES[0]
    picture = np.asarray(Image.open(example).convert("RGB"), np.int16)
    for direction in ["3d -> 2d", "2d -> 3d"]:
        out = np.asarray(Image.open(client.predict(handle_file(str(example)), direction, api_name="/translate")))
        assert out.shape == picture.shape and np.abs(out - picture).mean() > 10  # not the picture back
        # the served answer is the translation itself, pixel for pixel
        assert np.array_equal(out, np.asarray(handlers.translate_image(served_here, str(example), direction)))


def test_restyle_returns_the_picture_and_its_reconstruction(client):
    example = ui.EXAMPLES[0]
    caae = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/restyle"]
    names = [p["label"] for p in caae["parameters"] if p["component"] == "Slider" and p["parameter_name"] != "strength"]
    assert names[:6] == ["2d", "3d", "cel", "clay", "glossy", "watercolor"]  # medium, then studio, then movie
    weights = [1.0 if name in ("2d", "cel", "cel-desert") else 0.0 for name in names]
    restyled, reconstruction = client.predict(handle_file(str(example)), "3d / clay / clay-desert", *weights, 1.0,
                                              api_name="/restyle")
    assert Image.open(restyled).size == Image.open(reconstruction).size == Image.open(example).size
    restyled, reconstruction = (np.asarray(Image.open(p), np.int16) for p in (restyled, reconstruction))
    # the cel look differs from the picture's own style, which its reconstruction keeps
    picture = np.asarray(Image.open(example).convert("RGB"), np.int16)
    assert np.abs(restyled - reconstruction).mean() > 10 > np.abs(reconstruction - picture).mean()


def test_restyle_takes_its_weights_by_label_name(client):
    example = handle_file(str(ui.EXAMPLES[0]))
    by_name = client.predict(example, own_style="3d / clay / clay-desert", movie_cel_desert=0, movie_cel_dusk=1,
                             api_name="/restyle")
    params = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/restyle"]["parameters"]
    weights = [1.0 if p["parameter_name"] in ("medium_2d", "studio_cel", "movie_cel_dusk") else 0.0
               for p in params if p["parameter_name"] not in ("image", "own_style", "strength")]
    by_position = client.predict(example, "3d / clay / clay-desert", *weights, 1.0, api_name="/restyle")
    for named, positional in zip(by_name, by_position):
        assert np.array_equal(np.asarray(Image.open(named)), np.asarray(Image.open(positional)))


def test_the_endpoints_are_mcp_tools_that_describe_themselves(app_server, web_trap):
    picture = "data:image/jpeg;base64," + base64.b64encode(ui.EXAMPLES[0].read_bytes()).decode()
    tools, (translated, fetched) = mcp(app_server, ("translate", {"image": picture, "direction": "3d -> 2d"}),
                                       ("translate", {"image": "http://example.com/cat.png", "direction": "3d -> 2d"}))
    tools = {tool.name: tool for tool in tools}
    assert set(tools) == {"translate", "restyle", "translate_video"}
    assert tools["translate"].description.startswith("Translate a picture into another animation style")
    assert "'3d -> 2d', '2d -> 3d'" in tools["translate"].inputSchema["properties"]["direction"]["description"]
    assert {"medium_2d", "studio_cel", "strength"} <= set(tools["restyle"].inputSchema["properties"])
    assert not translated.isError
    image = next(item for item in translated.content if item.type == "image")  # and a text with its URL
    assert Image.open(io.BytesIO(base64.b64decode(image.data))).size == (256, 256)
    assert fetched.isError and payloads.NO_WEB_ADDRESSES in fetched.content[0].text
    assert web_trap.requests == []


def test_the_mcp_video_tool_takes_a_whole_number_of_frames_per_second(app_server, tmp_path):
    write_clip(tmp_path / "orbit.mp4", seconds=2.0, audio=False)
    clip = "data:video/mp4;base64," + base64.b64encode((tmp_path / "orbit.mp4").read_bytes()).decode()
    tools, (result,) = mcp(app_server, ("translate_video", {"video": clip, "direction": "3d -> 2d", "fps": 2}))
    fps = next(t for t in tools if t.name == "translate_video").inputSchema["properties"]["fps"]
    assert fps["type"] == "integer" and fps["enum"] == list(range(31))
    assert not result.isError, result.content
    url = re.search(r"https?://\S+?\.mp4", " ".join(getattr(item, "text", "") for item in result.content)).group(0)
    (tmp_path / "out.mp4").write_bytes(httpx.get(url, timeout=30).content)
    assert probe(tmp_path / "out.mp4").frames == 4  # 2 s at 2 frames a second


def test_user_errors_are_one_console_line_each_never_a_traceback(app_process, client, tmp_path):
    example = handle_file(str(ui.EXAMPLES[0]))
    (tmp_path / "notes.txt").write_text("not a picture")
    start = len(app_process.log.read_text())
    bad_calls = [
        ((example, "x -> y"), "/translate"),  # an unknown direction
        ((handle_file(str(tmp_path / "notes.txt")), "3d -> 2d"), "/translate"),  # not a picture
        ((handle_file(str(tmp_path / "notes.txt")), "3d -> 2d", 2), "/translate_video"),  # not a video
    ]
    for args, endpoint in bad_calls:
        with pytest.raises(AppError):
            client.predict(*args, api_name=endpoint)
    for kwargs in ({"strength": 5}, {"medium_2d": 7}, {"own_style": "nope"}):  # out of range, unknown
        with pytest.raises(AppError):
            client.predict(example, **{"own_style": "3d / clay / clay-desert", **kwargs}, api_name="/restyle")
    time.sleep(0.5)
    new = app_process.log.read_text()[start:]
    assert "Traceback" not in new and "Error" not in new.replace("AppError", ""), new[-3000:]
    assert [line.split(":")[0] for line in new.strip().splitlines()] == ["INFO refused"] * 6, new


def test_the_page_links_the_papers_offers_real_photos_and_shares_where_gradio_can(app_server):
    config = httpx.get(app_server + "config", timeout=10).json()
    text = json.dumps(config)
    for paper in ("arxiv.org/abs/1703.10593", "arxiv.org/abs/1702.08423", "arxiv.org/abs/1611.07004"):
        assert paper in text
    assert "trained by this project on synthetic toyworld scenes" in text  # the demo weights' limits
    assert "/coffee.jpg" in text and "/astronaut.jpg" in text  # examples beside the renders
    props = {c["props"].get("label"): c["props"] for c in config["components"] if "props" in c}
    assert "share" in props["Re-rendered"]["buttons"] and "share" in props["Translated"]["buttons"]


def test_a_busy_port_is_a_message_that_names_the_port_option():
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, capture_output=True,
                                text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr and "--port N" in result.stderr
    assert time.monotonic() - started < 60  # before any model loads


def test_the_console_shows_what_is_served_and_a_refusal_as_one_line(app_process, client, tmp_path):
    start = app_process.log.read_text()
    before_launch = start[:start.index("* Running on local URL")].splitlines()
    assert [line for line in before_launch if line.strip()] == [
        "INFO serving demo: cyclegan-toyworld-light from space/demo_models/cyclegan-toyworld-light"
        " (in this repository)",
        "INFO serving demo: cyclegan-toyworld from space/demo_models/cyclegan-toyworld (in this repository)",
        "INFO serving demo: caae-toyworld from space/demo_models/caae-toyworld (in this repository)"]
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(AppError, match="notes.png is not an image Pillow can read"):
        client.predict(handle_file(str(tmp_path / "notes.png")), "3d -> 2d", api_name="/translate")
    time.sleep(0.5)
    new = app_process.log.read_text()[len(start):]
    assert new.strip() == "INFO refused: Cannot use this picture: notes.png is not an image Pillow can read"


@pytest.mark.slow
def test_gradio_reload_mode_serves_the_app_and_reloads_a_change(tmp_path):
    # `gradio app.py` watches the app's folder: a copy of app.py alone, the packages from ROOT.
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    gradio = [sys.executable, "-c", "from gradio.cli import cli; cli()", "app.py"]
    with open(tmp_path / "log.txt", "w") as log:
        # its own process group: the gradio command runs the app as a child process
        process = subprocess.Popen(gradio, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        assert wait_for(lambda: httpx.get(url + "config", timeout=5).json()["title"] == "animation-style"), \
            (tmp_path / "log.txt").read_text()[-2000:]
        time.sleep(2)  # the watcher takes the files' times after its first run of the file
        with open(tmp_path / "app.py", "a") as app:
            app.write('\ndemo.title = "changed"\n')
        assert wait_for(lambda: httpx.get(url + "config", timeout=5).json()["title"] == "changed"), \
            (tmp_path / "log.txt").read_text()[-2000:]
        assert "Changes detected in" in (tmp_path / "log.txt").read_text()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(1)
    return False


def test_translate_video_with_audio_at_2_fps(client, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", seconds=3.0, fps=10)
    out = client.predict(handle_file(str(clip)), "3d -> 2d", 2, api_name="/translate_video")
    out = out["video"] if isinstance(out, dict) else out
    result = probe(out)
    assert result.streams == [("video", "h264"), ("audio", "aac")] and result.pix_fmt == "yuv420p"
    assert result.frames == 6 and result.faststart  # 3 s x 2 fps


def test_a_gif_goes_through_the_video_tab(client, tmp_path):
    from tests.helpers.media import write_gif
    out = client.predict(handle_file(str(write_gif(tmp_path / "a.gif", frames=5))), "2d -> 3d", 5,
                         "demo: cyclegan-toyworld", False, api_name="/translate_video")  # less flicker: off
    out = out["video"] if isinstance(out, dict) else out
    assert probe(out).frames == 5


@pytest.mark.parametrize("case, message", [
    ("not an image", "not-an-image.png is not an image Pillow can read"),
    ("zero-byte", "zero-byte.jpg is not an image Pillow can read"),
    ("truncated JPEG", "truncated-JPEG.jpg could not be decoded, it is truncated or damaged"),
    ("over the pixel limit", "huge.png claims 400,000,000 pixels, over the limit of 50,000,000$"),  # one limit
])
def test_bad_pictures_get_a_message_and_the_server_keeps_serving(client, tmp_path, case, message):
    bad = write_bad_pictures(tmp_path)[case]
    with pytest.raises(AppError, match=message):
        client.predict(handle_file(str(bad)), "3d -> 2d", api_name="/translate")
    out = client.predict(handle_file(str(ui.EXAMPLES[0])), "3d -> 2d", api_name="/translate")
    assert Image.open(out).size == (256, 256)


@pytest.mark.parametrize("case, message", [
    ("no video stream", "Cannot translate this video: sound.mp4 has no video stream"),
    ("corrupt", r"Cannot translate this video: corrupt.mp4 is not a video that can be read \(Invalid data found "
                r"when processing input\)$"),  # FFmpeg's words, without its errno or the server's path
    ("longer than the cap", "over the 8 s limit"),
])
def test_bad_videos_get_a_message(client, tmp_path, case, message):
    if case == "no video stream":
        path = write_audio_only(tmp_path / "sound.mp4")
    elif case == "corrupt":
        path = tmp_path / "corrupt.mp4"
        path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    else:
        path = write_clip(tmp_path / "long.mp4", seconds=9.0, fps=5, audio=False)
    with pytest.raises(AppError, match=message):
        client.predict(handle_file(str(path)), "3d -> 2d", 2, api_name="/translate_video")


def test_an_upload_over_the_limit_is_refused(client, tmp_path):
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * 3_000_000)  # over the server's 2 MB limit
    with pytest.raises(Exception, match="(?i)file.*(large|size|exceed)"):
        client.predict(handle_file(str(big)), "3d -> 2d", 2, api_name="/translate_video")


def test_the_example_orbit_video_with_all_frames(client):
    example = ui.VIDEO_EXAMPLES[0]
    out = client.predict(handle_file(str(example)), "3d -> 2d", 0, api_name="/translate_video")
    result = probe(out["video"] if isinstance(out, dict) else out)
    assert result.frames == 61 and result.rate == 10 and (result.width, result.height) == (192, 192)
