"""Reading the translated (plain CloudFormation) template: which resource a reference names,
and the few intrinsic functions the local stack needs resolved against the deployed stack."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_SUB_ARN = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}")


class UnsupportedTemplate(ValueError):
    """The template uses something the local stack cannot emulate; the message says what."""


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == resource_type:
            yield logical_id, resource.get("Properties", {})


def referenced_resource(value: Any) -> str | None:
    """The logical id that a Ref, a GetAtt or a Sub of "${X.Arn}" points at, else None."""
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
        match = _SUB_ARN.search(text) if isinstance(text, str) else None
        return match.group(1) if match else None
    return None


@dataclass(frozen=True)
class Resolver:
    """Values of the deployed stack: its parameters and each resource's physical id."""

    parameters: Mapping[str, str] = field(default_factory=dict)
    physical_ids: Mapping[str, str] = field(default_factory=dict)

    def value(self, value: Any) -> Any:
        """A literal stays itself; Ref to a parameter or resource, and GetAtt X.Name, resolve;
        lists and objects resolve element by element; anything else is refused by name."""
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if not isinstance(value, Mapping):
            return value
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
