"""hub.video: sampling at a rate, re-stitching as browser-playable H.264 with the audio
kept, upright phone videos, bounded memory, and clear errors for unusable files."""

import threading
import time

import av
import numpy as np
import pytest

from hub import video
from hub.errors import VideoError
from hub.temporal import warping_error
from tests.helpers.media import frame_picture, probe, write_audio_only, write_clip, write_gif, write_growing_stream


def invert(frames):
    return [255 - frame for frame in frames]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", seconds=3.0, fps=10)


def test_sampled_at_2_fps_restitched_as_h264_with_the_audio(clip, tmp_path):
    out = tmp_path / "out.mp4"
    calls = []
    info = video.translate_video(clip, out, invert, fps=2, progress=lambda *a: calls.append(a))
    assert (info.duration, info.has_audio) == (3.0, True)
    result = probe(out)
    assert result.streams == [("video", "h264"), ("audio", "aac")]
    assert result.pix_fmt == "yuv420p" and result.faststart
    assert result.frames == 6 and result.rate == 2  # duration x fps
    assert result.duration == pytest.approx(3.0, abs=0.1)
    # the frames went through the translator: the first is the inverse of the source's first
    expected = 255 - frame_picture(0, 96, 64).astype(int)
    assert np.abs(result.first_frame.astype(int) - expected).mean() < 12
    assert calls[-1][:2] == (6, 6) and all(done <= total for done, total, _ in calls)


def test_a_sound_track_damaged_midway_is_kept_up_to_the_damage_and_noted(clip, tmp_path, monkeypatch):
    resampler = av.AudioResampler

    class DamagedAfterOneSecond:  # the decoder's error, raised at the 1 s mark
        def __init__(self, **options):
            self.resampler = resampler(**options)

        def resample(self, frame):
            if frame is not None and frame.time >= 1.0:
                raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")
            return self.resampler.resample(frame)

    assert video.translate_video(clip, tmp_path / "whole.mp4", invert, fps=2).notes == []
    monkeypatch.setattr(video.av, "AudioResampler", DamagedAfterOneSecond)
    info = video.translate_video(clip, tmp_path / "out.mp4", invert, fps=2)
    assert info.notes == ["its sound track is damaged after 1.0 s, so the sound stops there"]
    with av.open(str(tmp_path / "out.mp4")) as out:
        sound = out.streams.audio[0]
        assert float(sound.duration * sound.time_base) == pytest.approx(1.0, abs=0.1)
    assert probe(tmp_path / "out.mp4").frames == 6  # the pictures are all there


@pytest.mark.parametrize("fps, frames", [(1, 3), (5, 15), (None, 30)])  # None: every frame
def test_the_rate_sets_the_frame_count(clip, tmp_path, fps, frames):
    out = tmp_path / "out.mp4"
    video.translate_video(clip, out, invert, fps=fps)
    result = probe(out)
    assert result.frames == frames
    assert result.duration == pytest.approx(3.0, abs=0.15)


def test_no_audio_in_no_audio_out(tmp_path):
    source = write_clip(tmp_path / "silent.mp4", seconds=1.0, audio=False)
    video.translate_video(source, tmp_path / "out.mp4", invert)
    assert probe(tmp_path / "out.mp4").streams == [("video", "h264")]


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_phone_videos_come_out_upright(tmp_path, rotation):
    # Stored as the sensor saw it; the display matrix says how to turn it to view it.
    source = write_clip(tmp_path / "phone.mp4", seconds=1.0, width=96, height=64, rotation=rotation)
    upright = np.rot90(frame_picture(0, 96, 64), round(rotation / 90))
    first = next(video.sample_frames(source, fps=2))
    assert first.shape == upright.shape
    assert np.abs(first.astype(int) - upright).mean() < 12
    video.translate_video(source, tmp_path / "out.mp4", invert)
    result = probe(tmp_path / "out.mp4")
    assert (result.height, result.width) == upright.shape[:2]


def test_a_sound_track_longer_than_the_pictures_is_cut_not_refused(tmp_path):
    # Matroska keeps no per-stream length; the container's 4 s is the sound's.
    source = write_clip(tmp_path / "long-sound.mkv", seconds=2.0, audio_seconds=4.0)
    video.translate_video(source, tmp_path / "out.mp4", invert)
    result = probe(tmp_path / "out.mp4")
    assert result.frames == 4 and result.duration == pytest.approx(2.0, abs=0.1)
    assert result.streams == [("video", "h264"), ("audio", "aac")]


