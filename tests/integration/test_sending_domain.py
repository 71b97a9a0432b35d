"""The firm's own sending domain (SPEC R21): PUT/GET /firm/sending-domain through API Gateway
events, SES v2 identities with Easy DKIM under moto (made AWS-like by devtools.moto_fidelity), and
the From of the mail the send function sends, read back from moto's SES."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import boto3

from tests.support.aws import REGION, SENDER, ses_domain_identities, ses_finds_dkim_records, table_snapshot
from tests.support.faults import ses_identity_calls
from tests.support.world import World

DOMAIN = "mail.silva-harper.com"
FIRM_NAME = "Silva & Harper Accounting"
TOKEN = re.compile(r"^[a-z0-9]{32}$")


def _put(world: World, domain: str = DOMAIN, firm: str = "firm-a") -> Any:
    return world.api("PUT", "/firm/sending-domain", {"domain": domain}, firm=firm)


def _reminded_contact(world: World) -> str:
    """An item with a reminder three days on, reminded through scan and send; the contact's address."""
    account = world.create_account()
    world.send_item(account["id"], reminders={"enabled": True, "days_between": 3})
    world.time.shift(timedelta(days=3, minutes=1))
    world.scan()
    world.drain()
    return str(account["contacts"][0]["email"])


def test_putting_a_domain_answers_its_three_dkim_records_and_waits_for_ses(world: World) -> None:
    # Given a firm with a name
    world.api("PUT", "/firm", {"name": FIRM_NAME})

    # When it puts its domain
    reply = _put(world)

    # Then SES has an identity for it, and the answer names the CNAMEs to publish, still pending
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["domain"], body["status"], body["sending_from"]) == (DOMAIN, "pending", SENDER)
    assert len(body["dkim_records"]) == 3
    for record in body["dkim_records"]:
        token = record["name"].removesuffix(f"._domainkey.{DOMAIN}")
        assert TOKEN.match(token), record
        value = f"{token}.dkim.amazonses.com"
        assert record == {"name": f"{token}._domainkey.{DOMAIN}", "type": "CNAME", "value": value}
    assert ses_domain_identities() == [DOMAIN]
    # and GET shows the same
    assert world.api("GET", "/firm/sending-domain").body == body


def test_a_firm_without_a_sending_domain_gets_404(world: World) -> None:
    reply = world.api("GET", "/firm/sending-domain")
    assert (reply.status, reply.error_code) == (404, "not_found")


def test_putting_the_same_domain_again_changes_nothing(world: World) -> None:
    # Given a firm's domain
    first = _put(world).body

    # When it puts it again
    with ses_identity_calls("CreateEmailIdentity") as created:
        again = _put(world)

    # Then it is the same domain with the same records, and SES was not asked to make another
    assert again.status == 200
    assert again.body == first
    assert created == []


def test_another_firms_domain_is_a_conflict_and_changes_nothing(world: World) -> None:
    # Given firm A's domain
    _put(world, firm="firm-a")
    before = table_snapshot()

    # When firm B puts the same domain
    with ses_identity_calls("CreateEmailIdentity") as created:
        reply = _put(world, firm="firm-b")

    # Then it is refused with 409, and nothing changed: no record, no SES identity
    assert (reply.status, reply.error_code) == (409, "conflict")
    assert DOMAIN in reply.body["error"]["message"]
    assert created == []
    assert table_snapshot() == before
    assert world.api("GET", "/firm/sending-domain", firm="firm-b").status == 404


def test_changing_domains_releases_the_old_one_and_deletes_its_identity(world: World) -> None:
    # Given firm A on one domain, verified
    _put(world, "mail.harper.example", firm="firm-a")
    ses_finds_dkim_records("mail.harper.example")

    # When it moves to another
    reply = _put(world, DOMAIN, firm="firm-a")

    # Then only the new one is an SES identity (the old one could no longer send as anybody's) ...
    assert reply.body["domain"] == DOMAIN
    assert ses_domain_identities() == [DOMAIN]
    # ... and firm B may claim the old one, whose verification starts over
    taken = _put(world, "mail.harper.example", firm="firm-b")
    assert taken.status == 200, taken.body
    assert taken.body["status"] == "pending"


def test_a_domain_that_is_already_an_identity_the_service_did_not_make_is_refused(world: World) -> None:
    # Given a domain the stack's operator verified in SES for something else
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="corp.example.com")
    ses_finds_dkim_records("corp.example.com")

    # When a firm puts it
    reply = _put(world, "corp.example.com")

    # Then it is refused: a firm never inherits a verification it did not make; the identity stays
    assert (reply.status, reply.error_code) == (409, "conflict")
    assert ses_domain_identities() == ["corp.example.com"]
    assert world.api("GET", "/firm/sending-domain").status == 404


