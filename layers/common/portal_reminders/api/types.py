"""Field types shared by request and response schemas (SPEC §5 formats and limits)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from email.errors import MessageError
from email.headerregistry import Address
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints

_HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)


# A first cheap shape check: printable, no spaces, one "@" before a domain.
_SHAPE = re.compile(r"^[!-~]+@[A-Za-z0-9.-]+$")
_INVALID = "must be an email address like name@example.com"


def _email_address(value: str) -> str:
    """An RFC 5322 addr-spec (parsed by the standard library's RFC 5322 parser) on a real domain."""
    if not _SHAPE.match(value):
        raise ValueError(_INVALID)
    try:
        address = Address(addr_spec=value)
    # the stdlib parser signals bad input with all of these (AttributeError on e.g. "0@[")
    except (MessageError, ValueError, IndexError, AttributeError) as error:
        raise ValueError(_INVALID) from error
    if address.addr_spec != value or not _HOSTNAME.match(address.domain):
        raise ValueError(_INVALID)
    return value


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# one line of printable text: names and titles end up in email headers (From, Subject)
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Title = Name
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
EmailAddress = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=254),
    AfterValidator(_email_address),
]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s/$.?#][^\s]*$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
# Money in: a JSON string "1234.50" or a number; out: always a string with two places.
AmountIn = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
MoneyOut = Annotated[Decimal, PlainSerializer(lambda d: f"{d:.2f}", return_type=str)]
Timestamp = Annotated[datetime, PlainSerializer(_timestamp, return_type=str)]
# JSON true/false only: "yes" or 1 for a flag is a client bug worth a 422, not a guess.
Flag = Annotated[bool, Field(strict=True)]
DaysBetween = Annotated[int, Field(ge=1, le=365, strict=True)]
MaxReminders = Annotated[int, Field(ge=1, le=50, strict=True)]
