"""`python -m trainer.data stats data/prepared`: what a dataset folder holds: images per
tag and per split, and a contact sheet per movie (frames spread evenly through it, in
order) written to `stats/<movie>.jpg` in the folder."""

from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from hub.imaging import grid
from trainer.data.manifest import read_manifest

TAGS = ("domain", "medium", "studio", "movie", "split")


def count_tags(rows):
    """{tag: Counter of values} for the tags some row has, and per movie a Counter of splits."""
    counts = {tag: Counter(str(r[tag]) for r in rows if tag in r) for tag in TAGS}
    counts = {tag: counter for tag, counter in counts.items() if counter}
    splits = {movie: Counter(r["split"] for r in rows if r.get("movie") == movie) for movie in counts.get("movie", {})}
    return counts, splits


def contact_sheet(folder, rows, frames=24, columns=6, side=128):
    """Frames spread evenly through a movie, in order, as one uint8 grid image."""
    rows = sorted(rows, key=lambda r: r["frame"])
    picks = [rows[round(i)] for i in np.linspace(0, len(rows) - 1, min(frames, len(rows)))]
    pictures = [np.asarray(Image.open(Path(folder) / r["path"]).convert("RGB").resize((side, side))) for r in picks]
    return grid([pictures[i:i + columns] for i in range(0, len(pictures), columns)])


def report(folder, sheet_frames=24):
    """The text to print; writes the contact sheets."""
    folder = Path(folder)
    rows = read_manifest(folder)
    counts, splits = count_tags(rows)
    lines = [f"{folder}: {len(rows)} images"]
    for tag, counter in counts.items():
        lines.append(f"{tag}: " + ", ".join(f"{value} {n}" for value, n in sorted(counter.items())))
    (folder / "stats").mkdir(exist_ok=True)
    for movie, split_counts in sorted(splits.items()):
        sheet = folder / "stats" / f"{movie}.jpg"
        Image.fromarray(contact_sheet(folder, [r for r in rows if r.get("movie") == movie], sheet_frames)).save(
            sheet, quality=90)
        lines.append(f"  {movie}: " + ", ".join(f"{s} {n}" for s, n in sorted(split_counts.items()))
                     + f"; contact sheet {sheet}")
    return "\n".join(lines)
