"""Whose fault an SES v2 SendEmail refusal is (SPEC R14, R22), from SES's error code and message.

SendEmail's documented errors (SES v2 API reference): BadRequestException ("the input you provided
is invalid"), MessageRejected ("the message can't be sent because it contains invalid content"),
MailFromDomainNotVerifiedException, NotFoundException (the configuration set), AccountSuspended-
Exception, SendingPausedException, LimitExceededException, TooManyRequestsException.

* The recipient's address: SES cannot parse it (its parser's reasons: `Illegal address`, `Missing
  final '@domain'`, `Domain contains illegal character`, `Local address contains ...`), or will not
  send to it (`Address blacklisted.`). That contact is rejected for the round: MailRejected.
* The product's own request or configuration: any other BadRequestException, ValidationException or
  MessageRejected (a tag SES refuses, a message too large, the sender or, in the sandbox, the
  recipient not verified), an unknown configuration set, an unverified MAIL FROM domain, a missing
  permission: MailMisconfigured. Retrying as it is will not help, but blaming the address would
  lose the client's mail for good; the round waits (R14's backoff and horizon) and an alarm fires.
* Too fast: MailThrottled. Anything else (a paused account, the daily quota, SES unavailable):
  MailUnavailable, the round waits.

An address SES cannot parse may also be the firm's Reply-To, which SES does not tell apart; the api
checks both kinds of address alike (RFC 5322), so either is as rare as the other.
"""

from __future__ import annotations

from portal_reminders.ports import MailMisconfigured, MailRejected, MailThrottled, MailUnavailable

THROTTLED = frozenset({"TooManyRequestsException", "Throttling", "ThrottlingException"})
# Codes whose message says whether the address or the request is at fault.
INPUT_REFUSED = frozenset({"BadRequestException", "ValidationException", "MessageRejected", "InvalidParameterValue"})
# Codes that name the product's own configuration whatever the message says.
MISCONFIGURED = frozenset(
    {
        "NotFoundException",
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetDoesNotExistException",
        "MailFromDomainNotVerifiedException",
        "AccessDeniedException",
        "AccessDenied",
    }
)
# What SES says when the recipient's address is at fault (lowercase): its address parser's reasons
# and its refusal to send to an address.
ADDRESS_REASONS = (
    "illegal address",
    "missing final '@domain'",
    "missing domain",
    "missing local name",
    "domain contains",
    "domain starts with",
    "domain ends with",
    "local address contains",
    "local address starts with",
    "local address ends with",
    "address blacklisted",
)


def blame(code: str, message: str) -> type[Exception]:
    """The port exception that says whose fault this refusal is."""
    if code in THROTTLED:
        return MailThrottled
    if code in MISCONFIGURED:
        return MailMisconfigured
    if code in INPUT_REFUSED:
        reason = message.lower()
        # the sandbox names the recipient as an identity that "failed the check": the account's
        # configuration, not the address
        if "not verified" not in reason and any(words in reason for words in ADDRESS_REASONS):
            return MailRejected
        return MailMisconfigured
    return MailUnavailable
