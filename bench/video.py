"""End-to-end video translation time on this machine, as the app's Video tab runs it.

`python -m bench.video [--model FOLDER ...] [--seconds 30] [--fps 2] [--size 640x360]`

Writes a synthetic clip (moving shapes at 30 frames per second, with a sound track), then
translates it through `hub.video.translate_video`: once with an identity "translator"
(decoding, sampling, encoding and audio alone: the baseline), then with each CycleGAN
(default: the app's demo weights, in the order it serves them), once per frame and once
in the temporal mode (flow-guided blending, hub.temporal). Prints the wall times and
their ratios.
"""

import argparse
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from hub import CycleGAN, video
from space.models import DEMO_CYCLEGANS


def synthetic_clip(path, seconds, width, height, rate=30):
    """Shapes drifting over a gradient, H.264 at `rate` fps, with a 440 Hz tone."""
    y, x = np.mgrid[0:height, 0:width]
    background = np.stack([x * 255 // width, y * 255 // height, np.full_like(x, 120)], -1).astype(np.uint8)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=rate, options={"preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        sound = out.add_stream("aac", rate=44100)
        sound.layout = "mono"
        for i in range(int(seconds * rate)):
            picture = background.copy()
            cx, cy = int(width * (0.2 + 0.6 * (i / (seconds * rate)))), height // 2
            picture[max(0, cy - 40):cy + 40, max(0, cx - 40):cx + 40] = (230, 60, 40)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(int(44100 * seconds)) / 44100)).astype(np.float32)
        for start in range(0, len(tone), 1024):
            chunk = av.AudioFrame.from_ndarray(tone[None, start:start + 1024], format="flt", layout="mono")
            chunk.sample_rate, chunk.pts = 44100, start
            out.mux(sound.encode(chunk))
        out.mux(sound.encode(None))


def timed(path, out, translate_frames, fps, temporal=False):
    start = time.perf_counter()
    video.translate_video(path, out, translate_frames, fps=fps, temporal=temporal)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.video", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", default=[str(folder) for folder in DEMO_CYCLEGANS],
                        help="CycleGAN model folders or Hub repos")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--fps", type=float, default=2)
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT of the source clip")
    parser.add_argument("--direction", default="a2b")
    args = parser.parse_args(argv)
    width, height = map(int, args.size.split("x"))
    models = {source: CycleGAN.from_pretrained(source) for source in args.model}
    frames = round(args.seconds * args.fps)
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.mp4"
        synthetic_clip(clip, args.seconds, width, height)
        baseline = timed(clip, Path(tmp) / "identity.mp4", lambda batch: batch, args.fps)
        print(f"{args.seconds:g} s clip, {width}x{height} at 30 fps, sampled at {args.fps:g} fps = {frames} frames")
        print(f"identity (decode, sample, encode, audio): {baseline:.2f} s", flush=True)
        for source, model in models.items():
            def translate(batch, model=model):
                return [np.asarray(im) for im in model.translate(batch, args.direction)]

            translated = timed(clip, Path(tmp) / "translated.mp4", translate, args.fps)
            steadied = timed(clip, Path(tmp) / "temporal.mp4", translate, args.fps, temporal=True)
            print(f"CycleGAN {args.direction} ({source}): {translated:.2f} s, {translated / frames * 1000:.0f} ms "
                  f"per output frame, {translated / baseline:.1f}x the identity run")
            print(f"  the same in the temporal mode: {steadied:.2f} s, {steadied / translated:.2f}x the per-frame run",
                  flush=True)


if __name__ == "__main__":
    main()
