"""Dataset folders without a manifest.jsonl, read as the rows a manifest would hold:

- junyanz's layout (pytorch-CycleGAN-and-pix2pix): trainA, trainB, testA, testB (valA and
  valB count as test). Each row is {"path", "split", "domain": "A" | "B"}.
- one folder per domain, e.g. frames/pixar and frames/ghibli: {"path", "split", "domain":
  the folder's name}. The split is prepare's block split over each folder's pictures in
  name order (frames extracted from a film are near duplicates of their neighbours).

Pictures are found recursively, hidden files and folders left out. trainer.data.junyanz
writes any dataset folder out in junyanz's layout.
"""

import re
from pathlib import Path

from hub.translate_files import files_under
from trainer.data.splits import split_blocks

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"}
JUNYANZ_FOLDER = re.compile(r"^(train|test|val)([A-Za-z0-9]+)$")
SPLIT_OF = {"train": "train", "test": "test", "val": "test"}
# What this project writes into a dataset folder (contact sheets, caches): never a domain.
OWN_FOLDERS = {"stats", "style_classifiers", "edge_smoothed"}
# prepare's defaults: every 10th block of 200 frames is test, with 10 frames left out beside it
TEST_FRACTION, BLOCK, GAP = 0.1, 200, 10


def rows(folder):
    """The manifest rows of a folder in either layout; raises FileNotFoundError naming the
    layouts when it is in neither."""
    folder = Path(folder)
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                        and p.name not in OWN_FOLDERS) if folder.is_dir() else []
    junyanz = [(p, JUNYANZ_FOLDER.match(p.name)) for p in subfolders if JUNYANZ_FOLDER.match(p.name)]
    found = []
    if junyanz:
        for path, match in junyanz:
            found += [{"path": p.relative_to(folder).as_posix(), "split": SPLIT_OF[match[1]], "domain": match[2]}
                      for p in files_under(path, IMAGE_SUFFIXES)]
    else:
        for path in subfolders:
            files = files_under(path, IMAGE_SUFFIXES)
            frames = list(range(len(files)))
            _, block = split_blocks(frames, BLOCK, TEST_FRACTION, 0)
            split, _ = split_blocks(frames, BLOCK, TEST_FRACTION, min(GAP, block // 4))  # a short folder keeps its train frames
            found += [{"path": p.relative_to(folder).as_posix(), "split": split[i], "domain": path.name}
                      for i, p in enumerate(files) if split[i] is not None]
    if not found:
        raise FileNotFoundError(
            f"{folder} is not a dataset folder: it needs a manifest.jsonl (`python -m trainer.data toyworld "
            "--out DIR` makes one), or pictures in junyanz's layout (trainA, trainB, testA, testB), or in one "
            "folder per domain (e.g. DIR/pixar, DIR/ghibli)")
    return found
