"""A movie folder's fetch.jsonl: one JSON line per frame on disk (its number, file and
tags), written by `fetch` and by `frames`, read by `prepare`. No network libraries here."""

import json
from pathlib import Path

RECORD = "fetch.jsonl"


def read_records(folder):
    """{frame: record} from fetch.jsonl; a line cut by a kill is skipped."""
    records = {}
    path = Path(folder) / RECORD
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                records[int(record["frame"])] = record
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
    return records


def frame_file(frame):
    return f"{frame:06d}.jpg"
