"""Video throughput on this machine, as the app's Video tab runs it: frames per second of
`hub.video.translate_video` on a synthetic 640x360 clip (moving shapes at 30 fps, with a
sound track), sampled at 2 fps and at all frames, and where the time goes.

`python -m bench.video [--model FOLDER ...] [--seconds 10] [--size 640x360] [--rounds 3]`

For each rate: decoding alone (`sample_frames`), the identity pipeline (decode, sample,
encode, audio: translate_video with frames passed through), and, for each CycleGAN
(default: the app's demo weights, the light one first, at 256 px on the short side as the
app translates), the whole job as served (decoding and encoding in threads of their own
beside the translation), the same job with every stage in turn (the baseline), and the
job in the temporal mode (Less flicker). The shares of decoding, encoding and translating
are those of the job in turn. One warm-up, then the best of --rounds rounds,
configurations interleaved.
"""

import argparse
import concurrent.futures
import contextlib
import tempfile
from pathlib import Path

import av
import numpy as np

from bench.inference import best_ms_per_frame
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


class _InTurn:
    """An executor that runs what it is given at once: translate_video's encoder, in turn."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args):
        done = concurrent.futures.Future()
        done.set_result(fn(*args))
        return done


@contextlib.contextmanager
def stages_in_turn():
    """translate_video with decoding, translating and encoding one after the other."""
    prefetched, executor = video.prefetched, video.ThreadPoolExecutor
    video.prefetched, video.ThreadPoolExecutor = (lambda items, depth: items), _InTurn
    try:
        yield
    finally:
        video.prefetched, video.ThreadPoolExecutor = prefetched, executor


def in_turn(run):
    def run_in_turn():
        with stages_in_turn():
            run()
    return run_in_turn


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.video", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", default=[str(folder) for folder in DEMO_CYCLEGANS],
                        help="CycleGAN model folders or Hub repos")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT of the source clip")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--direction", default="a2b")
    args = parser.parse_args(argv)
    width, height = map(int, args.size.split("x"))
    models = {Path(source).name: CycleGAN.from_pretrained(source) for source in args.model}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        clip, out = Path(tmp) / "clip.mp4", Path(tmp) / "out.mp4"
        synthetic_clip(clip, args.seconds, width, height)
        for fps in (2, None):
            count = sum(1 for _ in video.sample_frames(clip, fps))
            runs = {"decode": lambda fps=fps: sum(1 for _ in video.sample_frames(clip, fps)),
                    "identity": in_turn(lambda fps=fps: video.translate_video(clip, out, lambda batch: batch,
                                                                              fps=fps))}
            for name, model in models.items():
                def translate(batch, model=model):
                    return [np.asarray(im) for im in model.translate(batch, args.direction)]

                def job(translate=translate, fps=fps, temporal=False):
                    video.translate_video(clip, out, translate, fps=fps, temporal=temporal)

                runs[(name, "job")] = job
                runs[(name, "in turn")] = in_turn(job)
                runs[(name, "temporal")] = lambda job=job: job(temporal=True)
            for run in runs.values():
                run()  # warm-up
            best = {key: ms / 1000 for key, ms in best_ms_per_frame(runs, args.rounds, repeats=1).items()}
            results[fps] = {key: count / seconds for key, seconds in best.items()}
            print(f"\n{args.seconds:g} s clip, {width}x{height} at 30 fps, {f'{fps} fps' if fps else 'all frames'}: "
                  f"{count} frames; best of {args.rounds}")
            print(f"  decoding alone {results[fps]['decode']:.0f} frames/s, the identity pipeline "
                  f"{results[fps]['identity']:.0f} frames/s")
            for name in models:
                serial = best[(name, "in turn")]
                decode, encode = best["decode"] / serial, (best["identity"] - best["decode"]) / serial
                print(f"  {name}: {results[fps][(name, 'job')]:.1f} frames/s as served, "
                      f"{results[fps][(name, 'in turn')]:.1f} in turn ({serial / best[(name, 'job')]:.2f}x), "
                      f"{results[fps][(name, 'temporal')]:.1f} with Less flicker; in turn: decode {decode:.0%}, "
                      f"translate {1 - decode - encode:.0%}, encode {encode:.0%}")
    return results


if __name__ == "__main__":
    main()
