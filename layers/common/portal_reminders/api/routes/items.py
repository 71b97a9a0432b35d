"""Action items: send, read, list, change reminders, resend, complete; the portal task list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from portal_reminders import clock
from portal_reminders.api.openapi import Tag
from portal_reminders.api.routes.common import (
    DEFAULT_LIMIT,
    SCHEDULE_RULES,
    Limit,
    caller,
    changes_of,
    page_token,
    responses,
)
from portal_reminders.models.domain import ActionItem, Invoice, Status
from portal_reminders.repository import paging
from portal_reminders.wiring import get_services

if TYPE_CHECKING:  # defined with the first routed request (api/deferred.py)
    from portal_reminders.api.present import item_out, task_out, work_item_out
    from portal_reminders.api.schemas import (
        ActionItemIn,
        ActionItemOut,
        CompleteIn,
        ItemPage,
        ItemPatch,
        PaymentIn,
        RemindersPatch,
        ResendAccepted,
        ResendIn,
        TaskPage,
        WorkPage,
    )

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

ItemsToken = Annotated[str | None, page_token(paging.ITEMS)]
TasksToken = Annotated[str | None, page_token(paging.TASKS)]
WorkToken = Annotated[str | None, page_token(paging.WORKLIST)]


def _shown(item: ActionItem) -> ActionItemOut:
    """The item, its next reminder in the client's sending window as it is now (SPEC R16)."""
    client = get_services().items.client_time(item.firm_id, item.account_id)
    return item_out(item, clock.now(), client)


@router.post(
    "/accounts/<account_id>/action-items",
    operation_id="sendItem",
    tags=[Tag.ACTION_ITEMS],
    summary="Send an action item: emails the account's notify contacts and adds a portal task",
    responses=responses(
        201,
        "the item",
        400,
        404,
        conflict=(
            "template_id names no template of the firm, or one of another kind; or an invoice without `invoice` "
            "from a template that has no invoice terms"
        ),
        invalid=f"due_date and invoice.due_date, given both, are one date; {SCHEDULE_RULES}",
    ),
)
def send_item(account_id: str, body: ActionItemIn) -> Response[ActionItemOut]:
    invoice = None
    if body.invoice is not None:
        invoice = Invoice(amount=body.invoice.amount, currency=body.invoice.currency)
    # the command (and the use case's code) loads with the first item sent, not with every cold start
    from portal_reminders.models.commands import SendItem  # noqa: PLC0415

    who = caller(router)
    command = SendItem(
        firm_id=who.firm_id,
        account_id=account_id,
        actor=who.user_id,
        kind=body.kind,
        title=body.title,
        message=body.message,
        reminders=body.reminders.model_dump(mode="json", exclude_none=True) if body.reminders else None,
        invoice=invoice,
        due_date=body.effective_due_date,
        template_id=body.template_id,
    )
    return Response(201, content_types.APPLICATION_JSON, _shown(get_services().items.send(command)))


@router.get(
    "/accounts/<account_id>/action-items",
    operation_id="listAccountItems",
    tags=[Tag.ACTION_ITEMS],
    summary="The account's items, by status (cancelled, completed, pending), then oldest first",
    responses=responses(200, "a page of items", 400, 404),
)
def list_items(
    account_id: str,
    status: Annotated[Status | None, Query(description="only items in this status")] = None,
    limit: Limit = DEFAULT_LIMIT,
    next_token: ItemsToken = None,
) -> ItemPage:
    services = get_services()
    firm_id = caller(router).firm_id
    client = services.items.client_time(firm_id, account_id)  # 404 for an account not the firm's
    page = services.repository.list_items(firm_id, account_id, status, limit, next_token)
    now = clock.now()
    return ItemPage(items=[item_out(i, now, client) for i in page.items], next_token=page.next_token)


