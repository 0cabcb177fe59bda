"""A run's objective as one frozen value: its name and the weights and settings of its loss
terms. A config builds it from the fields that trainer.config marks as loss terms
(Objective.of), it is checked when built, the trainers' loss code reads it
(`self.objective.lambda_cycle`), and the model card records it whole: a new loss weight is
a config field and the line of loss code that uses it (docs/architecture.md)."""

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType


def loss_term(*objectives):
    """Field metadata: the field is a term of the objective (of the named objectives only,
    where a config trains several)."""
    return {"loss_term": objectives or True}


def _term_of(config_field, objective):
    applies = config_field.metadata.get("loss_term")
    return applies is True or bool(applies) and objective in applies


@dataclass(frozen=True)
class Objective:
    name: str
    terms: MappingProxyType
    choices: MappingProxyType = field(default_factory=dict)  # term -> the values it may take (its --flag's choices)

    def __post_init__(self):
        object.__setattr__(self, "terms", MappingProxyType(dict(self.terms)))
        object.__setattr__(self, "choices", MappingProxyType(dict(self.choices)))
        for key, value in self.terms.items():
            flag = "--" + key.replace("_", "-")
            if key in self.choices and value not in self.choices[key]:
                raise ValueError(f"{flag} {value!r}: choose {', '.join(self.choices[key])}")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{flag} must be >= 0, not {value}")

    @classmethod
    def of(cls, config):
        """The objective a config trains: its name and its loss-term fields."""
        name = config.objective_name
        fields = [f for f in dataclasses.fields(config) if _term_of(f, name)]
        return cls(name, {f.name: getattr(config, f.name) for f in fields},
                   {f.name: tuple(f.metadata["choices"]) for f in fields if "choices" in f.metadata})

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
        return Objective(self.name, {**self.terms, **terms}, self.choices)

    def record(self):
        """What the model card's training facts say of it."""
        return {"objective": self.name, **self.terms}
