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
from portal_reminders.reminders.delivery import compose, escalation
from portal_reminders.reminders.scheduling import client_clock
from portal_reminders.repository.ports import DeliverySnapshot, FirmRepository, ItemRepository, WordingRepository

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
# The sample escalation (SPEC R19): the invoice went 38 days ago, was due 24 days ago, and its
# three reminders (days ago, number, tone) left the client silent for the 14 days it escalates after.
SAMPLE_ESCALATION_DAYS = 14
SAMPLE_ESCALATION_DUE = 24
SAMPLE_ESCALATION_FIRST = 38
SAMPLE_ESCALATION_REMINDERS = ((27, 1, Tone.GENTLE), (24, 2, Tone.FIRM), (14, 3, Tone.FINAL))
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

        if key.stage is escalation.STAGE:
            _english_escalation(key.language)
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
        of an item is a manual resend; its final stage, its last automatic reminder; its escalation,
        the email to the firm (in English: escalation.LANGUAGE)."""
        if stage is EmailStage.ESCALATION:
            return self._escalation_preview(firm_id, kind, language, item_id)
        if item_id is not None:
            return self._item_preview(firm_id, stage, kind, language, item_id)
        if kind is None:
            raise InvalidInput("kind is required without an item_id", field="kind")
        if language is None:
            raise InvalidInput("language is required without an item_id", field="language")
        wording = self._wordings.get_wording(firm_id, WordingKey(kind, stage, language))
        return self._sample(self._firm(firm_id), stage, kind, language, wording)

    def _snapshot(self, firm_id: str, kind: Kind | None, item_id: str) -> DeliverySnapshot:
        """The item as the send path reads it (with its account and firm); NotFound for another
        firm's, StateConflict when `kind` is not its kind."""
        item = existing("action item", ids.ITEM, item_id, lambda i: self._items.get_item(firm_id, i))
        if kind is not None and kind is not item.kind:
            raise StateConflict(f"the item is {item.kind.value}, not {kind.value}", field="kind")
        snapshot = self._items.load_for_delivery(ItemRef(firm_id=firm_id, item_id=item.id, account_id=item.account_id))
        if snapshot.item is None or snapshot.account is None:
            raise NotFound("action item", item_id)
        return snapshot

    def _item_preview(
        self, firm_id: str, stage: EmailStage, kind: Kind | None, language: Language | None, item_id: str
    ) -> EmailContent:
        snapshot = self._snapshot(firm_id, kind, item_id)
        account = snapshot.account
        assert snapshot.item is not None
        assert account is not None
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

    def _escalation_preview(
        self, firm_id: str, kind: Kind | None, language: Language | None, item_id: str | None
    ) -> EmailContent:
        """The escalation email to the firm (SPEC R19), in English only: for the item, as the send
        path builds it (what the client was sent, read from its audit trail, and the firm's wording
        of its kind), or with sample data."""
        if language is not None:
            _english_escalation(language)
        if item_id is None:
            if kind is None:
                raise InvalidInput("kind is required without an item_id", field="kind")
            if language is None:
                raise InvalidInput("language is required without an item_id", field="language")
            firm = self._firm(firm_id)
            key = WordingKey(kind, escalation.STAGE, escalation.LANGUAGE)
            return self._sample_escalation(firm, kind, self._wordings.get_wording(firm_id, key))
        snapshot = self._snapshot(firm_id, kind, item_id)
        item = snapshot.item
        assert item is not None
        if not item.reminders.escalate_after_days:
            raise StateConflict("the item never escalates: its reminders have no escalate_after_days", field="stage")
        return escalation.render(
            item,
            snapshot.account,
            snapshot.firm,
            escalation.sent_history(self._items, item),
            self._portal_url,
            now=self._now(),
            wording=self._wordings.get_wording(firm_id, escalation.wording_key(item)),
        )

    def _sample_escalation(self, firm: Firm, kind: Kind, wording: EmailWording | None) -> EmailContent:
        from portal_reminders.emails import (  # noqa: PLC0415
            EscalationEmail,
            InvoiceSummary,
            SentEmail,
            render_escalation_email,
        )

        today = client_clock.client_today(self._now(), firm.time_zone)
        sent = (
            SentEmail(day=today - timedelta(days=SAMPLE_ESCALATION_FIRST)),
            *(
                SentEmail(day=today - timedelta(days=ago), number=number, tone=tone.value)
                for ago, number, tone in SAMPLE_ESCALATION_REMINDERS
            ),
        )
        invoice = None
        if kind is Kind.INVOICE:
            invoice = InvoiceSummary(
                amount=SAMPLE_AMOUNT, currency=SAMPLE_CURRENCY, paid=False, balance_due=SAMPLE_AMOUNT
            )
        email = EscalationEmail(
            language=escalation.LANGUAGE.value,
            firm_name=compose.firm_name(firm, escalation.LANGUAGE),
            account_name=SAMPLE_CLIENT,
            kind=kind.value,
            item_title=SAMPLE_TITLES[kind],
            days=SAMPLE_ESCALATION_DAYS,
            portal_link=f"{compose.portal_base(firm, self._portal_url)}/action-items/sample",
            sent=sent,
            due_date=today - timedelta(days=SAMPLE_ESCALATION_DUE),
            contact_first_name=SAMPLE_CONTACT.greeting_name,
            invoice=invoice,
            today=today,
            first_sent=today - timedelta(days=SAMPLE_ESCALATION_FIRST),
            reminders_sent=len(SAMPLE_ESCALATION_REMINDERS),
        )
        return render_escalation_email(email, compose.firm_wording(wording))

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


def _english_escalation(language: Language) -> None:
    """The escalation email goes to the firm, which has no language: it is worded in English only."""
    if language is not escalation.LANGUAGE:
        raise InvalidInput(
            f"the escalation email is in {escalation.LANGUAGE.value} only (firms have no language)",
            field="language",
        )
