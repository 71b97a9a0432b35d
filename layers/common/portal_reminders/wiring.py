"""Builds the services once per process, on first use (never at import): settings from the
environment, the pynamodb repository, SES and SQS adapters, and the use cases over them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from portal_reminders.adapters import clients
from portal_reminders.adapters.ses import SesMailer
from portal_reminders.adapters.sqs import SqsSendQueue
from portal_reminders.reminders.accounts import AccountService
from portal_reminders.reminders.delivery import Deliverer
from portal_reminders.reminders.items import ItemService
from portal_reminders.repository.dynamo import DynamoRepository
from portal_reminders.settings import Settings, get_settings


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    repository: DynamoRepository
    queue: SqsSendQueue
    deliverer: Deliverer
    items: ItemService
    accounts: AccountService


@cache
def get_services() -> Services:
    settings = get_settings()
    repository = DynamoRepository(settings.table_name, settings.region)
    queue = SqsSendQueue(clients.client("sqs"), settings.send_queue_url)
    deliverer = Deliverer(repository, SesMailer(clients.client("sesv2")), settings)
    return Services(
        settings=settings,
        repository=repository,
        queue=queue,
        deliverer=deliverer,
        items=ItemService(repository, repository, deliverer, queue, settings),
        accounts=AccountService(repository, repository),
    )


def reset() -> None:
    """Forget everything built from the environment (tests; the local runner)."""
    get_services.cache_clear()
    get_settings.cache_clear()
    clients.reset()
