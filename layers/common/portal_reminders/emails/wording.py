"""The firm's own words for an email (SPEC R21): a subject and a plain-text body with placeholders.

The firm writes text, never HTML: `{{client_name}}`-style placeholders are the only thing in it that
is not taken literally. Jinja2 parses it (in a sandbox, every name outside PLACEHOLDERS refused, and
every tag, filter, attribute, call or expression beyond a bare placeholder refused when the wording
is stored), and renders it twice: as text with the values as they are, and as HTML with the firm's
own text and every value escaped (autoescape), so that `<script>` in either arrives as text.
Blank lines make paragraphs. Jinja2 is imported on first use: the api's start never pays for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from portal_reminders.models.domain import WORDING_BODY_MAX, WORDING_PLACEHOLDERS, WORDING_SUBJECT_MAX

if TYPE_CHECKING:
    from jinja2 import Template, nodes

PLACEHOLDERS = WORDING_PLACEHOLDERS
SUBJECT_MAX_LENGTH = WORDING_SUBJECT_MAX
BODY_MAX_LENGTH = WORDING_BODY_MAX
_SPACE = " \t\n\r"
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True, slots=True)
class Wording:
    """A subject (one line) and a body (paragraphs between blank lines) the firm wrote."""

    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class WordingProblem:
    field: str  # "subject" or "body"
    message: str


@dataclass(frozen=True, slots=True)
class RenderedWording:
    subject: str
    # each paragraph as text and as HTML (escaped, line breaks still "\n")
    paragraphs: tuple[tuple[str, str], ...]


def normalized(text: str) -> str:
    """Line ends as "\\n", no trailing blank: how a wording is stored."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip(_SPACE)


def problems(wording: Wording) -> list[WordingProblem]:
    """What is wrong with the wording, field by field (empty when it may be stored): blank, too
    long, or more than text and placeholders (the API's schema also holds each field to the
    character rules its document states)."""
    return field_problems("subject", wording.subject) + field_problems("body", wording.body)


def field_problems(field: str, text: str) -> list[WordingProblem]:
    limit = SUBJECT_MAX_LENGTH if field == "subject" else BODY_MAX_LENGTH
    if not text.strip(_SPACE):
        return [WordingProblem(field, f"{field} must not be blank")]
    if len(text) > limit:
        return [WordingProblem(field, f"{field} is longer than {limit:,} characters")]
    if field == "subject" and ("\n" in text or "\r" in text):
        return [WordingProblem(field, "subject must be a single line")]
    return _template_problems(field, normalized(text) if field == "body" else text)


def render(wording: Wording, values: Mapping[str, str], subject_values: Mapping[str, str]) -> RenderedWording:
    """The wording with the values in. `values` and `subject_values` name every placeholder (the
    subject's are bounded single lines); a wording must have passed `problems` first."""
    subject = _compiled(wording.subject, html=False).render(_complete(subject_values))
    body_values = _complete(values)
    text = _compiled(normalized(wording.body), html=False).render(body_values)
    html = _compiled(normalized(wording.body), html=True).render(body_values)
    text_paragraphs, html_paragraphs = _paragraphs(text), _paragraphs(html)
    if len(text_paragraphs) != len(html_paragraphs):  # escaping never adds or removes a line break
        raise AssertionError("the text and HTML renderings of a wording differ in paragraphs")
    return RenderedWording(subject=subject, paragraphs=tuple(zip(text_paragraphs, html_paragraphs, strict=True)))


def _complete(values: Mapping[str, str]) -> dict[str, str]:
    missing = set(PLACEHOLDERS) - set(values)
    if missing:
        raise ValueError(f"no value for {sorted(missing)}")
    return {name: values[name].replace("\r\n", "\n").replace("\r", "\n") for name in PLACEHOLDERS}


def _paragraphs(rendered: str) -> list[str]:
    return [part.strip("\n") for part in _BLANK_LINE.split(rendered.strip()) if part.strip()]


def _template_problems(field: str, source: str) -> list[WordingProblem]:
    from jinja2 import TemplateSyntaxError, nodes  # noqa: PLC0415

    try:
        tree = _environment(html=False).parse(source)
    except TemplateSyntaxError as error:
        return [WordingProblem(field, f"{field} line {error.lineno}: {error.message}")]
    found: list[WordingProblem] = []
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            found.append(WordingProblem(field, f"{field} may hold only text and placeholders: no {{% %}} tags"))
            continue
        for node in statement.nodes:
            found += _node_problems(field, node)
    return found


def _node_problems(field: str, node: nodes.Node) -> list[WordingProblem]:
    from jinja2 import nodes  # noqa: PLC0415

    if isinstance(node, nodes.TemplateData):
        return []
    if isinstance(node, nodes.Name):
        if node.name in PLACEHOLDERS:
            return []
        known = ", ".join(f"{{{{{name}}}}}" for name in PLACEHOLDERS)
        return [
            WordingProblem(field, f"unknown placeholder {{{{{node.name}}}}} in {field}; the placeholders are {known}")
        ]
    what = {nodes.Filter: "filters", nodes.Getattr: "attributes", nodes.Getitem: "indexes", nodes.Call: "calls"}
    named = next((name for kind, name in what.items() if isinstance(node, kind)), "expressions")
    return [WordingProblem(field, f"{field} may hold only placeholders like {{{{client_name}}}}: no {named}")]


@lru_cache(maxsize=2)
def _environment(*, html: bool) -> Any:
    from jinja2 import StrictUndefined  # noqa: PLC0415
    from jinja2.sandbox import SandboxedEnvironment  # noqa: PLC0415

    environment = SandboxedEnvironment(autoescape=html, undefined=StrictUndefined)
    # no globals (range, lipsum...) a template could reach: only the values it is rendered with
    environment.globals.clear()
    return environment


@lru_cache(maxsize=256)
def _compiled(source: str, *, html: bool) -> Template:
    """The wording as a template; for HTML, its own text is escaped first (the firm writes text),
    and autoescape escapes the values."""
    from jinja2 import nodes  # noqa: PLC0415
    from markupsafe import escape  # noqa: PLC0415

    environment = _environment(html=html)
    tree = environment.parse(source)
    if html:
        for data in tree.find_all(nodes.TemplateData):
            data.data = str(escape(data.data))
    template: Template = environment.from_string(tree)
    return template