def test_odd_frame_sizes_become_even(tmp_path):
    source = write_clip(tmp_path / "odd.mkv", seconds=1.0, width=97, height=65, audio=False, codec="ffv1")
    video.translate_video(source, tmp_path / "out.mp4", invert)
    result = probe(tmp_path / "out.mp4")
    assert (result.width % 2, result.height % 2) == (0, 0)
    assert abs(result.width - 97) <= 1 and abs(result.height - 65) <= 1


def test_large_frames_are_scaled_down_and_batches_stay_small(tmp_path):
    source = write_clip(tmp_path / "big.mp4", seconds=2.0, fps=5, width=640, height=360, audio=False)
    sizes = []

    def record(frames):
        sizes.append(len(frames))
        return frames

    video.translate_video(source, tmp_path / "out.mp4", record, fps=5, max_side=320, batch_size=4)
    result = probe(tmp_path / "out.mp4")
    assert (result.width, result.height) == (320, 180)
    assert max(sizes) == 4 and sum(sizes) == 10


def test_frames_are_decoded_ahead_in_order_and_a_decoding_error_comes_after_the_good_frames():
    closed = []

    def frames(fail_after=None):
        try:
            for i in range(10):
                if i == fail_after:
                    raise VideoError(f"damaged after frame {i}")
                yield i
        finally:
            closed.append(True)

    assert list(video.prefetched(frames(), depth=3)) == list(range(10))
    seen = []
    with pytest.raises(VideoError, match="damaged after frame 6"):
        for i in video.prefetched(frames(fail_after=6), depth=3):
            seen.append(i)
    assert seen == list(range(6))
    early = video.prefetched(frames(), depth=3)
    assert next(early) == 0
    early.close()  # the caller stops (an error of its own): the decoder's file is closed
    assert closed == [True, True, True]
    assert not [t for t in threading.enumerate() if t.name == "video-decoder"]


def test_an_encoding_error_stops_the_job_and_leaves_no_output(tmp_path):
    source = write_clip(tmp_path / "in.mp4", seconds=2.0, fps=5, width=96, height=64, audio=False)

    def grey(frames):  # frames the encoder cannot take: its error, raised in its thread, reaches here
        return [np.zeros((64, 96), np.uint8) for _ in frames]

    with pytest.raises(ValueError, match="ndim `3`"):
        video.translate_video(source, tmp_path / "out.mp4", grey, fps=5, batch_size=2)
    assert not (tmp_path / "out.mp4").exists()
    assert not [t for t in threading.enumerate() if t.name.startswith(("video-decoder", "video-encoder"))]


def test_an_animated_gif_is_a_video(tmp_path):
    source = write_gif(tmp_path / "anim.gif", frames=6, duration_ms=200)  # 1.2 s
    video.translate_video(source, tmp_path / "out.mp4", invert, fps=5)
    result = probe(tmp_path / "out.mp4")
    assert result.frames == 6 and result.streams == [("video", "h264")]


def test_too_long_is_refused_before_any_work(clip, tmp_path):
    called = []
    with pytest.raises(VideoError, match="over the 2 s limit"):
        video.translate_video(clip, tmp_path / "out.mp4", lambda f: called.append(f) or f, max_seconds=2)
    assert not called and not list(tmp_path.iterdir())


def test_too_many_frames_are_refused_before_any_work_and_a_lying_header_while_decoding(clip, tmp_path, monkeypatch):
    called = []
    with pytest.raises(VideoError, match="at 10 frames per second this 3.0 s video makes 30 frames, over the limit "
                                         "of 20; choose a lower frame rate"):
        video.translate_video(clip, tmp_path / "out.mp4", lambda f: called.append(f) or f, fps=None, max_frames=20)
    assert not called and not list(tmp_path.iterdir())
    # a header that understates the length: the count while decoding stops it
    with pytest.raises(VideoError, match="gives more than 20 frames at this rate"):
        list(video.sample_frames(clip, fps=None, max_frames=20))


def test_a_job_past_its_time_budget_stops_and_leaves_no_output(clip, tmp_path):
    def slow(frames):
        time.sleep(0.3)
        return frames
    with pytest.raises(VideoError, match="took longer than the 0.2 s limit of one job") as stopped:
        video.translate_video(clip, tmp_path / "out.mp4", slow, fps=10, batch_size=2, time_budget=0.2)
    assert not list(tmp_path.iterdir())
    assert stopped.tb is not None  # while the error is still held, the decoder has already stopped
    assert not [t for t in threading.enumerate() if t.name.startswith(("video-decoder", "video-encoder"))]


