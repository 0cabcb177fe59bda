"""The CAAE's label vector: one one-hot group per manifest tag, concatenated.

`--labels medium,studio,movie` over a dataset with media {2d, 3d}, studios {cel, clay}
and movies {a, b, c} gives a 7-wide vector named
[medium=2d, medium=3d, studio=cel, studio=clay, movie=a, movie=b, movie=c]: groups in
the order given, values sorted. The order is saved with the model, so a label means the
same thing wherever the weights are loaded.
"""

from dataclasses import dataclass

import numpy as np

from hub.errors import LabelError


@dataclass(frozen=True)
class LabelSpace:
    groups: tuple  # ((tag, (value, ...)), ...)

    @classmethod
    def from_rows(cls, rows, tags):
        """The label space of manifest `rows` for the tag names `tags`."""
        tags = [t.strip() for t in tags if t.strip()]
        if not tags:
            raise ValueError("--labels needs at least one tag name, e.g. medium,studio,movie")
        if len(set(tags)) != len(tags):
            raise ValueError(f"--labels names a tag twice: {','.join(tags)}")
        groups = []
        for tag in tags:
            missing = sum(1 for r in rows if tag not in r)
            if missing:
                raise ValueError(f"label tag {tag!r} is missing from {missing} of {len(rows)} manifest rows")
            values = sorted({str(r[tag]) for r in rows})
            if len(values) < 2:
                raise ValueError(f"label tag {tag!r} has only one value ({values[0]!r}) in the data: "
                                 "a label group needs two or more values to choose between")
            groups.append((tag, tuple(values)))
        return cls(tuple(groups))

    @classmethod
    def from_config(cls, config):
        return cls(tuple((tag, tuple(values)) for tag, values in config))

    def to_config(self):
        return [[tag, list(values)] for tag, values in self.groups]

    @property
    def tags(self):
        return [tag for tag, _ in self.groups]

    @property
    def names(self):
        """Human-readable name of each vector entry, e.g. 'studio=cel'."""
        return [f"{tag}={value}" for tag, values in self.groups for value in values]

    @property
    def size(self):
        return len(self.names)

    def slices(self, tags):
        """(offset, width) in the label vector of each named group, in the order given."""
        offsets, offset = {}, 0
        for tag, values in self.groups:
            offsets[tag] = (offset, len(values))
            offset += len(values)
        unknown = [t for t in tags if t not in offsets]
        if unknown:
            raise LabelError(f"{', '.join(map(repr, unknown))} is not a label tag here "
                             f"(the labels are {', '.join(self.tags)})")
        return [offsets[t] for t in tags]

    def knows(self, tags):
        """True if every group has a value in `tags` that this label space knows."""
        return all(str(tags.get(tag)) in values for tag, values in self.groups)

    def encode(self, tags, partial=False):
        """{tag: value} (a manifest row will do: other keys are ignored) -> float32 one-hot
        vector. partial: a group left out takes the uniform blend of its values instead of
        raising."""
        if partial and not any(tag in tags for tag in self.tags):
            raise LabelError(f"a label names one or more of the tags {', '.join(self.tags)}, got {dict(tags)}")
        vector = np.zeros(self.size, np.float32)
        offset = 0
        for tag, values in self.groups:
            if tag in tags:
                value = str(tags[tag])
                if value not in values:
                    raise LabelError(f"unknown {tag} {value!r}: this model knows {', '.join(values)}")
                vector[offset + values.index(value)] = 1.0
            elif partial:
                vector[offset:offset + len(values)] = 1.0 / len(values)
            else:
                raise LabelError(f"label needs a value for {tag!r} (one of {', '.join(values)})")
            offset += len(values)
        return vector

    def weighted(self, weights):
        """{'medium=2d': 0.7, 'medium=3d': 0.3, ...} -> float32 vector: each named entry
        gets its weight in [0, 1] (mixed weights blend styles, as the app's sliders do). A
        group none of whose entries is named takes the uniform blend of its values; a group
        named only with zeros is refused, as a style the decoder never saw."""
        unknown = [name for name in weights if name not in self.names]
        if unknown:
            raise LabelError(f"unknown label {', '.join(map(repr, unknown))}: this model knows "
                             f"{', '.join(self.names)}")
        vector = np.array([float(weights.get(name, 0.0)) for name in self.names], np.float32)
        if not np.all(np.isfinite(vector)) or vector.min() < 0 or vector.max() > 1:
            raise LabelError(f"label weights must be in [0, 1], got {dict(weights)}")
        for (offset, width), (tag, values) in zip(self.slices(self.tags), self.groups):
            named = [f"{tag}={v}" for v in values if f"{tag}={v}" in weights]
            if not named:
                vector[offset:offset + width] = 1.0 / width
            elif not vector[offset:offset + width].any():
                raise LabelError(f"give a weight to one of {', '.join(f'{tag}={v}' for v in values)}")
        return vector
