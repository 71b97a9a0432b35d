"""The tags every email carries, so that the mail service's events about it (a bounce, a complaint:
SPEC R15) lead back to the firm, account, item and contact it was for. Ids only: no address, no
name, nothing the client wrote.

SES allows only ASCII letters, digits, `_` and `-` in tag values, 256 at most (SES v2 API
reference, MessageTag), and refuses the whole SendEmail otherwise (SPEC R22). The product's own ids
(`acc_...`, `itm_...`, `ct_...`) are made of those; a firm id comes from the identity provider and
may hold others (`.`, `@`, `:`, `|`, `+`: ids.EXTERNAL_ID_PATTERN, e.g. `silva.contabilidade@example.pt`).
A value that is not safe as it is goes out as `_` + its URL-safe base64 without padding, whose
alphabet is exactly SES's; a plain value never starts with `_` (one that does is encoded too), so
reading a tag back is unambiguous. A firm id (128 characters at most) encodes to 172.

Reading keeps accepting the plain values with `.` and `@` that this module wrote before it encoded
them: mail sent then can still bounce or draw a complaint for weeks, and its tags must still lead
back to the contact. (Whether SES accepted such mail is not documented; if it refused it, there is
nothing to read, and accepting them costs nothing: no value the product writes now can be read
two ways.)
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from portal_reminders.models.domain import ActionItem, Contact, EmailRound

FIRM = "firm"
ACCOUNT = "account"
ITEM = "item"
CONTACT = "contact"
KIND = "kind"
ROUND = "round"
# The one SES adds itself to every mail sent with a configuration set.
CONFIGURATION_SET = "ses:configuration-set"

MAX_VALUE = 256
# what goes out as it is: SES's alphabet, not starting with the encoded marker
_SAFE = re.compile(r"[A-Za-z0-9-][A-Za-z0-9_-]*")
# what reads back as it is: also the `.` and `@` this module once let through
_READABLE = re.compile(r"[A-Za-z0-9.@-][A-Za-z0-9_.@-]*")
_ENCODED = "_"


class BadTag(ValueError):
    """A tag value that this product did not write."""


def encode(value: str) -> str:
    """A tag value SES accepts, from which `decode` gives `value` back."""
    if _SAFE.fullmatch(value) and len(value) <= MAX_VALUE:
        return value
    encoded = _ENCODED + base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
    if len(encoded) > MAX_VALUE:
        raise BadTag(f"too long for a tag value: {len(value)} characters")
    return encoded


def decode(tag: str) -> str:
    if not tag.startswith(_ENCODED):
        if not _READABLE.fullmatch(tag):
            raise BadTag("not a tag value this product writes")
        return tag
    body = tag[len(_ENCODED) :]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadTag("not a tag value this product writes") from error


def for_round(item: ActionItem, email_round: EmailRound) -> dict[str, str]:
    """The tags of a round's mails about one item (compose.outgoing adds each mail's contact)."""
    return {
        FIRM: encode(item.firm_id),
        ACCOUNT: encode(item.account_id),
        ITEM: encode(item.id),
        KIND: item.kind.value,
        ROUND: email_round.mode.value,
    }


def for_account_round(firm_id: str, account_id: str, first_item_id: str, round_name: str) -> dict[str, str]:
    """The tags of an account-wide mail (the approval request), which lists several items: a
    bounce of it is recorded on the first one it lists."""
    return {FIRM: encode(firm_id), ACCOUNT: encode(account_id), ITEM: encode(first_item_id), ROUND: round_name}


def for_contact(contact: Contact) -> dict[str, str]:
    return {CONTACT: encode(contact.id)}


@dataclass(frozen=True, slots=True)
class MailOrigin:
    """What a mail was about, read back from its tags."""

    firm_id: str
    account_id: str
    item_id: str
    contact_id: str
    configuration_set: str | None = None


def origin(tags: Mapping[str, str]) -> MailOrigin:
    """The firm, account, item and contact a mail was for; BadTag when one is missing or unreadable."""
    missing = [name for name in (FIRM, ACCOUNT, ITEM, CONTACT) if not tags.get(name)]
    if missing:
        raise BadTag(f"no {', '.join(missing)} tag")
    return MailOrigin(
        firm_id=decode(tags[FIRM]),
        account_id=decode(tags[ACCOUNT]),
        item_id=decode(tags[ITEM]),
        contact_id=decode(tags[CONTACT]),
        configuration_set=tags.get(CONFIGURATION_SET) or None,
    )
