"""`python app.py` as a user starts it (no network, demo weights), driven over HTTP with
gradio_client: the three endpoints, and bad input that must not stop the server."""

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from media import probe, write_audio_only, write_bad_pictures, write_clip
from PIL import Image

from space import ui


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server, verbose=False, download_files=True)


def test_the_three_endpoints_are_public(client):
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {
        "/translate", "/restyle", "/translate_video"}


def test_translate_an_example_both_ways(client):
    example = ui.EXAMPLES[0]
    for direction in ["3d -> 2d", "2d -> 3d"]:
        out = client.predict(handle_file(str(example)), direction, api_name="/translate")
        assert Image.open(out).size == Image.open(example).size


def test_restyle_returns_the_picture_and_its_reconstruction(client):
    example = ui.EXAMPLES[0]
    caae = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/restyle"]
    names = [p["label"] for p in caae["parameters"] if p["component"] == "Slider"]
    assert names[:6] == ["2d", "3d", "cel", "clay", "glossy", "watercolor"]  # medium, then studio, then movie
    weights = [1.0 if name in ("2d", "cel", "cel-desert") else 0.0 for name in names]
    restyled, reconstruction = client.predict(handle_file(str(example)), "3d / clay / clay-desert", *weights,
                                              api_name="/restyle")
    assert Image.open(restyled).size == Image.open(reconstruction).size == Image.open(example).size


def test_translate_video_with_audio_at_2_fps(client, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", seconds=3.0, fps=10)
    out = client.predict(handle_file(str(clip)), "3d -> 2d", 2, api_name="/translate_video")
    out = out["video"] if isinstance(out, dict) else out
    result = probe(out)
    assert result.streams == [("video", "h264"), ("audio", "aac")] and result.pix_fmt == "yuv420p"
    assert result.frames == 6 and result.faststart  # 3 s x 2 fps


def test_a_gif_goes_through_the_video_tab(client, tmp_path):
    from media import write_gif
    out = client.predict(handle_file(str(write_gif(tmp_path / "a.gif", frames=5))), "2d -> 3d", 5,
                         "demo: cyclegan-toyworld", False, api_name="/translate_video")  # less flicker: off
    out = out["video"] if isinstance(out, dict) else out
    assert probe(out).frames == 5


@pytest.mark.parametrize("case, message", [
    ("not an image", "not-an-image.png is not an image Pillow can read"),
    ("zero-byte", "zero-byte.jpg is not an image Pillow can read"),
    ("truncated JPEG", "truncated-JPEG.jpg could not be decoded, it is truncated or damaged"),
    ("over the pixel limit", "huge.png is over the limit of 50,000,000 pixels"),
])
def test_bad_pictures_get_a_message_and_the_server_keeps_serving(client, tmp_path, case, message):
    bad = write_bad_pictures(tmp_path)[case]
    with pytest.raises(AppError, match=message):
        client.predict(handle_file(str(bad)), "3d -> 2d", api_name="/translate")
    out = client.predict(handle_file(str(ui.EXAMPLES[0])), "3d -> 2d", api_name="/translate")
    assert Image.open(out).size == (256, 256)


@pytest.mark.parametrize("case, message", [
    ("no video stream", "Cannot translate this video: sound.mp4 has no video stream"),
    ("corrupt", "Cannot translate this video: corrupt.mp4 is not a video that can be read"),
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
