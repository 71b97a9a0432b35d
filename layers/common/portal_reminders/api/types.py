"""Field types shared by request and response schemas (SPEC §5 formats and limits).

Every rule a type enforces is in its JSON schema too (openapi.json is generated from these), so
the document says exactly what the server accepts: a request the document allows is never
refused for its form, and one it forbids always is. Patterns are checked by pydantic's regex
engine with the same anchors the document shows; whitespace is trimmed only after the checks.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from portal_reminders import zones
from portal_reminders.models.domain import (
    LEGACY_PORTUGUESE,
    MAX_STEP_DAYS,
    MIN_STEP_DAYS,
    WORDING_BODY_MAX,
    WORDING_PLACEHOLDERS,
    WORDING_SUBJECT_MAX,
    Language,
)

# Printable ASCII, then dot-atom local part (RFC 5322) @ a host name of labels and a letters-only
# top-level domain: what mail servers deliver to, without quoted local parts or IP literals.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
EMAIL_PATTERN = rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}}$"
# One line of printable text with something besides spaces: names and titles end up in email
# headers (From, Subject). Spaces around it are trimmed.
NAME_PATTERN = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$"
# Free text with something besides whitespace (searched, not anchored). Whitespace around it is trimmed.
TEXT_PATTERN = r"[^ \t\n\r\f\v]"
_TEXT_SPACE = " \t\n\r\f\v"
URL_PATTERN = r"^https?://[^\x00-\x20\x7f/$.?#][^\x00-\x20\x7f]*$"
# Only https for what the client's mail program fetches (the firm's logo): mail programs block or
# warn about images over plain http.
HTTPS_URL_PATTERN = r"^https://[^\x00-\x20\x7f/$.?#][^\x00-\x20\x7f]*$"
HEX_COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
# Lines of printable text (tabs and line breaks allowed, no other control character) with
# something besides whitespace: a signature.
MULTILINE_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
MAX_SIGNATURE = 1000
# A host name as DNS has it, lowercase: labels of letters, digits and hyphens (not at either
# end, at most 63 each), at least two, the last one letters (or an IDN's xn-- form).
DOMAIN_PATTERN = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
MAX_DOMAIN = 253
_DOMAIN = re.compile(DOMAIN_PATTERN)
_HTTPS_URL = re.compile(HTTPS_URL_PATTERN)
_HEX_COLOR = re.compile(HEX_COLOR_PATTERN)
_MULTILINE_TEXT = re.compile(MULTILINE_TEXT_PATTERN)
MAX_URL = 2000
CURRENCY_PATTERN = r"^[A-Z]{3}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# A positive amount with at most 2 decimal places and 12 integer digits, as a string ("1250.00").
AMOUNT_PATTERN = r"^(?:[1-9][0-9]{0,11}(?:\.[0-9]{1,2})?|0\.(?:0[1-9]|[1-9][0-9]?))$"
_AMOUNT = re.compile(AMOUNT_PATTERN)
MAX_LOCAL_PART = 64
# A wall-clock time of day, 24-hour: "09:00", "17:30".
CLOCK_TIME_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
# The document's schema of a zone name: api/openapi.py adds it once and points every schema marked
# with TIME_ZONE_MARK at it. Not an enum: the ~600 names would each become a constant of a
# generated client (and GMT+0, GMT-0 and GMT0 collide as GMT0); a pattern that matches exactly the
# names the pinned tzdata lists, grouped by area, so that a name the document allows is one the
# server accepts. The server still checks the list itself (a 422 naming the field).
TIME_ZONE_SCHEMA = "TimeZone"
TIME_ZONE_MARK = "x-time-zone"
TIME_ZONE_FORMAT = "time-zone"


def _alternatives(names: list[list[str]]) -> str:
    """A regular expression (ECMA-262 and Python alike) matching exactly these names, given as
    their "/"-separated segments, each area written once: Africa/(?:Abidjan|Accra|...)|..."""
    leaves = sorted({"/".join(name) for name in names if len(name) == 1})
    areas: dict[str, list[list[str]]] = {}
    for name in names:
        if len(name) > 1:
            areas.setdefault(name[0], []).append(name[1:])
    parts = [_literal(leaf) for leaf in leaves]
    parts += [f"{_literal(area)}/(?:{_alternatives(rest)})" for area, rest in sorted(areas.items())]
    return "|".join(parts)


def _literal(text: str) -> str:
    # zone names hold letters, digits, "_", "-" and "+": only "+" means something in a pattern
    return text.replace("+", r"\+")


def time_zone_json_schema() -> dict[str, Any]:
    names = zones.names()
    return {
        "title": TIME_ZONE_SCHEMA,
        "description": (
            "An IANA time zone name, like Europe/Lisbon or America/Sao_Paulo: one of the tz database's zones and "
            "links, as the pinned tzdata lists them (the pattern matches exactly those names)."
        ),
        "type": "string",
        "format": TIME_ZONE_FORMAT,
        "pattern": f"^(?:{_alternatives([name.split('/') for name in names])})$",
        "examples": ["Europe/Lisbon", "America/Sao_Paulo", "UTC"],
    }


_DATE = re.compile(DATE_PATTERN)


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(value: Any) -> Decimal:
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise ValueError('must be a positive amount as a string with at most 2 decimal places, like "1250.00"')
    return Decimal(value)


def _local_part_fits(value: str) -> str:
    # RFC 5321's limit on the part before the @, which `format: email` carries
    if len(value.rpartition("@")[0]) > MAX_LOCAL_PART:
        raise ValueError(f"the part before @ has at most {MAX_LOCAL_PART} characters")
    return value


def _iso_date(value: Any) -> Any:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


def _known_zone(value: str) -> str:
    if not zones.is_known(value):
        raise ValueError("must be an IANA time zone name, like Europe/Lisbon or America/Sao_Paulo")
    return value


def _domain_name(value: Any) -> Any:
    """A sending domain, with a message that says what is wrong with it."""
    if not isinstance(value, str):
        raise ValueError("must be a domain name as a string, like mail.example.com")
    if "://" in value or "/" in value or "@" in value:
        raise ValueError("must be a bare domain name, like mail.example.com: no scheme, path or address")
    if len(value) > MAX_DOMAIN:
        raise ValueError(f"must have at most {MAX_DOMAIN} characters")
    if value != value.lower():
        raise ValueError(f"must be lowercase ({value.lower()})")
    if not _DOMAIN.fullmatch(value):
        raise ValueError("must be a domain name like mail.example.com (letters, digits and hyphens, dot-separated)")
    return value


def _https_url(value: Any) -> Any:
    if not isinstance(value, str) or len(value) > MAX_URL or not _HTTPS_URL.fullmatch(value):
        raise ValueError(f"must be an https:// URL of at most {MAX_URL} characters, without spaces")
    return value


def _hex_color(value: Any) -> Any:
    if not isinstance(value, str) or not _HEX_COLOR.fullmatch(value):
        raise ValueError('must be a colour as "#RRGGBB", like "#0B7A75"')
    return value


def _signature(value: Any) -> Any:
    if not isinstance(value, str) or not value or len(value) > MAX_SIGNATURE:
        raise ValueError(f"must be text of 1 to {MAX_SIGNATURE} characters")
    if not _MULTILINE_TEXT.fullmatch(value):
        raise ValueError("must be plain text with something besides spaces (line breaks and tabs allowed)")
    return "\n".join(line.rstrip() for line in value.strip().splitlines())


# The firm's own wording (SPEC R21): text in which "{{" opens only a placeholder of the list (spaces
# allowed inside the braces), "{" is never followed by "{", "%" or "#" (no Jinja tags or comments;
# it may end the text), and at least one character is not whitespace. The subject is one line; the body may have line
# breaks and tabs.
_PLACEHOLDER = r"\{\{ *(?:" + "|".join(WORDING_PLACEHOLDERS) + r") *\}\}"


def _wording_pattern(forbidden: str, leading_space: str) -> str:
    plain, solid, brace = f"[^{{{forbidden}]", "[^{\\x00-\\x20\\x7f]", f"\\{{(?:[^{{%#{forbidden}]|$)"
    return f"^[{leading_space}]*(?:{solid}|{brace}|{_PLACEHOLDER})(?:{plain}|{brace}|{_PLACEHOLDER})*$"


WORDING_SUBJECT_PATTERN = _wording_pattern(r"\x00-\x1f\x7f", " ")
WORDING_BODY_PATTERN = _wording_pattern(r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f", r" \t\n\r")


def _wording(field: str, pattern: str, limit: int) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"must be text of at most {limit:,} characters")
        # the words the firm gets back name the placeholder, tag or filter (emails/wording.py)
        from portal_reminders.emails.wording import field_problems  # noqa: PLC0415

        found = field_problems(field, value)
        if found:
            raise ValueError(found[0].message)
        if not re.fullmatch(pattern, value):  # (re caches the compiled pattern: none at import)
            raise ValueError(
                "must be plain text with placeholders like {{client_name}} and nothing else in double braces "
                "(no control characters, no '{' before '{', '%' or '#')"
            )
        return value

    return check


def _integral(value: Any) -> Any:
    """JSON numbers with no fractional part are integers (247.0 is 247, as JSON Schema counts
    them); booleans and strings are not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Name = Annotated[str, Field(min_length=1, max_length=500, pattern=NAME_PATTERN), AfterValidator(lambda v: v.strip(" "))]
