"""Translate a video: frames sampled at a rate (2 per second by default, as the seed),
translated in batches and re-stitched as a browser-playable H.264 MP4 (yuv420p,
faststart) at the sampling rate, with the original audio track re-encoded as AAC.

Built on PyAV (FFmpeg's libraries, with libx264, in its wheels). Frames are streamed:
at most a few batches are held in memory, whatever the clip's length; the next frames
are decoded, and the last batch encoded, in threads of their own while a batch is
translated. Phone videos are turned upright by their rotation metadata. The output is
written to a temporary file and renamed only when complete. `temporal=True` blends each translated frame with the
previous one along the input's optical flow (hub.temporal): less flicker.
"""

import contextlib
import math
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np
from PIL import Image

from hub.atomic import atomic_path
from hub.errors import VideoError
from hub.temporal import TemporalBlend

MAX_SECONDS = 60.0
MAX_FRAMES = 1800  # frames translated per video: 60 s at 30 fps
MAX_SIDE = 1280  # frames are scaled down to this long side: bounds memory and encoding time
MAX_SOURCE_PIXELS = 4096 * 4096  # larger frames (8K) are refused before decoding


@dataclass
class VideoInfo:
    duration: float  # seconds
    fps: float  # the source's average frame rate
    width: int  # as displayed (after rotation)
    height: int
    audio: tuple | None  # (sample rate, channels) of the first sound track, if any
    notes: list = field(default_factory=list)  # what was dropped or guessed, for the user to hear about

    @property
    def has_audio(self):
        return self.audio is not None


def probe(path):
    """What is in a video file; raises VideoError if it has no readable video stream."""
    with _open(path) as container:
        stream = _video_stream(container, path)
        rotation = _stream_rotation(container, stream)
        notes = [] if rotation is not None else ["its rotation could not be read, so its frames are kept as stored"]
        rotation = rotation or 0
        width, height = stream.codec_context.width, stream.codec_context.height
        if rotation % 180:
            width, height = height, width
        sound = container.streams.audio[0].codec_context if container.streams.audio else None
        return VideoInfo(duration=_duration(container, stream), fps=float(stream.average_rate or 0),
                         width=width, height=height, audio=sound and (sound.sample_rate or 44100, sound.channels),
                         notes=notes)


def sample_frames(path, fps=2.0, max_seconds=MAX_SECONDS, max_frames=MAX_FRAMES, deadline=None):
    """Yield upright RGB uint8 frames (H, W, 3): the frame on screen at each multiple of
    1/fps seconds, or every frame when fps is None. Raises VideoError for a damaged
    stream, a clip longer than max_seconds, more than max_frames frames to yield, or a
    passed `deadline` (a Deadline; a file's header can understate all three)."""
    with _open(path) as container:
        stream = _video_stream(container, path)
        step = 1.0 / fps if fps else None
        next_time, previous, previous_time, last_step, count = 0.0, None, 0.0, 0.0, 0

        def sampled(picture):
            nonlocal count
            count += 1
            if count > max_frames:
                raise VideoError(f"the video gives more than {max_frames} frames at this rate; choose a lower "
                                 f"frame rate or a shorter clip")
            return picture

        try:
            for frame in container.decode(stream):
                if deadline is not None:
                    deadline.check()
                t = frame.time if frame.time is not None else previous_time + last_step
                if t > max_seconds:
                    raise VideoError(f"the video is longer than the {max_seconds:g} s limit; trim it first")
                _check_frame_size(frame.width, frame.height, path)  # a stream may outgrow its header
                picture = _upright(frame)
                if step is None:
                    yield sampled(picture)
                else:
                    while next_time < t - 1e-6:  # times up to this frame show the previous one
                        yield sampled(previous if previous is not None else picture)
                        next_time += step
                if previous is not None:
                    last_step = t - previous_time
                previous, previous_time = picture, t
        except av.error.FFmpegError as e:  # the decoder's max_pixels refusal reads as invalid data too
            raise VideoError(f"the video is damaged after {previous_time:.1f} s, or its frames there grow past "
                             f"the limit of {MAX_SOURCE_PIXELS:,} pixels ({_reason(e)})") from None
        if previous is None:
            raise VideoError(f"{path}: the video stream has no frames that can be decoded")
        end = previous_time + (last_step or 1.0 / float(stream.average_rate or 25))
        # The stream's own length (a container's may include a longer sound track).
        duration = _stream_seconds(stream) or end
        if end < duration - max(0.5, 2 * last_step):
            raise VideoError(f"the video stops at {end:.1f} s of its {duration:.1f} s: the file is truncated "
                             f"or damaged")
        if step is not None:
            while next_time < end - 1e-6:
                yield sampled(previous)
                next_time += step


class Deadline:
    """The wall-clock budget of one job, from now (None: no limit), and whether the job is
    still wanted: check() raises VideoError once the time is spent or `cancelled()` is
    true (the client that asked for the job has gone)."""

    def __init__(self, seconds=None, cancelled=None):
        self.seconds, self.cancelled = seconds, cancelled
        self.end = time.monotonic() + seconds if seconds else math.inf

    def check(self):
        if time.monotonic() > self.end:
            raise VideoError(f"translating this video took longer than the {self.seconds:g} s limit of one job; "
                             f"choose a lower frame rate or a shorter clip")
        if self.cancelled is not None and self.cancelled():
            raise VideoError("the job was stopped: nobody is waiting for it any more")


