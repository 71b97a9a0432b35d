"""SES v2 SendEmail as SES checks it. moto 5.2.5 ignores `EmailTags` and `ConfigurationSetName`,
never measures the message, and answers a bad address with SES v1's error code; SES v2 refuses
the request. Checked in SES's order (tags first, as SES does: localstack found the same against AWS),
each with the code SES v2 answers:

* message tags (API reference, MessageTag): name and value 1-256 characters of `[A-Za-z0-9_-]`
  -> BadRequestException `Invalid tag value <v>: only alphanumeric ASCII characters, '_', and '-'
  are allowed.` (the wording SES gives for tags and configuration set names);
* at most MAX_TAGS tags -> BadRequestException. The API reference names no count: 50 is SES's
  limit on tags per resource, used here as the bound (the product sends six);
* message size (Service quotas in Amazon SES: "Using the SES v2 API or SMTP - maximum message size
  (including attachments) 40 MB per message (after base64 encoding)") -> MessageRejected
  `Message length is more than 41943040 bytes long: 'n'.` (the wording of SES v1's answer);
* the configuration set must exist -> NotFoundException `Configuration set <name> does not exist.`
  (the wording SES v2's GetConfigurationSet gives, and moto's);
* an unverified sender: moto already refuses (MessageRejected); here with SES's wording
  `Email address is not verified. The following identities failed the check in region ...`;
* an address SES cannot parse: moto answers v1's InvalidParameterValue; SES v2 answers
  BadRequestException with the parser's reason (`Illegal address`, `Missing final '@domain'`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import ServiceException
from moto.ses import exceptions as ses_exceptions
from moto.sesv2.responses import SESV2Response

MAX_TAG_CHARACTERS = 256
MAX_TAGS = 50
TAG_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")
# 40 MB as SES counts it: SES v1's 10 MB is the 10485760 bytes its error message names
MAX_MESSAGE_BYTES = 40 * 1024 * 1024


class BadRequestException(ServiceException):
    code = "BadRequestException"


class MessageRejected(ServiceException):
    code = "MessageRejected"


def tag_problem(tags: list[dict[str, Any]]) -> str | None:
    """Why SES refuses these message tags, or None."""
    if len(tags) > MAX_TAGS:
        return f"Too many message tags: {len(tags)}. An email can have at most {MAX_TAGS}."
    for tag in tags:
        for part in ("Name", "Value"):
            text = str(tag.get(part, ""))
            if not text:
                return f"The tag {part.lower()} must be specified."
            if len(text) > MAX_TAG_CHARACTERS:
                return f"Tag {part.lower()} cannot exceed {MAX_TAG_CHARACTERS} characters."
            if not TAG_CHARACTERS.fullmatch(text):
                allowed = "only alphanumeric ASCII characters, '_', and '-' are allowed."
                return f"Invalid tag {part.lower()} <{text}>: {allowed}"
    return None


def _base64_length(text: str) -> int:
    return 4 * math.ceil(len(text.encode()) / 3)


def message_size(request: dict[str, Any]) -> int:
    """The size SES counts for a SendEmail request's message, after base64 encoding: each part of the
    simple content as base64, plus the addresses and custom headers (SES's own MIME framing adds a
    few hundred bytes more, which this leaves out). Raw content is already the encoded message."""
    content = request.get("Content") or {}
    if "Raw" in content:
        return len(str(content["Raw"].get("Data", "")))
    simple = content.get("Simple") or {}
    size = _base64_length(str((simple.get("Subject") or {}).get("Data", "")))
    for part in (simple.get("Body") or {}).values():
        size += _base64_length(str(part.get("Data", "")))
    for header in simple.get("Headers") or []:
        size += len(str(header.get("Name", "")).encode()) + len(str(header.get("Value", "")).encode())
    destination = request.get("Destination") or {}
    addresses = [request.get("FromEmailAddress") or "", *request.get("ReplyToAddresses", [])]
    for kind in ("ToAddresses", "CcAddresses", "BccAddresses"):
        addresses.extend(destination.get(kind, []))
    return size + sum(len(str(address).encode()) for address in addresses)


def _send_email(original: Callable[[SESV2Response], str]) -> Callable[[SESV2Response], str]:
    def send_email(self: SESV2Response) -> str:
        request = json.loads(self.body)
        problem = tag_problem(request.get("EmailTags") or [])
        if problem:
            raise BadRequestException(problem)
        size = message_size(request)
        if size > MAX_MESSAGE_BYTES:
            raise MessageRejected(f"Message length is more than {MAX_MESSAGE_BYTES} bytes long: '{size}'.")
        name = request.get("ConfigurationSetName")
        if name and name not in self.sesv2_backend.core_backend.config_sets:
            raise ses_exceptions.NotFoundException(f"Configuration set <{name}> does not exist.")
        try:
            return original(self)
        except ses_exceptions.MessageRejectedError as error:
            if "not verified" not in error.message:
                raise
            raise MessageRejected(
                "Email address is not verified. The following identities failed the check in region "
                f"{self.region.upper()}: {request.get('FromEmailAddress', '')}"
            ) from error
        except ses_exceptions.InvalidParameterValue as error:
            raise BadRequestException(error.message) from error

    return send_email


def apply() -> None:
    SESV2Response.send_email = _send_email(SESV2Response.send_email)  # type: ignore[method-assign]
