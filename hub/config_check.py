"""Checks a model folder's config.json before anything runs on it: the fields inference
reads, with their types and ranges, and the file names it joins to the folder. A bad
value is a ModelFolderError naming the field, instead of a MemoryError or a
ZeroDivisionError at the first picture (or a file outside the folder)."""

import re

from hub.directions import KEYS
from hub.errors import ModelFolderError

SHA256 = re.compile(r"[0-9a-f]{64}")


def _whole(low, high):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, got {value!r}"
        if not low <= value <= high:
            return f"must be from {low} to {high}, got {value}"
        return None
    return check


def _text(value):
    return None if isinstance(value, str) and value.strip() else f"must be a non-empty string, got {value!r}"


def _file_name(suffix):
    def check(value):
        if not isinstance(value, str) or not value.endswith(suffix) or "/" in value or "\\" in value or \
                value.startswith("."):
            return f"must be a file name in the folder ending in {suffix}, got {value!r}"
        return None
    return check


def _label_groups(value):
    if not isinstance(value, list) or not value:
        return f"must be a non-empty list of [tag, [values]], got {value!r}"
    for group in value:
        if not (isinstance(group, list) and len(group) == 2 and _text(group[0]) is None
                and isinstance(group[1], list) and len(group[1]) >= 2 and all(_text(v) is None for v in group[1])):
            return f"each entry must be [tag, [two or more values]], got {group!r}"
    return None


def _styles(value):
    if not isinstance(value, list) or not all(
            isinstance(style, dict) and all(_text(k) is None and _text(v) is None for k, v in style.items())
            for style in value):
        return f"must be a list of {{tag: value}} objects, got {value!r}"
    return None


def _directions(value):
    if not isinstance(value, list) or not set(value) <= set(KEYS):
        return f"must be a list of {' and '.join(map(repr, KEYS))}, got {value!r}"
    return None


def _label_names(value):
    if not isinstance(value, list) or not all(isinstance(v, str) and "=" in v for v in value):
        return f"must be a list of label names such as 'studio=cel', got {value!r}"
    return None


def _onnx_records(value):
    if not isinstance(value, dict):
        return f"must be an object, got {value!r}"
    for name, record in value.items():
        problem = _file_name(".onnx")(name)
        if problem:
            return f"key {problem}"
        if not isinstance(record, dict):
            return f"{name}: must be an object, got {record!r}"
        problem = _file_name(".keras")(record.get("keras_file"))
        if problem:
            return f"{name}: keras_file {problem}"
        for key in ("keras_sha256", "onnx_sha256"):
            if key in record and not (isinstance(record[key], str) and SHA256.fullmatch(record[key])):
                return f"{name}: {key} must be 64 lowercase hex digits, got {record[key]!r}"
    return None


COMMON = {"image_size": _whole(8, 4096), "format_version": _whole(1, 10**6), "onnx": _onnx_records}
REQUIRED = {
    "cyclegan": {"size_multiple": _whole(1, 1024), "domain_a_name": _text, "domain_b_name": _text},
    "caae": {"label_groups": _label_groups},
}
OPTIONAL = {"cyclegan": {"flat_fills": _directions}, "caae": {"styles": _styles, "latent_dim": _whole(1, 2**24),
                                                               "flat_fills": _label_names}}


def check(config, model_id, architecture):
    """Raise ModelFolderError unless `config` (config.json, parsed) can serve a model of
    `architecture` ('cyclegan' or 'caae')."""
    if not isinstance(config, dict):
        raise ModelFolderError(f"{model_id}: config.json must hold a JSON object, got {type(config).__name__}")
    found = config.get("architecture", architecture)
    if found != architecture:
        raise ModelFolderError(f"{model_id}: config.json says architecture {found!r}, not {architecture!r}; "
                               f"load it with hub.auto.from_pretrained or its own class")
    required = {"image_size": COMMON["image_size"], **REQUIRED[architecture]}
    missing = [key for key in required if key not in config]
    if missing:
        raise ModelFolderError(f"{model_id}: config.json lacks {', '.join(missing)}")
    for key, rule in {**COMMON, **REQUIRED[architecture], **OPTIONAL[architecture]}.items():
        problem = rule(config[key]) if key in config else None
        if problem:
            raise ModelFolderError(f"{model_id}: config.json field {key!r} {problem}")
