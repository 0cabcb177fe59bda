"""Which images train a domain: manifest rows matching tag filters, checked to decode, and
the order a run visits them in. No TensorFlow here, so both input pipelines (tf.data in
trainer.data.loading, uint8 arrays in trainer.data.arrays) and the JAX backend share it.

The order is a pure function of (seed, stream, element number), so a run resumed at
step k sees exactly the images an uninterrupted run sees from step k on.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from trainer.data import manifest

log = logging.getLogger(__name__)
DECODABLE_FORMATS = {"JPEG", "PNG", "GIF", "BMP", "WEBP"}  # what tf.io.decode_image reads


def check_image(path):
    """None if `path` decodes as an image TF can read, else the reason it cannot."""
    try:
        with Image.open(path) as im:
            if im.format not in DECODABLE_FORMATS:
                return f"format {im.format} is not one of {sorted(DECODABLE_FORMATS)}"
            im.draft("RGB", (64, 64))  # JPEG: decode at reduced scale, still reads every byte
            im.load()
    except Exception as e:  # noqa: BLE001 - any decoder failure means "skip this file"
        return f"{type(e).__name__}: {e}"
    return None


def usable_images(paths, workers=8):
    """The paths that decode; one warning line for each that does not."""
    with ThreadPoolExecutor(workers) as pool:  # Pillow releases the GIL while decoding
        reasons = list(pool.map(check_image, paths))
    good = []
    for path, reason in zip(paths, reasons):
        if reason is None:
            good.append(path)
        else:
            log.warning("skipping unreadable image %s (%s)", path, reason)
    return good


def domain_rows(folder, filters, split="train", check=True, clips=None):
    """Manifest rows matching `filters`, `split` and `clips` (as manifest.rows), with "path"
    made a full path; rows whose image does not decode are dropped with a warning when `check`."""
    chosen = manifest.rows(folder, filters, split or None, clips)
    name = ",".join(f"{k}={v}" for k, v in filters) or "all images"
    if not chosen:
        raise ValueError(f"domain {name!r} has no {split or ''} images in {folder}; "
                         f"tags present: {manifest.describe_tags(manifest.read_manifest(folder))}")
    chosen = [{**r, "path": str(Path(folder) / r["path"])} for r in chosen]
    if check:
        usable = set(usable_images([r["path"] for r in chosen]))
        if not usable:
            raise ValueError(f"domain {name!r}: none of its {len(chosen)} images in {folder} "
                             "could be read")
        chosen = [r for r in chosen if r["path"] in usable]
    return chosen


def check_batch(rows, batch_size, name):
    """Refuse a domain with fewer training images than one batch (every batch is full, so
    it would give no step at all), before anything is built."""
    if len(rows) < batch_size:
        raise ValueError(f"{name} has {len(rows)} training image{'s' * (len(rows) != 1)}, fewer than one batch "
                         f"(--batch-size {batch_size}): give --batch-size {len(rows)} or less, or more images")


def domain_paths(folder, filters, split="train", check=True):
    """Image paths of one domain: manifest rows matching `filters` (and `split`)."""
    return [r["path"] for r in domain_rows(folder, filters, split, check)]


def two_domains(folder, domain_a, domain_b, batch_size):
    """(domain A's tags, domain B's, A's training rows, B's) for an unpaired run; a domain
    with fewer images than a batch is refused. Tags left empty, in a folder of junyanz's
    layout, are its A and B (manifest.resolve_domains)."""
    domain_a, domain_b = manifest.resolve_domains(folder, domain_a, domain_b)
    rows = []
    for side, tags in (("A", domain_a), ("B", domain_b)):
        rows.append(domain_rows(folder, manifest.parse_filter(tags)))
        check_batch(rows[-1], batch_size, f"domain {side} ({tags})")
    return domain_a, domain_b, *rows


def sample_paths(folder, tags, count, fallback):
    """The epoch grids' images of the domain `tags`: its first `count` test images, else the
    first of `fallback` (its training paths). Only those few test images are decoded to check them."""
    try:
        paths = usable_images(domain_paths(folder, manifest.parse_filter(tags), split="test", check=False)[:count])
    except ValueError:  # no test split
        paths = []
    return paths or fallback[:count]


def element_order(n, seed, domain, first, count):
    """Indices into a domain's n images for elements first..first+count-1: one fresh
    permutation per pass over the data, each from its own (seed, domain, pass) stream."""
    first_pass, last_pass = first // n, (first + count - 1) // n
    order = np.concatenate([np.random.default_rng([seed, domain, p]).permutation(n)
                            for p in range(first_pass, last_pass + 1)])
    start = first - first_pass * n
    return order[start:start + count]
