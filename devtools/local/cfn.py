"""Reading the translated (plain CloudFormation) template: which resource a reference names,
and the few intrinsic functions the local stack needs resolved against the deployed stack."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.Arn)?\}")  # ${X} or ${X.Arn}, not ${AWS::Region}


class UnsupportedTemplate(ValueError):
    """The template uses something the local stack cannot emulate; the message says what."""


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == resource_type:
            yield logical_id, resource.get("Properties", {})


def referenced_resource(value: Any) -> str | None:
    """The logical id that a Ref, a GetAtt or a Sub of "${X}" or "${X.Arn}" points at, else None."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    if function == "Ref" and isinstance(argument, str):
        return argument
    if function == "Fn::GetAtt":
        parts = argument.split(".", 1) if isinstance(argument, str) else argument
        return str(parts[0]) if parts else None
    if function == "Fn::Sub":
        text = argument[0] if isinstance(argument, list) else argument
        match = _SUB_REFERENCE.search(text) if isinstance(text, str) else None
        return match.group(1) if match else None
    return None


def parameter_values(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    """The template's parameters as a deploy gets them: the given ones, else their defaults."""
    defaults = {
        name: str(spec["Default"]) for name, spec in template.get("Parameters", {}).items() if "Default" in spec
    }
    return {**defaults, **given}


@dataclass(frozen=True)
class Resolver:
    """Values of the deployed stack: its parameters, each resource's physical id, and the
    template's conditions (evaluated with those parameters)."""

    parameters: Mapping[str, str] = field(default_factory=dict)
    physical_ids: Mapping[str, str] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise UnsupportedTemplate(f"no condition {name} in the template")
        return self._truth(self.conditions[name])

    def _truth(self, expression: Any) -> bool:
        if not isinstance(expression, Mapping) or len(expression) != 1:
            raise UnsupportedTemplate(f"the local stack does not evaluate the condition {expression}")
        ((function, argument),) = expression.items()
        if function == "Fn::Equals":
            left, right = (self.value(a) for a in argument)
            return bool(str(left) == str(right))
        if function == "Fn::Not":
            return not self._truth(argument[0])
        if function == "Fn::And":
            return all(self._truth(a) for a in argument)
        if function == "Fn::Or":
            return any(self._truth(a) for a in argument)
        if function == "Condition":
            return self.condition(str(argument))
        raise UnsupportedTemplate(f"the local stack does not evaluate the condition {expression}")

    def value(self, value: Any) -> Any:
        """A literal stays itself; Ref to a parameter or resource, GetAtt X.Name, Fn::If of a
        template condition, Fn::Join, Fn::Split and Fn::Select resolve; lists and objects resolve
        element by element; anything else is refused by name."""
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1 and next(iter(value)) == "Fn::If":
            condition, when_true, when_false = value["Fn::If"]
            return self.value(when_true if self.condition(str(condition)) else when_false)
        if len(value) == 1 and next(iter(value)) in ("Fn::Join", "Fn::Split", "Fn::Select"):
            ((function, (first, second)),) = value.items()
            if function == "Fn::Join":
                return str(first).join(str(v) for v in _listed(self.value(second)))
            if function == "Fn::Split":
                return str(self.value(second)).split(str(first))
            return _listed(self.value(second))[int(self.value(first))]
        if len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt"):
            name = referenced_resource(value)
            if name in self.parameters:
                return self.parameters[name]
            if name in self.physical_ids:
                return self.physical_ids[name]
            raise UnsupportedTemplate(f"cannot resolve {value} locally")
        if any(str(key).startswith("Fn::") for key in value):
            raise UnsupportedTemplate(f"the local stack does not evaluate {next(iter(value))}: {value}")
        return {key: self.value(v) for key, v in value.items()}


def _listed(value: Any) -> list[Any]:
    """A list as CloudFormation has it: a CommaDelimitedList parameter's value (a string here) is
    the list of its comma-separated parts."""
    return value if isinstance(value, list) else str(value).split(",")
