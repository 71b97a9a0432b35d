"""The firm claim (SPEC R18): its name is the FirmClaim parameter, read by the api from its
environment; a token without it (or with only the default claim) is not let in."""

from __future__ import annotations

import pytest

from portal_reminders import wiring
from tests.support.world import World

NAMESPACED = "https://portal.example.com/firm_id"


@pytest.fixture
def namespaced_claim(monkeypatch: pytest.MonkeyPatch) -> str:
    # the template passes FirmClaim to the api function as FIRM_CLAIM
    monkeypatch.setenv("FIRM_CLAIM", NAMESPACED)
    wiring.reset()
    return NAMESPACED


def test_the_firm_comes_from_the_claim_the_parameter_names(world: World, namespaced_claim: str) -> None:
    # Given an account created by a user whose token names the firm in a namespaced claim (Auth0's way)
    created = world.api("POST", "/accounts", {"name": "Harper"}, claims={"sub": "ana", namespaced_claim: "firm-x"})
    assert created.status == 201, created.body

    # Then the same firm reads it, and another firm does not find it
    path = f"/accounts/{created.body['id']}"
    assert world.api("GET", path, claims={"sub": "bob", namespaced_claim: "firm-x"}).status == 200
    assert world.api("GET", path, claims={"sub": "bob", namespaced_claim: "firm-y"}).status == 404


def test_a_token_with_only_the_default_claim_is_refused_when_another_is_configured(
    world: World, namespaced_claim: str
) -> None:
    # a user-editable custom:firm_id must not be read once the firm lives in another claim
    reply = world.api("GET", "/firm", claims={"sub": "ana", "custom:firm_id": "firm-x"})
    assert reply.status == 401
    assert reply.error_code == "unauthorized"
    assert namespaced_claim in reply.body["error"]["message"]
