"""The HttpApi routes of the translated template (its OpenAPI body), and API Gateway's route
selection: the most specific path wins ({param} over {proxy+}), a method over ANY."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from devtools.local.cfn import UnsupportedTemplate, referenced_resource, resources_of_type

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
ANY_METHOD = "x-amazon-apigateway-any-method"
_PARAMETER = re.compile(r"^\{([^{}+]+)(\+?)\}$")


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ... or ANY
    path: str  # as in the template: /accounts/{account_id}
    function: str  # logical id of the integration's function
    authorized: bool  # the route has the JWT authorizer
    api: str = "HttpApi"  # logical id of the API
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names: list[str] = []
        parts: list[str] = []
        for segment in self.path.strip("/").split("/"):
            parameter = _PARAMETER.match(segment)
            if parameter is None:
                parts.append(re.escape(segment))
                continue
            names.append(parameter.group(1))
            parts.append("(.+)" if parameter.group(2) else "([^/]+)")
        object.__setattr__(self, "_pattern", re.compile("^/" + "/".join(parts) + "$"))
        object.__setattr__(self, "_names", tuple(names))

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Smaller sorts first: no greedy parameter, fewer parameters, then a method over ANY."""
        greedy = sum(1 for segment in self.path.split("/") if segment.endswith("+}"))
        return (greedy, len(self._names), 1 if self.method == "ANY" else 0)

    def parameters(self, raw_path: str) -> dict[str, str] | None:
        match = self._pattern.match(raw_path)
        if match is None:
            return None
        return {name: unquote(value) for name, value in zip(self._names, match.groups(), strict=True)}


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = sorted(routes, key=lambda r: (r.specificity, r.path, r.method))

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        for route in self.routes:
            if route.method not in (method.upper(), "ANY"):
                continue
            parameters = route.parameters(raw_path)
            if parameters is not None:
                return RouteMatch(route, parameters)
        return None


def _integration_function(operation: Mapping[str, Any], where: str, aliases: Mapping[str, str]) -> str:
    integration = operation.get("x-amazon-apigateway-integration", {})
    target = referenced_resource(integration.get("uri"))
    if target is None:
        raise UnsupportedTemplate(f"{where}: only Lambda proxy integrations are emulated, got {integration}")
    # an alias (AutoPublishAlias) runs its function: the local stack runs the current code
    return aliases.get(target, target)


def _alias_functions(template: Mapping[str, Any]) -> dict[str, str]:
    """Logical id of each AWS::Lambda::Alias -> logical id of its function."""
    functions = {}
    for alias_id, properties in resources_of_type(template, "AWS::Lambda::Alias"):
        function = referenced_resource(properties.get("FunctionName"))
        if function is not None:
            functions[alias_id] = function
    return functions


def routes_from_template(template: Mapping[str, Any]) -> list[Route]:
    """Every route of every AWS::ApiGatewayV2::Api with an OpenAPI body (what SAM's HttpApi
    events become), with the function it integrates and whether an authorizer guards it."""
    routes: list[Route] = []
    aliases = _alias_functions(template)
    for api_id, properties in resources_of_type(template, "AWS::ApiGatewayV2::Api"):
        body = properties.get("Body") or {}
        default_security = body.get("security", [])
        for path, operations in body.get("paths", {}).items():
            for key, operation in operations.items():
                if key != ANY_METHOD and key.lower() not in HTTP_METHODS:
                    continue
                method = "ANY" if key == ANY_METHOD else key.upper()
                where = f"{api_id} {method} {path}"
                security = operation.get("security", default_security)
                routes.append(
                    Route(
                        method=method,
                        path=path,
                        function=_integration_function(operation, where, aliases),
                        authorized=any(bool(requirement) for requirement in security),
                        api=api_id,
                    )
                )
    return routes


def jwt_authorizer(template: Mapping[str, Any], api_id: str) -> dict[str, Any]:
    """The JWT configuration (issuer, audience) of an API's authorizer, unresolved."""
    for logical_id, properties in resources_of_type(template, "AWS::ApiGatewayV2::Api"):
        if logical_id != api_id:
            continue
        schemes = properties.get("Body", {}).get("components", {}).get("securitySchemes", {})
        for scheme in schemes.values():
            authorizer = scheme.get("x-amazon-apigateway-authorizer", {})
            if authorizer.get("type") == "jwt":
                config: dict[str, Any] = authorizer.get("jwtConfiguration", {})
                return config
    return {}
