"""Test videos written with PyAV, synthetic cel frames with their outline masks, camera
frames as the webcam streams them, and inspection of what the app writes (the ffprobe
facts: codecs, pixel format, frame count, duration, where the index sits)."""

import base64
import struct
import zlib
from dataclasses import dataclass
from fractions import Fraction
from io import BytesIO

import av
import numpy as np
from PIL import Image


def frame_picture(i, width, height):
    """Frame i of a test clip: red top half, a white bar moving right."""
    picture = np.zeros((height, width, 3), np.uint8)
    picture[: height // 2] = (255, 0, 0)
    x = (i * 3) % max(1, width - 6)
    picture[:, x:x + 6] = 255
    return picture


def write_clip(path, seconds=3.0, fps=10, width=96, height=64, audio=True, rotation=None, codec="libx264",
               audio_seconds=None):
    """An MP4 (or what `path`'s suffix says) of `seconds` at `fps`, with a 440 Hz tone when
    audio is set (as long as the pictures, or audio_seconds); rotation: degrees written
    into the display matrix, as a phone does."""
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if rotation is not None:
            video.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=44100) if audio else None
        if sound:
            sound.layout = "mono"
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(frame_picture(i, width, height), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound:
            t = np.arange(int(44100 * (audio_seconds or seconds))) / 44100.0
            samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, len(samples), 1024):
                chunk = av.AudioFrame.from_ndarray(samples[None, start:start + 1024], format="flt", layout="mono")
                chunk.sample_rate, chunk.pts = 44100, start
                out.mux(sound.encode(chunk))
            out.mux(sound.encode(None))
    return path


def write_audio_only(path, seconds=1.0):
    with av.open(str(path), "w") as out:
        sound = out.add_stream("aac", rate=44100)
        sound.layout = "mono"
        samples = np.zeros((1, int(44100 * seconds)), np.float32)
        for start in range(0, samples.shape[1], 1024):
            chunk = av.AudioFrame.from_ndarray(samples[:, start:start + 1024], format="flt", layout="mono")
            chunk.sample_rate, chunk.pts = 44100, start
            out.mux(sound.encode(chunk))
        out.mux(sound.encode(None))
    return path


def write_gif(path, frames=6, size=(40, 30), duration_ms=200):
    pictures = [Image.fromarray(frame_picture(i, *size)) for i in range(frames)]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)
    return path


@dataclass
class Probe:
    streams: list  # (type, codec name)
    pix_fmt: str
    frames: int
    rate: float
    duration: float
    width: int
    height: int
    faststart: bool  # the index (moov) comes before the media data (mdat)
    first_frame: np.ndarray


def probe(path):
    data = open(path, "rb").read()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        return Probe(streams=[(s.type, s.codec_context.name) for s in container.streams],
                     pix_fmt=stream.codec_context.pix_fmt, frames=len(decoded), rate=float(stream.average_rate),
                     duration=container.duration / av.time_base, width=stream.codec_context.width,
                     height=stream.codec_context.height, faststart=0 <= data.find(b"moov") < data.find(b"mdat"),
                     first_frame=decoded[0])


def note_every_video(monkeypatch, note):
    """hub.video.translate_video reports `note` (as for a damaged sound track) after its work."""
    from hub import video

    real = video.translate_video

    def noted(*args, **kwargs):
        info = real(*args, **kwargs)
        info.notes.append(note)
        return info

    monkeypatch.setattr(video, "translate_video", noted)