@router.get(
    "/action-items",
    operation_id="listFirmItems",
    tags=[Tag.ACTION_ITEMS],
    summary=(
        "The firm's worklist: items across all its accounts, by status, then earliest due date first (escalated or not)"
    ),
    responses=responses(200, "a page of the firm's items", 400),
)
def list_firm_items(
    status: Annotated[Status | None, Query(description="only items in this status")] = None,
    overdue: Annotated[
        bool | None,
        Query(
            description="true: only items whose due date is before today on the client's calendar; false: the others"
        ),
    ] = None,
    escalated: Annotated[
        bool | None, Query(description="true: only items escalated to the firm; false: the others")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    next_token: WorkToken = None,
) -> WorkPage:
    firm_id = caller(router).firm_id
    now = clock.now()
    from portal_reminders.repository.ports import WorklistFilter  # noqa: PLC0415 - loads with the worklist

    wanted = WorklistFilter(status=status, overdue=overdue, escalated=escalated)
    page = get_services().repository.worklist(firm_id, wanted, now, limit, next_token)
    return WorkPage(items=[work_item_out(entry, now) for entry in page.items], next_token=page.next_token)


@router.get(
    "/accounts/<account_id>/tasks",
    operation_id="listAccountTasks",
    tags=[Tag.TASKS],
    summary="The client's portal task list, most recently emailed first",
    responses=responses(200, "a page of tasks", 400, 404),
)
def list_tasks(account_id: str, limit: Limit = DEFAULT_LIMIT, next_token: TasksToken = None) -> TaskPage:
    services = get_services()
    firm_id = caller(router).firm_id
    services.accounts.get(firm_id, account_id)
    page = services.repository.list_tasks(firm_id, account_id, limit, next_token)
    return TaskPage(items=[task_out(i) for i in page.items], next_token=page.next_token)


@router.get(
    "/action-items/<item_id>",
    operation_id="getItem",
    tags=[Tag.ACTION_ITEMS],
    summary="One action item",
    responses=responses(200, "the item", 404),
)
def get_item(item_id: str) -> ActionItemOut:
    return _shown(get_services().items.get(caller(router).firm_id, item_id))


@router.patch(
    "/action-items/<item_id>",
    operation_id="updateItem",
    tags=[Tag.ACTION_ITEMS],
    summary="Change the item's due date (any status); unsent steps of a due-date schedule are rescheduled",
    responses=responses(
        200,
        "the item",
        400,
        404,
        conflict="due_date null for an invoice, or for an item whose reminders follow its due date",
    ),
)
def change_item(item_id: str, body: ItemPatch) -> ActionItemOut:
    who = caller(router)
    changes = changes_of(body, nullable={"due_date"})
    item = get_services().items.change_due_date(who.firm_id, item_id, who.user_id, changes["due_date"])
    return _shown(item)


@router.patch(
    "/action-items/<item_id>/reminders",
    operation_id="changeItemReminders",
    tags=[Tag.ACTION_ITEMS],
    summary="Change automatic reminder settings (any status; nothing is sent for a closed item)",
    responses=responses(200, "the item", 400, 404, invalid=SCHEDULE_RULES),
)
def change_reminders(item_id: str, body: RemindersPatch) -> ActionItemOut:
    who = caller(router)
    changes = changes_of(body, nullable={"escalate_after_days"})
    item = get_services().items.change_reminders(who.firm_id, item_id, who.user_id, changes)
    return _shown(item)


@router.post(
    "/action-items/<item_id>/resend",
    operation_id="resendItem",
    tags=[Tag.ACTION_ITEMS],
    summary="Manual reminder: email every notify contact again and move the task to the top",
    responses=responses(
        202,
        "accepted",
        400,
        404,
        conflict=(
            "the item is cancelled, or completed (except an invoice: its email goes paid or unpaid); or nobody "
            "would get it (no contact of the account has notify on, or every notify contact is suppressed)"
        ),
    ),
)
def resend(item_id: str, body: ResendIn | None = None) -> Response[ResendAccepted]:
    who = caller(router)
    result = get_services().items.resend(who.firm_id, item_id, who.user_id, body.message if body else None)
    accepted = ResendAccepted(item_id=result.item.id, recipients=result.recipients, queued=result.queued)
    return Response(202, content_types.APPLICATION_JSON, accepted)


@router.post(
    "/action-items/<item_id>/complete",
    operation_id="completeItem",
    tags=[Tag.ACTION_ITEMS],
    summary="The client completed the item (for invoices: paid in full; for chat: read or replied)",
    responses=responses(
        200, "the item", 400, 404, conflict="the item is cancelled; or `via` on an item that is not a chat"
    ),
)
def complete(item_id: str, body: CompleteIn | None = None) -> ActionItemOut:
    who = caller(router)
    item = get_services().items.complete(who.firm_id, item_id, who.user_id, body.via if body else None)
    return _shown(item)


@router.post(
    "/action-items/<item_id>/cancel",
    operation_id="cancelItem",
    tags=[Tag.ACTION_ITEMS],
    summary="The firm withdraws the item: reminders stop and its portal task disappears",
    responses=responses(200, "the item", 404, conflict="the item is completed"),
)
def cancel(item_id: str) -> ActionItemOut:
    who = caller(router)
    return _shown(get_services().items.cancel(who.firm_id, item_id, who.user_id))


@router.post(
    "/action-items/<item_id>/payments",
    operation_id="recordPayment",
    tags=[Tag.ACTION_ITEMS],
    summary="Record a payment on an invoice; the full balance completes it",
    responses=responses(
        200,
        "the invoice",
        400,
        404,
        conflict="the item is not an invoice, the invoice is no longer pending, or the amount is more than its balance",
    ),
)
def record_payment(item_id: str, body: PaymentIn) -> ActionItemOut:
    who = caller(router)
    item = get_services().items.record_payment(who.firm_id, item_id, who.user_id, body.amount)
    return _shown(item)
