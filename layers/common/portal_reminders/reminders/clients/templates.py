"""Templates (R7): content and reminder settings that items and automations are created from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from portal_reminders import ids
from portal_reminders.clock import now as clock_now
from portal_reminders.models.domain import TEMPLATE_KINDS, Invoice, InvoiceTerms, Kind, Template
from portal_reminders.models.errors import InvalidInput, StateConflict
from portal_reminders.reminders.clients.lookup import existing, load
from portal_reminders.reminders.clients.retry import with_retries
from portal_reminders.reminders.scheduling import sequences
from portal_reminders.repository.ports import Page, TemplateRepository

_ARTICLE = {Kind.INVOICE: "an", Kind.ORGANIZER: "an"}


def describe(kind: Kind) -> str:
    return f"{_ARTICLE.get(kind, 'a')} {kind.value}"


def check_invoice_terms(kind: Kind, invoice: InvoiceTerms | None, due_in_days: int | None) -> None:
    """Invoice terms on a template of another kind, or an invoice template's due_in_days removed:
    the request's schema forbids both on create, so this is a PATCH of a stored template (409)."""
    if invoice is not None and kind is not Kind.INVOICE:
        message = f"invoice terms are only for invoice templates; this is {describe(kind)} template"
        raise StateConflict(message, field="invoice")
    if invoice is not None and due_in_days is None:
        raise StateConflict(
            "an invoice template's items are due some days after sending: it keeps its due_in_days",
            field="due_in_days",
        )


class TemplateService:
    def __init__(self, templates: TemplateRepository, now: Callable[[], datetime] = clock_now) -> None:
        self._templates = templates
        self._now = now

    def create(
        self,
        firm_id: str,
        *,
        kind: Kind,
        name: str,
        title: str | None,
        body: str | None,
        invoice: InvoiceTerms | None,
        reminders: Mapping[str, Any],
        due_in_days: int | None = None,
    ) -> Template:
        if kind not in TEMPLATE_KINDS:
            kinds = ", ".join(k.value for k in TEMPLATE_KINDS)
            raise InvalidInput(f"templates are for {kinds}", field="kind")
        check_invoice_terms(kind, invoice, due_in_days)
        sequences.check_layer(reminders, "reminders.")
        now = self._now()
        template = Template(
            firm_id=firm_id,
            id=ids.new_id(ids.TEMPLATE),
            kind=kind,
            name=name,
            title=title,
            body=body,
            invoice=invoice,
            reminders=dict(reminders),
            created_at=now,
            updated_at=now,
            due_in_days=due_in_days,
        )
        return self._templates.save_template(template)

    def get(self, firm_id: str, template_id: str) -> Template:
        return existing("template", ids.TEMPLATE, template_id, lambda i: self._templates.get_template(firm_id, i))

    def list(self, firm_id: str, limit: int, token: str | None) -> Page[Template]:
        return self._templates.list_templates(firm_id, limit, token)

    def update(self, firm_id: str, template_id: str, changes: Mapping[str, Any]) -> Template:
        """PATCH: only the named fields change. Items already sent keep what they were sent with."""
        sequences.check_layer(changes.get("reminders"), "reminders.")

        def attempt() -> Template:
            template = self.get(firm_id, template_id)
            updated = replace(template, **changes, updated_at=self._now())
            check_invoice_terms(updated.kind, updated.invoice, updated.due_in_days)
            return self._templates.save_template(updated)

        return with_retries(attempt)

    def for_item(self, firm_id: str, template_id: str, kind: Kind, field: str = "template_id") -> Template:
        """The template an item of `kind` is created from. A missing one, another firm's, or one of
        another kind is a well-formed `field` that does not fit the stored templates: a conflict
        (409) naming the field, not a missing resource (the route's own resource exists)."""
        template = load(ids.TEMPLATE, template_id, lambda i: self._templates.get_template(firm_id, i))
        if template is None:
            raise StateConflict(f"template {template_id} does not exist", field=field)
        if template.kind is not kind:
            raise StateConflict(
                f"template {template_id} is {describe(template.kind)} template; this needs {describe(kind)} template",
                field=field,
            )
        return template


def invoice_from_terms(terms: InvoiceTerms) -> Invoice:
    return Invoice(amount=terms.amount, currency=terms.currency)


def due_from_template(template: Template | None, today: date) -> date | None:
    """The due date of an item sent `today` (the client's calendar day) from the template."""
    if template is None or template.due_in_days is None:
        return None
    return today + timedelta(days=template.due_in_days)
