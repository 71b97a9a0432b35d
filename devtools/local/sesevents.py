"""SES's events about a mail, as the configuration set's EventBridge destination publishes them on
the account's default bus (SPEC R15), for a mail the outbox holds. moto's SES publishes no events:
the local stack plays the destination with `POST /_local/ses-event {message_id, type}` (the outbox
page's "bounce" and "complaint" buttons), and the tests build their events here too.

The event is put on the default bus with PutEvents (moto's EventBridge accepts the `aws.ses`
source, which real EventBridge reserves for AWS), so it takes the production path from there:
the local event bus matches it against the rules of the stack (the suppression function's, on the
default bus) and delivers it to their function.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SOURCE = "aws.ses"
CONFIGURATION_SET_TAG = "ses:configuration-set"


@dataclass(frozen=True)
class Kind:
    event_type: str  # the detail's eventType
    detail_type: str  # as EventBridge's reference names SES's events


KINDS = {
    "bounce": Kind("Bounce", "Email Bounced"),
    "transient_bounce": Kind("Bounce", "Email Bounced"),
    "complaint": Kind("Complaint", "Email Complaint Received"),
    "delivery": Kind("Delivery", "Email Delivered"),
}


class UnknownKind(ValueError):
    pass


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _feedback_id(message_id: str, kind: str) -> str:
    return f"0100{hashlib.sha256(f'{message_id}|{kind}'.encode()).hexdigest()[:48]}-000000"


def ses_detail(
    *,
    message_id: str,
    sender: str,
    to: list[str],
    sent_at: datetime,
    tags: Mapping[str, str],
    configuration_set: str | None,
    kind: str,
    at: datetime,
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """The `detail` of the SES event of `kind` (bounce, transient_bounce, complaint, delivery) about
    a mail, with the fields SES's documentation shows. A mail sent with a configuration set carries
    SES's own `ses:` tags besides the sender's, each as a list of values."""
    if kind not in KINDS:
        raise UnknownKind(f"'type' must be one of {', '.join(KINDS)}")
    domain = sender.rpartition("@")[2].rstrip(">")
    published_tags: dict[str, list[str]] = {name: [value] for name, value in tags.items()}
    if configuration_set:
        published_tags |= {
            CONFIGURATION_SET_TAG: [configuration_set],
            "ses:source-ip": ["192.0.2.10"],
            "ses:from-domain": [domain],
            "ses:caller-identity": ["local-stack"],
        }
    detail: dict[str, Any] = {
        "eventType": KINDS[kind].event_type,
        "mail": {
            "timestamp": _iso(sent_at),
            "source": sender,
            "sourceArn": f"arn:aws:ses:{region}:{account}:identity/{domain}",
            "sendingAccountId": account,
            "messageId": message_id,
            "destination": list(to),
            "headersTruncated": False,
            "tags": published_tags,
        },
    }
    feedback_id = _feedback_id(message_id, kind)
    if kind in ("bounce", "transient_bounce"):
        permanent = kind == "bounce"
        detail["bounce"] = {
            "feedbackId": feedback_id,
            "bounceType": "Permanent" if permanent else "Transient",
            "bounceSubType": "General" if permanent else "MailboxFull",
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "action": "failed",
                    "status": "5.1.1" if permanent else "4.2.2",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown" if permanent else "smtp; 452 4.2.2 mailbox full",
                }
                for address in to
            ],
            "timestamp": _iso(at),
            "reportingMTA": "dsn; mta.local-stack.invalid",
        }
    elif kind == "complaint":
        detail["complaint"] = {
            "feedbackId": feedback_id,
            "complaintSubType": None,
            "complainedRecipients": [{"emailAddress": address} for address in to],
            "timestamp": _iso(at),
            "userAgent": "local-stack",
            "complaintFeedbackType": "abuse",
            "arrivalDate": _iso(at),
        }
    else:
        detail["delivery"] = {
            "timestamp": _iso(at),
            "processingTimeMillis": 420,
            "recipients": list(to),
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": "mta.local-stack.invalid",
        }
    return detail


def put_events_entry(detail: Mapping[str, Any], at: datetime, region: str, account: str) -> dict[str, Any]:
    """The detail as a PutEvents entry on the default bus, as SES publishes it."""
    configuration_set = (detail["mail"]["tags"].get(CONFIGURATION_SET_TAG) or [None])[0]
    resources = [f"arn:aws:ses:{region}:{account}:configuration-set/{configuration_set}"] if configuration_set else []
    event_type = str(detail["eventType"])
    detail_type = next((k.detail_type for k in KINDS.values() if k.event_type == event_type), f"Email {event_type}")
    return {
        "Time": at,
        "Source": SOURCE,
        "Resources": resources,
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "EventBusName": "default",
    }
