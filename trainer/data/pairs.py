"""Pairs: the images of two domains that show the same scene (toyworld's "scene" tag, shared
by a scene's 3d and 2d renders). Paired evaluation scores a translation against its pair;
pix2pix trains on them."""

from pathlib import Path

from trainer.data import manifest


class PairsUnavailable(ValueError):
    """The data has no pairs of these domains (no scene tags, or no shared scene)."""


def paired_rows(data, domain_a, domain_b, split="test"):
    """(rows_a, rows_b): manifest rows (full paths, the outline mask's too) of the scenes
    present in both domains, in scene order."""
    rows = manifest.rows(data, split=split)
    by_scene = []
    for filters in (manifest.parse_filter(domain_a), manifest.parse_filter(domain_b)):
        chosen = manifest.select(rows, filters)
        if chosen and "scene" not in chosen[0]:
            raise PairsUnavailable("paired evaluation needs a 'scene' tag shared by the two renders "
                                   "of a scene (toyworld data has one)")
        by_scene.append({r["scene"]: {**r, **{key: str(Path(data) / r[key]) for key in ("path", "outline") if key in r}}
                         for r in chosen})
    scenes = sorted(set(by_scene[0]) & set(by_scene[1]))
    if not scenes:
        raise PairsUnavailable(f"no scene of split {split!r} in {data} has images in both {domain_a!r} "
                               f"and {domain_b!r}")
    return [by_scene[0][s] for s in scenes], [by_scene[1][s] for s in scenes]
