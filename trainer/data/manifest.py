"""Dataset folders: `manifest.jsonl` (one JSON object per image) and tag filters.

A row has at least {"path", "split"}; `path` is relative to the dataset folder. Every
other tag is optional: prepared movies have "movie", "studio", "medium" and "frame";
toyworld rows add "scene" and "style" (and "clip" for the frames of an orbit clip); a
folder without a manifest (junyanz's trainA/trainB layout, or one folder per domain,
trainer.data.folders) gives "domain".
"""

import json
from pathlib import Path

from hub.atomic import write_text
from trainer.data import folders

MANIFEST = "manifest.jsonl"
FACTS = "dataset.json"  # optional: {"license": the Hub's licence id, "source": where the images come from}
REQUIRED_KEYS = ("path", "split")
DEFAULT_DOMAINS = ("medium=3d", "medium=2d")  # the trainers' --domain-a and --domain-b


def read_manifest(folder):
    """Rows of `folder/manifest.jsonl`, or of a folder without one (trainer.data.folders);
    a malformed line is an error naming the line."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return folders.rows(folder)
    rows = read_jsonl(path)
    for number, row in enumerate(rows, 1):
        missing = [k for k in REQUIRED_KEYS if k not in row]
        if missing:
            raise ValueError(f"{path}: row {number}: missing keys {missing}")
    return rows


def read_jsonl(path):
    """One JSON object per non-blank line; a malformed line is an error naming the line."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{number}: not valid JSON ({e.msg})") from None
    return rows


def write_jsonl(path, rows):
    """One JSON object per line, written atomically."""
    write_text(path, "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows))


def write_manifest(folder, rows):
    write_jsonl(Path(folder) / MANIFEST, rows)


def read_facts(folder):
    """`folder/dataset.json` as a dict, or {} where there is none."""
    path = Path(folder) / FACTS
    if not path.is_file():
        return {}
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(facts, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return facts


def write_facts(folder, **facts):
    write_text(Path(folder) / FACTS, json.dumps(facts, indent=2, sort_keys=True) + "\n")


def parse_filter(text):
    """'studio=pixar' -> ('studio', 'pixar'); several filters joined by ',' must all hold. A
    bare name is a domain: 'A' -> ('domain', 'A') (junyanz's trainA, or a folder per domain)."""
    if text.strip() and "=" not in text and "," not in text:
        return (("domain", text.strip()),)
    pairs = []
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"bad tag filter {text!r}: expected TAG=VALUE[,TAG=VALUE...], "
                             "e.g. medium=3d or studio=pixar,split=train")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def select(rows, filters):
    """Rows whose tags match every (tag, value) pair; values compare as strings."""
    return [r for r in rows if all(str(r.get(k)) == v for k, v in filters)]


def rows(folder, filters=(), split=None, clips=False):
    """The manifest rows of `folder` that match `filters` (a 'TAG=VALUE,...' text or
    (tag, value) pairs) and `split` (None: any). clips: False leaves the frames of orbit
    clips out (the evaluations' still images), True keeps only them, None keeps both.
    Paths stay relative to `folder`."""
    filters = parse_filter(filters) if isinstance(filters, str) else tuple(filters)
    if split is not None:
        filters += (("split", str(split)),)
    return [r for r in select(read_manifest(folder), filters) if clips is None or ("clip" in r) == clips]


def describe_tags(rows, keys=("domain", "medium", "studio", "movie", "split")):
    """'medium: 2d, 3d; studio: ...' - what a user can filter on, for error messages."""
    return "; ".join(f"{k}: {', '.join(sorted({str(r[k]) for r in rows if k in r}))}"
                     for k in keys if any(k in r for r in rows))


def resolve_domains(folder, domain_a, domain_b):
    """The trainers' domain filters for `folder`: as given, except that the defaults
    (medium=3d, medium=2d) in a folder whose rows have domains and no media mean its
    domains A and B. Raises ValueError naming the domains when it has others."""
    if (domain_a, domain_b) != DEFAULT_DOMAINS:
        return domain_a, domain_b
    rows = read_manifest(folder)
    if any("medium" in r for r in rows) or not any("domain" in r for r in rows):
        return domain_a, domain_b
    domains = sorted({str(r["domain"]) for r in rows if "domain" in r})
    if {"A", "B"} <= set(domains):
        return "domain=A", "domain=B"
    raise ValueError(f"{folder} has the domains {', '.join(domains)}: name two of them, e.g. "
                     f"--domain-a {domains[0]} --domain-b {domains[-1]}")


def summarize(rows):
    """{'images': N, 'movies': {movie: count}}: what a model card says of its training data
    (rows without a movie tag, from a folder of someone's frames, count only as images)."""
    movies = {}
    for r in rows:
        if "movie" in r:
            movies[str(r["movie"])] = movies.get(str(r["movie"]), 0) + 1
    return {"images": len(rows), "movies": dict(sorted(movies.items()))}