def test_a_subdomain_of_another_firms_domain_is_a_conflict_and_changes_nothing(world: World) -> None:
    # Given firm A's domain, which SES verified (SES lets a verified domain send as its subdomains)
    _put(world, "silva-harper.com", firm="firm-a")
    ses_finds_dkim_records("silva-harper.com")
    before = table_snapshot()

    # When firm B puts a subdomain of it
    with ses_identity_calls("CreateEmailIdentity") as created:
        reply = _put(world, "billing.mail.silva-harper.com", firm="firm-b")

    # Then it is refused with 409 naming the domain it falls under, and nothing changed
    assert (reply.status, reply.error_code) == (409, "conflict")
    assert "silva-harper.com" in reply.body["error"]["message"]
    assert created == []
    assert table_snapshot() == before
    # And firm A may still take a subdomain of its own
    assert _put(world, DOMAIN, firm="firm-a").status == 200


def test_a_subdomain_of_an_identity_the_service_did_not_make_is_refused(world: World) -> None:
    # Given a domain the stack's operator verified in SES for something else
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="corp.example.com")
    ses_finds_dkim_records("corp.example.com")

    # When a firm puts a subdomain of it
    reply = _put(world, "reminders.corp.example.com")

    # Then it is refused: the firm would send under the operator's verification
    assert (reply.status, reply.error_code) == (409, "conflict")
    assert "corp.example.com" in reply.body["error"]["message"]
    assert ses_domain_identities() == ["corp.example.com"]


def test_get_asks_ses_at_most_once_a_minute_while_pending(world: World) -> None:
    # Given a domain just put, whose records SES then finds
    _put(world)
    ses_finds_dkim_records(DOMAIN)

    # When the firm asks within the minute, the stored status answers without asking SES
    with ses_identity_calls("GetEmailIdentity") as asked:
        soon = world.api("GET", "/firm/sending-domain").body
    assert (soon["status"], asked) == ("pending", [])

    # And a minute on, SES is asked and the domain is verified
    world.time.shift(timedelta(seconds=61))
    with ses_identity_calls("GetEmailIdentity") as asked:
        later = world.api("GET", "/firm/sending-domain").body
    assert (later["status"], asked) == ("verified", [DOMAIN])
    assert later["sending_from"] == f"reminders@{DOMAIN}"


def test_ses_throttling_the_status_check_shows_the_stored_status(world: World) -> None:
    _put(world)
    world.time.shift(timedelta(minutes=2))

    with ses_identity_calls("GetEmailIdentity", "TooManyRequestsException") as asked:
        reply = world.api("GET", "/firm/sending-domain")

    assert asked == [DOMAIN]
    assert (reply.status, reply.body["status"]) == (200, "pending")


def test_a_domain_ses_gave_up_on_starts_over_when_put_again(world: World) -> None:
    # Given a domain SES failed to verify (its records never appeared)
    first = _put(world).body
    ses_finds_dkim_records(DOMAIN, "FAILED")
    world.time.shift(timedelta(minutes=2))
    assert world.api("GET", "/firm/sending-domain").body["status"] == "failed"

    # When the firm puts it again
    again = _put(world).body

    # Then a fresh identity waits for new records
    assert again["status"] == "pending"
    assert {r["name"] for r in again["dkim_records"]}.isdisjoint({r["name"] for r in first["dkim_records"]})


def test_mail_goes_from_the_stacks_sender_until_ses_verifies_the_domain_then_from_it(world: World) -> None:
    # Given a firm whose domain SES has not verified yet
    world.api("PUT", "/firm", {"name": FIRM_NAME})
    _put(world)

    # When a reminder goes out through the send function
    address = _reminded_contact(world)

    # Then it comes from the stack's sender, with the firm's name
    assert world.mail_to(address)[-1].source == f"{FIRM_NAME} <{SENDER}>"

    # Given SES then finds the records, and the firm's settings page has seen it
    ses_finds_dkim_records(DOMAIN)
    world.time.shift(timedelta(minutes=2))
    assert world.api("GET", "/firm/sending-domain").body["status"] == "verified"

    # When the next reminder goes out
    account = world.create_account(
        contacts=[{"name": "Olivia Harper", "email": "olivia@client.example.com", "notify": True}]
    )
    world.send_item(account["id"], reminders={"enabled": True, "days_between": 3})
    world.time.shift(timedelta(days=3, minutes=1))
    world.scan()
    world.drain()

    # Then it comes from reminders@<the firm's domain>, still with the firm's name
    reminder = world.mail_to("olivia@client.example.com")[-1]
    assert reminder.subject.startswith("Reminder: ")
    assert reminder.source == f"{FIRM_NAME} <reminders@{DOMAIN}>"


def test_changing_the_firm_profile_keeps_its_verified_domain(world: World) -> None:
    # Given a verified domain
    _put(world)
    ses_finds_dkim_records(DOMAIN)
    world.time.shift(timedelta(minutes=2))
    world.api("GET", "/firm/sending-domain")

    # When the firm changes its profile
    assert world.api("PUT", "/firm", {"name": "Harper & Co"}).status == 200

    # Then its mail still goes from its domain
    account = world.create_account()
    world.send_item(account["id"])
    assert world.mail_to(account["contacts"][0]["email"])[-1].source == f"Harper & Co <reminders@{DOMAIN}>"
    assert world.api("GET", "/firm/sending-domain").body["status"] == "verified"