def write_bad_pictures(folder):
    """{what is wrong: path} for pictures the app must refuse with a message."""
    folder.mkdir(parents=True, exist_ok=True)
    jpeg = BytesIO()
    Image.fromarray(frame_picture(0, 64, 48)).save(jpeg, "JPEG")
    files = {
        "not an image": (".png", b"this is text, not a picture\n"),
        "zero-byte": (".jpg", b""),
        "truncated JPEG": (".jpg", jpeg.getvalue()[: len(jpeg.getvalue()) // 2]),
    }
    paths = {}
    for name, (suffix, data) in files.items():
        paths[name] = folder / (name.replace(" ", "-") + suffix)
        paths[name].write_bytes(data)
    paths["over the pixel limit"] = png_claiming(folder / "huge.png", 20_000, 20_000)
    return paths


def png_claiming(path, width, height):
    """A 1x1 PNG whose header claims width x height (a decompression bomb's trick)."""
    buffer = BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = data[12:29]  # chunk type + the 13 header bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    path.write_bytes(bytes(data))
    return path


def write_odd_pictures(folder):
    """{kind: path} for pictures in modes a camera or an editor writes, all to be accepted."""
    folder.mkdir(parents=True, exist_ok=True)
    rgb = Image.fromarray(frame_picture(0, 50, 30))
    paths = {
        "16-bit grayscale": (rgb.convert("I;16"), "png"),
        "CMYK": (rgb.convert("CMYK"), "jpeg"),
        "RGBA": (rgb.convert("RGBA"), "png"),
        "grayscale": (rgb.convert("L"), "png"),
    }
    out = {}
    for name, (image, fmt) in paths.items():
        out[name] = folder / f"{name.replace(' ', '-')}.{'jpg' if fmt == 'jpeg' else fmt}"
        image.save(out[name], fmt.upper())
    out["animated GIF"] = write_gif(folder / "animated.gif", frames=3, size=(50, 30))
    return out


def cel_frames(n=3, size=128, seed=0):
    """Flat colour regions (rectangles) with 1 px dark lines on their borders -> (images, masks)."""
    rng = np.random.default_rng(seed)
    images, masks = [], []
    for _ in range(n):
        image = np.full((size, size, 3), rng.integers(150, 230, 3), np.uint8)
        mask = np.zeros((size, size), bool)
        for _ in range(4):
            y, x = rng.integers(8, size // 2, 2)
            h, w = rng.integers(16, size // 2, 2)
            image[y:y + h, x:x + w] = rng.integers(90, 230, 3)
            mask[y, x:x + w] = mask[y + h - 1, x:x + w] = mask[y:y + h, x] = mask[y:y + h, x + w - 1] = True
        image[mask] = (25, 20, 25)
        images.append(image)
        masks.append(mask)
    return np.stack(images), np.stack(masks)


def write_growing_stream(path, sizes, fps=10):
    """An MPEG-TS (whatever `path`'s suffix) whose one H.264 stream is (width, height,
    frames) of each entry of `sizes` in turn: its header gives only the first size, as an
    attacker's clip that outgrows it would."""
    elementary = BytesIO()
    for width, height, frames in sizes:  # each part a stream of its own, concatenated
        part = BytesIO()
        with av.open(part, "w", format="h264") as out:
            video = out.add_stream("libx264", rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            for i in range(frames):
                frame = av.VideoFrame.from_ndarray(frame_picture(i, width, height), format="rgb24")
                frame.pts = i
                out.mux(video.encode(frame))
            out.mux(video.encode(None))
        elementary.write(part.getvalue())
    elementary.seek(0)
    with av.open(elementary, format="h264") as source, av.open(str(path), "w", format="mpegts") as out:
        stream = out.add_stream_from_template(source.streams.video[0])
        for i, packet in enumerate(p for p in source.demux() if p.size):
            packet.stream, packet.time_base = stream, Fraction(1, 90000)
            packet.pts = packet.dts = i * 90000 // fps
            out.mux(packet)
    return path


def camera_frames(count, width=640, height=480, step=6):
    """A camera panning over an example render: `count` RGB frames of width x height."""
    from space.ui import EXAMPLES

    scene = np.asarray(Image.open(EXAMPLES[0]).convert("RGB").resize((width + step * count, height)))
    return [np.ascontiguousarray(scene[:, i * step:i * step + width]) for i in range(count)]


def jpeg_url(frame, quality=92):
    """A frame as the page's webcam streams it (canvas.toDataURL('image/jpeg')): an inline file payload."""
    buffer = BytesIO()
    Image.fromarray(frame).save(buffer, "JPEG", quality=quality)
    return {"path": None, "url": "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode(),
            "meta": {"_type": "gradio.FileData"}}
