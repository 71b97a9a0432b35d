"""An email round in progress, as a state machine. Pure functions of a `Delivery`; the I/O shell
(delivery.py, mailing.py) persists each state before the next mail service call.

    begun ──mark(a)──▶ sending a ──accepted(a, id)──▶ a delivered ─┐
      ▲                    │  └──refused_for_good(a)─▶ a rejected ─┤──mark(b)──▶ …
      │                    └──paused──▶ lease released ───────────┘
      └── a worker that died while `sending a` leaves the mark: the next begin() makes a unconfirmed

The round is then recorded (transitions.record_delivery) or given up (transitions.record_failure).
Whatever happens, an address in `done_with` is never emailed again for the round: at most one mail
per contact per round, under any single failure.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from portal_reminders.models.domain import Contact, Delivery, ReminderPlan


def begin(previous: Delivery | None, now: datetime, lease: timedelta) -> Delivery:
    """Take the round's lease. A mark left by a worker that died mid-call becomes unconfirmed."""
    owner = uuid.uuid4().hex
    if previous is None:
        return Delivery(until=now + lease, started_at=now, owner=owner)
    unconfirmed = previous.unconfirmed | ({previous.sending} if previous.sending else set())
    return replace(previous, until=now + lease, owner=owner, sending=None, unconfirmed=frozenset(unconfirmed))


def planned(delivery: Delivery, plan: ReminderPlan) -> Delivery:
    """An automatic reminder keeps the plan (step, words) it began with: a retry carries out the same."""
    return delivery if delivery.plan is not None else replace(delivery, plan=plan)


def settle(delivery: Delivery) -> Delivery:
    """The round as a record sees it: a mark nobody heard back about is unconfirmed."""
    if delivery.sending is None:
        return delivery
    return replace(delivery, sending=None, unconfirmed=delivery.unconfirmed | {delivery.sending})


def counted(delivery: Delivery, emails: int) -> Delivery:
    """`emails` more were counted against the firm's daily cap for this round."""
    return replace(delivery, counted=delivery.counted + emails)


def held_by_another(current: Delivery | None, now: datetime) -> bool:
    return current is not None and current.until > now


def to_email(contacts: Sequence[Contact], current: Delivery | None) -> list[Contact]:
    """The contacts this round still owes a mail (never a suppressed one, SPEC R15)."""
    done = current.done_with if current else frozenset()
    return [c for c in contacts if c.email not in done and c.suppressed is None]


def skipping(delivery: Delivery, contacts: Sequence[Contact]) -> Delivery:
    """Note which of the round's contacts it does not email because they are suppressed (for the audit)."""
    done = delivery.done_with
    suppressed = {c.email: s.reason.value for c in contacts if (s := c.suppressed) is not None and c.email not in done}
    return delivery if suppressed == dict(delivery.suppressed) else replace(delivery, suppressed=suppressed)


def mark(delivery: Delivery, address: str) -> Delivery:
    """Written before the mail service is called for `address`."""
    return replace(delivery, sending=address)


def accepted(delivery: Delivery, address: str, message_id: str) -> Delivery:
    return replace(delivery, sending=None, delivered={**delivery.delivered, address: message_id})


def refused_for_good(delivery: Delivery, address: str, reason: str) -> Delivery:
    """The mail service refused this address for good (a bad address, rejected content)."""
    return replace(delivery, sending=None, rejected={**delivery.rejected, address: reason})


def paused(delivery: Delivery, now: datetime, refused: bool, deadline: timedelta | None = None) -> Delivery:
    """Release the lease so a retry can take the round. `refused`: the mail service said no (it did
    not take the marked mail, so the mark is lifted); the first refusal sets the round's give-up
    deadline, `deadline` after its first try."""
    give_up_by = delivery.give_up_by
    if refused and give_up_by is None and deadline is not None:
        give_up_by = delivery.started_at + deadline
    return replace(
        delivery,
        until=now,
        sending=None,
        refusals=delivery.refusals + (1 if refused else 0),
        give_up_by=give_up_by,
    )


def past_retry_horizon(delivery: Delivery | None, now: datetime, horizon: timedelta) -> bool:
    """The mail service has refused this round and its first try is `horizon` ago: give it up."""
    return delivery is not None and delivery.refusals > 0 and now - delivery.started_at >= horizon


def give_up_reason(delivery: Delivery, horizon: timedelta) -> str:
    """Why a round past its retry horizon is given up, as its email_failed event says."""
    hours = horizon.total_seconds() / 3600
    return f"the mail service refused it for {hours:g} hours since {delivery.started_at:%Y-%m-%dT%H:%M:%SZ}"


def reached_anyone(current: Delivery | None) -> bool:
    """Whether the round has mailed (or tried to mail) anyone yet: then it is finished and recorded."""
    return current is not None and bool(current.delivered or current.unconfirmed or current.sending or current.rejected)


def same_lease(a: Delivery | None, b: Delivery | None) -> bool:
    return a is not None and b is not None and a.owner == b.owner
