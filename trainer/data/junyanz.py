"""`python -m trainer.data junyanz DATA --out DIR`: a dataset folder's two domains written
out in junyanz's layout (pytorch-CycleGAN-and-pix2pix), which every trainer here reads too."""

import os
import shutil
from pathlib import Path

from trainer.data import manifest


def write(data, out, domain_a, domain_b):
    """The images of the two domains (tag filters) of `data` as OUT/trainA, trainB, testA,
    testB (hard links where the file system allows, else copies); -> {folder: count}.
    Refuses an `out` that already holds those folders."""
    out = Path(out)
    taken = [name for name in ("trainA", "trainB", "testA", "testB") if (out / name).exists()]
    if taken:
        raise FileExistsError(f"{out} already has {', '.join(taken)}: choose an empty --out")
    rows = manifest.rows(data)  # stills: the frames of orbit clips are left out
    counts = {}
    for side, filters in (("A", domain_a), ("B", domain_b)):
        chosen = manifest.select(rows, manifest.parse_filter(filters))
        if not chosen:
            raise ValueError(f"domain {side} ({filters}) has no images in {data}; tags present: "
                             f"{manifest.describe_tags(rows)}")
        for split in ("train", "test"):
            folder = out / f"{split}{side}"
            folder.mkdir(parents=True, exist_ok=True)
            picked = [r for r in chosen if r["split"] == split]
            for row in picked:
                source = Path(data) / row["path"]
                target = folder / row["path"].replace("/", "_")  # unique, and names where it came from
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
            counts[folder.name] = len(picked)
    return counts
