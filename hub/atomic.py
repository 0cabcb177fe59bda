"""Atomic file writes: a reader (or a run killed mid-write) sees the old file or the new
one, never half of one."""

import contextlib
import json
import os
import tempfile
from pathlib import Path


def _process_umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once, at import: os.umask can only be read by setting it, which would race with
# other threads creating files.
FILE_MODE = 0o666 & ~_process_umask()


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success fsync it and rename it over `path`.

    The temporary name keeps the suffix, since some writers (Keras, Pillow) pick the
    format from it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{''.join(path.suffixes)}",
                               dir=path.parent)
    os.close(fd)
    os.chmod(tmp, FILE_MODE)  # mkstemp makes it 0600; a saved file is as readable as any other
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path, text):
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def write_json(path, obj):
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")