def translate_video(path, out_path, translate_frames, fps=2.0, max_seconds=MAX_SECONDS, max_frames=MAX_FRAMES,
                    time_budget=None, max_side=MAX_SIDE, batch_size=8, progress=None, temporal=False, cancelled=None):
    """Translate the video at `path` into an MP4 at `out_path`.

    translate_frames: a list of uint8 (H, W, 3) frames -> as many frames of the same size
    (e.g. `lambda frames: model.translate(frames, "3d -> 2d")`).
    fps: frames per second to sample and to play back (None: every frame, at the source's
    rate). progress: called as progress(frames_done, frames_total, seconds_left).
    temporal: blend each output with the previous one where the input's flow follows a
    pixel (hub.temporal.TemporalBlend); a frame of another size than its input is kept.
    Bounds, each a VideoError before or during the work: max_seconds of video, max_frames
    frames written (fps x seconds, or every frame), time_budget seconds of wall-clock
    time (None: no limit). cancelled: a function, asked between frames, that says the job
    is no longer wanted; then it stops with a VideoError and writes nothing.
    Returns the VideoInfo of the input. Raises VideoError for unusable input.
    """
    info = probe(path)
    if info.duration > max_seconds:
        raise VideoError(f"the video is {info.duration:.1f} s long, over the {max_seconds:g} s limit; "
                         f"trim it first")
    rate = Fraction(fps).limit_denominator(1001) if fps else Fraction(info.fps or 25).limit_denominator(1001)
    total = max(1, math.ceil(info.duration * float(rate) - 1e-6))
    if total > max_frames:
        raise VideoError(f"at {float(rate):g} frames per second this {info.duration:.1f} s video makes {total} "
                         f"frames, over the limit of {max_frames}; choose a lower frame rate or a shorter clip")
    width, height = _output_size(info.width, info.height, max_side)
    started, done = time.monotonic(), 0
    deadline = Deadline(time_budget, cancelled) if time_budget or cancelled else None
    smooth = TemporalBlend() if temporal else None
    frames = prefetched(sample_frames(path, fps, max_seconds, max_frames, deadline), 2 * batch_size)
    with (atomic_path(out_path) as tmp, av.open(str(tmp), "w", options={"movflags": "+faststart"}) as out,
          ThreadPoolExecutor(1, thread_name_prefix="video-encoder") as encoder, contextlib.closing(frames)):
        video = _h264_stream(out, rate, width, height)
        audio = _add_audio_stream(out, *info.audio) if info.has_audio else None
        batch, encoding = [], None

        def encode(batch):
            """Translate `batch`, then encode it in the encoder's thread while the next batch
            is translated; one batch is encoded at a time, in order."""
            nonlocal encoding, done
            translated = _translated(batch, translate_frames, smooth)
            if encoding is not None:
                encoding.result()  # what the encoder raised is raised here
            encoding = encoder.submit(_mux, out, video, translated, done)
            done += len(translated)

        for frame in frames:  # closed on the way out, also on an error: the decoder stops at once
            batch.append(_resize(frame, width, height))
            if len(batch) == batch_size:
                encode(batch)
                batch = []
                if deadline is not None:
                    deadline.check()
                if progress:
                    seconds = time.monotonic() - started
                    progress(done, max(total, done), seconds / done * max(total - done, 0))
        if batch:
            encode(batch)
        if encoding is not None:
            encoding.result()
        out.mux(video.encode(None))
        if audio is not None:
            stopped = _copy_audio(path, out, audio, done / float(rate))
            if stopped is not None:
                info.notes.append(f"its sound track is damaged after {stopped:.1f} s, so the sound stops there")
    if progress:
        progress(done, done, 0.0)
    return info


