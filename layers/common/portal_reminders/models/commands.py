"""Typed commands: what a use case is asked to do, checked by mypy instead of a long keyword list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from portal_reminders.models.domain import Automation, Invoice, Kind, Origin


@dataclass(frozen=True, slots=True)
class SendItem:
    """Create an item and notify the account (SPEC R1). Whatever is None comes from the automation
    (R8), else the template (R7), else the defaults. `reminders` holds the fields the request names."""

    firm_id: str
    account_id: str
    actor: str
    kind: Kind
    title: str | None = None
    message: str | None = None
    reminders: Mapping[str, Any] | None = None
    invoice: Invoice | None = None
    due_date: date | None = None
    template_id: str | None = None
    automation: Automation | None = None
    origin: Origin | None = None
