"""Field types of the API: whatever a caller sends, validation answers with a ValidationError
(a 422), never another exception (a 500)."""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from portal_reminders.api.types import (
    AMOUNT_PATTERN,
    AmountIn,
    DateIn,
    DomainName,
    EmailAddress,
    HexColor,
    HttpsUrl,
    Url,
)

EMAIL = TypeAdapter(EmailAddress)
AMOUNT = TypeAdapter(AmountIn)
DATE = TypeAdapter(DateIn)
URL = TypeAdapter(Url)


@pytest.mark.parametrize(
    "address",
    ["ana@example.com", "ana.souza+tax@sub.example.co.uk", "o'brien@example.ie", "ANA_1@Example.COM"],
)
def test_valid_addresses_are_accepted(address: str) -> None:
    assert EMAIL.validate_python(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "",
        "ana",
        "@example.com",
        "ana@",
        "ana@@example.com",
        "ana@localhost",
        "ana@[127.0.0.1]",
        "Ana <ana@example.com>",
        "ana@example.com>",
        "ana.@example.com",
        "ana@-example.com",
        "ana@exa mple.com",
        "ana@example.com\r\nBcc: x@y.com",
        "a" * 250 + "@example.com",
    ],
)
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValidationError):
        EMAIL.validate_python(address)


@given(st.text(max_size=80) | st.from_regex(r"[!-~]{1,10}@[!-~]{0,12}", fullmatch=True))
@settings(max_examples=1000, deadline=None)
def test_any_text_is_either_an_address_or_a_validation_error(text: str) -> None:
    with contextlib.suppress(ValidationError):
        EMAIL.validate_python(text)


@given(st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,20}(\.[a-z0-9-]{1,10}){0,2}\.[a-z]{2,6}", fullmatch=True))
@settings(max_examples=200, deadline=None)
def test_plain_addresses_either_pass_unchanged_or_are_refused(text: str) -> None:
    with contextlib.suppress(ValidationError):
        assert EMAIL.validate_python(text) == text


@pytest.mark.parametrize(
    ("raw", "expected"), [("1234.50", Decimal("1234.50")), ("10", Decimal(10)), ("0.1", Decimal("0.1"))]
)
def test_amounts_are_decimal_strings(raw: str, expected: Decimal) -> None:
    assert AMOUNT.validate_python(raw) == expected


@pytest.mark.parametrize(
    "raw", ["0", "0.00", "-5", "1.001", "NaN", "Infinity", "1e20", "abc", "01", " 1", "1 ", "1,5", "1\n", True, 10, 0.1]
)
def test_bad_amounts_and_numbers_are_refused(raw: object) -> None:
    # money is a decimal string (SPEC §5): a JSON number would be read through a float
    with pytest.raises(ValidationError):
        AMOUNT.validate_python(raw)


@given(st.text(max_size=20) | st.from_regex(AMOUNT_PATTERN, fullmatch=True))
@settings(max_examples=500, deadline=None)
def test_an_amount_is_accepted_exactly_when_it_matches_the_documented_pattern(text: str) -> None:
    matches = re.fullmatch(AMOUNT_PATTERN, text) is not None
    try:
        AMOUNT.validate_python(text)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted is matches


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.com", "https://", "https://a b.com", "x" * 2001])
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        URL.validate_python(url)


@pytest.mark.parametrize("raw", ["2026-12-01\n", "2026-12-1", "2026-02-30", " 2026-12-01"])
def test_a_date_is_exactly_the_documented_pattern_and_a_real_day(raw: str) -> None:
    # JSON Schema's `$` ends the text; Python's would let a trailing newline through
    with pytest.raises(ValidationError):
        DATE.validate_python(raw)


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (HexColor, "#1a2b3c\n"),
        (HttpsUrl, "https://example.com/logo.png\n"),
        (DomainName, "example.com\n"),
    ],
)
def test_branding_and_domain_values_with_a_trailing_newline_are_refused(kind: object, raw: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(kind).validate_python(raw)
