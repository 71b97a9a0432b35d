"""template.yaml's intrinsic functions and rules, resolved offline with given parameter values (the
others at their defaults), as CloudFormation would: so a test reads what a stack deployed with
those parameters gets, and which parameter values the template's Rules refuse, and why.

Resources and pseudo parameters are not deployed: a Ref or GetAtt of one stays a placeholder,
`<Name>` or `<Name.Attribute>`. Only the functions the template uses are known; any other is an
error, so a test never passes on something it did not resolve."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

NO_VALUE = object()  # Ref AWS::NoValue: dropped from the list or object holding it


@dataclass(frozen=True)
class Stack:
    template: dict[str, Any]
    given: dict[str, str | list[str]]

    def parameter(self, name: str) -> str | list[str] | None:
        spec = self.template["Parameters"].get(name)
        if spec is None:
            return None
        value = self.given.get(name, spec.get("Default", ""))
        if spec["Type"] == "CommaDelimitedList" and isinstance(value, str):
            return value.split(",")
        return value if isinstance(value, list) else str(value)

    def condition(self, name: str) -> bool:
        return self.truth(self.template["Conditions"][name])

    def truth(self, expression: Any) -> bool:
        [(function, argument)] = expression.items()
        if function == "Fn::Equals":
            left, right = (self.resolve(a) for a in argument)
            return bool(left == right) if isinstance(left, list) else str(left) == str(right)
        if function == "Fn::Not":
            return not self.truth(argument[0])
        if function == "Fn::And":
            return all(self.truth(a) for a in argument)
        if function == "Fn::Or":
            return any(self.truth(a) for a in argument)
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Contains":
            members, value = (self.resolve(a) for a in argument)
            return str(value) in [str(m) for m in members]
        if function == "Fn::EachMemberEquals":
            members, value = (self.resolve(a) for a in argument)
            return all(str(m) == str(value) for m in members)
        raise ValueError(f"unknown condition function {function}")

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.resolve(n) for n in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            [(function, argument)] = node.items()
            if function == "Ref" or function.startswith("Fn::"):
                return self._function(function, argument)
        resolved = {k: self.resolve(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _function(self, function: str, argument: Any) -> Any:
        if function == "Ref":
            if argument == "AWS::NoValue":
                return NO_VALUE
            value = self.parameter(argument)
            return f"<{argument}>" if value is None else value
        if function == "Fn::GetAtt":
            return f"<{argument if isinstance(argument, str) else '.'.join(argument)}>"
        if function == "Fn::If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self.condition(condition) else when_false)
        if function == "Fn::Select":
            index, items = (self.resolve(a) for a in argument)
            return items[int(index)]
        if function == "Fn::Split":
            separator, text = (self.resolve(a) for a in argument)
            return str(text).split(separator)
        if function == "Fn::Join":
            separator, items = (self.resolve(a) for a in argument)
            return separator.join(str(i) for i in items)
        if function == "Fn::FindInMap":
            mapping, key, name = (self.resolve(a) for a in argument)
            return self.template["Mappings"][mapping][key][name]
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            values = {name: self.resolve(value) for name, value in variables.items()}

            def value(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in values:
                    return str(values[name])
                if "." in name:
                    return f"<{name}>"
                found = self.parameter(name)
                return f"<{name}>" if found is None else str(found)

            return re.sub(r"\$\{([^}!]+)\}", value, text)
        raise ValueError(f"unknown intrinsic function {function}")

    def refused_by_rules(self) -> list[str]:
        """The AssertDescription of every rule assertion these parameter values fail."""
        refused = []
        for rule in self.template.get("Rules", {}).values():
            if "RuleCondition" in rule and not self.truth(rule["RuleCondition"]):
                continue
            refused += [a["AssertDescription"] for a in rule["Assertions"] if not self.truth(a["Assert"])]
        return refused


def deployed(template: dict[str, Any], **given: str | list[str]) -> Stack:
    return Stack(template, given)