def test_frames_over_the_pixel_limit_are_refused_before_decoding(clip, monkeypatch):
    monkeypatch.setattr(video, "MAX_SOURCE_PIXELS", 96 * 64 - 1)
    with pytest.raises(VideoError, match="frames of 96 x 64 are over the limit of 6,143 pixels"):
        video.probe(clip)


def test_frames_that_outgrow_their_header_stop_the_job_and_write_nothing(tmp_path, monkeypatch):
    # The header says 16 x 16; after 10 frames the stream switches to 128 x 128.
    growing = write_growing_stream(tmp_path / "grows.mp4", [(16, 16, 10), (128, 128, 10)])
    assert video.probe(growing).width == 16
    monkeypatch.setattr(video, "MAX_SOURCE_PIXELS", 64 * 64)
    seen = []

    def record(frames):
        seen.extend(frames)
        return frames
    with pytest.raises(VideoError, match="grow past the limit of 4,096 pixels|over the limit of 4,096 pixels"):
        video.translate_video(growing, tmp_path / "out.mp4", record, fps=None, batch_size=2)
    assert not (tmp_path / "out.mp4").exists() and not list(tmp_path.glob(".out.*"))
    assert seen and all(frame.shape == (16, 16, 3) for frame in seen)  # no large frame reached the model
    with pytest.raises(VideoError, match="4,096 pixels"):
        list(video.sample_frames(growing, fps=None))


def unusable_files(folder, clip):
    """{what is wrong: path}"""
    data = clip.read_bytes()
    indexed_first = folder / "faststart.mp4"  # an MP4 whose index survives a cut
    video.translate_video(clip, indexed_first, invert, fps=10)
    files = {
        "zero-byte": b"",
        "not a video": b"hello, this is text and not a video at all\n" * 20,
        "random bytes": np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes(),
        "truncated, index at the end": data[: len(data) // 3],
        "truncated, index first": indexed_first.read_bytes()[: indexed_first.stat().st_size * 2 // 3],
    }
    paths = {name: folder / f"{name.replace(' ', '-').replace(',', '')}.mp4" for name in files}
    for name, content in files.items():
        paths[name].write_bytes(content)
    paths["audio only"] = write_audio_only(folder / "sound.m4a")
    paths["missing"] = folder / "nowhere.mp4"
    return paths


@pytest.mark.parametrize("name, message", [
    ("zero-byte", "is not a video that can be read"),
    ("not a video", "is not a video that can be read"),
    ("random bytes", "is not a video that can be read"),
    ("truncated, index at the end", "is not a video that can be read"),
    ("truncated, index first", r"stops at \d\.\d s of its 3\.0 s: the file is truncated"),
    ("audio only", "has no video stream"),
    ("missing", "no video file at"),
])
def test_unusable_files_raise_video_error_and_leave_no_output(clip, tmp_path, name, message):
    path = unusable_files(tmp_path, clip)[name]
    out = tmp_path / "out" / "result.mp4"
    with pytest.raises(VideoError, match=message):
        video.translate_video(path, out, invert)
    assert not out.parent.exists() or not list(out.parent.iterdir())  # no partial or temporary file


def test_no_video_stream_says_so(tmp_path):
    with pytest.raises(VideoError, match="no video stream"):
        video.probe(write_audio_only(tmp_path / "sound.m4a"))


def test_the_temporal_mode_steadies_a_flickering_translation(tmp_path):
    source = write_clip(tmp_path / "textured.mp4", seconds=2.0, fps=10, audio=False)
    rng = np.random.default_rng(0)

    def flickering(frames):  # a darker picture, with a brightness jump per frame (never clipped)
        return [(f // 2 + 64 + rng.integers(-40, 41)).astype(np.uint8) for f in frames]

    inputs = list(video.sample_frames(source, fps=None))
    errors = {}
    for temporal in (False, True):
        out = tmp_path / f"out-{temporal}.mp4"
        video.translate_video(source, out, flickering, fps=None, batch_size=3, temporal=temporal)
        errors[temporal] = warping_error(inputs, list(video.sample_frames(out, fps=None)))
    assert errors[True] < 0.8 * errors[False]  # 0.66 here; H.264 adds its own noise to both