def prefetched(items, depth):
    """Iterate the generator `items` in a thread of its own, up to `depth` items ahead, so
    that decoding (FFmpeg releases the GIL) overlaps the caller's work. What it raises is
    raised here, in order; when the caller stops early, the thread closes `items` (its
    file) and ends."""
    ready, stop = queue.Queue(depth), threading.Event()

    def put(entry):
        while not stop.is_set():
            try:
                ready.put(entry, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def produce():
        try:
            for item in items:
                if not put(("item", item)):
                    break
            else:
                put(("end", None))
        except BaseException as e:  # noqa: BLE001 - handed to the caller, who raises it
            put(("error", e))
        finally:
            items.close()

    thread = threading.Thread(target=produce, name="video-decoder", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = ready.get()
            if kind == "error":
                raise value
            if kind == "end":
                return
            yield value
    finally:
        stop.set()
        thread.join()


def write_mp4(frames, path, fps=2.0):
    """uint8 (H, W, 3) frames of one even size -> a browser-playable H.264 MP4 at `fps`,
    written atomically."""
    with atomic_path(path) as tmp, av.open(str(tmp), "w", options={"movflags": "+faststart"}) as out:
        stream = None
        for i, picture in enumerate(frames):
            if stream is None:
                height, width = picture.shape[:2]
                if width % 2 or height % 2:
                    raise ValueError(f"H.264 in yuv420p needs even sides, got {width} x {height}")
                stream = _h264_stream(out, Fraction(fps).limit_denominator(1001), width, height)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture[..., :3]), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        if stream is None:
            raise ValueError("no frames to write")
        out.mux(stream.encode(None))


def _h264_stream(out, rate, width, height):
    """yuv420p (what browsers play), quality 20 on x264's scale, a fast preset."""
    stream = out.add_stream("libx264", rate=rate, options={"crf": "20", "preset": "veryfast"})
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    return stream


def _translated(frames, translate_frames, smooth=None):
    translated = translate_frames(frames)
    if len(translated) != len(frames):
        raise ValueError(f"translate_frames returned {len(translated)} frames for {len(frames)}")
    if smooth is not None:
        translated = [smooth(frame, picture) for frame, picture in zip(frames, translated)]
    return translated


def _mux(out, stream, pictures, first_pts):
    for pts, picture in enumerate(pictures, first_pts):
        frame = av.VideoFrame.from_ndarray(np.asarray(picture, np.uint8)[..., :3], format="rgb24")
        frame.pts = pts
        out.mux(stream.encode(frame))


def _add_audio_stream(out, rate, channels):
    stream = out.add_stream("aac", rate=rate)
    stream.layout = "stereo" if channels >= 2 else "mono"
    return stream


def _copy_audio(path, out, stream, seconds):
    """Re-encode the first audio track as AAC (what browsers play in MP4), cut at `seconds`.
    Returns None, or the second at which a damaged track stopped decoding."""
    resampler = av.AudioResampler(format=stream.format.name, layout=stream.layout.name, rate=stream.rate)
    stopped, reached = None, 0.0
    with _open(path) as container:
        try:
            for frame in container.decode(container.streams.audio[0]):
                if frame.time is not None and frame.time >= seconds:
                    break
                for resampled in resampler.resample(frame):
                    out.mux(stream.encode(resampled))
                reached = frame.time + frame.samples / frame.sample_rate if frame.time is not None else reached
        except av.error.FFmpegError:
            stopped = reached  # a damaged audio tail: keep what was decoded before it
    for resampled in resampler.resample(None):
        out.mux(stream.encode(resampled))
    out.mux(stream.encode(None))
    return stopped


def _open(path):
    try:
        return av.open(str(path), metadata_errors="ignore")
    except FileNotFoundError:
        raise VideoError(f"no video file at {path}") from None
    except (av.error.FFmpegError, UnicodeDecodeError) as e:
        raise VideoError(f"{path} is not a video that can be read ({_reason(e)})") from None


def _reason(error):
    """FFmpeg's words for an error, without its errno and the file's path."""
    return getattr(error, "strerror", None) or type(error).__name__


def _video_stream(container, path):
    if not container.streams.video:
        kinds = ", ".join(sorted({s.type for s in container.streams})) or "nothing"
        raise VideoError(f"{path} has no video stream (it holds {kinds})")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    # The header gives the first frame's size only: FFmpeg itself refuses any later frame
    # over the limit before it allocates it, and sample_frames checks each decoded frame.
    stream.codec_context.options = {"max_pixels": str(MAX_SOURCE_PIXELS)}
    width, height = stream.codec_context.width, stream.codec_context.height
    if not width:
        raise VideoError(f"{path}: the video stream has no frame size; the file is damaged")
    _check_frame_size(width, height, path)
    return stream


def _check_frame_size(width, height, path):
    if width * height > MAX_SOURCE_PIXELS:
        raise VideoError(f"{path}: frames of {width} x {height} are over the limit of {MAX_SOURCE_PIXELS:,} "
                         f"pixels; scale the video down first")


def _stream_rotation(container, stream):
    """Degrees counter-clockwise the frames must turn to be upright (from the first frame's
    display matrix, which is where FFmpeg puts a phone's rotation); None if unreadable."""
    try:
        for frame in container.decode(stream):
            return int(round(frame.rotation or 0))
    except av.error.FFmpegError:
        return None  # unknown
    return 0


def _stream_seconds(stream):
    return float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None


def _duration(container, stream):
    seconds = _stream_seconds(stream)
    if seconds:
        return seconds
    if container.duration is not None:
        return container.duration / av.time_base
    if stream.frames and stream.average_rate:
        return stream.frames / float(stream.average_rate)
    return 0.0


def _upright(frame):
    picture = frame.to_ndarray(format="rgb24")
    turns = int(round((frame.rotation or 0) / 90)) % 4
    return np.ascontiguousarray(np.rot90(picture, turns)) if turns else picture


def _output_size(width, height, max_side):
    """Scaled to fit max_side, then even (H.264 in yuv420p needs even sides)."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _resize(frame, width, height):
    if frame.shape[1] == width and frame.shape[0] == height:
        return frame
    return np.asarray(Image.fromarray(frame).resize((width, height), Image.BICUBIC))
