"""Video flicker of a CycleGAN: `python -m trainer.evaluate video --model RUN_DIR/model
--data DIR [--video FILE ...] [--direction a2b] [--stride N] [--out flicker.json]`.

For each clip it reports the warping error (hub.temporal, Lai et al. 2018) of the input
frames, of the per-frame translation, and of the temporal mode (hub.temporal's
TemporalBlend, what the app's checkbox turns on), with the time each took. Clips come
from a toyworld dataset's orbit clips (inputs from domain A, and domain B's renders of
the same frames as the ground truth: a perfect translator, scored too, with per-frame
SSIM of both modes against it), from a `python -m trainer.data clips` folder
(clips.jsonl), or from video files sampled at --fps.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from hub import model_folder, video
from hub.atomic import write_json
from hub.cyclegan import CycleGAN, domain_name
from hub.errors import HubError, VideoError
from hub.imaging import read_image
from hub.temporal import TemporalBlend, input_flows, warping_error
from trainer.data.clips import RECORD as CLIPS_RECORD
from trainer.evaluate import image_metrics
from trainer.data import manifest


def _read_frames(paths):
    return np.stack([read_image(p) for p in paths])


def dataset_clips(data, domain_a, domain_b):
    """[(name, input frames, ground-truth frames or None)] of a toyworld dataset's orbit
    clips or of a clips folder."""
    data = Path(data)
    if (data / CLIPS_RECORD).is_file():
        return [(r["clip"], _read_frames(sorted((data / r["folder"]).glob("*.jpg"))), None)
                for r in manifest.read_jsonl(data / CLIPS_RECORD)]
    rows = manifest.rows(data, clips=True)
    if not rows:
        raise ValueError(f"{data} has no clips: make toyworld orbit clips with `python -m trainer.data "
                         "toyworld --sequences N`, or real ones with `python -m trainer.data clips`")
    clips = []
    for name in sorted({r["clip"] for r in rows}):
        sides = [sorted(manifest.select([r for r in rows if r["clip"] == name], manifest.parse_filter(f)),
                        key=lambda r: r["frame"])
                 for f in (domain_a, domain_b)]
        if not sides[0]:
            continue
        frames = [_read_frames([data / r["path"] for r in side]) if side else None for side in sides]
        clips.append((name, frames[0], frames[1] if sides[1] and len(sides[1]) == len(sides[0]) else None))
    if not clips:
        raise ValueError(f"no clip in {data} has frames of {domain_a!r}")
    return clips


def video_clips(paths, fps):
    return [(Path(p).name, np.stack(list(video.sample_frames(p, fps))), None) for p in paths]


def clip_flicker(model, direction, frames, truth=None):
    """One clip's warping errors (input, per-frame, temporal, ground truth), SSIM against
    the ground truth, and seconds per mode."""
    started = time.perf_counter()
    translated = model.translate_array(frames, direction)
    per_frame_seconds = time.perf_counter() - started
    blend = TemporalBlend()
    started = time.perf_counter()
    smoothed = np.stack([blend(frame, out) for frame, out in zip(frames, translated)])
    blend_seconds = time.perf_counter() - started
    flows = input_flows(frames)  # one flow per frame pair scores every version of the clip
    result = {
        "frames": len(frames),
        "warping_error": {"input": warping_error(frames, frames, flows),
                          "per-frame": warping_error(frames, translated, flows),
                          "temporal": warping_error(frames, smoothed, flows)},
        "seconds": {"per-frame": per_frame_seconds, "temporal": per_frame_seconds + blend_seconds},
    }
    if truth is not None:
        result["warping_error"]["ground truth"] = warping_error(frames, truth, flows)
        result["ssim"] = {"per-frame": image_metrics(translated, truth)["ssim"],
                          "temporal": image_metrics(smoothed, truth)["ssim"]}
    return result


def summarize(clips):
    """Means over the clips, the temporal mode's reduction of the warping error, its SSIM
    change and its cost as a ratio of per-frame time."""
    mean = lambda key, name: float(np.mean([c[key][name] for c in clips.values()]))  # noqa: E731
    errors = {name: mean("warping_error", name) for name in next(iter(clips.values()))["warping_error"]}
    summary = {"warping_error": errors,  # a still clip translated steadily has nothing to reduce
               "temporal_reduction": 1 - errors["temporal"] / errors["per-frame"] if errors["per-frame"] else 0.0,
               "temporal_time_ratio": mean("seconds", "temporal") / mean("seconds", "per-frame")}
    if all("ssim" in c for c in clips.values()):
        summary["ssim"] = {name: mean("ssim", name) for name in ("per-frame", "temporal")}
        summary["temporal_ssim_change"] = summary["ssim"]["temporal"] - summary["ssim"]["per-frame"]
    return summary


def evaluate_flicker(model, clips, direction="a2b", stride=1):
    """{'clips': {name: clip_flicker}, 'summary': ...} for [(name, frames, truth)] clips."""
    if stride < 1:
        raise ValueError(f"--stride must be 1 or more, got {stride}")
    results = {}
    for name, frames, truth in clips:
        frames = frames[::stride]
        if len(frames) < 2:
            raise ValueError(f"clip {name} has fewer than two frames at stride {stride}")
        results[name] = clip_flicker(model, direction, frames, None if truth is None else truth[::stride])
    return {"direction": direction, "stride": stride, "clips": results, "summary": summarize(results)}


def format_table(results):
    columns = ["input", "per-frame", "temporal", "ground truth"]
    lines = [f"warping error (x 1e-3, lower is steadier), direction {results['direction']}, "
             f"stride {results['stride']}",
             f"{'clip':<24}" + "".join(f"{c:>14}" for c in columns) + f"{'SSIM per-frame':>16}{'temporal':>10}"]
    rows = {**results["clips"], "mean": results["summary"]}
    for name, r in rows.items():
        cells = "".join(f"{r['warping_error'][c] * 1e3:>14.4f}" if c in r["warping_error"] else f"{'-':>14}"
                        for c in columns)
        ssim = r.get("ssim")
        cells += f"{ssim['per-frame']:>16.4f}{ssim['temporal']:>10.4f}" if ssim else f"{'-':>16}{'-':>10}"
        lines.append(f"{name:<24}{cells}")
    s = results["summary"]
    lines.append(f"temporal mode: {s['temporal_reduction']:.0%} less warping error, "
                 f"{s['temporal_time_ratio']:.2f}x the per-frame time"
                 + (f", SSIM {s['temporal_ssim_change']:+.4f}" if "temporal_ssim_change" in s else ""))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m trainer.evaluate video", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="CycleGAN model folder (RUN_DIR/model) or Hub repo id")
    parser.add_argument("--data", default=None, help="toyworld dataset with orbit clips, or a clips folder")
    parser.add_argument("--video", nargs="*", default=[], help="video files, sampled at --fps")
    parser.add_argument("--fps", type=float, default=2.0, help="sampling rate of --video files (default 2)")
    parser.add_argument("--direction", default="a2b", help="a2b, b2a or a name such as '3d -> 2d'")
    parser.add_argument("--stride", type=int, default=1, help="use every N-th frame (faster motion)")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--record", action="store_true",
                        help="also store the summary in the (local) model folder's config.json and card")
    args = parser.parse_args(argv)
    try:
        if not args.data and not args.video:
            raise ValueError("give --data (a dataset with clips) or --video files")
        if args.record and not Path(args.model).is_dir():
            raise ValueError("--record needs a local model folder (download it, record, then push it)")
        model = CycleGAN.from_pretrained(args.model)
        direction = model.direction_key(args.direction)
        domains = (model.config["domain_a"], model.config["domain_b"])
        if direction == "b2a":
            domains = domains[::-1]
        clips = (dataset_clips(args.data, *domains) if args.data else []) + video_clips(args.video, args.fps)
        results = evaluate_flicker(model, clips, direction, args.stride)
    except (ValueError, FileNotFoundError, HubError, VideoError) as e:
        sys.exit(f"error: {e}")
    results["direction"] = f"{domain_name(domains[0])} -> {domain_name(domains[1])}"
    print(format_table(results))
    if args.out:
        write_json(args.out, results)
        print(f"results written to {args.out}")
    if args.record:
        model_folder.update_config(args.model, flicker={**results["summary"], "direction": results["direction"],
                                                        "stride": args.stride,
                                                        "clips": sorted(results["clips"]),
                                                        "dataset": Path(args.data).name if args.data else None})
        print(f"flicker recorded in {args.model}/config.json and its model card")
    return results
