"""A run's objective as one frozen value: its name and the weights and settings of its loss
terms. A config builds it from the fields that trainer.config marks as loss terms
(Objective.of), it is checked when built, the trainers' loss code reads it
(`self.objective.lambda_cycle`), and the model card records it whole: a new loss weight is
a config field and the line of loss code that uses it (docs/architecture.md)."""

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType

CHOICES = {"adversarial_loss": ("bce", "lsgan"), "nce_idt": ("auto", "on", "off"),
           "flip_equivariance": ("auto", "on", "off")}


def loss_term(*objectives):
    """Field metadata: the field is a term of the objective (of the named objectives only,
    where a config trains several)."""
    return {"loss_term": objectives or True}


def _term_of(field, objective):
    applies = field.metadata.get("loss_term")
    return applies is True or bool(applies) and objective in applies


@dataclass(frozen=True)
class Objective:
    name: str
    terms: MappingProxyType

    def __post_init__(self):
        object.__setattr__(self, "terms", MappingProxyType(dict(self.terms)))
        for key, value in self.terms.items():
            flag = "--" + key.replace("_", "-")
            if key in CHOICES and value not in CHOICES[key]:
                raise ValueError(f"{flag} {value!r}: choose {', '.join(CHOICES[key])}")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{flag} must be >= 0, not {value}")

    @classmethod
    def of(cls, config):
        """The objective a config trains: its name and its loss-term fields."""
        name = config.objective_name
        return cls(name, {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if _term_of(f, name)})

    def __getattr__(self, key):  # only for names that are not attributes: the terms
        terms = self.__dict__.get("terms", {})
        if key in terms:
            return terms[key]
        raise AttributeError(f"the {self.__dict__.get('name')} objective has no term {key!r}")

    def replace(self, **terms):
        """The same objective with some terms changed (as trainers built in code take them)."""
        unknown = sorted(set(terms) - set(self.terms))
        if unknown:
            raise ValueError(f"the {self.name} objective has no term {', '.join(unknown)}; "
                             f"its terms: {', '.join(self.terms)}")
        return Objective(self.name, {**self.terms, **terms})

    def record(self):
        """What the model card's training facts say of it."""
        return {"objective": self.name, **self.terms}
