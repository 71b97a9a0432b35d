"""The product's largest records and requests stay inside AWS's limits, measured as AWS counts them
(devtools/moto_fidelity) through the real handlers: the largest account the api accepts, an item
in the middle of a round to fifty of the longest addresses, and the domain events about it. The
figures these tests hold are the bounds docs/aws-fidelity.md writes down."""

from __future__ import annotations

from typing import Any

import boto3

from devtools.moto_fidelity import dynamodb as dynamodb_rules
from devtools.moto_fidelity import eventbridge as eventbridge_rules
from portal_reminders.adapters import clients
from portal_reminders.models.domain import MAX_CONTACTS
from portal_reminders.reminders.delivery import mail_tags
from portal_reminders.repository import keys
from tests.support.aws import REGION, TABLE_NAME
from tests.support.world import FIRM, World

# The longest of what the api accepts: 500 characters of four UTF-8 bytes each for names and
# titles, 5,000 for a message, and 254-character addresses.
LONGEST_NAME = "\U0001d538" * 500
LONGEST_MESSAGE = "\U0001d538" * 5000
KB = 1024


def _longest_address(n: int) -> str:
    address = f"{n:02d}{'a' * 62}@{'b' * 63}.{'c' * 63}.{'d' * 57}.com"
    assert len(address) == 254
    return address


def _record_bytes(pk: str, sk: str) -> int:
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=TABLE_NAME, Key={"pk": {"S": pk}, "sk": {"S": sk}}
    )["Item"]
    return dynamodb_rules.item_bytes(item)


def _largest_account(world: World) -> dict[str, Any]:
    contacts = [{"name": LONGEST_NAME, "email": _longest_address(n), "notify": True} for n in range(MAX_CONTACTS)]
    reply = world.api("POST", "/accounts", {"name": LONGEST_NAME, "language": "pt-PT", "contacts": contacts})
    assert reply.status == 201, reply.body
    account: dict[str, Any] = reply.body
    return account


def test_the_largest_account_the_api_accepts_stays_under_a_third_of_a_dynamodb_item(world: World) -> None:
    # Given the largest account the api accepts: 50 contacts, every name and address as long as allowed
    account = _largest_account(world)

    # Then its record, counted as DynamoDB counts it, is at most 120 KB of the 400 KB an item may hold
    # (118 KB measured)
    size = _record_bytes(keys.account_pk(FIRM, account["id"]), keys.ACCOUNT_SK)
    assert size <= 120 * KB, size


def test_an_item_in_the_middle_of_a_round_to_fifty_of_the_longest_addresses_leaves_room_for_twenty(
    world: World,
) -> None:
    # Given the largest account, and the api sending it an item with the longest title and message;
    # the item's record measured before each mail of the notification round
    account = _largest_account(world)
    sizes: list[int] = []

    def measure(params: dict[str, Any], **_: Any) -> None:
        tags = {tag["Name"]: tag["Value"] for tag in params["EmailTags"]}
        sizes.append(_record_bytes(keys.item_pk(FIRM, mail_tags.decode(tags["item"])), keys.ITEM_SK))

    ses = clients.client("sesv2")
    ses.meta.events.register("before-parameter-build.sesv2.SendEmail", measure, unique_id="test-measure-item")
    try:
        body = {
            "kind": "organizer",
            "title": LONGEST_NAME,
            "message": LONGEST_MESSAGE,
            "reminders": {"enabled": True, "days_between": 3, "max_reminders": 50},
        }
        reply = world.api("POST", f"/accounts/{account['id']}/action-items", body)
    finally:
        ses.meta.events.unregister("before-parameter-build.sesv2.SendEmail", unique_id="test-measure-item")
    assert reply.status == 201, reply.body
    assert len(world.sent) == MAX_CONTACTS

    # Then the item at rest (23 KB measured), and one round's progress at its largest (49 contacts
    # delivered, the 50th marked: 16 KB), leave room for twenty such rounds in flight at once
    at_rest = _record_bytes(keys.item_pk(FIRM, reply.body["id"]), keys.ITEM_SK)
    one_round = max(sizes) - at_rest
    assert at_rest <= 24 * KB, at_rest
    assert one_round <= 17 * KB, one_round
    assert at_rest + 20 * one_round <= dynamodb_rules.MAX_ITEM_BYTES

    # And the domain event about it is far below EventBridge's 256 KB per request (4 KB measured)
    world.publish()
    largest = max(eventbridge_rules.entry_bytes(entry) for entry in world.published)
    assert largest <= 8 * KB, largest
