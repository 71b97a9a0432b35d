"""The firm's own voice (SPEC R21): its wording of each kind's emails per stage and language, and
previews of what an email would say, for an item or with sample data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from portal_reminders import ids
from portal_reminders.clock import now as clock_now
from portal_reminders.models.domain import (
    Contact,
    EmailRound,
    EmailStage,
    EmailWording,
    Firm,
    ItemRef,
    Kind,
    Language,
    ReminderPlan,
    Tone,
    WordingKey,
)
from portal_reminders.models.errors import InvalidInput, NotFound, StateConflict
from portal_reminders.reminders.clients.lookup import existing
from portal_reminders.reminders.clients.retry import with_retries
from portal_reminders.reminders.delivery import compose
from portal_reminders.reminders.scheduling import client_clock
from portal_reminders.repository.ports import FirmRepository, ItemRepository, WordingRepository

if TYPE_CHECKING:
    from portal_reminders.emails import EmailContent

# What a preview without an item shows (SPEC R21: "sample data without an item").
SAMPLE_CLIENT = "Harper Household"
SAMPLE_CONTACT = Contact(id="sample", name="Olivia Harper", email="olivia@example.com", notify=True)
SAMPLE_TITLES = {
    Kind.ORGANIZER: "2026 Tax Organizer",
    Kind.PROPOSAL: "2026 Engagement Letter",
    Kind.INVOICE: "Invoice 1042",
    Kind.CHAT: "A question about your 2026 return",
    Kind.SIGNATURE: "Form 8879 e-file authorization",
    Kind.APPROVAL: "2026 Financial Statements",
}
SAMPLE_AMOUNT = Decimal("1250.00")
# the sample item's due date and when it was first sent, in days from today, by stage
SAMPLE_DAYS = {EmailStage.NOTIFICATION: (14, 0), EmailStage.REMINDER: (-3, 17), EmailStage.FINAL: (-10, 24)}
SAMPLE_CURRENCY = "USD"
# A nameless contact: an account without a notify contact previews with the generic greeting.
NOBODY = Contact(id="", name="", email="", notify=False)


def describe(key: WordingKey) -> str:
    return f"{key.kind.value}/{key.stage.value}/{key.language.value}"


class WordingService:
    def __init__(
        self,
        wordings: WordingRepository,
        firms: FirmRepository,
        items: ItemRepository,
        portal_url: str,
        now: Callable[[], datetime] = clock_now,
    ) -> None:
        self._wordings = wordings
        self._firms = firms
        self._items = items
        self._portal_url = portal_url
        self._now = now

    def put(self, firm_id: str, key: WordingKey, subject: str, body: str, actor: str) -> EmailWording:
        """Store the firm's wording for the key, replacing any; InvalidInput (422) names the field
        and the placeholder, tag or filter it cannot take."""
        from portal_reminders.emails import Wording  # noqa: PLC0415
        from portal_reminders.emails.wording import normalized, problems  # noqa: PLC0415

        found = problems(Wording(subject=subject, body=body))
        if found:
            raise InvalidInput(found[0].message, field=found[0].field)
        wording = EmailWording(
            firm_id=firm_id, key=key, subject=subject, body=normalized(body), updated_at=self._now(), updated_by=actor
        )

        def attempt() -> Firm:
            firm = self._firm(firm_id)
            return self._wordings.save_wording(replace(firm, wordings=firm.wordings | {key.marker}), wording)

        with_retries(attempt)
        return wording

    def get(self, firm_id: str, key: WordingKey) -> EmailWording:
        wording = self._wordings.get_wording(firm_id, key)
        if wording is None:
            raise NotFound("email template", describe(key))
        return wording

    def list(self, firm_id: str) -> list[EmailWording]:
        return self._wordings.list_wordings(firm_id)

    def delete(self, firm_id: str, key: WordingKey, actor: str) -> EmailWording:
        """Restore the built-in wording; returns the firm's, as it was. NotFound when it had none."""
        deleted: list[EmailWording] = []

        def attempt() -> Firm:
            firm, wording = self._firm(firm_id), self._wordings.get_wording(firm_id, key)
            if key.marker not in firm.wordings or wording is None:
                raise NotFound("email template", describe(key))
            deleted.append(wording)
            return self._wordings.delete_wording(
                replace(firm, wordings=firm.wordings - {key.marker}), key, self._now(), actor
            )

        with_retries(attempt)
        return deleted[-1]

    def _firm(self, firm_id: str) -> Firm:
        return self._firms.get_firm(firm_id) or Firm(id=firm_id)

    def preview(
        self,
        firm_id: str,
        stage: EmailStage,
        kind: Kind | None,
        language: Language | None,
        item_id: str | None,
    ) -> EmailContent:
        """What the email of this stage would say if sent now (SPEC R21): for the item (to its
        account's first notify contact, in its language) or with sample data. The reminder stage
        of an item is a manual resend; its final stage, its last automatic reminder."""
        if stage is EmailStage.ESCALATION:
            raise InvalidInput("escalation emails go to the firm and have no preview", field="stage")
        if item_id is not None:
            return self._item_preview(firm_id, stage, kind, language, item_id)
        if kind is None:
            raise InvalidInput("kind is required without an item_id", field="kind")
        if language is None:
            raise InvalidInput("language is required without an item_id", field="language")
        wording = self._wordings.get_wording(firm_id, WordingKey(kind, stage, language))
        return self._sample(self._firm(firm_id), stage, kind, language, wording)

    def _item_preview(
        self, firm_id: str, stage: EmailStage, kind: Kind | None, language: Language | None, item_id: str
    ) -> EmailContent:
        item = existing("action item", ids.ITEM, item_id, lambda i: self._items.get_item(firm_id, i))
        if kind is not None and kind is not item.kind:
            raise StateConflict(f"the item is {item.kind.value}, not {kind.value}", field="kind")
        snapshot = self._items.load_for_delivery(ItemRef(firm_id=firm_id, item_id=item.id, account_id=item.account_id))
        account = snapshot.account
        if snapshot.item is None or account is None:
            raise NotFound("action item", item_id)
        if language is not None and language is not account.language:
            raise StateConflict(f"the item's account reads {account.language.value}", field="language")
        contact = next(iter(account.notify_contacts), NOBODY)
        if stage is EmailStage.NOTIFICATION:
            email_round, plan = EmailRound.scheduled(0), None
        elif stage is EmailStage.FINAL:
            email_round = EmailRound.scheduled(max(1, snapshot.item.reminders.max_reminders))
            plan = ReminderPlan(tone=Tone.FINAL)
        else:
            email_round, plan = EmailRound.manual("rs_preview", "preview", None), None
        return compose.render_round(
            snapshot.item,
            account,
            snapshot.firm,
            contact,
            email_round,
            self._portal_url,
            now=self._now(),
            plan=plan,
            wording=snapshot.wordings.get(stage),
        )

    def _sample(
        self, firm: Firm, stage: EmailStage, kind: Kind, language: Language, wording: EmailWording | None
    ) -> EmailContent:
        from portal_reminders.emails import InvoiceSummary, ItemEmail, render_item_email  # noqa: PLC0415

        today = client_clock.client_today(self._now(), firm.time_zone)
        final = stage is EmailStage.FINAL
        reminder = stage is not EmailStage.NOTIFICATION
        # a notification due in two weeks; a reminder 3 days overdue; the final one 10
        due_in, sent_before = SAMPLE_DAYS[stage]
        invoice = None
        if kind is Kind.INVOICE:
            invoice = InvoiceSummary(
                amount=SAMPLE_AMOUNT, currency=SAMPLE_CURRENCY, paid=False, balance_due=SAMPLE_AMOUNT
            )
        email = ItemEmail(
            kind=kind.value,
            language=language.value,
            purpose="reminder" if reminder else "notification",
            firm_name=compose.firm_name(firm, language),
            recipient_name=SAMPLE_CONTACT.greeting_name,
            item_title=SAMPLE_TITLES[kind],
            portal_link=f"{compose.portal_base(firm, self._portal_url)}/action-items/sample",
            invoice=invoice,
            brand=compose.brand(firm),
            due_date=today + timedelta(days=due_in),
            today=today,
            first_sent=today - timedelta(days=sent_before),
            number=(3 if final else 1) if reminder else None,
            tone=("final" if final else "gentle") if reminder else None,
            client_name=SAMPLE_CLIENT,
        )
        return render_item_email(email, compose.firm_wording(wording))
