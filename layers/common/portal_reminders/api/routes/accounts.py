"""Client accounts and their contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from portal_reminders.api.openapi import Tag
from portal_reminders.api.routes.common import caller, changes_of, responses
from portal_reminders.wiring import get_services

if TYPE_CHECKING:  # defined with the first routed request (api/deferred.py)
    from portal_reminders.api.present import account_out, contact_out
    from portal_reminders.api.schemas import AccountIn, AccountOut, AccountPatch, ContactIn, ContactOut, ContactPatch
    from portal_reminders.reminders.clients.accounts import NewContact

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.post(
    "/accounts",
    operation_id="createAccount",
    tags=[Tag.ACCOUNTS],
    summary="Create a client account",
    responses=responses(201, "the account", 400, invalid="two contacts share an email address (details name it)"),
)
def create_account(body: AccountIn) -> Response[AccountOut]:
    account = get_services().accounts.create(
        caller(router).firm_id,
        body.name,
        body.language,
        [_new_contact(c) for c in body.contacts],
        body.time_zone,
    )
    return Response(201, content_types.APPLICATION_JSON, account_out(account))


@router.get(
    "/accounts/<account_id>",
    operation_id="getAccount",
    tags=[Tag.ACCOUNTS],
    summary="An account with its contacts",
    responses=responses(200, "the account", 404),
)
def get_account(account_id: str) -> AccountOut:
    return account_out(get_services().accounts.get(caller(router).firm_id, account_id))


@router.patch(
    "/accounts/<account_id>",
    operation_id="updateAccount",
    tags=[Tag.ACCOUNTS],
    summary="Change the account's name, language, time zone (null: the firm's) or reminder pause (null: none)",
    responses=responses(200, "the account", 400, 404, invalid="a pause more than ten years ahead"),
)
def update_account(account_id: str, body: AccountPatch) -> AccountOut:
    changes = changes_of(body, nullable={"time_zone", "reminders_paused_until"})
    return account_out(get_services().accounts.update(caller(router).firm_id, account_id, changes))


@router.post(
    "/accounts/<account_id>/contacts",
    operation_id="addContact",
    tags=[Tag.CONTACTS],
    summary="Add a contact",
    responses=responses(
        201,
        "the contact",
        400,
        404,
        conflict="the address is already a contact of the account, or the account has its 50 contacts",
    ),
)
def add_contact(account_id: str, body: ContactIn) -> Response[ContactOut]:
    contact = get_services().accounts.add_contact(caller(router).firm_id, account_id, _new_contact(body))
    return Response(201, content_types.APPLICATION_JSON, contact_out(contact))


@router.patch(
    "/accounts/<account_id>/contacts/<contact_id>",
    operation_id="updateContact",
    tags=[Tag.CONTACTS],
    summary="Change a contact's notify flag, name, first name or email, or lift its suppression",
    responses=responses(200, "the contact", 400, 404, conflict="the new address is another contact's of the account"),
)
def update_contact(account_id: str, contact_id: str, body: ContactPatch) -> ContactOut:
    changes = changes_of(body, nullable={"first_name"})
    contact = get_services().accounts.update_contact(caller(router).firm_id, account_id, contact_id, changes)
    return contact_out(contact)


def _new_contact(body: ContactIn) -> NewContact:
    # the accounts use case (with the repository's ports) loads with the first request that adds a contact
    from portal_reminders.reminders.clients.accounts import NewContact  # noqa: PLC0415

    return NewContact(name=body.name, email=body.email, notify=body.notify, first_name=body.first_name)
