"""Video flicker of a CycleGAN (`python -m trainer.evaluate video`, in trainer.evaluate).

For each clip it reports the warping error (hub.temporal, Lai et al. 2018) of the input
frames, of the per-frame translation, and of the temporal mode (hub.temporal's
TemporalBlend, what the app's checkbox turns on), with the time each took. Clips come
from a toyworld dataset's orbit clips (inputs from domain A, and domain B's renders of
the same frames as the ground truth: a perfect translator, scored too, with per-frame
SSIM of both modes against it), from a `python -m trainer.data clips` folder
(clips.jsonl), or from video files sampled at --fps.
"""

import time
from pathlib import Path

import numpy as np

from hub import video
from hub.imaging import read_image
from hub.temporal import TemporalBlend, input_flows, warping_error
from trainer.data.clips import RECORD as CLIPS_RECORD
from trainer.data import manifest
from trainer.evaluation.image_metrics import image_metrics


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
    # translate, not translate_array: clips of any size, at the training size as the app's videos are
    translated = np.stack([np.asarray(out) for out in model.translate(list(frames), direction,
                                                                      size=model.config["image_size"])])
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
    change and its cost as a ratio of per-frame time. A clip without a paired render of the
    target domain is scored by its flicker alone; "ground truth" and SSIM are means over
    the clips that have one."""
    mean = lambda key, name: float(np.mean([c[key][name] for c in clips.values() if name in c.get(key, {})]))  # noqa: E731
    names = dict.fromkeys(name for c in clips.values() for name in c["warping_error"])
    errors = {name: mean("warping_error", name) for name in names}
    summary = {"warping_error": errors,  # a still clip translated steadily has nothing to reduce
               "temporal_reduction": 1 - errors["temporal"] / errors["per-frame"] if errors["per-frame"] else 0.0,
               "temporal_time_ratio": mean("seconds", "temporal") / mean("seconds", "per-frame")}
    if any("ssim" in c for c in clips.values()):
        summary["ssim_clips"] = sum("ssim" in c for c in clips.values())
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
