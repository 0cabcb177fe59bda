"""Where a model's lines go, against the cel renders' outlines (docs/results.md, "The 2D look at 128 px"). The
outline F1 counts a line only within 1 px of the render's; this splits the rest into lines
drawn a little off, far off, or not at all, and singles out the horizon.

The horizon: the cel render draws a line across the frame where the ground meets the sky. The
3d render's fog fades the last few pixels of ground into the sky's horizon colour, so no edge
in the 3d input marks that row, and an unpaired model places it where the fog lets the ground
show: the renderer's fog transmittance (the share of the ground's own colour left) at the
rows where a model draws its horizon says how far. The horizon strip (a few rows above it, more below) is left out of "F1 outside" and
"SSIM outside", and scored on its own by SSIM.

`python -m bench.line_placement --data data/toyworld128 MODEL_FOLDER [...]` (identity first)
"""

import argparse
import sys

import cv2
import numpy as np

from hub import CycleGAN
from trainer.data import toyworld
from trainer.data.pairs import paired_rows
from trainer.data.toyworld_dataset import still_scene
from trainer.evaluation import outlines
from trainer.evaluation.test_images import TestImages
from trainer.objectives import losses

DISTANCES = (1.5, 2.5, 3.5, 6.5)  # bin edges in px: 1 (F1's tolerance, diagonals too), 2, 3, 4-6, further
HORIZON_SEARCH = 12  # px above and below the true horizon row where a model's horizon line is looked for
STRIP = (3, 13)  # rows above and below the horizon row left out of "F1 outside the horizon strip"
SSIM_MARGIN = 5  # losses.ssim_map's windows are 11 px: its pixel (i, j) is the image's (i + 5, j + 5)


def distance_shares(src, dst):
    """Shares of the pixels of bool maps `src` by their distance to the nearest pixel of
    `dst`, in the DISTANCES bins (an image with no `dst` pixel counts as far)."""
    distances = np.concatenate([cv2.distanceTransform((~d).astype(np.uint8), cv2.DIST_L2, 5)[s]
                                if d.any() else np.full(int(s.sum()), np.inf) for s, d in zip(src, dst)])
    counts, _ = np.histogram(distances, (0, *DISTANCES, np.inf))
    return counts / max(counts.sum(), 1)