WordingSubject = Annotated[
    str,
    BeforeValidator(_wording("subject", WORDING_SUBJECT_PATTERN, WORDING_SUBJECT_MAX)),
    AfterValidator(lambda v: v.strip(" ")),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": WORDING_SUBJECT_MAX,
            "pattern": WORDING_SUBJECT_PATTERN,
            "examples": ["{{item_title}}: a reminder from {{firm_name}}"],
        }
    ),
]
WordingBody = Annotated[
    str,
    BeforeValidator(_wording("body", WORDING_BODY_PATTERN, WORDING_BODY_MAX)),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": WORDING_BODY_MAX,
            "pattern": WORDING_BODY_PATTERN,
            "examples": ["We are still waiting for {{item_title}}.\n\nIt was due on {{due_date}}."],
        }
    ),
]
Title = Name
Message = Annotated[
    str, Field(min_length=1, max_length=5000, pattern=TEXT_PATTERN), AfterValidator(lambda v: v.strip(_TEXT_SPACE))
]
EmailAddress = Annotated[
    str,
    Field(min_length=6, max_length=254, pattern=EMAIL_PATTERN, json_schema_extra={"format": "email"}),
    AfterValidator(_local_part_fits),
]
Url = Annotated[str, Field(max_length=2000, pattern=URL_PATTERN)]
# (these check in their own validators, for messages that say what is wrong in words; the
# document carries the same rules)
HttpsUrl = Annotated[
    str,
    BeforeValidator(_https_url),
    WithJsonSchema({"type": "string", "maxLength": MAX_URL, "pattern": HTTPS_URL_PATTERN}),
]
HexColor = Annotated[
    str,
    BeforeValidator(_hex_color),
    WithJsonSchema({"type": "string", "pattern": HEX_COLOR_PATTERN, "examples": ["#0B7A75"]}),
]
Signature = Annotated[
    str,
    BeforeValidator(_signature),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_SIGNATURE, "pattern": MULTILINE_TEXT_PATTERN}),
]
DomainName = Annotated[
    str,
    BeforeValidator(_domain_name),
    WithJsonSchema(
        {"type": "string", "maxLength": MAX_DOMAIN, "pattern": DOMAIN_PATTERN, "examples": ["mail.silva-harper.com"]}
    ),
]
Currency = Annotated[str, Field(pattern=CURRENCY_PATTERN, description="ISO 4217 code, like USD")]
# Money in: a JSON string; out: always a string with two places.
AmountIn = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "maxLength": 15, "examples": ["1250.00"]}),
]
MoneyOut = Annotated[Decimal, PlainSerializer(lambda d: f"{d:.2f}", return_type=str)]
DateIn = Annotated[
    date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN})
]
Timestamp = Annotated[datetime, PlainSerializer(_timestamp, return_type=str)]
# JSON true/false only: "yes" or 1 for a flag is a client bug worth a 422, not a guess.
Flag = Annotated[bool, Field(strict=True)]
# (the limits before the conversion, so the document shows them as minimum and maximum)
DaysBetween = Annotated[int, Field(ge=1, le=365, strict=True), BeforeValidator(_integral)]
MaxReminders = Annotated[int, Field(ge=1, le=50, strict=True), BeforeValidator(_integral)]
DueInDays = Annotated[int, Field(ge=0, le=365, strict=True), BeforeValidator(_integral)]
# a step of a due-date schedule, in days from the due date (SPEC R19)
StepDays = Annotated[int, Field(ge=MIN_STEP_DAYS, le=MAX_STEP_DAYS, strict=True), BeforeValidator(_integral)]
EscalateAfterDays = Annotated[int, Field(ge=1, le=60, strict=True), BeforeValidator(_integral)]
ClockTime = Annotated[str, Field(pattern=CLOCK_TIME_PATTERN)]
# An IANA time zone name (SPEC R16). The document lists them all; a name not in the list is a 422
# with a short message (pydantic's own enum message would list the ~600 names).
TimeZoneName = Annotated[str, AfterValidator(_known_zone), WithJsonSchema({"type": "string", TIME_ZONE_MARK: True})]


# A request's language: the four, and "pt", which accounts had before Brazilian Portuguese came and
# which is read as pt-PT (Language._missing_), so that a client written then keeps working.
LanguageIn = Annotated[
    Language,
    WithJsonSchema(
        {
            "type": "string",
            "enum": [*(language.value for language in Language), LEGACY_PORTUGUESE],
            "description": (
                "en (English), pt-PT (European Portuguese), pt-BR (Brazilian Portuguese) or es (Spanish); "
                "pt is accepted and read as pt-PT"
            ),
        }
    ),
]
