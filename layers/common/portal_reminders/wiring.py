"""Builds the services once per process, on first use (never at import): settings from the
environment, the pynamodb repository, SES and SQS adapters, and the use cases over them.

Each part is built (and its modules imported) only when a function first asks for it: the scan
never loads the email, delivery or API code, which keeps its cold start short.
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import TYPE_CHECKING

from portal_reminders.adapters import clients
from portal_reminders.settings import Settings, get_settings

if TYPE_CHECKING:
    from portal_reminders.adapters.sqs import SqsSendQueue
    from portal_reminders.reminders.accounts import AccountService
    from portal_reminders.reminders.delivery import Deliverer
    from portal_reminders.reminders.items import ItemService
    from portal_reminders.repository.dynamo import DynamoRepository

# ruff: noqa: PLC0415 - the imports below are deferred on purpose (see the module docstring)


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def repository(self) -> DynamoRepository:
        from portal_reminders.repository.dynamo import DynamoRepository

        return DynamoRepository(self.settings.table_name, self.settings.region)

    @cached_property
    def queue(self) -> SqsSendQueue:
        from portal_reminders.adapters.sqs import SqsSendQueue

        return SqsSendQueue(clients.client("sqs"), self.settings.send_queue_url)

    @cached_property
    def deliverer(self) -> Deliverer:
        from portal_reminders.adapters.ses import SesMailer
        from portal_reminders.reminders.delivery import Deliverer

        return Deliverer(self.repository, SesMailer(clients.client("sesv2")), self.settings)

    @cached_property
    def items(self) -> ItemService:
        from portal_reminders.reminders.items import ItemService

        return ItemService(self.repository, self.repository, self.deliverer, self.queue, self.settings)

    @cached_property
    def accounts(self) -> AccountService:
        from portal_reminders.reminders.accounts import AccountService

        return AccountService(self.repository, self.repository)


@cache
def get_services() -> Services:
    return Services(get_settings())


def reset() -> None:
    """Forget everything built from the environment (tests; the local runner)."""
    get_services.cache_clear()
    get_settings.cache_clear()
    clients.reset()
