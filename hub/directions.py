"""The two ways through a CycleGAN, named after its domains. A `Direction` is what the
library returns and what the app, the evaluation and the model cards show, so no one
builds "3d -> 2d" from strings or parses it back."""

from dataclasses import dataclass

KEYS = ("a2b", "b2a")  # which generator runs: A -> B, or B -> A


def domain_name(tag_filter):
    """'medium=3d' -> '3d'; 'studio=pixar,split=train' -> 'pixar'."""
    return tag_filter.split(",")[0].partition("=")[2] or tag_filter


@dataclass(frozen=True)
class Direction:
    """key: which generator runs ('a2b' or 'b2a'); source and target: the domains' names."""

    key: str
    source: str
    target: str

    @property
    def name(self):
        """'3d -> 2d': what people read and pick, and the key of every evaluation record."""
        return f"{self.source} -> {self.target}"

    def __str__(self):
        return self.name


def between(a, b):
    """The domains' names (A, B) -> {'a2b': A -> B, 'b2a': B -> A}."""
    return {"a2b": Direction("a2b", a, b), "b2a": Direction("b2a", b, a)}


def of_config(config):
    """The directions of a CycleGAN folder's config.json."""
    return between(config["domain_a_name"], config["domain_b_name"])


def of_filters(domain_a, domain_b):
    """The directions between two tag filters, such as medium=3d and medium=2d,studio=cel."""
    return between(domain_name(domain_a), domain_name(domain_b))


def find(directions, value):
    """A Direction, its key ('a2b') or its name ('3d -> 2d', spaces optional) -> that
    Direction among `directions` ({key: Direction}); a ValueError naming the choices if none."""
    if isinstance(value, Direction) and directions.get(value.key) == value:
        return value
    for direction in directions.values():
        if str(value) == direction.key or str(value).replace(" ", "") == direction.name.replace(" ", ""):
            return direction
    choices = [*directions, *(d.name for d in directions.values())]
    raise ValueError(f"direction must be one of {choices}, got {value!r}")
