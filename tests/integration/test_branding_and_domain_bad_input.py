"""Bad branding, first names and sending domains (SPEC R21): a 422 naming the field, and nothing
written. Every request here is refused, so the tests share one world."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.aws import ses_domain_identities, table_snapshot
from tests.support.world import World

FIRM = "Silva & Harper Accounting"
BRANDING = {"logo_url": "https://cdn.silva-harper.com/logo.png", "accent_color": "#0B7A75", "signature": "Maria"}


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


@pytest.fixture(scope="module")
def contact_path(module_world: World) -> str:
    """A branded firm's account with one contact: the PATCH path of that contact."""
    assert module_world.api("PUT", "/firm", {"name": FIRM, "branding": BRANDING}).status == 200
    account = module_world.create_account(
        contacts=[{"name": "Olivia Harper", "email": "olivia@client.example.com", "notify": True}]
    )
    return f"/accounts/{account['id']}/contacts/{account['contacts'][0]['id']}"


def _refused(world: World, method: str, path: str, body: Any, field: str) -> str:
    """The request is a 422 naming `field` (only it), and changes nothing; its message."""
    before, identities = table_snapshot(), ses_domain_identities()

    reply = world.api(method, path, body)

    assert (reply.status, reply.error_code) == (422, "validation_error"), reply.body
    [detail] = reply.body["error"]["details"]
    assert detail["field"] == field
    assert table_snapshot() == before
    assert ses_domain_identities() == identities
    return str(detail["message"])


@pytest.mark.parametrize(
    ("branding", "field"),
    [
        ({"logo_url": "http://cdn.silva-harper.com/logo.png"}, "branding.logo_url"),
        ({"logo_url": "javascript:alert(1)"}, "branding.logo_url"),
        ({"logo_url": "https://"}, "branding.logo_url"),
        ({"logo_url": "https://cdn.example.com/a logo.png"}, "branding.logo_url"),
        ({"logo_url": "https://cdn.example.com/" + "x" * 2000}, "branding.logo_url"),
        ({"accent_color": "teal"}, "branding.accent_color"),
        ({"accent_color": "#0B7A7"}, "branding.accent_color"),
        ({"accent_color": "0B7A75"}, "branding.accent_color"),
        ({"signature": "x" * 1001}, "branding.signature"),
        ({"signature": "   \n  "}, "branding.signature"),
        ({"signature": "Maria\x07Silva"}, "branding.signature"),
        ({"signature": 42}, "branding.signature"),
        ({"logo": "https://cdn.silva-harper.com/logo.png"}, "branding.logo"),
    ],
)
def test_bad_branding_is_422_naming_the_field(
    world: World, contact_path: str, branding: dict[str, Any], field: str
) -> None:
    _refused(world, "PUT", "/firm", {"name": FIRM, "branding": branding}, field)


@pytest.mark.parametrize("first_name", ["", "   ", "Liv\nHarper", "x" * 501, 7])
def test_a_bad_first_name_is_422_naming_the_field(world: World, contact_path: str, first_name: Any) -> None:
    _refused(world, "PATCH", contact_path, {"first_name": first_name}, "first_name")


def test_a_new_contacts_bad_first_name_is_422_naming_the_field(world: World, contact_path: str) -> None:
    contacts = [{"name": "Ana Souza", "email": "ana@client.example.com", "first_name": ""}]
    _refused(world, "POST", "/accounts", {"name": "Souza", "contacts": contacts}, "contacts[0].first_name")


@pytest.mark.parametrize(
    ("domain", "problem"),
    [
        ("Mail.Silva-Harper.com", "lowercase"),
        ("https://silva-harper.com", "no scheme"),
        ("silva-harper.com/mail", "no scheme"),
        ("reminders@silva-harper.com", "no scheme"),
        ("localhost", "domain name like"),
        ("silva_harper.com", "domain name like"),
        ("-silva.com", "domain name like"),
        ("silva.com.", "domain name like"),
        ("10.0.0.1", "domain name like"),
        (f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 60}.com", "at most 253"),
        (42, "as a string"),
        ("portal.example.com", "service's own sender domain"),
        ("mail.portal.example.com", "service's own sender domain"),
    ],
)
def test_a_bad_sending_domain_is_422_naming_the_field(world: World, domain: Any, problem: str) -> None:
    message = _refused(world, "PUT", "/firm/sending-domain", {"domain": domain}, "domain")
    assert problem in message