def horizon_row(mask):
    """The row of a line crossing at least half the frame in its top half, or None."""
    top = mask[: mask.shape[0] // 2].sum(1)
    row = int(top.argmax())
    return row if top[row] >= mask.shape[1] // 2 else None


def horizon_offsets(lines, masks):
    """For each mask with a horizon: the row within HORIZON_SEARCH of it where `lines` cross a
    quarter of the frame or more (the most such pixels), minus the horizon's row (positive:
    drawn lower); NaN where no line crosses there."""
    offsets = []
    for found, mask in zip(lines, masks):
        row = horizon_row(mask)
        if row is None:
            continue
        low = max(0, row - HORIZON_SEARCH)
        counts = found[low:row + HORIZON_SEARCH + 1].sum(1)
        offsets.append(low + int(counts.argmax()) - row if counts.max() >= found.shape[1] // 4 else np.nan)
    return np.array(offsets, float)


def horizon_strips(masks):
    """bool (N, H, W): the horizon strip of each outline mask (none where it has no horizon)."""
    strips = np.zeros_like(masks, bool)
    for strip, mask in zip(strips, masks):
        row = horizon_row(mask)
        if row is not None:
            strip[max(0, row - STRIP[0]):row + STRIP[1]] = True
    return strips


def placement(lines, masks):
    """Distance shares both ways, the horizon's offsets and the outline scores outside the
    horizon strip, of line maps `lines` against outline `masks` (bool (N, H, W) both)."""
    outside = ~horizon_strips(masks)
    offsets = horizon_offsets(lines, masks)
    return {"lines": distance_shares(lines, masks), "outlines": distance_shares(masks, lines),
            "horizons": len(offsets), "horizon_drawn": float(np.mean(~np.isnan(offsets))) if len(offsets) else None,
            "horizon_offset": float(np.nanmedian(offsets)) if (~np.isnan(offsets)).any() else None,
            "horizon_within_1px": float(np.mean(np.abs(offsets) <= 1)) if len(offsets) else None,
            "outline_share_outside": float(masks[outside].sum() / max(masks.sum(), 1)),
            "outside": outlines.line_scores(lines & outside, masks & outside)}


def ground_transmittance(scene, size):
    """(size,) per image row: the median fog transmittance of the ground in it, at the
    dataset's supersampling (NaN where the row shows no ground)."""
    gbuf = toyworld.trace(scene, 2 * size)
    transmittance = toyworld.fog_transmittance(gbuf).reshape(size, -1)
    ground = (gbuf["id"] == -1).reshape(size, -1)
    return np.array([np.median(t[g]) if g.any() else np.nan for t, g in zip(transmittance, ground)])


def drawn_horizon_transmittance(lines, masks, profiles):
    """The median, over the frames where `lines` draw a horizon, of the ground's fog
    transmittance (`profiles`, ground_transmittance's per frame, None where unknown) at
    the row it is drawn on; None where no horizon is drawn."""
    values = []
    for found, mask, profile in zip(lines, masks, profiles):
        row = horizon_row(mask)
        if row is None or profile is None:
            continue
        offset = horizon_offsets(found[None], mask[None])[0]
        if not np.isnan(offset):
            values.append(profile[row + int(offset)])
    return float(np.nanmedian(values)) if values else None


def strip_ssim(outputs, targets, masks):
    """SSIM of uint8 (N, H, W, 3) `outputs` against `targets`: over the whole frames (the
    evaluation's figure), and its windows centred in the horizon strips of `masks` and
    outside them -> {"all", "strip", "outside"}."""
    scale = np.float32(1 / 255)
    per_pixel = np.asarray(losses.ssim_map(outputs.astype(np.float32) * scale, targets.astype(np.float32) * scale,
                                           max_val=1.0)).mean(-1)
    m = SSIM_MARGIN
    strips = horizon_strips(masks)[:, m:-m, m:-m]
    return {"all": float(per_pixel.mean()), "strip": float(per_pixel[strips].mean()),
            "outside": float(per_pixel[~strips].mean())}


def _shares(shares):
    return " / ".join(f"{share:.2f}" for share in shares)


def row(name, p, ssim, transmittance):
    horizon = "no horizon" if not p["horizons"] else f"{p['horizon_drawn']:.2f}, " + (
        f"{p['horizon_offset']:+.0f} px, {p['horizon_within_1px']:.2f}" if p["horizon_offset"] is not None else "-")
    fog = "-" if transmittance is None else f"{transmittance:.2f}"
    return (f"| {name} | {_shares(p['lines'])} | {_shares(p['outlines'])} | {horizon} | {fog} | "
            f"{p['outside']['outline_f1']:.3f} | {ssim['all']:.4f} / {ssim['strip']:.4f} / {ssim['outside']:.4f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.line_placement", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="hub.CycleGAN folders, translated 3d -> 2d as they serve")
    parser.add_argument("--data", required=True, help="toyworld data with outline masks")
    parser.add_argument("--domain-b", default="medium=2d,studio=cel")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--toyworld-seed", type=int, default=0, help="the seed the data was rendered with (its fog)")
    args = parser.parse_args(argv)
    try:
        rows_a, rows_b = paired_rows(args.data, "medium=3d", args.domain_b)
    except (OSError, ValueError) as e:  # no manifest, no pairs
        sys.exit(f"error: {e}")
    images = TestImages(args.size)
    kept, inputs = images.decode([r["path"] for r in rows_a])
    both, targets = images.decode([rows_b[i]["path"] for i in kept])  # pairs whose two images decode
    kept, inputs = [kept[j] for j in both], inputs[both]
    masks = outlines.load_masks([rows_b[i]["outline"] for i in kept], args.size)
    identity = placement(outlines.detect_lines(inputs), masks)
    strip_share = horizon_strips(masks)[:, SSIM_MARGIN:-SSIM_MARGIN, SSIM_MARGIN:-SSIM_MARGIN].mean()
    scenes = [still_scene(rows_b[i]["scene"], args.toyworld_seed) if horizon_row(m) is not None else None
              for i, m in zip(kept, masks)]
    profiles = [None if scene is None else ground_transmittance(scene, args.size) for scene in scenes]
    below = np.array([[p[horizon_row(m) + k] for k in (1, 4, 7, 10)] for p, m in zip(profiles, masks)
                      if p is not None and horizon_row(m) + 10 < args.size])
    print(f"{len(kept)} pairs, {identity['horizons']} with a horizon; the horizon strip holds "
          f"{1 - identity['outline_share_outside']:.0%} of the outline pixels and {strip_share:.0%} of the SSIM windows. "
          "Shares: within 1 px / 2 / 3 / 4-6 / further")
    if len(below):
        print("The ground's fog transmittance (median) 1 / 4 / 7 / 10 rows below the horizon: "
              + " / ".join(f"{v:.3f}" for v in np.nanmedian(below, axis=0)))
    print("| 3d -> 2d | line px by distance to an outline | outline px by distance to a line | "
          "horizon: share drawn, median offset, share within 1 px | fog transmittance where it is drawn | "
          "F1 outside the horizon strip | SSIM: all / strip / outside |\n| --- | --- | --- | --- | --- | --- | --- |")
    print(row("identity (the 3d input)", identity, strip_ssim(inputs, targets, masks), None))
    for folder in args.models:
        outputs = CycleGAN.from_pretrained(folder).translate_array(inputs, "a2b")
        lines = outlines.detect_lines(outputs)
        print(row(folder, placement(lines, masks), strip_ssim(outputs, targets, masks),
                  drawn_horizon_transmittance(lines, masks, profiles)))


if __name__ == "__main__":
    main()
