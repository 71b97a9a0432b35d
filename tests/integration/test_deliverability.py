"""Deliverability (SPEC R15) through the real handlers: every mail goes out with the configuration
set and id tags; SES's events about it come back as EventBridge delivers them from the default bus
(World.ses_event builds them as devtools.local.sesevents does for the local stack, and the
suppression function gets them only when its rule in template.yaml matches); a permanent bounce or
a complaint suppresses the contact, the next reminder (the real scan and send, mail read back from
moto's SES) leaves it out, and the firm lifts it. Time moves with World.time, never slept."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from portal_reminders import wiring
from portal_reminders.reminders.delivery import mail_tags
from portal_reminders.repository.records import ItemRecord
from tests.conftest import START
from tests.support.aws import CONFIGURATION_SET, table_snapshot
from tests.support.events import load_event
from tests.support.faults import ses_errors
from tests.support.metrics import emf_records, figures
from tests.support.world import World

DAY = timedelta(days=1)
ANA, BRUNO, CARLA = "ana@client.example.com", "bruno@client.example.com", "carla@client.example.com"
# SES's alphabet for tag values
SES_TAG_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
REMINDERS = {"enabled": True, "days_between": 3, "max_reminders": 2}


def _contact(world: World, account_id: str, address: str, **kw: Any) -> dict[str, Any]:
    account = world.api("GET", f"/accounts/{account_id}", **kw).body
    found: dict[str, Any] = next(c for c in account["contacts"] if c["email"] == address)
    return found


def _audit(world: World, item_id: str, **kw: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = world.api("GET", f"/action-items/{item_id}/audit", **kw).body["items"]
    return items


def _sent_with_an_item(world: World, **fields: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    account = world.create_account()
    item = world.send_item(account["id"], reminders=REMINDERS, **fields)
    return account, item


# tags and the configuration set ----------------------------------------------------------------


def test_every_mail_names_the_configuration_set_and_carries_the_ids_of_what_it_is_about(world: World) -> None:
    # Given an item sent to the account's two notify contacts
    account, item = _sent_with_an_item(world)

    # Then each mail was sent with the stack's configuration set, tagged with the firm, account, item
    # and contact ids (values SES accepts, no address anywhere), and the audit maps each address to
    # the message id SES answered
    assert sorted(m.to[0] for m in world.sent) == [ANA, BRUNO]
    for mail in world.sent:
        assert mail.configuration_set == CONFIGURATION_SET
        assert all(SES_TAG_VALUE.match(value) for value in mail.tags.values()), mail.tags
        assert "@" not in json.dumps(mail.tags)
        contact = _contact(world, account["id"], mail.to[0])
        origin = mail_tags.origin(mail.tags)
        assert (origin.firm_id, origin.account_id, origin.item_id, origin.contact_id) == (
            "firm-a",
            account["id"],
            item["id"],
            contact["id"],
        )
    [sent] = _audit(world, item["id"])
    assert sent["details"]["message_ids"] == {m.to[0]: m.message_id for m in world.sent}
    assert sent["recipients"] == [ANA, BRUNO]


def test_a_firm_id_with_characters_ses_tags_refuse_is_encoded_and_maps_back(world: World) -> None:
    # Given a firm whose id (from the identity provider's claim) holds ':', '|' and '+'
    firm = "acme:eu|tenant+7"
    account = world.create_account(firm=firm)
    body = {"kind": "organizer", "title": "2026 Tax Organizer"}
    assert world.api("POST", f"/accounts/{account['id']}/action-items", body, firm=firm).status == 201

    # Then its tag is an SES-safe value that reads back as the firm id
    [mail, _] = sorted(world.sent, key=lambda m: m.to[0])
    assert SES_TAG_VALUE.match(mail.tags["firm"])
    assert mail.tags["firm"] != firm
    assert mail_tags.origin(mail.tags).firm_id == firm

    # And a bounce of its mail finds the firm's contact
    assert world.bounce(ANA) is not None
    assert _contact(world, account["id"], ANA, firm=firm)["suppressed"]["reason"] == "bounce"


# bounces and complaints ------------------------------------------------------------------------------


def test_a_permanent_bounce_suppresses_the_contact_and_audits_it_on_the_item(world: World) -> None:
    # Given an item sent to Ana and Bruno, and Bruno's address bouncing for good an hour later
    account, item = _sent_with_an_item(world)
    world.publish()
    world.time.shift(timedelta(hours=1))
    [mail] = world.sent_to(BRUNO)

    # When SES's bounce event reaches the suppression function from the default bus
    result = world.deliver_ses_event(world.ses_event(mail, "bounce"))

    # Then Bruno is suppressed, with the reason and when, in every account response
    assert result is not None
    assert result["outcome"] == "suppressed"
    bruno = _contact(world, account["id"], BRUNO)
    assert bruno["suppressed"] == {"reason": "bounce", "at": "2026-11-27T10:00:00Z"}
    assert _contact(world, account["id"], ANA)["suppressed"] is None
    added = world.api("POST", f"/accounts/{account['id']}/contacts", {"name": "Dora", "email": "dora@x.example.com"})
    assert added.body["suppressed"] is None

    # And the item's audit says so, naming the address and the mail
    bounced = _audit(world, item["id"])[-1]
    assert (bounced["type"], bounced["actor"], bounced["recipients"]) == ("email_bounced", "system", [BRUNO])
    assert bounced["details"] == {
        "reason": "bounce",
        "contact_id": bruno["id"],
        "message_id": mail.message_id,
        "bounce_type": "Permanent",
    }
    assert bounced in world.api("GET", f"/accounts/{account['id']}/audit").body["items"]

    # And the publisher announces ContactSuppressed (checked against its schema by World.publish)
    world.publish()
    [suppressed] = world.events_of("ContactSuppressed")
    assert (suppressed["contact_id"], suppressed["reason"], suppressed["item_id"]) == (
        bruno["id"],
        "bounce",
        item["id"],
    )
    assert "@" not in json.dumps(suppressed)


def test_a_complaint_suppresses_the_contact(world: World) -> None:
    account, item = _sent_with_an_item(world)

    result = world.bounce(ANA, kind="complaint")

    assert result is not None
    assert result["suppression"] == "complaint"
    assert _contact(world, account["id"], ANA)["suppressed"]["reason"] == "complaint"
    assert _audit(world, item["id"])[-1]["type"] == "email_complained"
    world.publish()
    assert [e["reason"] for e in world.events_of("ContactSuppressed")] == ["complaint"]


@pytest.mark.parametrize("detail_type", ["Email Complaint Received", "Email Complained"])
def test_a_complaint_is_read_whichever_detail_type_names_it(world: World, detail_type: str) -> None:
    # AWS names it "Email Complaint Received", SPEC R15 "Email Complained": the rule and the function
    # read detail.eventType, so either reaches the function and suppresses the contact
    account, _ = _sent_with_an_item(world)
    event = {**world.ses_event(world.sent_to(ANA)[-1], "complaint"), "detail-type": detail_type}

    result = world.deliver_ses_event(event)

    assert result is not None
    assert result["suppression"] == "complaint"
    assert _contact(world, account["id"], ANA)["suppressed"]["reason"] == "complaint"


@pytest.mark.parametrize("kind", ["transient_bounce", "delivery"])
def test_a_transient_bounce_or_a_delivery_changes_nothing(world: World, kind: str) -> None:
    # Given an item sent to Ana and Bruno
    account, _ = _sent_with_an_item(world)
    [mail] = world.sent_to(ANA)
    before = table_snapshot()

    # When SES reports a transient bounce (a full mailbox) or a delivery of Ana's mail
    event = world.ses_event(mail, kind)
    delivered = world.deliver_ses_event(event)
    result = world.invoke_suppression(event)

    # Then nothing changed (the rule does not even take deliveries)
    assert result["outcome"] == "ignored"
    assert delivered == (None if kind == "delivery" else result)
    assert table_snapshot() == before
    assert _contact(world, account["id"], ANA)["suppressed"] is None


def test_mail_of_another_stack_never_reaches_the_function_and_is_dropped_if_it_does(world: World) -> None:
    # Given SES bouncing a mail of another configuration set (another stack in the account) that
    # carries tags like ours
    _, _ = _sent_with_an_item(world)
    [mail] = world.sent_to(ANA)
    other = mail.__class__(**{**mail.__dict__, "configuration_set": "other-stack-MailConfigurationSet"})
    event = world.ses_event(other, "bounce")
    before = table_snapshot()

    # Then the suppression rule does not take it, and the function drops it if handed it anyway
    assert world.deliver_ses_event(event) is None
    result = world.invoke_suppression(event)
    assert (result["outcome"], result["reason"]) == (
        "unmappable",
        "sent with another configuration set (another stack)",
    )
    assert table_snapshot() == before


def _without(tags: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in tags.items() if k not in names}


@pytest.mark.parametrize(
    ("case", "change"),
    [
        ("no tags of ours", lambda tags: {}),
        ("no contact tag", lambda tags: _without(tags, "contact")),
        ("an account of no firm's", lambda tags: {**tags, "account": "acc_" + "0" * 32}),
        ("another firm's", lambda tags: {**tags, "firm": "firm-b"}),
        ("ids we never make", lambda tags: {**tags, "item": "DROP TABLE"}),
        ("a tag that does not decode", lambda tags: {**tags, "firm": "_%%%"}),
    ],
)
def test_an_event_the_product_cannot_map_is_logged_and_dropped_with_no_change(
    world: World, case: str, change: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a bounce of a mail sent with our configuration set whose tags lead nowhere
    _sent_with_an_item(world)
    [mail] = world.sent_to(ANA)
    unmappable = mail.__class__(**{**mail.__dict__, "tags": change(dict(mail.tags))})
    before = table_snapshot()

    # When it reaches the suppression function
    result = world.deliver_ses_event(world.ses_event(unmappable, "bounce"))

    # Then it is dropped without an error (no retry, no dead letter), logged, and nothing changed
    assert result is not None, case
    assert result["outcome"] == "unmappable", case
    assert table_snapshot() == before
    assert [r for r in caplog.records if r.getMessage() == "ses event dropped"]


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"source": "aws.ses", "time": "2026-11-27T09:00:00Z", "detail-type": "Email Bounced"},
        {"source": "aws.ses", "time": "2026-11-27T09:00:00Z", "detail": {"eventType": "Bounce", "mail": {}}},
        {"source": "aws.ses", "time": "yesterday", "detail": {"eventType": "Bounce", "mail": {"messageId": "m"}}},
        {
            "source": "aws.ses",
            "time": "2026-11-27T09:00:00Z",
            "detail": {"eventType": "Bounce", "mail": {"messageId": "m"}},
        },
        {
            "source": "my.app",
            "time": "2026-11-27T09:00:00Z",
            "detail": {"eventType": "Delivery", "mail": {"messageId": "m"}},
        },
    ],
)
def test_an_unreadable_event_is_dropped_without_an_error(world: World, event: dict[str, Any]) -> None:
    before = table_snapshot()
    result = world.invoke_suppression(event)
    assert result["outcome"] == "unmappable"
    assert table_snapshot() == before


def test_the_same_event_delivered_again_changes_nothing_twice(world: World) -> None:
    # Given Bruno's bounce, delivered and handled
    account, item = _sent_with_an_item(world)
    event = world.ses_event(world.sent_to(BRUNO)[0], "bounce")
    assert world.deliver_ses_event(event)["outcome"] == "suppressed"  # type: ignore[index]
    after_first = table_snapshot()

    # When EventBridge delivers the same event again (at least once), also after the firm lifted it
    again = world.deliver_ses_event(event)
    assert table_snapshot() == after_first
    world.time.shift(DAY)
    bruno = _contact(world, account["id"], BRUNO)
    assert world.api("PATCH", f"/accounts/{account['id']}/contacts/{bruno['id']}", {"suppressed": False}).status == 200
    lifted = world.deliver_ses_event(event)

    # Then neither changed anything: one audit event, and the lifted suppression stays lifted
    assert again is not None
    assert again["reason"] == "the same event again: already handled"
    assert lifted is not None
    assert lifted["outcome"] == "ignored"
    assert [e["type"] for e in _audit(world, item["id"])].count("email_bounced") == 1
    assert _contact(world, account["id"], BRUNO)["suppressed"] is None


def test_a_bounce_of_mail_to_an_address_the_contact_no_longer_has_changes_nothing(world: World) -> None:
    account, _ = _sent_with_an_item(world)
    event = world.ses_event(world.sent_to(BRUNO)[0], "bounce")
    bruno = _contact(world, account["id"], BRUNO)
    world.api("PATCH", f"/accounts/{account['id']}/contacts/{bruno['id']}", {"email": "bruno@new.example.com"})
    before = table_snapshot()

    result = world.deliver_ses_event(event)

    assert result is not None
    assert result["outcome"] == "ignored"
    assert table_snapshot() == before


# the next reminders --------------------------------------------------------------------------------


def test_the_next_reminder_skips_a_suppressed_contact(world: World) -> None:
    # Given an organizer sent to Ana and Bruno, and Bruno's address bouncing for good
    account, item = _sent_with_an_item(world)
    world.bounce(BRUNO)
    sent_before = len(world.mail)

    # When three days pass with a scan every half hour and the send queue drained
    world.run_for(3 * DAY + timedelta(minutes=10), step=timedelta(minutes=10), scan_every=timedelta(minutes=30))

    # Then the reminder went to Ana only (read back from moto's SES), and it counts
    reminders = world.mail[sent_before:]
    assert [m.to for m in reminders] == [[ANA]]
    assert reminders[0].subject.startswith("Reminder: ")
    reminded = world.api("GET", f"/action-items/{item['id']}").body
    assert reminded["reminders"]["sent"] == 1

    # And its audit names Ana as the recipient, with her message id, and Bruno as left out
    sent = _audit(world, item["id"])[-1]
    assert (sent["type"], sent["recipients"]) == ("reminder_sent", [ANA])
    assert sent["details"]["suppressed"] == {BRUNO: "bounce"}
    assert sent["details"]["message_ids"] == {ANA: world.sent_to(ANA)[-1].message_id}
    world.publish()
    [reminder] = world.events_of("ReminderSent")
    assert reminder["contact_ids"] == [_contact(world, account["id"], ANA)["id"]]


def test_a_manual_resend_skips_a_suppressed_contact(world: World) -> None:
    _account, item = _sent_with_an_item(world)
    world.bounce(ANA, kind="complaint")

    reply = world.api("POST", f"/action-items/{item['id']}/resend")

    assert (reply.status, reply.body["recipients"]) == (202, 1)
    assert world.sent[-1].to == [BRUNO]


def test_a_reminder_whose_notify_contacts_are_all_suppressed_is_email_failed_not_a_silent_sent(world: World) -> None:
    # Given both notify contacts suppressed (Ana bounced, Bruno complained); Carla has notify off
    account, item = _sent_with_an_item(world)
    world.bounce(ANA)
    world.bounce(BRUNO, kind="complaint")
    sent_before = len(world.mail)

    # When the first reminder falls due
    world.scan(START + 3 * DAY + timedelta(minutes=1))
    world.drain()

    # Then nobody is emailed, the reminder is not counted, and no further one is scheduled
    assert len(world.mail) == sent_before
    stored = world.api("GET", f"/action-items/{item['id']}").body
    assert (stored["reminders"]["sent"], stored["reminders"]["next_at"]) == (0, None)

    # And the audit says why: email_failed, naming each suppressed address and its reason
    failed = _audit(world, item["id"])[-1]
    assert (failed["type"], failed["recipients"]) == ("email_failed", [ANA, BRUNO])
    assert failed["details"] == {
        "mode": "auto",
        "number": 1,
        "reason": "every notify contact is suppressed",
        "errors": {ANA: "suppressed after a bounce", BRUNO: "suppressed after a complaint"},
    }
    world.publish()
    [email_failed] = world.events_of("EmailFailed")
    ids = {_contact(world, account["id"], a)["id"] for a in (ANA, BRUNO)}
    assert (set(email_failed["contact_ids"]), email_failed["reason"]) == (ids, "every notify contact is suppressed")

    # And once the firm lifts a suppression and resends, mail goes out again
    ana = _contact(world, account["id"], ANA)
    world.api("PATCH", f"/accounts/{account['id']}/contacts/{ana['id']}", {"suppressed": False})
    assert world.api("POST", f"/action-items/{item['id']}/resend").body["recipients"] == 1
    assert world.mail[-1].to == [ANA]


# lifting a suppression -------------------------------------------------------------------------------


def test_the_firm_lifts_a_suppression_and_the_next_reminder_reaches_the_contact(world: World) -> None:
    # Given Bruno suppressed after a bounce
    account, item = _sent_with_an_item(world)
    world.bounce(BRUNO)
    bruno = _contact(world, account["id"], BRUNO)

    # When the firm lifts it
    reply = world.api("PATCH", f"/accounts/{account['id']}/contacts/{bruno['id']}", {"suppressed": False})

    # Then the contact is mailable again, and the next reminder reaches Ana and Bruno
    assert (reply.status, reply.body["suppressed"]) == (200, None)
    assert _contact(world, account["id"], BRUNO)["suppressed"] is None
    before = len(world.mail)
    world.scan(START + 3 * DAY + timedelta(minutes=1))
    world.drain()
    assert sorted(m.to[0] for m in world.mail[before:]) == [ANA, BRUNO]

    # And a later bounce of a new mail suppresses Bruno again
    world.time.shift(timedelta(hours=1))
    assert world.bounce(BRUNO)["outcome"] == "suppressed"  # type: ignore[index]
    assert _contact(world, account["id"], BRUNO)["suppressed"]["reason"] == "bounce"
    assert _audit(world, item["id"])[-1]["type"] == "email_bounced"


def test_a_new_email_address_lifts_the_suppression(world: World) -> None:
    account, item = _sent_with_an_item(world)
    world.bounce(BRUNO)
    bruno = _contact(world, account["id"], BRUNO)

    changed = world.api(
        "PATCH", f"/accounts/{account['id']}/contacts/{bruno['id']}", {"email": "bruno@new.example.com"}
    )

    assert (changed.status, changed.body["suppressed"]) == (200, None)
    world.api("POST", f"/action-items/{item['id']}/resend")
    assert sorted(m.to[0] for m in world.sent[-2:]) == [ANA, "bruno@new.example.com"]


def test_a_name_or_notify_change_keeps_the_suppression(world: World) -> None:
    account, _ = _sent_with_an_item(world)
    world.bounce(BRUNO)
    bruno = _contact(world, account["id"], BRUNO)

    changed = world.api("PATCH", f"/accounts/{account['id']}/contacts/{bruno['id']}", {"name": "Bruno L."})

    assert changed.body["suppressed"]["reason"] == "bounce"


@pytest.mark.parametrize("value", [True, 0, "false", None])
def test_only_false_lifts_a_suppression_anything_else_is_422(world: World, value: Any) -> None:
    account, _ = _sent_with_an_item(world)
    world.bounce(BRUNO)
    bruno = _contact(world, account["id"], BRUNO)
    before = table_snapshot()

    reply = world.api("PATCH", f"/accounts/{account['id']}/contacts/{bruno['id']}", {"suppressed": value})

    assert reply.status == 422
    assert [d["field"] for d in reply.body["error"]["details"]] == ["suppressed"]
    assert table_snapshot() == before


def test_lifting_a_contact_that_is_not_suppressed_changes_nothing_visible(world: World) -> None:
    account, _ = _sent_with_an_item(world)
    ana = _contact(world, account["id"], ANA)

    reply = world.api("PATCH", f"/accounts/{account['id']}/contacts/{ana['id']}", {"suppressed": False})

    assert (reply.status, reply.body) == (200, ana)


# the budget ------------------------------------------------------------------------------------------


@contextmanager
def _dynamodb_requests() -> Iterator[list[str]]:
    client = ItemRecord._get_connection().connection.client
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb", count, unique_id="deliverability-budget")
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-call.dynamodb", unique_id="deliverability-budget")


def test_skipping_a_suppressed_contact_costs_no_dynamodb_request(world: World) -> None:
    # Given two accounts with the same item due, one of them with a suppressed contact
    _plain, _ = _sent_with_an_item(world)
    with_bounce = world.create_account(
        contacts=[
            {"name": "Eva", "email": "eva@client.example.com", "notify": True},
            {"name": "Rui", "email": "rui@client.example.com", "notify": True},
        ]
    )
    world.send_item(with_bounce["id"], reminders=REMINDERS)
    world.bounce("rui@client.example.com")
    world.scan(START + 3 * DAY + timedelta(minutes=1))
    [first, second] = [[m] for m in world.receive()]

    # When each reminder is sent in a batch of its own
    costs = []
    for batch in (first, second):
        with _dynamodb_requests() as calls:
            world.send(batch)
        costs.append(sorted(calls))

    # Then the one that left a contact out made exactly the requests the other made, minus one
    # mark-before-send write per contact it did not email
    assert len(world.mail) == 2 + 2 + 3  # two notifications each, then 2 + 1 reminders
    cheaper, dearer = sorted(costs, key=len)
    assert len(dearer) - len(cheaper) == 1
    assert [c for c in dearer if c != "PutItem"] == [c for c in cheaper if c != "PutItem"]


# the send function's figures ---------------------------------------------------------------------------


def test_the_send_function_publishes_what_it_sent_skipped_and_failed(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two items due: one whose account has Bruno suppressed, one whose contacts are all suppressed
    account, _ = _sent_with_an_item(world)
    world.bounce(BRUNO)
    lonely = world.create_account(contacts=[{"name": "Rui", "email": "rui@client.example.com", "notify": True}])
    world.send_item(lonely["id"], reminders=REMINDERS)
    world.bounce("rui@client.example.com", kind="complaint")
    world.scan(START + 3 * DAY + timedelta(minutes=1))
    capsys.readouterr()

    # When the send function sends them
    world.drain()

    # Then its metrics say: one email sent, two contacts skipped as suppressed, one round failed
    # because every contact is suppressed
    records = emf_records(capsys.readouterr().out)
    assert {r["_aws"]["CloudWatchMetrics"][0]["Namespace"] for r in records} == {"ClientRemindersTest"}
    totals = figures(records)
    assert (totals["EmailsSent"], totals["ContactsSkippedSuppressed"], totals["RoundsFailed"]) == (1, 2, 1)
    assert (totals["EmailsThrottled"], totals["RoundsGivenUp"]) == (0, 0)
    assert figures(records, reason="suppressed") == {"RoundsFailed": 1}
    assert _contact(world, account["id"], ANA)["suppressed"] is None


def test_a_throttled_round_is_counted_and_its_record_logged_with_why(
    world: World, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a reminder due, and SES throttling every call
    _sent_with_an_item(world)
    world.scan(START + 3 * DAY + timedelta(minutes=1))
    capsys.readouterr()

    # When the send function tries it
    with ses_errors(lambda to, call: "TooManyRequestsException"):
        [run] = world.drain()

    # Then the record failed (to come back after its backoff), logged with the reason, and counted
    assert len(run.failed_ids) == 1
    [logged] = [r for r in caplog.records if r.getMessage() == "send record failed"]
    assert (logged.error, logged.retry_in_seconds > 0) == ("MailThrottled", True)  # type: ignore[attr-defined]
    assert "TooManyRequestsException" in logged.reason  # type: ignore[attr-defined]
    records = emf_records(capsys.readouterr().out)
    assert (figures(records)["EmailsThrottled"], figures(records)["EmailsSent"]) == (1, 0)
    assert figures(records, reason="throttled") == {"RoundsFailed": 1}


def test_the_sample_event_for_sam_local_invoke_is_read_and_dropped_when_it_names_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the local stack's configuration set (the one events/ses_bounce.json was sent with)
    monkeypatch.setenv("SES_CONFIGURATION_SET", "client-reminders-MailConfigurationSet")
    wiring.reset()

    # Then the sample is read, and dropped without an error: it names an account this table lacks
    result = world.invoke_suppression(load_event("ses_bounce.json"))
    assert (result["outcome"], result["reason"]) == ("unmappable", "no such account and item in the firm")


# ContactSuppressed names the contact the bounce suppressed, whatever the firm changed since (R17)


def test_contact_suppressed_is_published_even_if_the_firm_changed_the_address_before_the_publisher_ran(
    world: World,
) -> None:
    # Given Bruno's address bounced for good: the suppression is committed (contact + email_bounced audit)
    account = world.create_account()
    world.send_item(account["id"])
    world.publish()
    bruno = _contact(world, account["id"], BRUNO)["id"]
    world.time.shift(timedelta(minutes=30))
    assert world.bounce(BRUNO)["outcome"] == "suppressed"  # type: ignore[index]

    # And the firm lifts it the way SPEC R15 says, by changing the address, before the stream
    # record reaches the publisher (a publisher backlog, or a retry of a refused PutEvents)
    changed = world.api("PATCH", f"/accounts/{account['id']}/contacts/{bruno}", {"email": "bruno@new.example.com"})
    assert changed.status == 200

    # When the publisher reads the committed email_bounced audit event
    world.publish()

    # Then ContactSuppressed is still published for Bruno (R17: a change is never committed without
    # being published); the audit event itself names the contact id in details.contact_id
    assert [e["contact_id"] for e in world.events_of("ContactSuppressed")] == [bruno]


def test_contact_suppressed_never_names_a_contact_that_was_not_suppressed(world: World) -> None:
    # Given Bruno's address bounced for good and Bruno suppressed
    account = world.create_account()
    world.send_item(account["id"])
    world.publish()
    bruno = _contact(world, account["id"], BRUNO)["id"]
    world.time.shift(timedelta(minutes=30))
    assert world.bounce(BRUNO)["outcome"] == "suppressed"  # type: ignore[index]

    # And, before the publisher ran, the firm gave Bruno a new address and added Dora with the old one
    path = f"/accounts/{account['id']}/contacts"
    assert world.api("PATCH", f"{path}/{bruno}", {"email": "bruno@new.example.com"}).status == 200
    dora = world.api("POST", path, {"name": "Dora", "email": BRUNO})
    assert dora.status == 201

    # When the publisher reads the email_bounced audit event (details.contact_id == Bruno)
    world.publish()

    # Then ContactSuppressed names Bruno, not Dora (who was never suppressed)
    assert [e["contact_id"] for e in world.events_of("ContactSuppressed")] == [bruno]
